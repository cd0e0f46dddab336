"""What a network of the texts is, layer by layer, and its shapes worked out by hand.

The dataclasses here are the vocabulary of :mod:`cnnbench.analysis.networks.modules` (which
re-exports them); the transcriptions live in :mod:`cnnbench.analysis.networks.tables`.
Shape inference here is plain integer arithmetic, deliberately independent of
torch so that the tests can hold it against a real forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnbench.analysis._validation import ParameterError

# Layer kinds the builder understands.
#   conv        out_channels, kernel, stride, padding, dilation, groups
#   maxpool     kernel, stride, padding, ceil_mode        (avgpool alike)
#   fc          out_channels (flattens a spatial input first)
#   lrn         kernel = the normalisation window n of 003 eq. (4.1)
#   act         activation = "relu" | "tanh" | ...
#   bn          batch normalisation over the current channels
#   module      two parallel paths concatenated: 1x1 conv (branches[0] filters)
#               and 3x3 conv, padding 1 (branches[1] filters), each conv + BN + ReLU
#   downsample  a 3x3 stride-2 conv (out_channels filters, padding 1) + BN + ReLU,
#               concatenated with a 3x3 stride-2 max pool of the input
#   inception   GoogLeNet's four paths, branches = (1x1, 3x3 reduce, 3x3, 5x5 reduce,
#               5x5, pool proj): 1x1 | 1x1 -> 3x3 (pad 1) | 1x1 -> 5x5 (pad 2) |
#               3x3/1 max pool (pad 1) -> 1x1; every conv followed by ReLU
#   inception_bn  003 Table 4.4's module (BN-Inception), branches = (1x1, 3x3 reduce,
#               3x3, double 3x3 reduce, double 3x3, pool proj), pool = "avg" | "max",
#               stride 1 or 2: 1x1 (absent when 0) | 1x1 -> 3x3/stride | 1x1 -> 3x3 ->
#               3x3/stride | 3x3/stride pool (pad 1) [-> 1x1 proj when > 0; avg pools
#               keep stride 1]; every conv followed by BN and ReLU
#   dropout, softmax, flatten: shape-preserving (flatten: to (C*H*W,))
KINDS = (
    "conv", "maxpool", "avgpool", "fc", "lrn", "act", "bn", "module", "downsample",
    "inception", "inception_bn", "dropout", "softmax", "flatten",
)  # fmt: skip


@dataclass(frozen=True)
class LayerSpec:
    """One row of a text's network table (or one layer the text implies)."""

    name: str
    kind: str
    out_channels: int | None = None
    kernel: int | None = None
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1
    ceil_mode: bool = False
    stated_output: tuple[int, ...] | None = None  # as printed: (C, H, W) or (F,)
    note: str = ""  # what had to be assumed for this layer
    activation: str = ""  # for kind "act"
    branches: tuple[int, ...] = ()  # filters per path of a "module" or "inception"
    pool: str = ""  # "avg" or "max": the pooling path of an "inception_bn"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError("kind", self.kind, f"must be one of {', '.join(map(repr, KINDS))}")


@dataclass(frozen=True)
class NetworkSpec:
    """A network as a text gives it: input shape, layers, and what was assumed."""

    name: str
    seed: str
    locator: str
    input_shape: tuple[int, int, int]  # (C, H, W)
    layers: tuple[LayerSpec, ...]
    assumptions: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class ConvShape:
    """One convolution as it runs inside a network: its input and its filters."""

    name: str
    in_channels: int
    out_channels: int
    height: int  # input height
    width: int  # input width
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1

    @property
    def out_height(self) -> int:
        return window_output(self.height, self.kernel, self.stride, self.padding, self.dilation)

    @property
    def out_width(self) -> int:
        return window_output(self.width, self.kernel, self.stride, self.padding, self.dilation)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one forward pass of one sample (bias excluded)."""
        per_output = (self.in_channels // self.groups) * self.kernel**2
        return per_output * self.out_channels * self.out_height * self.out_width

    @property
    def params(self) -> int:
        """Weights plus one bias per filter."""
        weights = self.out_channels * (self.in_channels // self.groups) * self.kernel**2
        return weights + self.out_channels


@dataclass(frozen=True)
class LayerShape:
    """A layer's input and output shapes as worked out by :func:`infer_shapes`."""

    layer: LayerSpec
    input: tuple[int, ...]
    output: tuple[int, ...]
    convs: tuple[ConvShape, ...] = ()  # the convolutions inside (one for "conv")
    fc: tuple[int, int] | None = None  # (in_features, out_features) for "fc"


