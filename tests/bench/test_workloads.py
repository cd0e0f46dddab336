"""Every workload's timed callable once on its smallest CPU case, and the grid's guards."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.activations.registry import ACTIVATIONS, BUILTIN
from cnnbench.analysis.networks.modules import conv_layers
from cnnbench.bench import workloads_act, workloads_conv
from cnnbench.bench.workloads import (
    PROFILE_ENV,
    WorkloadError,
    all_workloads,
    prepare,
    randn,
    require_close,
    resolve_device,
    resolve_profile,
    select,
)
from torch.utils.flop_counter import FlopCounterMode

# Activation correctness does not depend on size: run each on a small tensor.
SMALL_ACT_ELEMENTS = 4096


def _smallest_cases():
    seen: dict[tuple, object] = {}
    for w in all_workloads("full", "cpu"):
        k = (w.group, w.op, w.impl, w.direction, w.alloc, w.dtype, w.layout)
        if k not in seen or w.working_set < seen[k].working_set:
            seen[k] = w
    out = []
    for w in seen.values():
        if w.group == "activation":
            shape = workloads_act._shape(w.op, SMALL_ACT_ELEMENTS)
            w = dataclasses.replace(w, shape=shape, case="small")
        out.append(w)
    return out


CASES = _smallest_cases()


@pytest.mark.parametrize("w", CASES, ids=lambda w: w.key)
def test_every_workload_runs_and_matches_float64(w):
    p = prepare(w)  # raises WorkloadError if the callable disagrees with float64
    result = p.fn()
    assert result is not None
    assert p.max_rel_err >= 0.0 and p.check


def test_every_registered_activation_has_workloads_in_both_profiles():
    # the registry guard: fails when an activation is registered without a workload
    assert workloads_act.missing_activations() == ()
    short = {w.op for w in all_workloads("short", "cpu") if w.group == "activation"}
    assert short == set(ACTIVATIONS)  # built-ins and any registered at run time


def test_every_registered_activation_has_a_preallocated_output_form():
    # a new activation needs an aten .out kernel or a compiled-out form to be
    # read against the roofline; this fails until one is added
    have = set(workloads_act.ATEN_OUT) | set(workloads_act.COMPILED_OUT)
    assert BUILTIN - have == set()  # a user's activation gets a compiled out= form itself


def test_custom_activations_time_their_implementations_side_by_side():
    ws = all_workloads("short", "cpu")
    impls = {(w.op, w.impl, w.alloc) for w in ws if w.case == "32M"}
    for name in ("sigmoid_star", "regularized_relu", "rrelu"):
        for impl in ACTIVATIONS[name].implementations:
            assert (name, impl, "alloc") in impls
    assert ("rrelu", "aten_out", "out") in impls and ("relu", "aten_out", "out") in impls
    assert ("regularized_relu", "compiled_out", "out") in impls


def test_keys_unique_and_filter_selects():
    ws = all_workloads("full", "cpu")
    assert len({w.key for w in ws}) == len(ws)
    sel = select(ws, r"^conv/.*/alexnet/conv1/")
    assert sel and all(w.case == "alexnet/conv1" for w in sel)
    # 3 directions x 2 layouts x 2 dtypes
    assert len(sel) == 12


def test_inputs_symmetric_around_zero():
    x = randn((1 << 16,), "float32", "cpu")
    frac_neg = float((x < 0).double().mean())
    assert 0.48 < frac_neg < 0.52 and abs(float(x.mean())) < 0.02


def test_require_close_rejects_a_wrong_result():
    x = randn((1000,), "float32", "cpu")
    with pytest.raises(WorkloadError, match="max relative error"):
        require_close(torch.relu(x) * 1.001, torch.relu(x.double()), "float32", "relu")


def test_conv_flops_match_torch_flop_counter():
    c = conv_layers("alexnet")[1]  # conv2: 96 -> 256, 5x5 on 27x27
    w = workloads_conv.conv_workload("alexnet/conv2", c, "float32", "cpu", "nchw", "forward")
    x = torch.randn(w.shape)
    wt = torch.randn(c.out_channels, c.in_channels // c.groups, c.kernel, c.kernel)
    with FlopCounterMode(display=False) as fc:
        torch.nn.functional.conv2d(x, wt, stride=c.stride, padding=c.padding, groups=c.groups)
    assert w.flops == fc.get_total_flops()


def test_conv_bytes_are_each_tensor_once():
    c = conv_layers("vgg16")[2]
    w = workloads_conv.conv_workload("v", c, "bfloat16", "cpu", "nchw", "backward_weight")
    x = torch.empty(w.shape, dtype=torch.bfloat16)
    y = torch.nn.functional.conv2d(x.float(), torch.zeros(c.out_channels, c.in_channels, 3, 3),
                                   padding=1)  # fmt: skip
    weights = c.out_channels * c.in_channels * 9
    assert w.bytes == 2 * (x.numel() + y.numel() + weights)


def test_layout_conversion_of_one_channel_moves_nothing():
    c = conv_layers("mnist_bilici")[0]  # 1 input channel: already channels_last
    assert workloads_conv.layout_workload("m/cnn1", c, "float32", "cpu").bytes == 0


def test_profile_from_env(monkeypatch):
    monkeypatch.setenv(PROFILE_ENV, "full")
    assert resolve_profile(None) == "full"
    monkeypatch.setenv(PROFILE_ENV, "huge")
    with pytest.raises(ParameterError) as exc:
        resolve_profile(None)
    assert str(exc.value) == "`$CNNBENCH_PROFILE`='huge' must be one of 'short', 'full'"


def test_profile_message():
    with pytest.raises(ParameterError) as exc:
        resolve_profile("long")
    assert str(exc.value) == "`profile`='long' must be one of 'short', 'full'"


def test_filter_message():
    with pytest.raises(ParameterError) as exc:
        select(all_workloads("short", "cpu"), "(")
    assert str(exc.value).startswith("`filter`='(' must be a valid regular expression")


@pytest.mark.skipif(torch.cuda.is_available(), reason="message is for machines without CUDA")
def test_cuda_without_cuda_message():
    with pytest.raises(ParameterError) as exc:
        resolve_device("cuda")
    assert str(exc.value) == (
        "`device`='cuda' needs CUDA, but torch.cuda.is_available() is False on this machine"
    )


@pytest.mark.gpu
def test_cuda_grid_includes_float16_and_runs_smallest():
    ws = all_workloads("short", "cuda")
    assert ws
    act = [w for w in all_workloads("full", "cuda") if w.dtype == "float16"]
    w = min(act, key=lambda w: w.working_set)
    assert prepare(w).fn() is not None


def test_triton_path_imports_and_is_absent_from_cpu_grid():
    from cnnbench.bench import triton_kernels

    cpu_impls = {w.impl for w in all_workloads("full", "cpu")}
    assert "triton_out" not in cpu_impls
    if not triton_kernels.HAVE_TRITON:
        with pytest.raises(RuntimeError, match="Triton kernels need CUDA and triton"):
            triton_kernels.triton_out("sigmoid_star", {})


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["sigmoid_star", "regularized_relu", "rrelu"])
def test_triton_kernels_match_float64(name):
    from cnnbench.bench.triton_kernels import HAVE_TRITON

    if not HAVE_TRITON:
        pytest.skip("triton is not installed with this CUDA torch")
    ws = [w for w in all_workloads("full", "cuda") if w.op == name and w.impl == "triton_out"]
    w = min(ws, key=lambda w: w.working_set)
    assert prepare(w).max_rel_err <= 1e-5 or w.dtype != "float32"


def test_big_layer_checked_on_a_crop_of_the_same_op():
    pattern = r"^conv/conv2d/aten/backward_weight/alloc/float32/cpu/channels_last/alexnet/conv2/"
    (w,) = select(all_workloads("short", "cpu"), pattern)
    p = prepare(w)
    assert p.check.startswith("float64 reference on a 1x") and p.max_rel_err < 1e-4


def test_small_layers_batched_until_measurable():
    c = conv_layers("mnist_bilici")[0]
    w = workloads_conv.conv_workload("m/cnn1", c, "float32", "cpu", "nchw", "forward")
    assert w.shape[0] == workloads_conv.MAX_BATCH
    big = workloads_conv.conv_workload("a/conv2", conv_layers("alexnet")[1], "float32", "cpu",
                                       "nchw", "forward")  # fmt: skip
    assert big.shape[0] == 1 and big.flops >= workloads_conv.MIN_CALL_FLOPS


def test_registry_guard_names_an_activation_without_out_workload():
    full = workloads_act.activation_workloads("full", "cpu")
    ws = tuple(w for w in full if not (w.op == "gelu" and w.alloc == "out"))
    assert workloads_act.missing_activations(full) == ()
    assert workloads_act.missing_activations(ws) == ("gelu",)


def test_a_users_activation_gets_a_checked_compiled_out_form():
    from cnnbench.analysis.activations.spec import activation

    act = activation("x*tanh(x)", name="t_wl_user")
    assert workloads_act._impls(act, "out") == ("compiled_out",)
    ws = [w for w in workloads_act.activation_workloads("full", "cpu")
          if w.op == "t_wl_user" and w.impl == "compiled_out" and w.case == "16K"
          and w.dtype == "float32"]  # fmt: skip
    assert ws
    p = prepare(ws[0])  # raises WorkloadError if it disagrees with the float64 reference
    assert p.max_rel_err <= 1e-5


def test_timing_beside_the_builtins_refuses_a_non_elementwise_activation():
    from cnnbench.bench.activation_timing import time_activations

    with pytest.raises(ParameterError, match="`activation`='softmax' must be elementwise"):
        time_activations(["relu", "softmax"])


def _time_beside(forms):
    from cnnbench.bench.activation_timing import time_activations
    from cnnbench.bench.roofline import Ceilings

    ceilings = Ceilings("cpu", {"dram": 1e10, "cache": 4e10}, {"float32": 1e11})
    out = time_activations(["x*tanh(x)", "relu"], elements=4096, forms=forms, budget_s=0.02,
                           ceilings=ceilings)  # fmt: skip
    rows = out["rows"]
    assert [(r["form"], r["direction"]) for r in rows[:2 * len(forms)]] == [
        (f, d) for f in forms for d in ("forward", "backward")]
    assert len(rows) == 4 * len(forms) and all(r["median_s"] > 0 for r in rows)
    # bit-exact: a median divided by itself
    assert all(r["vs_relu"] == 1.0 for r in rows if r["activation"] == "relu")
    for r in rows:  # the roofline fraction is bytes moved / bandwidth / median
        moved = (2 if r["direction"] == "forward" else 3) * 4096 * 4
        assert r["roofline_fraction"] == pytest.approx(moved / 4e10 / r["median_s"])


def test_timing_beside_the_builtins_in_one_run():
    """Forward and backward, each checked against float64 before timing (eager: the smoke)."""
    _time_beside(("eager",))


@pytest.mark.slow
def test_timing_beside_the_builtins_compiled():
    """The compiled forms too (four Inductor compilations: a minute or more on 2 cores)."""
    _time_beside(("eager", "compiled"))
