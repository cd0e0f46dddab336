"""Shared axes, guards and cached inputs of the asv suite (numpy's ``benchmarks/common.py``).

Three rules shape this module:

* asv imports these files from the *working tree* but runs them against the
  *benchmarked commit's* installed ``bench`` package, so nothing here imports
  ``bench`` or ``torch`` at module level: :func:`api` imports them inside
  ``setup`` and turns a missing module or name into ``NotImplementedError``,
  which asv shows as "n/a" (not "failed") for commits that predate it.
* Every parameter combination runs in its own spawned process (a full
  ``import torch``), so the axes are short by default; ``CNNBENCH_PROFILE=full``
  selects the long grid. CUDA combinations are in the same grid on every
  machine and skipped in ``setup`` when CUDA is absent, before torch is even
  imported when the host has no NVIDIA driver at all.
* asv_runner >= 0.3 re-runs ``setup`` before every sample, so prepared inputs
  are cached per process (:func:`prepared`), and each timed call loops the
  workload ``inner`` times so it lasts >= :data:`MIN_CALL_S`. ``inner`` is
  calibrated per process, so asv must see the time of *one* call: the classes
  set asv's ``timer`` attribute to :func:`per_call_timer`, a clock that runs
  ``inner`` times slower. (Reporting the loop's time instead hid a 2x slowdown
  completely: ``inner`` halved on the slower commit.)
"""

from __future__ import annotations

import math
import os
import time
from functools import cache
from types import SimpleNamespace

PROFILE_ENV = "CNNBENCH_PROFILE"
PROFILE = os.environ.get(PROFILE_ENV) or "short"
if PROFILE not in ("short", "full"):
    raise ValueError(f"`${PROFILE_ENV}`={PROFILE!r} must be 'short' or 'full'")
FULL = PROFILE == "full"

# A timed call shorter than ~1 ms is dominated by timer and call overhead and by
# scheduler noise on this 2-core VM (shared notes, asv.md section 4); aim for 2.
MIN_CALL_S = 1e-3
TARGET_CALL_S = 2e-3
CALIBRATION_CALLS = 5

DEVICES = ("cpu", "cuda")
THREADS = (1, 2) if FULL else (1,)
# Every registered activation is benchmarked in the full grid; a test checks
# this list against cnnbench.analysis.activations.registry.ACTIVATIONS (the registry guard).
ALL_ACTIVATIONS = (
    "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu_xa", "prelu", "rrelu",
    "sigmoid_star", "regularized_relu", "softplus", "softmax", "elu", "gelu", "silu",
    "mish", "hardswish", "hardsigmoid", "hardtanh", "relu6", "selu", "celu", "softsign",
    "logsigmoid", "tanhshrink", "swish",
)  # fmt: skip


def _plugged_in() -> tuple[str, ...]:
    """Activations that plugins (CNNBENCH_PLUGINS) register: benchmarked in every profile."""
    if not os.environ.get("CNNBENCH_PLUGINS"):
        return ()
    from cnnbench.analysis.activations.plugins import load_plugins

    return tuple(a.name for a in load_plugins() if a.name not in ALL_ACTIVATIONS)


PLUGGED_IN = _plugged_in()
# Short: a built-in of the cheapest cost class and a custom composite one.
ACT_OPS = (ALL_ACTIVATIONS if FULL else ("relu", "sigmoid_star")) + PLUGGED_IN
ACT_SIZES = ("1M", "32M") if FULL else ("1M",)  # workloads_act.SIZES_FULL keys
ACT_DTYPES = ("float32", "bfloat16", "float16") if FULL else ("float32",)
# Cases of cnnbench.bench.workloads_conv's grid: network layers and kernel sweeps.
CONV_LAYERS = (
    ("alexnet/conv1", "alexnet/conv2", "alexnet/conv5", "vgg16/conv1_2", "vgg16/conv3_2",
     "vgg16/conv5_1", "tinynet_a/conv1", "ndsb1/conv2", "mnist_bilici/cnn2", "sweep/k1",
     "sweep/k3", "sweep/k7", "sweep/stride2", "sweep/depthwise")
    if FULL else ("alexnet/conv1",)
)  # fmt: skip
CONV_LAYOUTS = ("nchw", "channels_last")
CONV_DTYPES = ("float32", "bfloat16") if FULL else ("float32",)
# Sampling budget of the harness inside track_* benchmarks (they run once), and
# per ceiling probe in setup_cache (six probes would take ~6 s at the default 1 s).
TRACK_BUDGET_S = 0.5
CEILING_BUDGET_S = 0.3


def _nvidia_driver_present() -> bool:
    return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidiactl")


