"""What the texts' networks cost: parameters, multiply-accumulates, bytes, eq. (4.7).

Units, stated once: a multiply-accumulate (MAC) is one multiplication and one
addition, ``a += w * x``; 1 MAC = 2 FLOPs (floating-point operations). Counts
are for one forward pass of one sample. A convolution of ``C_in/groups``
input channels and a ``k x k`` kernel spends ``(C_in/groups)·k²`` MACs on each
of its ``C_out·H_out·W_out`` outputs; a fully connected layer ``in·out``. Bias
additions, batch norm, pooling, activations, LRN and softmax are *not* MACs;
:func:`other_ops` counts them separately so that a difference with
``torch.utils.flop_counter.FlopCounterMode`` (which counts only convolutions
and matrix products, as 2 FLOPs per MAC) can be explained to the operation.

Model size is float32 parameters: ``4·params`` bytes, reported in MB (10^6
bytes) and MiB (2^20 bytes).

Eq. (4.7) of 003, ``O(Σ_l n_{l-1}·s_l²·n_l·m_l²)``, is the MAC count of a stack
of ungrouped convolutions: n_{l-1} input channels times s_l² kernel taps per
output, n_l·m_l² outputs. It has no term for groups (a grouped layer does
1/groups of that work). A fully connected layer is the case s_l = the input's
spatial size, m_l = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
import torch
from cnnbench.analysis.networks.modules import build_network, get_network, layer_shapes
from torch.utils.flop_counter import FlopCounterMode

BYTES_PER_FLOAT32 = 4
# Layer kinds whose every convolution is followed by batch norm and ReLU.
_CONV_BN_RELU = ("module", "downsample", "inception_bn")
FLOPS_PER_MAC = 2

# The symbols of 003 eq. (4.7) for one layer l.
N_PREV, S, N, M = sympy.symbols("n_prev s n m", positive=True, integer=True)
EQ47_TERM = N_PREV * S**2 * N * M**2


@dataclass(frozen=True)
class NetworkCost:
    """Costs of one forward pass of one sample through a network."""

    name: str
    params: int
    conv_macs: int  # group-aware
    fc_macs: int
    eq47: int  # Σ n_{l-1} s² n_l m² over every conv and fc layer, groups ignored
    eq47_conv: int  # the same over conv layers only
    bn_buffers: int = 0  # batch norm running mean and variance: stored in a model file

    @property
    def size_mb_with_buffers(self) -> float:
        return (self.params + self.bn_buffers) * BYTES_PER_FLOAT32 / 10**6

    @property
    def size_mib_with_buffers(self) -> float:
        return (self.params + self.bn_buffers) * BYTES_PER_FLOAT32 / 2**20

    @property
    def macs(self) -> int:
        return self.conv_macs + self.fc_macs

    @property
    def flops(self) -> int:
        return FLOPS_PER_MAC * self.macs

    @property
    def size_mb(self) -> float:
        return self.params * BYTES_PER_FLOAT32 / 10**6

    @property
    def size_mib(self) -> float:
        return self.params * BYTES_PER_FLOAT32 / 2**20

    def to_json(self) -> dict[str, int | float | str]:
        return {
            "name": self.name, "params": self.params, "macs": self.macs,
            "conv_macs": self.conv_macs, "fc_macs": self.fc_macs, "flops": self.flops,
            "eq47": self.eq47, "eq47_conv": self.eq47_conv,
            "size_mb": round(self.size_mb, 3), "size_mib": round(self.size_mib, 3),
        }  # fmt: skip


def eq47_term(n_prev: int, s: int, n: int, m: int) -> int:
    """One layer's term of 003 eq. (4.7): ``n_{l-1}·s_l²·n_l·m_l²``.

    Parameters
    ----------
    n_prev : filters (channels) of the layer before.
    s : filter size (s x s).
    n : filters of this layer.
    m : output feature map size (m x m).

    Returns
    -------
    int
        The term; for an ungrouped convolution, its multiply-accumulates.

    References
    ----------
    003_6ff731d493f5c8c8.txt §4.5, eq. (4.7).

    Examples
    --------
    >>> eq47_term(3, 11, 96, 55)  # AlexNet conv1
    105415200
    """
    return int(EQ47_TERM.subs({N_PREV: n_prev, S: s, N: n, M: m}))


def network_cost(name: str) -> NetworkCost:
    """Parameters, MACs and eq. (4.7) of network ``name``, from its spec alone.

    Parameters
    ----------
    name : a key of :data:`cnnbench.analysis.networks.modules.NETWORKS`.

    Returns
    -------
    NetworkCost

    Notes
    -----
    Parameters: conv ``C_out·(C_in/g)·k² + C_out``; fc ``in·out + out``; batch norm
    ``2·C`` (scale and shift; running statistics are buffers, not parameters).

    References
    ----------
    003 Table 4.7 and eq. (4.7); published counts: torchvision's AlexNet 61,100,840,
    VGG-16 138,357,544.

    Examples
    --------
    >>> cost = network_cost("vgg16")
    >>> cost.params, cost.macs
    (138357544, 15470264320)
    >>> round(cost.size_mib, 1), cost.flops == 2 * cost.macs
    (527.8, True)
    """
    params = conv_macs = fc_macs = eq47 = eq47_conv = buffers = 0
    for shape in layer_shapes(name):
        for conv in shape.convs:
            params += conv.params
            conv_macs += conv.macs
            term = eq47_term(conv.in_channels, conv.kernel, conv.out_channels, conv.out_height)
            eq47 += term
            eq47_conv += term
        if shape.fc is not None:
            fan_in, fan_out = shape.fc
            params += fan_in * fan_out + fan_out
            fc_macs += fan_in * fan_out
            eq47 += fan_in * fan_out
        if shape.layer.kind == "bn":
            params += 2 * shape.input[0]
            buffers += 2 * shape.input[0]
        if shape.layer.kind in _CONV_BN_RELU:  # conv + BN + ReLU per path
            params += 2 * sum(conv.out_channels for conv in shape.convs)
            buffers += 2 * sum(conv.out_channels for conv in shape.convs)
    return NetworkCost(name, params, conv_macs, fc_macs, eq47, eq47_conv, buffers)


def parameter_breakdown(name: str) -> dict[str, int]:
    """Parameters of network ``name`` by where they sit: conv, fc, batch norm, classifier.

    ``classifier`` is the last weight layer (conv or fc), separated because the
    tables often stop before it.

    Examples
    --------
    >>> parameter_breakdown("lenet5")
    {'conv': 25570, 'fc': 400500, 'batch_norm': 0, 'classifier': 5010}
    """
    parts = {"conv": 0, "fc": 0, "batch_norm": 0, "classifier": 0}
    last = None
    for shape in layer_shapes(name):
        for conv in shape.convs:
            parts["conv"] += conv.params
            last = ("conv", conv.params)
        if shape.fc is not None:
            n = shape.fc[0] * shape.fc[1] + shape.fc[1]
            parts["fc"] += n
            last = ("fc", n)
        if shape.layer.kind == "bn":
            parts["batch_norm"] += 2 * shape.input[0]
        if shape.layer.kind in _CONV_BN_RELU:
            parts["batch_norm"] += 2 * sum(conv.out_channels for conv in shape.convs)
    if last is not None:
        parts[last[0]] -= last[1]
        parts["classifier"] = last[1]
    return parts


def _numel(shape: tuple[int, ...]) -> int:
    out = 1
    for d in shape:
        out *= d
    return out


def other_ops(name: str) -> dict[str, int]:
    """Operations of a forward pass that are not multiply-accumulates, by kind.

    The per-element model: a bias adds 1; batch norm at inference 2 (scale,
    shift); an activation 1; a k x k pool ``k² - 1`` comparisons or additions
    per output (plus one division for average); LRN with window n about
    ``n + 3`` (n squares summed, then scale, power, divide); softmax 3
    (exponent, sum, divide). These are the operations ``FlopCounterMode`` does
    not count.

    Examples
    --------
    >>> other_ops("mnist_bilici")["bias"]  # 8·28·28 + 32·14·14 + 600 + 10 outputs
    13154
    """
    ops = {"bias": 0, "batch_norm": 0, "activation": 0, "pooling": 0, "lrn": 0, "softmax": 0}
    for shape in layer_shapes(name):
        layer, out = shape.layer, _numel(shape.output)
        kind = layer.kind
        if kind in ("conv", "fc"):
            ops["bias"] += out
        elif kind in (*_CONV_BN_RELU, "inception"):
            conv_out = sum(c.out_channels * c.out_height * c.out_width for c in shape.convs)
            ops["bias"] += conv_out
            ops["batch_norm"] += 2 * conv_out * (kind != "inception")
            ops["activation"] += conv_out
            if kind == "downsample":  # the 3x3/2 max-pool path
                ops["pooling"] += (out - conv_out) * 8
            if kind == "inception":  # the 3x3/1 max pool before the projection
                ops["pooling"] += _numel(shape.input) * 8
            if kind == "inception_bn":  # the 3x3 pool path, at its output size
                ops["pooling"] += shape.input[0] * shape.output[1] * shape.output[2] * 8
        elif kind == "bn":
            ops["batch_norm"] += 2 * out
        elif kind == "act":
            ops["activation"] += out
        elif kind in ("maxpool", "avgpool"):
            ops["pooling"] += out * (layer.kernel**2 - 1 + (kind == "avgpool"))
        elif kind == "lrn":
            ops["lrn"] += out * (layer.kernel + 3)
        elif kind == "softmax":
            ops["softmax"] += 3 * out
    return ops


def counted_flops(name: str) -> dict[str, int]:
    """FLOPs of one forward pass as ``torch.utils.flop_counter.FlopCounterMode`` counts them.

    Run on the meta device (shapes only, no arithmetic), batch size 1.

    Returns
    -------
    dict
        ``{"total": ..., "aten.convolution": ..., "aten.addmm": ...}``.

    Examples
    --------
    >>> counted_flops("lenet5")["total"] == 2 * network_cost("lenet5").macs
    True
    """
    spec = get_network(name)
    with torch.device("meta"):
        model = build_network(name).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, *spec.input_shape, device="meta"))  # (1, C, H, W)
    by_op = {str(op): int(n) for op, n in counter.get_flop_counts()["Global"].items()}
    return {"total": int(counter.get_total_flops()), **by_op}
