"""Hypothesis: cnnbench.analysis.shapes.formulas against torch's real CPU kernels (and meta
in-domain).

Oracle: torch refuses a configuration when its 2-D CPU kernel or its 1-D CPU
kernel raises (the 2-D transposed convolution has a oneDNN path that skips the
dilation check for 1x1 inputs; the 1-D kernel keeps it). Our validator must
raise exactly then, and otherwise give torch's size.
"""

from __future__ import annotations

import pytest
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.shapes.formulas import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
)
from cnnbench.analysis.shapes.sweep import torch_output_size
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

OURS = {
    "conv": conv_output_size,
    "maxpool": pool_output_size,
    "avgpool": pool_output_size,
    "convT": conv_transpose_output_size,
}

# Each axis reaches below its domain so refusals are drawn too.
small = st.integers(-2, 9)
configs = {
    "conv": st.fixed_dictionaries({"size": st.integers(-1, 24), "kernel": small, "stride": small,
                                   "padding": small, "dilation": small}),
    "maxpool": st.fixed_dictionaries({"size": st.integers(-1, 24), "kernel": small,
                                      "stride": st.none() | small, "padding": small,
                                      "dilation": small, "ceil_mode": st.booleans()}),
    "avgpool": st.fixed_dictionaries({"size": st.integers(-1, 24), "kernel": small,
                                      "stride": st.none() | small, "padding": small,
                                      "ceil_mode": st.booleans()}),
    "convT": st.fixed_dictionaries({"size": st.integers(-1, 12), "kernel": small,
                                    "stride": small, "padding": small,
                                    "output_padding": small, "dilation": small}),
}  # fmt: skip


def _torch(operator: str, config: dict) -> int | None:
    if config["size"] < 0:
        return None  # a negative tensor dimension cannot even be built
    two = torch_output_size(operator, config, "cpu", 2)
    one = torch_output_size(operator, config, "cpu", 1)
    if isinstance(two, str) or isinstance(one, str):
        return None
    assert one == two, (config, one, two)
    return two


def _ours(operator: str, config: dict) -> int | None:
    try:
        return OURS[operator](**config)
    except ParameterError:
        return None


@pytest.mark.parametrize("operator", sorted(configs))
def test_size_and_refusal_match_torch_cpu(operator):
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(configs[operator])
    def run(config):
        assert _ours(operator, config) == _torch(operator, config), config

    run()


@pytest.mark.parametrize("operator", sorted(configs))
def test_in_domain_sizes_match_torch_meta(operator):
    # Inside the parameter domain the meta kernels apply the same window checks.
    @settings(max_examples=200, deadline=None)
    @given(configs[operator])
    def run(config):
        ours = _ours(operator, config)
        if ours is None:
            return
        assert torch_output_size(operator, config, "meta") == ours, config

    run()


def _torch_call_with(name: str, value: float) -> None:
    x = torch.zeros(1, 1, 8, 8)  # (N, C, H, W)
    if name == "kernel":  # a conv kernel size comes from the weight; pooling takes it as is
        torch.nn.functional.max_pool2d(x, value)
    else:
        args = {"stride": 1, "padding": 1, name: value}
        torch.nn.functional.conv2d(x, torch.zeros(1, 1, 3, 3), None, **args)


@given(st.sampled_from(["kernel", "stride", "padding"]), st.floats(0.5, 4.5))
@settings(max_examples=30, deadline=None)
def test_non_integers_are_refused_as_by_torch(name, value):
    config = {"size": 8, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, name: value}
    with pytest.raises(ParameterError, match=f"^`{name}`="):
        conv_output_size(**config)
    with pytest.raises(TypeError):
        _torch_call_with(name, value)
