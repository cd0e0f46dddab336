"""The networks of the source texts: specifications, torch modules, conv shapes.

:data:`NETWORKS` maps a name to a :class:`NetworkSpec` transcribed from a
text's table (see :mod:`cnnbench.analysis.networks.tables` for every assumption made);
:func:`build_network` turns one into a ``torch.nn.Module``;
:func:`conv_layers` lists the convolutions it runs, with their input sizes,
for benchmarking; :func:`layer_shapes` gives every layer's computed output
next to the output the table printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.networks.spec import (
    KINDS,
    ConvShape,
    LayerShape,
    LayerSpec,
    NetworkSpec,
    infer_shapes,
    window_output,
)
from cnnbench.analysis.networks.tables import ALL
from torch import nn

__all__ = [
    "KINDS",
    "NETWORKS",
    "ConvShape",
    "LayerShape",
    "LayerSpec",
    "NetworkSpec",
    "build_network",
    "conv_layers",
    "get_network",
    "layer_shapes",
    "window_output",
]

NETWORKS: Mapping[str, NetworkSpec] = MappingProxyType({spec.name: spec for spec in ALL})

# Local response normalisation constants of the AlexNet paper (k=2, alpha=1e-4, beta=0.75);
# the thesis's eq. (4.1) names them without values.
_LRN = {"alpha": 1e-4, "beta": 0.75, "k": 2.0}
_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def get_network(name: str) -> NetworkSpec:
    """The specification registered under ``name``.

    Examples
    --------
    >>> get_network("vgg16").input_shape
    (3, 224, 224)
    """
    if name not in NETWORKS:
        raise ParameterError("name", name, f"must be one of {', '.join(map(repr, NETWORKS))}")
    return NETWORKS[name]


def layer_shapes(name: str) -> tuple[LayerShape, ...]:
    """Every layer's input and output shape, worked out from the spec alone.

    Examples
    --------
    >>> [s.output for s in layer_shapes("mnist_bilici") if s.layer.kind == "maxpool"]
    [(8, 14, 14), (32, 7, 7)]
    """
    return infer_shapes(get_network(name))


def conv_layers(name: str) -> tuple[ConvShape, ...]:
    """Every convolution of network ``name`` in forward order, with its input size.

    Parallel paths of a module are listed one after the other
    (``module1.1x1``, ``module1.3x3``).

    Examples
    --------
    >>> conv_layers("alexnet")[0]
    ConvShape(name='conv1', in_channels=3, out_channels=96, height=227, width=227, kernel=11, \
stride=4, padding=0, dilation=1, groups=1)
    """
    return tuple(conv for shape in layer_shapes(name) for conv in shape.convs)


class _ConvBNReLU(nn.Sequential):
    def __init__(self, conv: ConvShape) -> None:
        super().__init__(_conv(conv), nn.BatchNorm2d(conv.out_channels), nn.ReLU())


class _Concat(nn.Module):
    """Parallel paths over one input, concatenated along channels."""

    def __init__(self, *paths: nn.Module) -> None:
        super().__init__()
        self.paths = nn.ModuleList(paths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W)
        return torch.cat([path(x) for path in self.paths], dim=1)  # (N, sum C_i, H', W')


def _conv(conv: ConvShape) -> nn.Conv2d:
    return nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel, conv.stride,
                     conv.padding, conv.dilation, conv.groups)  # fmt: skip


def _module(shape: LayerShape) -> nn.Module:
    layer, kind = shape.layer, shape.layer.kind
    if kind == "conv":
        return _conv(shape.convs[0])
    if kind in ("maxpool", "avgpool"):
        pool = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
        return pool(layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    if kind == "fc":
        linear = nn.Linear(*shape.fc)
        return linear if len(shape.input) == 1 else nn.Sequential(nn.Flatten(), linear)
    if kind == "module":
        return _Concat(*map(_ConvBNReLU, shape.convs))
    if kind == "downsample":
        return _Concat(_ConvBNReLU(shape.convs[0]), nn.MaxPool2d(3, 2, 1))
    if kind == "inception":
        one, r3, n3, r5, n5, pp = (nn.Sequential(_conv(c), nn.ReLU()) for c in shape.convs)
        pool = nn.Sequential(nn.MaxPool2d(3, 1, 1), pp)
        return _Concat(one, nn.Sequential(r3, n3), nn.Sequential(r5, n5), pool)
    if kind == "inception_bn":
        return _inception_bn(shape)
    if kind == "act":
        return _ACTIVATIONS[layer.activation]()
    if kind == "bn":
        return nn.BatchNorm2d(shape.input[0])
    if kind == "lrn":
        return nn.LocalResponseNorm(layer.kernel, **_LRN)
    if kind == "dropout":
        return nn.Dropout(0.5)
    if kind == "softmax":
        return nn.Softmax(dim=1)
    return nn.Flatten()


def build_network(name: str) -> nn.Module:
    """A ``torch.nn.Module`` of network ``name``, freshly initialised (torch defaults).

    Its children are named after the table's rows; it expects
    ``(N, *get_network(name).input_shape)`` inputs.

    Examples
    --------
    >>> model = build_network("lenet5").eval()
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    model = nn.Sequential()
    for shape in layer_shapes(name):
        model.add_module(shape.layer.name, _module(shape))
    return model


def _inception_bn(shape: LayerShape) -> nn.Module:
    """A Table 4.4 module, its paths as :func:`~cnnbench.analysis.networks.spec.infer_shapes`
    lists them."""
    layer, convs = shape.layer, list(map(_ConvBNReLU, shape.convs))
    one = [convs.pop(0)] if layer.branches[0] else []
    three, double = nn.Sequential(*convs[:2]), nn.Sequential(*convs[2:5])
    stride = layer.stride if layer.pool == "max" else 1
    pool = (nn.MaxPool2d(3, stride, 1) if layer.pool == "max"
            else nn.AvgPool2d(3, 1, 1, count_include_pad=False))  # fmt: skip
    pooled = nn.Sequential(pool, convs[5]) if len(convs) > 5 else pool
    return _Concat(*one, three, double, pooled)
