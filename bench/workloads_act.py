"""Activation workloads: every registered activation x sizes x dtypes x directions.

Two allocation modes are timed and labelled: ``alloc`` calls the activation as
a user would (its output is allocated on every call; on this machine the page
faults of a fresh 128 MB output cost more than the arithmetic) and ``out``
writes into a preallocated buffer (an aten ``.out`` overload, or a compiled
kernel that writes into the buffer); roofline fractions are meaningful for
the latter.

Backward is timed alone: the forward runs once outside the timed region and
the timed call is ``torch.autograd.grad(y, x, g, retain_graph=True)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from cnnbench.analysis.activations.registry import ACTIVATIONS, Activation
from cnnbench.analysis.activations.spec import USER  # a user's activation: compiled out= form
from cnnbench.bench.machine import llc_bytes
from cnnbench.bench.workloads import (
    Prepared,
    Workload,
    WorkloadError,
    dtypes_for,
    randn,
    require_close,
    torch_dtype,
)

# Elements per tensor, by profile. 2**25 float32 = 128 MB = 4x a 32 MB LLC;
# bfloat16 needs 2**26 for the same multiple.
SIZES_SHORT = {"1M": 2**20, "32M": 2**25}
SIZES_FULL = {"16K": 2**14, "256K": 2**18, "1M": 2**20, "4M": 2**22, "32M": 2**25, "64M": 2**26}
# Softmax normalises over rows of this length (a classifier's width, rounded).
SOFTMAX_ROW = 1024

# Operations per element of the forward (a transcendental counts 1); rough on
# purpose: activations are memory-bound, so the byte term sets their roofline.
OPS_PER_ELEMENT = {"relu": 1, "leaky_relu": 2, "leaky_relu_xa": 2, "prelu": 2, "rrelu": 2,
                   "regularized_relu": 2, "sigmoid": 3, "tanh": 1, "sigmoid_star": 4,
                   "softplus": 3, "softmax": 4, "elu": 3, "gelu": 5, "silu": 4, "mish": 6,
                   "hardswish": 4, "hardsigmoid": 3, "hardtanh": 2, "relu6": 2, "selu": 3,
                   "celu": 3, "softsign": 3, "logsigmoid": 3, "tanhshrink": 2,
                   "swish": 5}  # fmt: skip
DEFAULT_OPS = 4

# Preallocated-output forms: one aten kernel writing into `out`.
def _slope(name: str) -> float:
    act = ACTIVATIONS[name]
    if name == "rrelu":
        return (act.params["lower"] + act.params["upper"]) / 2
    if name == "leaky_relu_xa":
        return 1.0 / act.params["a"]
    if name == "prelu":
        return act.params["init"]
    return act.params["negative_slope"]


ATEN_OUT: dict[str, Callable[[torch.Tensor, torch.Tensor], object]] = {
    # aten relu.out is not a kernel writing into `out`: on this machine (torch 2.13 CPU,
    # 1 thread, 32M float32) it took 421 ms, like the allocating torch.relu (375 ms),
    # while clamp_min.out took 63 ms (a copy: 64 ms) -- so the preallocated form is clamp_min.
    "relu": lambda x, o: torch.clamp_min(x, 0, out=o),
    "sigmoid": lambda x, o: torch.ops.aten.sigmoid.out(x, out=o),
    "tanh": lambda x, o: torch.ops.aten.tanh.out(x, out=o),
    "leaky_relu": lambda x, o: torch.ops.aten.leaky_relu.out(x, _slope("leaky_relu"), out=o),
    "leaky_relu_xa": lambda x, o: torch.ops.aten.leaky_relu.out(x, _slope("leaky_relu_xa"), out=o),
    "prelu": lambda x, o: torch.ops.aten.leaky_relu.out(x, _slope("prelu"), out=o),
    # RReLU in eval mode is leaky ReLU with the mean slope: one kernel, i.e. the fused form.
    "rrelu": lambda x, o: torch.ops.aten.leaky_relu.out(x, _slope("rrelu"), out=o),
    "softplus": lambda x, o: torch.ops.aten.softplus.out(x, 1, 20, out=o),
    "softmax": lambda x, o: torch.ops.aten._softmax.out(x, -1, False, out=o),
    "elu": lambda x, o: torch.ops.aten.elu.out(x, 1.0, 1, 1, out=o),
    "gelu": lambda x, o: torch.ops.aten.gelu.out(x, out=o),
    "silu": lambda x, o: torch.ops.aten.silu.out(x, out=o),
    "mish": lambda x, o: torch.ops.aten.mish.out(x, out=o),
    "hardswish": lambda x, o: torch.ops.aten.hardswish.out(x, out=o),
    "hardsigmoid": lambda x, o: torch.ops.aten.hardsigmoid.out(x, out=o),
    "hardtanh": lambda x, o: torch.ops.aten.hardtanh.out(x, -1.0, 1.0, out=o),
    "relu6": lambda x, o: torch.ops.aten.hardtanh.out(x, 0.0, 6.0, out=o),
    # SELU and CELU are aten's elu with (alpha, scale, input_scale) set: one kernel each
    "selu": lambda x, o: torch.ops.aten.elu.out(x, 1.6732632423543772, 1.0507009873554805, 1,
                                                out=o),
    "celu": lambda x, o: torch.ops.aten.elu.out(x, 1.0, 1, 1.0, out=o),
}
# Activations without a single aten kernel: a compiled kernel writes into `out`.
COMPILED_OUT = ("sigmoid_star", "regularized_relu", "softsign", "logsigmoid", "tanhshrink",
                "swish")  # fmt: skip
# Fused Triton kernels (CUDA only): cnnbench.bench.triton_kernels.
TRITON_ACTIVATIONS = ("sigmoid_star", "regularized_relu", "rrelu")
# Custom activations whose implementations are timed side by side.
CUSTOM = ("sigmoid_star", "regularized_relu", "rrelu")
# The fused-vs-builtin comparisons of the issue (out mode, >= 4x LLC).
ROOFLINE_SET = ("relu", "tanh", "sigmoid", "rrelu", "leaky_relu", "sigmoid_star",
                "regularized_relu")  # fmt: skip


def _have_triton() -> bool:
    from cnnbench.bench.triton_kernels import HAVE_TRITON

    return HAVE_TRITON


def missing_activations(workloads: tuple[Workload, ...] | None = None) -> tuple[str, ...]:
    """Registered activations lacking an ``alloc`` or an ``out`` forward workload.

    The registry guard (numpy's bench_ufunc refuses to import when a ufunc has
    no benchmark): empty is good. A newly registered activation gets ``alloc``
    workloads automatically, but needs an entry in :data:`ATEN_OUT` or
    :data:`COMPILED_OUT` before its preallocated form, the one the roofline
    reads, exists.
    """
    ws = activation_workloads("full", "cpu") if workloads is None else workloads
    have = {(w.op, w.alloc) for w in ws if w.direction == "forward"}
    return tuple(
        sorted(n for n in ACTIVATIONS if (n, "alloc") not in have or (n, "out") not in have)
    )


def _shape(name: str, n: int) -> tuple[int, ...]:
    if not ACTIVATIONS[name].elementwise:
        return (n // SOFTMAX_ROW, SOFTMAX_ROW)
    return (n,)


def _workload(name, impl, n, case, dtype, device, direction, alloc) -> Workload:
    item = torch.empty((), dtype=torch_dtype(dtype)).element_size()
    per = OPS_PER_ELEMENT.get(name, DEFAULT_OPS)
    moved = (2 if direction == "forward" else 3) * n * item  # in+out | grad_out+saved+grad_in
    flops = per * n if direction == "forward" else (per + 1) * n
    return Workload(
        group="activation", op=name, impl=impl, shape=_shape(name, n), dtype=dtype,
        device=device, layout="contiguous", direction=direction, alloc=alloc, case=case,
        bytes=moved, flops=flops, working_set=moved,
    )  # fmt: skip


def _impls(act: Activation, alloc: str, device: str = "cpu") -> tuple[str, ...]:
    if alloc == "out":
        names = []
        if act.name in ATEN_OUT:
            names.append("aten_out")
        if act.name in COMPILED_OUT or act.name == "rrelu" or act.seed == USER:
            names.append("compiled_out")
        if device == "cuda" and act.name in TRITON_ACTIVATIONS and _have_triton():
            names.append("triton_out")
        return tuple(names)
    return tuple(act.implementations)


def activation_workloads(profile: str, device: str) -> tuple[Workload, ...]:
    """The activation grid of a profile (see the module docstring)."""
    out: list[Workload] = []
    dtypes = dtypes_for(device)
    if profile == "short":
        for name in ACTIVATIONS:
            for direction in ("forward", "backward"):
                out.append(_workload(name, "eager", 2**20, "1M", "float32", device, direction,
                                     "alloc"))  # fmt: skip
            out.append(_workload(name, "eager", 2**20, "1M", "bfloat16", device, "forward",
                                 "alloc"))  # fmt: skip
        big = 2**25
        for name in ROOFLINE_SET:
            act = ACTIVATIONS[name]
            impls = _impls(act, "alloc") if name in CUSTOM else ("eager",)
            for impl in impls:
                out.append(_workload(name, impl, big, "32M", "float32", device, "forward",
                                     "alloc"))  # fmt: skip
            for impl in _impls(act, "out", device):
                out.append(_workload(name, impl, big, "32M", "float32", device, "forward", "out"))
        return tuple(out)
    for name, act in ACTIVATIONS.items():
        for case, n in SIZES_FULL.items():
            for dtype in dtypes:
                for alloc in ("alloc", "out"):
                    for impl in _impls(act, alloc, device):
                        for direction in ("forward", "backward"):
                            if alloc == "out" and direction == "backward":
                                continue  # out= forms are forward-only kernels
                            out.append(_workload(name, impl, n, case, dtype, device, direction,
                                                 alloc))  # fmt: skip
    return tuple(out)


def _compiled_out(fn: Callable) -> Callable:
    def write(x: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        return o.copy_(fn(x))

    return torch.compile(write, dynamic=False)


def _eval_form(act: Activation) -> Callable:
    return act.implementations.get("eager_eval", act.reference)


def _forward_fn(act: Activation, impl: str, x, out) -> Callable[[], object]:
    if impl == "aten_out":
        kernel = ATEN_OUT[act.name]
        return lambda: kernel(x, out)
    if impl == "compiled_out":
        base = _eval_form(act) if act.name == "rrelu" else act.implementations["eager"]
        kernel = _compiled_out(base)
        return lambda: kernel(x, out)
    if impl == "triton_out":
        from cnnbench.bench.triton_kernels import triton_out

        kernel = triton_out(act.name, dict(act.params))
        return lambda: kernel(x, out)
    f = act.implementations[impl]
    return lambda: f(x)


def _is_stochastic(act: Activation, impl: str) -> bool:
    return act.stochastic and impl == "eager"


def _check_rrelu_slopes(x: torch.Tensor, slopes: torch.Tensor, act: Activation, what: str) -> float:
    """Training-mode RReLU: slope 1 above 0, slope in [lower, upper] below (bounds, not values)."""
    x64, s64 = x.double(), slopes.detach().double()
    lo, hi = act.params["lower"], act.params["upper"]
    # bfloat16/float16 round the slope through one multiply and one division
    slack = 1e-2 if x.dtype in (torch.bfloat16, torch.float16) else 1e-5
    neg, pos = x64 < 0, x64 > 0
    ok = bool(((s64[pos] - 1).abs() <= slack).all()) and bool(
        ((s64[neg] >= lo - slack) & (s64[neg] <= hi + slack)).all()
    )
    if not ok:
        raise WorkloadError(f"{what}: RReLU training slopes outside [lower, upper]")
    return 0.0


def prepare_activation(w: Workload) -> Prepared:
    """Inputs from N(0, 1), the timed callable, and its check against float64."""
    act = ACTIVATIONS[w.op]
    x = randn(w.shape, w.dtype, w.device)
    x64 = x.to(torch.float64)
    what = w.key
    if w.direction == "forward":
        out = torch.empty_like(x) if w.alloc == "out" else None
        fn = _forward_fn(act, w.impl, x, out)
        y = fn()
        y = out if w.alloc == "out" else y
        if _is_stochastic(act, w.impl):
            err = _check_rrelu_slopes(x, y.double() / x.double(), act, what)
            return Prepared(w, fn, err, "bounds (stochastic)")
        ref = (_eval_form(act) if act.name == "rrelu" else act.reference)(x64)
        err = require_close(y, ref, w.dtype, what)
        return Prepared(w, fn, err, "float64 reference")
    # backward: forward once here, outside the timed region
    xg = x.detach().requires_grad_(True)
    y = act.implementations[w.impl](xg)
    g = randn(y.shape, w.dtype, w.device, seed=7)
    grad = torch.autograd.grad(y, xg, g, retain_graph=True)[0]

    def fn() -> object:
        return torch.autograd.grad(y, xg, g, retain_graph=True)

    if _is_stochastic(act, w.impl):
        _check_rrelu_slopes(x, grad.double() / g.double(), act, what)
        return Prepared(w, fn, 0.0, "bounds (stochastic)")
    x64g = x64.detach().requires_grad_(True)
    ref_fn = _eval_form(act) if act.name == "rrelu" else act.reference
    ref = torch.autograd.grad(ref_fn(x64g), x64g, g.to(torch.float64))[0]
    err = require_close(grad, ref, w.dtype, what)
    return Prepared(w, fn, err, "float64 autograd reference")


def fastest_builtin_of_class() -> dict[str, str]:
    """Custom activation -> the built-in of its cost class it is compared with."""
    return {"sigmoid_star": "tanh", "regularized_relu": "relu", "rrelu": "relu"}


def llc_multiple(w: Workload) -> float:
    return w.working_set / llc_bytes()


# Import-time guard: warn, never raise, so a growing registry cannot break the
# CLI; tests/bench/test_workloads.py turns the same check into a failure.
_UNCOVERED = tuple(sorted(n for n, a in ACTIVATIONS.items() if a.seed != USER
                          and n not in ATEN_OUT and n not in COMPILED_OUT))  # fmt: skip
if _UNCOVERED:
    warnings.warn(
        f"activations without a preallocated-output workload: {', '.join(_UNCOVERED)}",
        stacklevel=1,
    )