def require_device(device: str) -> None:
    """Raise ``NotImplementedError`` (asv: n/a) for a device this machine lacks."""
    if device != "cuda":
        return
    if not _nvidia_driver_present():
        raise NotImplementedError("no NVIDIA driver on this machine")
    import torch

    if not torch.cuda.is_available():
        raise NotImplementedError("torch.cuda.is_available() is False")


def api() -> SimpleNamespace:
    """The benchmarked commit's ``bench`` modules, or ``NotImplementedError``."""
    try:
        from cnnbench.bench import harness, roofline, workloads, workloads_act, workloads_conv
        from cnnbench.bench.harness import HarnessConfig, measure, measure_cuda
        from cnnbench.bench.roofline import assess, measure_ceilings
        from cnnbench.bench.workloads import prepare
    except ImportError as exc:  # a commit before the API existed: n/a, not failed
        raise NotImplementedError(f"this commit's bench package lacks {exc.name}: {exc}") from exc
    return SimpleNamespace(
        harness=harness, roofline=roofline, workloads=workloads, act=workloads_act,
        conv=workloads_conv, HarnessConfig=HarnessConfig, measure=measure,
        measure_cuda=measure_cuda, assess=assess, measure_ceilings=measure_ceilings,
        prepare=prepare,
    )  # fmt: skip


@cache
def _grid(group: str, device: str) -> tuple:
    a = api()
    if group == "activation":
        return a.act.activation_workloads("full", device)
    return a.conv.conv_workloads("full", device)


def find_workload(group: str, device: str, **fields):
    """The one workload of the full grid with these field values, else n/a."""
    for w in _grid(group, device):
        if w.group == group and all(getattr(w, k) == v for k, v in fields.items()):
            return w
    raise NotImplementedError(f"no {group} workload with {fields} on {device}")


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _sync(device: str):
    if device != "cuda":
        return lambda: None
    import torch

    return torch.cuda.synchronize


@cache
def prepared(w) -> tuple:
    """``(Prepared, inner)``: checked inputs (cached per process) and the loop count."""
    p = api().prepare(w)  # runs the float64 check before any timing
    sync = _sync(w.device)
    for _ in range(2):  # warm-up: first-call allocations, lazy init, autotuning
        p.fn()
    sync()
    single = float("inf")
    for _ in range(CALIBRATION_CALLS):  # the fastest call: noise only makes calls slower
        t0 = time.perf_counter()
        p.fn()
        sync()
        single = min(single, time.perf_counter() - t0)
    single = max(single, 1e-7)
    return p, max(1, math.ceil(TARGET_CALL_S / single))


# ``inner`` of the one benchmark this process times (one combination per process).
_INNER = [1]


def use_inner(prepared_pair: tuple) -> tuple:
    """Record ``inner`` for :func:`per_call_timer`; returns the pair unchanged."""
    _INNER[0] = prepared_pair[1]
    return prepared_pair


def per_call_timer() -> float:
    """asv ``timer``: seconds / inner, so a sample of ``inner`` calls reads as one call."""
    return time.perf_counter() / _INNER[0]


def run_inner(p, inner: int) -> None:
    """The timed body: ``inner`` calls, then wait for the device."""
    fn = p.fn
    for _ in range(inner):
        fn()
    _sync(p.workload.device)()


def measured_median(p, threads: int) -> float:
    """Median seconds per call by the project's harness (CUDA events on CUDA)."""
    a = api()
    cfg = a.HarnessConfig(budget_s=TRACK_BUDGET_S)
    if p.workload.device == "cuda":
        return a.measure_cuda(p.fn, cfg).median
    return a.measure(p.fn, cfg, threads=threads).median


def ceilings_json(devices=DEVICES) -> dict:
    """Measured machine limits per available device (for ``setup_cache``).

    Never None: asv_runner treats a ``None`` cache as "no cache argument" and
    would then call ``setup`` one argument short (seen on a commit without
    ``cnnbench.bench.roofline``: "setup() missing 1 required positional argument").
    """
    try:
        a = api()
    except NotImplementedError:
        return {}
    out = {}
    for device in devices:
        try:
            require_device(device)
        except NotImplementedError:
            continue
        dtypes = tuple(d for d in dict.fromkeys(ACT_DTYPES + CONV_DTYPES)
                       if device == "cuda" or d != "float16")  # fmt: skip
        cfg = a.HarnessConfig(budget_s=CEILING_BUDGET_S)
        out[device] = a.measure_ceilings(device, dtypes, cfg).to_json()
    return out


def roofline_of(ceilings: dict, w, median_s: float):
    """``cnnbench.bench.roofline.assess`` of one result against the cached ceilings."""
    if not ceilings or w.device not in ceilings:
        raise NotImplementedError("no measured ceilings for this commit/device")
    a = api()
    return a.assess(w, median_s, a.roofline.Ceilings.from_json(ceilings[w.device]))
