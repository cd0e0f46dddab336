"""What each traced node does to the spatial axes, and its multiply-accumulates.

:func:`geometry` sorts a :class:`~cnnbench.analysis.profile.graph.NodeRecord` into the
rules :mod:`cnnbench.analysis.profile.receptive` applies: a sliding window (convolution,
pooling: kernel, stride, padding, dilation per axis), a transposed convolution, a
resampling (adaptive pooling, nearest or linear interpolation), a pointwise op (a unit
depends on the same units of each input: activations, norms, residual additions,
concatenation over channels), a permutation of the axes, a reduction that leaves no
spatial axis (every output sees the whole input), or an op without a rule.

:func:`macs` counts multiply-accumulates from the layer's shapes alone (convolution
``out·(C_in/g)·k``, transposed convolution ``in·(C_out/g)·k``, linear ``out·in_features``,
matrix products ``out·K``), the units of :mod:`cnnbench.analysis.networks.complexity`;
``FlopCounterMode`` (2 FLOPs per MAC) is the cross-check.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

from cnnbench.analysis.profile.graph import NodeRecord, Ref
from torch import nn

# Names (function, method or module class, lower case) of ops where a unit depends on the
# same units of each input. Norms are here by the usual convention: their statistics
# (batch, group or layer means) are not counted as spatial dependence (Araujo et al.).
POINTWISE = frozenset("""
add sub mul truediv div floordiv neg pow relu relu_ relu6 sigmoid tanh gelu silu mish
hardswish hardsigmoid leaky_relu elu selu celu softplus softsign hardtanh prelu rrelu
dropout dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout batch_norm
layer_norm group_norm instance_norm local_response_norm normalize clamp clamp_min
clamp_max clip abs exp log sqrt rsqrt square maximum minimum where contiguous to type
float half double bfloat16 clone detach sign sin cos erf reciprocal add_ mul_ sub_ div_
sigmoid_ tanh_ masked_fill type_as identity threshold hardshrink softshrink tanhshrink
logsigmoid cat concat concatenate silu_ gelu_ elu_ leaky_relu_ hardtanh_ expand_as
""".split())  # fmt: skip
# Ops that keep, drop or collapse axes: pointwise when the spatial sizes survive unchanged,
# "every unit sees the whole input" when the spatial axes are reduced away.
RESHAPE = frozenset("""
flatten view reshape squeeze unsqueeze mean sum amax amin max min prod std var norm
logsumexp softmax log_softmax softmin getitem chunk split tensor_split unflatten
""".split())  # fmt: skip
PERMUTE = frozenset({"permute", "transpose", "movedim", "swapaxes"})
_POINTWISE_MODULES: tuple[type, ...] = tuple(t for t in (
    nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm,
    nn.modules.dropout._DropoutNd, nn.Identity, nn.Softmax2d, nn.CrossMapLRN2d,
    getattr(nn, "RMSNorm", None),
) if t is not None)  # fmt: skip
_NOT_POINTWISE_ACT = (nn.MultiheadAttention, nn.Softmax, nn.LogSoftmax, nn.Softmin)


@dataclass(frozen=True)
class Geometry:
    """How a node maps its inputs' units to its own, per spatial axis."""

    kind: str  # input sliding transposed resample pointwise permute reduce linear unknown none
    axes: tuple[tuple[int, int, int, int], ...] = ()  # (kernel, stride, padding, dilation)
    mode: str = ""  # resample: adaptive | nearest | nearest-exact | linear
    perm: tuple[int, ...] = ()  # permute: output dim i is input dim perm[i]
    reason: str = ""  # unknown: why no rule applies


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    out = tuple(int(v) for v in value)
    return out * n if len(out) == 1 else out


