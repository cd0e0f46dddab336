"""Convolution workloads: the texts' networks' layers plus parameter sweeps.

Each convolution is timed three ways, separately: forward, backward-data
(grad of the input) and backward-weight (grad of the filters), the latter two
through ``aten.convolution_backward`` with an output mask, so neither includes
the other or the forward. Layouts NCHW and channels_last; the conversion
NCHW -> channels_last of the layer's input is its own workload ("layout").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from cnnbench.analysis.networks.modules import ConvShape, conv_layers
from cnnbench.bench.workloads import (
    Prepared,
    Workload,
    randn,
    require_close_scaled,
    torch_dtype,
)

# The texts' own networks (variants such as vgg19 or torchvision's AlexNet are
# not in the texts' tables and are left out).
TEXT_NETWORKS = ("alexnet", "alexnet_two_tower", "vgg16", "tinynet_a", "tinynet_b",
                 "tiny_cifar", "ndsb1", "ndsb2", "mnist_bilici", "lenet5")  # fmt: skip
# The short profile keeps a few layers per network that span its shapes (first,
# a middle one, last) and the small networks whole.
SHORT_LAYERS = {
    "alexnet": ("conv1", "conv2", "conv3", "conv5"),
    "vgg16": ("conv1_2", "conv3_2", "conv5_1"),
    "tinynet_a": ("conv1", "module4.1x1", "module4.3x3"),
    "ndsb1": ("conv2", "conv8"),
    "mnist_bilici": ("cnn1", "cnn2"),
}
# Layers with little work per image are batched (powers of 2, at most MAX_BATCH)
# until a forward does MIN_CALL_FLOPS, ~0.5 ms at 40 GFLOP/s: long enough for
# the clock, short enough that the short profile stays within its minutes.
MIN_CALL_FLOPS = 2e7
MAX_BATCH = 32
# The float64 reference of a big layer (VGG's 224x224 ones: seconds to minutes)
# is checked on a spatial crop of the same layer: same op, layout and dtype.
MAX_REF_FLOPS = 5e8
LAYOUTS = ("nchw", "channels_last")
CONV_DIRECTIONS = ("forward", "backward_data", "backward_weight")
# The sweep's base layer: a mid-network 3x3 (64 channels at 56x56, as VGG/ResNet stage 2).
SWEEP_BASE = {"in_channels": 64, "out_channels": 64, "height": 56, "width": 56}


def _sweep_shapes(profile: str) -> tuple[tuple[str, ConvShape], ...]:
    b = SWEEP_BASE
    out: list[tuple[str, ConvShape]] = []
    kernels = (1, 3, 5, 7)
    for k in kernels:
        out.append((f"sweep/k{k}", ConvShape(f"k{k}", **b, kernel=k, padding=k // 2)))
    out.append(("sweep/stride2", ConvShape("stride2", **b, kernel=3, stride=2, padding=1)))
    out.append(("sweep/dilation2", ConvShape("dilation2", **b, kernel=3, padding=2, dilation=2)))
    out.append(("sweep/groups4", ConvShape("groups4", **b, kernel=3, padding=1, groups=4)))
    out.append(("sweep/depthwise", ConvShape("depthwise", **b, kernel=3, padding=1, groups=64)))
    out.append(("sweep/pointwise", ConvShape("pointwise", **b, kernel=1)))
    if profile == "short":
        keep = {"sweep/k1", "sweep/k3", "sweep/k7", "sweep/stride2", "sweep/depthwise"}
        out = [o for o in out if o[0] in keep]
    else:
        for s in (2, 4):
            for k in kernels:
                pad = k // 2
                name = f"sweep/k{k}s{s}"
                out.append((name, ConvShape(name, **b, kernel=k, stride=s, padding=pad)))
        out.append(("sweep/dilation4", ConvShape("d4", **b, kernel=3, padding=4, dilation=4)))
    return tuple(out)


def _network_shapes(profile: str) -> tuple[tuple[str, ConvShape], ...]:
    out: list[tuple[str, ConvShape]] = []
    for net in TEXT_NETWORKS:
        if profile == "short" and net not in SHORT_LAYERS:
            continue
        seen: set[tuple] = set()
        for c in conv_layers(net):
            if profile == "short" and c.name not in SHORT_LAYERS[net]:
                continue
            sig = (c.in_channels, c.out_channels, c.height, c.width, c.kernel, c.stride,
                   c.padding, c.dilation, c.groups)  # fmt: skip
            if sig in seen:
                continue  # the same shape twice in one network times the same kernel
            seen.add(sig)
            out.append((f"{net}/{c.name}", c))
    return tuple(out)


def _batch(c: ConvShape) -> int:
    n = 1
    while n < MAX_BATCH and 2 * n * c.macs < MIN_CALL_FLOPS:
        n *= 2
    return n


def _params(c: ConvShape) -> tuple[tuple[str, object], ...]:
    return (("cin", c.in_channels), ("cout", c.out_channels), ("kernel", c.kernel),
            ("stride", c.stride), ("padding", c.padding), ("dilation", c.dilation),
            ("groups", c.groups))  # fmt: skip


def conv_workload(case: str, c: ConvShape, dtype: str, device: str, layout: str,
                  direction: str, n: int | None = None) -> Workload:  # fmt: skip
    """One convolution workload; bytes = each tensor read or written once."""
    n = _batch(c) if n is None else n
    item = torch.empty((), dtype=torch_dtype(dtype)).element_size()
    x_el = n * c.in_channels * c.height * c.width
    y_el = n * c.out_channels * c.out_height * c.out_width
    w_el = c.out_channels * (c.in_channels // c.groups) * c.kernel**2
    moved = {"forward": x_el + w_el + y_el, "backward_data": y_el + w_el + x_el,
             "backward_weight": x_el + y_el + w_el}[direction] * item  # fmt: skip
    return Workload(
        group="conv", op="conv2d", impl="aten", shape=(n, c.in_channels, c.height, c.width),
        dtype=dtype, device=device, layout=layout, direction=direction, alloc="alloc",
        case=case, bytes=moved, flops=2 * n * c.macs, params=_params(c), working_set=moved,
    )  # fmt: skip


def layout_workload(case: str, c: ConvShape, dtype: str, device: str) -> Workload:
    n = _batch(c)
    item = torch.empty((), dtype=torch_dtype(dtype)).element_size()
    # One channel (or one pixel) is already channels_last: contiguous() copies nothing.
    trivial = c.in_channels == 1 or c.height * c.width == 1
    moved = 0 if trivial else 2 * n * c.in_channels * c.height * c.width * item
    return Workload(
        group="layout", op="to_channels_last", impl="contiguous", dtype=dtype, device=device,
        shape=(n, c.in_channels, c.height, c.width), layout="nchw->channels_last",
        direction="convert", alloc="alloc", case=case, bytes=moved, flops=0,
        params=_params(c), working_set=moved,
    )  # fmt: skip


def conv_workloads(profile: str, device: str) -> tuple[Workload, ...]:
    """Network layers and sweeps x layouts x directions (+ layout conversion)."""
    out: list[Workload] = []
    dtypes = ("float32",) if profile == "short" else ("float32", "bfloat16")
    if profile == "full" and device == "cuda":
        dtypes = ("float32", "bfloat16", "float16")
    shapes = _network_shapes(profile) + _sweep_shapes(profile)
    for case, c in shapes:
        for dtype in dtypes:
            for layout in LAYOUTS:
                for direction in CONV_DIRECTIONS:
                    out.append(conv_workload(case, c, dtype, device, layout, direction))
            if not case.startswith("sweep/"):
                out.append(layout_workload(case, c, dtype, device))
    return tuple(out)


def _shape_of(w: Workload) -> ConvShape:
    p = dict(w.params)
    _, _, h, wd = w.shape
    return ConvShape(w.case, p["cin"], p["cout"], h, wd, p["kernel"], p["stride"],
                     p["padding"], p["dilation"], p["groups"])  # fmt: skip


def _tensors(c: ConvShape, n: int, h: int, wd: int, w: Workload):
    x = randn((n, c.in_channels, h, wd), w.dtype, w.device)  # (N, C, H, W)
    wt = randn((c.out_channels, c.in_channels // c.groups, c.kernel, c.kernel), w.dtype,
               w.device, seed=11)  # fmt: skip
    oh = (h + 2 * c.padding - c.dilation * (c.kernel - 1) - 1) // c.stride + 1
    ow = (wd + 2 * c.padding - c.dilation * (c.kernel - 1) - 1) // c.stride + 1
    go = randn((n, c.out_channels, oh, ow), w.dtype, w.device, seed=13)  # (N, K, OH, OW)
    if w.layout == "channels_last":
        x, wt, go = (t.contiguous(memory_format=torch.channels_last) for t in (x, wt, go))
    return x, wt, go


def _run(c: ConvShape, direction: str, x, wt, go):
    if direction == "forward":
        return F.conv2d(x, wt, stride=c.stride, padding=c.padding, dilation=c.dilation,
                        groups=c.groups)  # fmt: skip
    mask = [direction == "backward_data", direction == "backward_weight", False]
    return torch.ops.aten.convolution_backward(
        go, x, wt, None, [c.stride] * 2, [c.padding] * 2, [c.dilation] * 2,
        False, [0, 0], c.groups, mask,
    )  # fmt: skip


def _pick(direction: str, out):
    if direction == "forward":
        return out
    return out[0] if direction == "backward_data" else out[1]


def prepare_conv(w: Workload) -> Prepared:
    """Inputs from N(0, 1) in the workload's layout; checked against float64 first."""
    c = _shape_of(w)
    n, _, h, wd = w.shape
    if w.group == "layout":
        x = randn(w.shape, w.dtype, w.device)  # (N, C, H, W)
        fn = lambda: x.contiguous(memory_format=torch.channels_last)  # noqa: E731
        y = fn()
        if not torch.equal(y, x) or not y.is_contiguous(memory_format=torch.channels_last):
            raise RuntimeError(f"{w.key}: conversion changed values or missed the layout")
        return Prepared(w, fn, 0.0, "exact equality")
    x, wt, go = _tensors(c, n, h, wd, w)
    fn = lambda: _run(c, w.direction, x, wt, go)  # noqa: E731
    tol = "tf32" if w.device == "cuda" and torch.backends.cudnn.allow_tf32 else w.dtype
    check = "float64 reference (scaled)"
    if w.flops > MAX_REF_FLOPS:
        # same op, layout and dtype on one image cropped to a few output rows/columns
        span = c.dilation * (c.kernel - 1) + 1
        ch, cw = min(h, span + 7 * c.stride), min(wd, span + 7 * c.stride)
        cx, cwt, cgo = _tensors(c, 1, ch, cw, w)
        check = f"float64 reference on a 1x{ch}x{cw} crop (scaled)"
    else:
        cx, cwt, cgo = x, wt, go
    got = _pick(w.direction, _run(c, w.direction, cx, cwt, cgo))
    ref = _pick(w.direction, _run(c, w.direction, *(t.to(torch.float64) for t in (cx, cwt, cgo))))
    err = require_close_scaled(got, ref, tol, w.key)
    fn()  # the full-size call once, before timing
    return Prepared(w, fn, err, check)