def window_output(
    size: int, kernel: int, stride: int, padding: int, dilation: int = 1, ceil: bool = False
) -> int:
    """Output length of a sliding window (torch's convention, incl. ``ceil_mode``)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil else span // stride) + 1
    # torch (like Caffe) drops a last window that would start inside the right padding
    if ceil and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def infer_shapes(spec: NetworkSpec) -> tuple[LayerShape, ...]:
    """Walk ``spec`` from its input shape; return every layer's input and output."""
    shape: tuple[int, ...] = spec.input_shape
    out: list[LayerShape] = []
    for layer in spec.layers:
        convs: tuple[ConvShape, ...] = ()
        fc = None
        if layer.kind == "conv":
            c, h, w = shape
            conv = ConvShape(layer.name, c, layer.out_channels, h, w, layer.kernel,
                             layer.stride, layer.padding, layer.dilation, layer.groups)  # fmt: skip
            convs = (conv,)
            new = (conv.out_channels, conv.out_height, conv.out_width)
        elif layer.kind in ("maxpool", "avgpool"):
            c, h, w = shape
            k, s, p, cm = layer.kernel, layer.stride, layer.padding, layer.ceil_mode
            new = (c, window_output(h, k, s, p, 1, cm), window_output(w, k, s, p, 1, cm))
        elif layer.kind == "fc":
            features = 1
            for d in shape:
                features *= d
            fc = (features, layer.out_channels)
            new = (layer.out_channels,)
        elif layer.kind == "flatten":
            features = 1
            for d in shape:
                features *= d
            new = (features,)
        elif layer.kind == "module":
            c, h, w = shape
            one, three = layer.branches
            convs = (ConvShape(f"{layer.name}.1x1", c, one, h, w, 1),
                     ConvShape(f"{layer.name}.3x3", c, three, h, w, 3, 1, 1))  # fmt: skip
            new = (one + three, h, w)
        elif layer.kind == "downsample":
            c, h, w = shape
            conv = ConvShape(f"{layer.name}.3x3", c, layer.out_channels, h, w, 3, 2, 1)
            convs = (conv,)
            new = (layer.out_channels + c, conv.out_height, conv.out_width)
        elif layer.kind == "inception":
            c, h, w = shape
            one, r3, n3, r5, n5, proj = layer.branches
            n = layer.name
            convs = (ConvShape(f"{n}.1x1", c, one, h, w, 1),
                     ConvShape(f"{n}.3x3_reduce", c, r3, h, w, 1),
                     ConvShape(f"{n}.3x3", r3, n3, h, w, 3, 1, 1),
                     ConvShape(f"{n}.5x5_reduce", c, r5, h, w, 1),
                     ConvShape(f"{n}.5x5", r5, n5, h, w, 5, 1, 2),
                     ConvShape(f"{n}.pool_proj", c, proj, h, w, 1))  # fmt: skip
            new = (one + n3 + n5 + proj, h, w)
        elif layer.kind == "inception_bn":
            convs, new = _inception_bn(layer, shape)
        else:  # act, bn, lrn, dropout, softmax keep the shape
            new = shape
        out.append(LayerShape(layer, shape, new, convs, fc))
        shape = new
    return tuple(out)


def _inception_bn(layer: LayerSpec, shape: tuple[int, ...]):
    """The convolutions and output shape of a Table 4.4 module (see :data:`KINDS`)."""
    c, h, w = shape
    one, r3, n3, rd, nd, proj = layer.branches
    n, s = layer.name, layer.stride
    convs = [ConvShape(f"{n}.1x1", c, one, h, w, 1)] if one else []
    three = ConvShape(f"{n}.3x3", r3, n3, h, w, 3, s, 1)
    convs += [ConvShape(f"{n}.3x3_reduce", c, r3, h, w, 1), three,
              ConvShape(f"{n}.double_reduce", c, rd, h, w, 1),
              ConvShape(f"{n}.double_3x3a", rd, nd, h, w, 3, 1, 1),
              ConvShape(f"{n}.double_3x3b", nd, nd, h, w, 3, s, 1)]  # fmt: skip
    oh, ow = three.out_height, three.out_width
    if proj:
        convs.append(ConvShape(f"{n}.pool_proj", c, proj, oh, ow, 1))
    return tuple(convs), (one + n3 + nd + (proj or c), oh, ow)