def _window_axes(kernel, stride, padding, dilation, n: int) -> tuple:
    k = _tuple(kernel, n)
    s = _tuple(stride if stride not in (None, (), []) else kernel, n)
    d = _tuple(dilation, n)
    if padding == "valid":
        p = (0,) * n
    elif padding == "same":  # torch pads d(k-1) in all, the smaller half first
        p = tuple(di * (ki - 1) // 2 for ki, di in zip(k, d, strict=True))
    else:
        p = _tuple(padding, n)
    return tuple(zip(k, s, p, d, strict=True))


def _bind(r: NodeRecord, names: tuple[str, ...], defaults: dict) -> dict:
    bound = dict(defaults)
    bound.update(zip(names, r.args, strict=False))
    bound.update(r.kwargs)
    return bound


_CONV = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_CONVT = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")
_MAXPOOL = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode")
_AVGPOOL = ("input", "kernel_size", "stride", "padding", "ceil_mode")
_INTERP = ("input", "size", "scale_factor", "mode", "align_corners")


def _resample_mode(mode: str, align_corners: bool | None) -> str | None:
    if mode in ("nearest", "nearest-exact"):
        return mode
    if mode in ("linear", "bilinear", "trilinear") and not align_corners:
        return "linear"
    return None


def geometry(r: NodeRecord) -> Geometry:
    """The receptive-field rule of node ``r`` (see the module docstring)."""
    name = r.op.lower()
    if r.call == "placeholder":
        return Geometry("input")
    if r.call == "get_attr":
        return Geometry("none")
    if r.shape is None:  # a tuple of tensors (chunk, split) carries its input's windows
        return Geometry("reduce" if name in ("chunk", "split", "tensor_split") else "none")
    n = len(r.shape) - 2
    m = r.module
    if m is not None:
        return _module_geometry(m, n)
    fname = name.removesuffix("_") if name.endswith("_") and name[:-1] in POINTWISE else name
    if fname in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d"):  # fmt: skip
        transposed = fname.startswith("conv_transpose")
        b = _bind(r, _CONVT if transposed else _CONV, {"stride": 1, "padding": 0, "dilation": 1})
        kernel = r.in_shapes[1][2:] if len(r.in_shapes) > 1 else None
        if kernel is None:
            return Geometry("unknown", reason=f"{r.op}: weight shape unknown")
        axes = _window_axes(kernel, b["stride"], b["padding"], b["dilation"], n)
        return Geometry("transposed" if transposed else "sliding", axes)
    if fname in ("max_pool1d", "max_pool2d", "max_pool3d"):
        b = _bind(r, _MAXPOOL, {"stride": None, "padding": 0, "dilation": 1})
        return Geometry("sliding", _window_axes(b["kernel_size"], b["stride"], b["padding"],
                                                b["dilation"], n))  # fmt: skip
    if fname in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
        b = _bind(r, _AVGPOOL, {"stride": None, "padding": 0})
        return Geometry("sliding", _window_axes(b["kernel_size"], b["stride"], b["padding"], 1,
                                                n))  # fmt: skip
    if fname.startswith(("adaptive_avg_pool", "adaptive_max_pool")):
        return Geometry("resample", mode="adaptive")
    if fname in ("interpolate", "upsample"):
        b = _bind(r, _INTERP, {"mode": "nearest", "align_corners": None})
        mode = _resample_mode(b["mode"], b["align_corners"])
        if mode is None:
            return Geometry("unknown", reason=f"{r.op} mode={b['mode']!r}: no rule")
        return Geometry("resample", mode=mode)
    if fname in ("linear", "matmul", "mm", "bmm"):
        return Geometry("linear")
    if fname in PERMUTE:
        return Geometry("permute", perm=_permutation(r))
    if fname in POINTWISE:
        return Geometry("pointwise")
    if fname in RESHAPE:
        return Geometry("reduce")
    return Geometry("unknown", reason=f"{r.op}: no receptive-field rule")


def _module_geometry(m: nn.Module, n: int) -> Geometry:
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        return Geometry("transposed", _window_axes(m.kernel_size, m.stride, m.padding,
                                                   m.dilation, n))  # fmt: skip
    if isinstance(m, nn.modules.conv._ConvNd):
        return Geometry("sliding", _window_axes(m.kernel_size, m.stride, m.padding, m.dilation, n))
    if isinstance(m, nn.modules.pooling._MaxPoolNd):
        return Geometry("sliding", _window_axes(m.kernel_size, m.stride, m.padding, m.dilation, n))
    if isinstance(m, nn.modules.pooling._AvgPoolNd | nn.modules.pooling._LPPoolNd):
        pad = getattr(m, "padding", 0)
        return Geometry("sliding", _window_axes(m.kernel_size, m.stride, pad, 1, n))
    if isinstance(m, nn.modules.pooling._AdaptiveAvgPoolNd | nn.modules.pooling._AdaptiveMaxPoolNd):
        return Geometry("resample", mode="adaptive")
    if isinstance(m, nn.Upsample):
        mode = _resample_mode(m.mode, m.align_corners)
        if mode is None:
            return Geometry("unknown", reason=f"Upsample mode={m.mode!r}: no rule")
        return Geometry("resample", mode=mode)
    if isinstance(m, nn.Linear | nn.Bilinear):
        return Geometry("linear")
    if isinstance(m, nn.Flatten | nn.Unflatten):
        return Geometry("reduce")
    if isinstance(m, _POINTWISE_MODULES):
        return Geometry("pointwise")
    if isinstance(m, nn.Softmax | nn.LogSoftmax | nn.Softmin):
        return Geometry("reduce")  # pointwise over the channels, whole-axis over a spatial dim
    if type(m).__module__ == "torch.nn.modules.activation" and not isinstance(
            m, _NOT_POINTWISE_ACT):  # fmt: skip
        return Geometry("pointwise")
    return Geometry("unknown", reason=f"{type(m).__name__}: no receptive-field rule")


def _permutation(r: NodeRecord) -> tuple[int, ...]:
    """Output dim i holds input dim perm[i] (permute, transpose, movedim, swapaxes)."""
    nd = len(r.shape)
    args = [a for a in r.args if not isinstance(a, Ref)]
    if r.op in ("permute",):
        dims = args[0] if len(args) == 1 and isinstance(args[0], tuple | list) else args
        dims = r.kwargs.get("dims", dims)
        return tuple(int(d) % nd for d in dims)
    a, b = (int(x) % nd for x in ([*args, r.kwargs.get("dim0"), r.kwargs.get("dim1")])[:2])
    perm = list(range(nd))
    if r.op == "movedim":
        perm.pop(a)
        perm.insert(b, a)
    else:
        perm[a], perm[b] = perm[b], perm[a]
    return tuple(perm)


def macs(r: NodeRecord, batch: int = 1) -> int | None:
    """Multiply-accumulates of one sample through node ``r``; None when no formula applies
    (then only ``FlopCounterMode``'s count is known)."""
    name = r.op.lower()
    m = r.module
    weight = getattr(m, "weight", None) if m is not None else None
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        return _numel(r.in_shapes[0]) * math.prod(weight.shape[1:]) // batch
    if isinstance(m, nn.modules.conv._ConvNd):
        return r.numel * math.prod(weight.shape[1:]) // batch
    if isinstance(m, nn.Linear):
        return r.numel * m.in_features // batch
    if m is not None:
        return 0 if r.flops == 0 else None
    if name in ("conv1d", "conv2d", "conv3d"):
        return r.numel * math.prod(r.in_shapes[1][1:]) // batch
    if name.startswith("conv_transpose"):
        return _numel(r.in_shapes[0]) * math.prod(r.in_shapes[1][1:]) // batch
    if name == "linear":
        return r.numel * r.in_shapes[1][1] // batch
    if name in ("matmul", "mm", "bmm") or r.target is operator.matmul:
        return r.numel * r.in_shapes[0][-1] // batch
    return 0 if r.flops == 0 else None


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)
