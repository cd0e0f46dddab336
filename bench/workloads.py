"""What gets timed: the :class:`Workload` grid and how to prepare one for timing.

Public API (stable; the asv suite and the sweep build on it)::

    ws = all_workloads(profile="short", device="cpu")   # tuple[Workload, ...]
    p = prepare(ws[0])          # Prepared: fn (the timed call), max_rel_err (checked)
    m = measure(p.fn, threads=2)

A :class:`Workload` is what is asked (op, implementation, shape, dtype,
device, layout, direction, allocation mode, the fewest bytes and operations);
:func:`prepare` builds inputs drawn from N(0, 1) (symmetric around 0, so
ReLU-like ops take both branches), runs the timed callable once and compares
it with a float64 reference *before* any timing, raising
:class:`WorkloadError` when it disagrees.

Activation grids live in :mod:`cnnbench.bench.workloads_act`, convolution grids in
:mod:`cnnbench.bench.workloads_conv`; this module holds the shared plumbing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from cnnbench.analysis._validation import ParameterError, as_choice
from cnnbench.bench.profiles import (  # noqa: F401 (re-exported: the public API of this module)
    DEVICES,
    PROFILE_ENV,
    PROFILES,
    resolve_profile,
)

DIRECTIONS = ("forward", "backward", "backward_data", "backward_weight", "convert")
ALLOC_MODES = ("alloc", "out")  # user-style call allocating its output | preallocated output
SEED = 20240601

# Tolerances against the float64 reference, allclose-style: pass when
# |y - ref| <= atol + rtol * |ref| everywhere. rtol: a few ulps after ~10 ops
# (float32 keeps 24 bits, float16 11, bfloat16 8); atol: where |ref| is tiny a
# composition like 4*sigmoid(x) - 2 cancels, leaving an absolute error of a few
# ulps of its intermediate (~2 for sigmoid_star), not of the result.
TOLERANCE = {  # dtype -> (rtol, atol)
    "float32": (1e-5, 1e-6),
    "float16": (2e-3, 2e-3),
    "bfloat16": (2e-2, 2e-2),
    "float64": (1e-12, 1e-14),
}
# Convolutions sum C*K*K products; their error is compared with the largest
# output: max|y - ref| / max|ref| (float32 accumulates ~sqrt(C*K*K) ulps;
# TF32 keeps 10 mantissa bits).
CONV_TOLERANCE = {"float32": 1e-4, "tf32": 5e-3, "float16": 5e-3, "bfloat16": 3e-2,
                  "float64": 1e-12}  # fmt: skip


class WorkloadError(RuntimeError):
    """A timed callable disagreed with its float64 reference, or could not run."""


@dataclass(frozen=True)
class Workload:
    """One point of the grid: what is asked, not what was observed."""

    group: str  # "activation" | "conv" | "layout"
    op: str  # activation name, "conv2d", "to_channels_last"
    impl: str  # implementation: "eager", "eager_naive", "compiled", "aten_out", ...
    shape: tuple[int, ...]  # input shape; (N,) for activations, (N, C, H, W) for conv
    dtype: str  # "float32" | "bfloat16" | "float16"
    device: str  # "cpu" | "cuda"
    layout: str  # "contiguous" | "nchw" | "channels_last"
    direction: str  # one of DIRECTIONS
    alloc: str  # one of ALLOC_MODES
    case: str  # column label: size ("1M") or layer ("alexnet/conv2")
    bytes: int  # fewest bytes the op must move (read + write)
    flops: int  # fewest arithmetic operations (a multiply-add counts 2)
    params: tuple[tuple[str, object], ...] = ()  # e.g. (("kernel", 3), ("stride", 1))
    working_set: int = 0  # bytes touched per call (inputs + outputs + saved)

    @property
    def key(self) -> str:
        """Stable unique id, used to resume a sweep and to filter by regex."""
        extra = ",".join(f"{k}={v}" for k, v in self.params)
        return (
            f"{self.group}/{self.op}/{self.impl}/{self.direction}/{self.alloc}/"
            f"{self.dtype}/{self.device}/{self.layout}/{self.case}/"
            f"{'x'.join(map(str, self.shape))}" + (f"/{extra}" if extra else "")
        )

    @property
    def section(self) -> str:
        """Summary-table section (torch Compare's 'op' level)."""
        return f"{self.group}: {self.op} {self.direction}"

    @property
    def row(self) -> str:
        """Summary-table row label."""
        lay = "" if self.layout == "contiguous" else f" {self.layout}"
        return f"{self.device} {self.dtype} {self.impl} [{self.alloc}]{lay}"

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "group": self.group,
            "op": self.op,
            "impl": self.impl,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "device": self.device,
            "layout": self.layout,
            "direction": self.direction,
            "alloc": self.alloc,
            "case": self.case,
            "bytes": self.bytes,
            "flops": self.flops,
            "params": {k: v for k, v in self.params},
            "working_set": self.working_set,
        }


def workload_from_json(d: dict) -> Workload:
    """Inverse of :meth:`Workload.to_json`."""
    fields = {k: d[k] for k in Workload.__dataclass_fields__ if k in d}
    fields["shape"] = tuple(fields["shape"])
    fields["params"] = tuple(d.get("params", {}).items())
    return Workload(**fields)


