"""Smoke runs of the exhaustive sweeps (small grids) and the sweep's own failure mode."""

from __future__ import annotations

import re

import cnnbench.analysis.shapes.sweep as shapes_sweep
import pytest
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.shapes.sweep import (
    GRIDS,
    explain_refusal,
    grid_size,
    sweep,
    torch_output_size,
)

# Small grids that still reach one step below every domain (0 or -1).
SMALL = {
    "conv": {"size": range(0, 7), "kernel": range(0, 4), "stride": range(-1, 3),
             "padding": range(-1, 3), "dilation": range(0, 3)},
    "maxpool": {"size": range(0, 7), "kernel": range(0, 4), "stride": (None, -1, 0, 1, 2),
                "padding": range(-1, 3), "dilation": range(0, 3), "ceil_mode": (False, True)},
    "avgpool": {"size": range(0, 7), "kernel": range(0, 4), "stride": (None, -1, 0, 1, 2),
                "padding": range(-1, 3), "ceil_mode": (False, True)},
    "convT": {"size": range(0, 4), "kernel": range(0, 4), "stride": range(-1, 3),
              "padding": range(-1, 2), "output_padding": range(-1, 3), "dilation": range(0, 3)},
}  # fmt: skip


@pytest.fixture(scope="module")
def small():
    return {op: sweep(op, grid) for op, grid in SMALL.items()}


@pytest.mark.parametrize("operator", sorted(SMALL))
def test_small_sweep_has_no_unexplained_disagreement(small, operator):
    result = small[operator]
    assert result.unexplained_count == 0, result.unexplained
    assert result.accepted > 0 and result.refused > 0
    assert result.configs == result.accepted + result.refused + sum(result.explained.values())


@pytest.mark.parametrize("operator", ["conv", "convT"])
def test_meta_kernel_accepts_what_cpu_refuses(small, operator):
    # The reason the sweep re-runs refusals on the CPU: meta skips some checks.
    assert any(k.endswith("meta accepts, cpu refuses") for k in small[operator].explained)


def test_sweep_catches_a_wrong_formula(monkeypatch):
    def off_by_one(**config):
        return shapes_sweep.conv_output_size(**config) + 1

    monkeypatch.setitem(shapes_sweep._OURS, "conv", off_by_one)
    result = sweep("conv", SMALL["conv"])
    assert result.unexplained_count == result.accepted + result.unexplained_count > 0
    assert result.accepted == 0


def test_sweep_catches_a_validator_that_refuses_too_much(monkeypatch):
    def strict(**config):
        if config["padding"] == 1:  # legal for kernels 2 and 3
            raise ParameterError("padding", config["padding"], "is refused by a wrong rule")
        return shapes_sweep.pool_output_size(**config)

    monkeypatch.setitem(shapes_sweep._OURS, "maxpool", strict)
    assert sweep("maxpool", SMALL["maxpool"]).unexplained_count > 0


def test_full_grids_hold_at_least_100000_configurations():
    assert {op: grid_size(op) >= 100_000 for op in GRIDS} == dict.fromkeys(GRIDS, True)


@pytest.mark.skipif(not torch.__version__.startswith("2.13"), reason="pins torch 2.13 behaviour")
def test_cpu_onednn_transposed_path_accepts_dilation_zero_but_1d_refuses():
    config = {"size": 1, "kernel": 4, "stride": 4, "padding": 0, "output_padding": 0,
              "dilation": 0}  # fmt: skip
    assert torch_output_size("convT", config, "cpu", 2) == 1
    assert isinstance(torch_output_size("convT", config, "cpu", 1), str)
    reason = explain_refusal("convT", config)
    assert reason == "meta and cpu-2d (oneDNN path) accept, cpu-1d refuses"


def test_explain_refusal_is_none_when_torch_accepts():
    config = {"size": 5, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}
    assert explain_refusal("conv", config) is None


def test_unknown_operator_message():
    with pytest.raises(
        ParameterError,
        match=re.escape("`operator`='pool' must be one of 'conv', 'maxpool', 'avgpool', 'convT'"),
    ):
        sweep("pool")
