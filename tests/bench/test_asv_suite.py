"""The asv suite: signatures, the registry guard, the import guard, and every body once.

Bodies run on the smallest CPU case of each class (one parameter value per
axis). Ceilings for the roofline metric are fixed numbers here: what is
tested is that the body runs and returns a finite positive value, never its
timing.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import subprocess
import sys
import time

import pytest
import torch
from asv_runner.benchmarks.mark import SkipNotImplemented
from cnnbench.analysis.activations.registry import BUILTIN
from cnnbench.bench.benchmarks import bench_activations, bench_conv, common
from cnnbench.bench.workloads_act import activation_workloads
from cnnbench.bench.workloads_conv import conv_workloads

MODULES = (bench_activations, bench_conv)
BENCH_PREFIXES = ("time_", "track_", "peakmem_", "mem_", "timeraw_")
# Round numbers of the right order for a CPU (bytes/s, FLOP/s): only the body is tested.
FAKE_CEILINGS = {"cpu": {"device": "cpu", "bandwidth": {"dram": 1e10, "cache": 5e10},
                         "flops": {"float32": 1e11, "bfloat16": 1e10}, "probes": {}}}


def classes():
    return [c for m in MODULES for _, c in inspect.getmembers(m, inspect.isclass)
            if c.__module__ == m.__name__ and c.__name__.startswith("Time")]


def methods(cls):
    return [n for n in vars(cls) if n.startswith(BENCH_PREFIXES)]


def _args(fn, drop_self: bool) -> list[str]:
    names = list(inspect.signature(fn).parameters)
    return names[1:] if drop_self else names


@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_param_names_match_setup_arguments(cls):
    cache = ["ceilings"] if hasattr(cls, "setup_cache") else []
    names = list(cls.param_names)
    assert len(cls.params) == len(names)
    assert _args(cls.setup, drop_self=True) == cache + names
    for name in methods(cls):
        fn = getattr(cls, name)
        assert _args(fn, drop_self=True) == cache + names, name
        if hasattr(fn, "setup"):  # per-method setup: a plain function of the parameters
            assert _args(fn.setup, drop_self=False) == cache + names, name


def test_every_registered_activation_is_in_the_full_grid():
    # built-ins are listed; activations registered at run time (plugins) are added from
    # CNNBENCH_PLUGINS (tests/reports/test_cli_plugins.py)
    assert set(common.ALL_ACTIVATIONS) == BUILTIN


def test_cuda_is_in_every_grid():
    for cls in classes():
        assert "device" in cls.param_names and tuple(cls.params[cls.param_names.index("device")]) \
            == ("cpu", "cuda")


def _smallest_cpu(cls):
    return [("cpu" if n == "device" else 1 if n == "threads" else vals[0])
            for n, vals in zip(cls.param_names, cls.params, strict=True)]


def _run_once(cls, name, args):
    obj = cls()
    obj.setup(*args)
    fn = getattr(obj, name)
    if hasattr(fn, "setup"):
        fn.setup(*args)
    t0 = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - t0


@pytest.mark.parametrize(("cls", "name"), [(c, n) for c in classes() for n in methods(c)],
                         ids=lambda x: getattr(x, "__name__", x))
def test_body_runs_once_on_smallest_cpu_case(cls, name):
    args = _smallest_cpu(cls)
    if hasattr(cls, "setup_cache"):
        args = [FAKE_CEILINGS, *args]
    if name == "track_device_ms":
        with pytest.raises(SkipNotImplemented):
            _run_once(cls, name, args)
        return
    value, elapsed = _run_once(cls, name, args)
    if name.startswith("time_"):
        # the inner loop makes every timed call last >= MIN_CALL_S
        assert value is None and elapsed >= common.MIN_CALL_S
    else:
        assert isinstance(value, float) and math.isfinite(value) and value >= 0
        if name == "track_max_rel_err":
            assert value < 1e-3  # float32 vs float64 after a handful of ops


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the skip on a CPU-only machine")
@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_cuda_combinations_skip_in_setup(cls):
    args = ["cuda" if n == "device" else vals[0]
            for n, vals in zip(cls.param_names, cls.params, strict=True)]
    if hasattr(cls, "setup_cache"):
        args = [{}, *args]
    with pytest.raises(NotImplementedError):
        cls().setup(*args)


def test_old_commit_without_api_is_na_not_failure(monkeypatch):
    # a commit predating cnnbench.bench.workloads_act: setup raises NotImplementedError (asv: n/a)
    import cnnbench.bench

    common._grid.cache_clear()
    monkeypatch.delattr(cnnbench.bench, "workloads_act")
    monkeypatch.setitem(sys.modules, "cnnbench.bench.workloads_act", None)
    with pytest.raises(NotImplementedError, match=r"lacks cnnbench\.bench\.workloads_act"):
        common.find_workload("activation", "cpu", op="relu")
    assert common.ceilings_json() == {}  # not None: asv would drop the argument
    common._grid.cache_clear()


def test_track_roofline_without_ceilings_is_skipped():
    args = [{}, *_smallest_cpu(bench_conv.TimeConv2d)]
    with pytest.raises(SkipNotImplemented):
        _run_once(bench_conv.TimeConv2d, "track_roofline_pct", args)


def _in_subprocess(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=common.__file__.rsplit("/bench/", 1)[0])


def test_suite_imports_neither_torch_nor_bench_api():
    # asv imports these files against old commits too: the guard lives in setup
    r = _in_subprocess(
        "import sys, cnnbench.bench.benchmarks.bench_activations, "
        "cnnbench.bench.benchmarks.bench_conv;"
        "print(sorted(m for m in ('torch', 'cnnbench.bench.workloads') if m in sys.modules))"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_bad_profile_is_refused():
    r = _in_subprocess("import cnnbench.bench.benchmarks.common", CNNBENCH_PROFILE="medium")
    assert r.returncode != 0
    assert "`$CNNBENCH_PROFILE`='medium' must be 'short' or 'full'" in r.stderr


def test_full_profile_axes_exist_in_the_workload_grid():
    r = _in_subprocess("import json; from cnnbench.bench.benchmarks import common as c;"
                       "print(json.dumps([c.ACT_OPS, c.ACT_SIZES, c.CONV_LAYERS, c.THREADS]))",
                       CNNBENCH_PROFILE="full")
    ops, sizes, layers, threads = json.loads(r.stdout)
    assert set(ops) == BUILTIN and threads == [1, 2]
    acts = {(w.op, w.case) for w in activation_workloads("full", "cpu") if w.impl == "eager"}
    assert {(o, s) for o in ops for s in sizes} <= acts
    assert set(layers) <= {w.case for w in conv_workloads("full", "cpu")}



@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_asv_timer_reports_one_call_not_the_inner_loop(cls):
    # asv times a sample with the class's `timer`; inner is calibrated per process,
    # so only a per-call reading is comparable across commits
    args = _smallest_cpu(cls)
    if hasattr(cls, "setup_cache"):
        args = [FAKE_CEILINGS, *args]
    name = next(n for n in methods(cls) if n.startswith("time_"))
    obj = cls()
    obj.setup(*args)
    fn = getattr(obj, name)
    if hasattr(fn, "setup"):
        fn.setup(*args)
    inner = common._INNER[0]
    t0, w0 = cls.timer(), time.perf_counter()
    fn(*args)
    t1, w1 = cls.timer(), time.perf_counter()
    # two clocks read around a >= 1 ms call: reporting the inner loop would be off by a
    # factor inner (>= 2 where it matters); 10% absorbs a preemption between the two reads
    # (CI saw 4.011 vs 3.962 ms, 1.2%, at rel=1e-2)
    assert (t1 - t0) * inner == pytest.approx(w1 - w0, rel=0.1)
    if cls is bench_activations.TimeActivation:
        assert inner > 1  # 1M-element relu takes well under 1 ms: the loop is needed