@dataclass(frozen=True)
class Prepared:
    """A workload ready to time: ``fn()`` is the timed region."""

    workload: Workload
    fn: Callable[[], object]
    max_rel_err: float  # of the checked call vs the float64 reference
    check: str  # how it was checked: "float64 reference" | "bounds (stochastic)"
    setup: Callable[[], object] | None = None
    extra: dict = field(default_factory=dict)


def resolve_device(device: str) -> str:
    dev = as_choice("device", device, DEVICES)
    if dev == "cuda" and not torch.cuda.is_available():
        raise ParameterError(
            "device", device, "needs CUDA, but torch.cuda.is_available() is False on this machine"
        )
    return dev


def torch_dtype(name: str) -> torch.dtype:
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
            "float64": torch.float64}[name]


def dtypes_for(device: str) -> tuple[str, ...]:
    # float16 elementwise kernels on CPU are scalar fallbacks; only CUDA has them fast.
    return ("float32", "bfloat16", "float16") if device == "cuda" else ("float32", "bfloat16")


def randn(shape, dtype: str, device: str, seed: int = SEED) -> torch.Tensor:
    """Seeded N(0, 1) input: symmetric around 0, never zeros or torch.rand."""
    g = torch.Generator(device="cpu").manual_seed(seed)
    x = torch.randn(tuple(shape), generator=g, dtype=torch.float32)
    return x.to(device=device, dtype=torch_dtype(dtype))


def max_rel_err(actual: torch.Tensor, reference: torch.Tensor, dtype: str) -> float:
    """max |a - r| / (|r| + atol/rtol), in float64; <= rtol is the allclose criterion."""
    a = actual.detach().to(torch.float64).cpu()
    r = reference.detach().to(torch.float64).cpu()
    if a.shape != r.shape:
        raise WorkloadError(f"shape {tuple(a.shape)} differs from reference {tuple(r.shape)}")
    if not torch.isfinite(a).all():
        raise WorkloadError("output has non-finite values where the reference has none")
    rtol, atol = TOLERANCE[dtype]
    err = (a - r).abs() / (r.abs() + atol / rtol)
    return float(err.max()) if err.numel() else 0.0


def require_close(actual, reference, dtype: str, what: str) -> float:
    """:func:`max_rel_err` of ``actual``; raise :class:`WorkloadError` above tolerance."""
    err = max_rel_err(actual, reference, dtype)
    rtol = TOLERANCE[dtype][0]
    if err > rtol:
        raise WorkloadError(f"{what}: max relative error {err:.3g} > tolerance {rtol:.3g}")
    return err


def require_close_scaled(actual, reference, tol_key: str, what: str) -> float:
    """max|a - r| / max|r| (convolutions); raise above ``CONV_TOLERANCE[tol_key]``."""
    a = actual.detach().to(torch.float64).cpu()
    r = reference.detach().to(torch.float64).cpu()
    if a.shape != r.shape:
        raise WorkloadError(f"{what}: shape {tuple(a.shape)} differs from {tuple(r.shape)}")
    scale = float(r.abs().max()) or 1.0
    err = float((a - r).abs().max()) / scale
    if not err <= CONV_TOLERANCE[tol_key]:
        raise WorkloadError(f"{what}: scaled error {err:.3g} > {CONV_TOLERANCE[tol_key]:.3g}")
    return err


def all_workloads(profile: str | None = None, device: str = "cpu") -> tuple[Workload, ...]:
    """Every workload of a profile on a device (activations, convolutions, layout)."""
    from cnnbench.bench import workloads_act, workloads_conv

    prof = resolve_profile(profile)
    dev = resolve_device(device)
    return workloads_act.activation_workloads(prof, dev) + workloads_conv.conv_workloads(prof, dev)


def select(workloads, pattern: str | None) -> tuple[Workload, ...]:
    """Workloads whose key matches ``pattern`` (``re.search``)."""
    if pattern is None:
        return tuple(workloads)
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        msg = f"must be a valid regular expression ({exc})"
        raise ParameterError("filter", pattern, msg) from None
    return tuple(w for w in workloads if rx.search(w.key))


def dedupe(workloads) -> tuple[Workload, ...]:
    """Drop workloads that repeat an earlier one's computation under another case name
    (the TinyNet variants and the NDSB networks share most layer shapes)."""
    seen: set[tuple] = set()
    out = []
    for w in workloads:
        sig = (w.group, w.op, w.impl, w.shape, w.dtype, w.device, w.layout, w.direction,
               w.alloc, w.params)  # fmt: skip
        if sig not in seen:
            seen.add(sig)
            out.append(w)
    return tuple(out)


def prepare(w: Workload) -> Prepared:
    """Build inputs and the timed callable for ``w``, checked against float64 first."""
    from cnnbench.bench import workloads_act, workloads_conv

    if w.group == "activation":
        return workloads_act.prepare_activation(w)
    if w.group in ("conv", "layout"):
        return workloads_conv.prepare_conv(w)
    raise ParameterError("group", w.group, "must be 'activation', 'conv' or 'layout'")
