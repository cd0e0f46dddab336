"""Hypothesis over the numeric options: every value is either refused (exit 2, the option
named, no traceback) or starts the work, and the line between them is the documented bound.

The work itself is replaced by a sentinel, so each example costs milliseconds.
"""

from __future__ import annotations

import math

import pytest
from cnnbench.reports.cli import app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

runner = CliRunner()
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
HUGE = st.one_of(st.integers(min_value=-(10**30), max_value=10**30),
                 st.integers(min_value=-5, max_value=5000))  # fmt: skip


class Started(Exception):
    """The command got past its checks and began the work."""


def _started(*a, **k):
    raise Started


@pytest.fixture
def sentinel(monkeypatch):
    import cnnbench.analysis.activations.taylor
    import cnnbench.analysis.maxdepth.problem
    import cnnbench.analysis.training.experiment
    import cnnbench.analysis.variance.maps
    import cnnbench.bench.workloads

    monkeypatch.setattr(cnnbench.analysis.variance.maps, "variance_profile", _started)
    monkeypatch.setattr(cnnbench.analysis.training.experiment, "run_experiment", _started)
    monkeypatch.setattr(cnnbench.analysis.activations.taylor, "expansion", _started)
    monkeypatch.setattr(cnnbench.analysis.maxdepth.problem, "_solve", _started)
    monkeypatch.setattr(cnnbench.bench.workloads, "all_workloads", _started)


def _outcome(args: list[str]) -> str:
    """"refused" (exit 2, named, no traceback) or "started"; anything else fails."""
    r = runner.invoke(app, args)
    if isinstance(r.exception, Started):
        return "started"
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "Traceback" not in text, (args, r.exception, text)
    assert args[-2] in text, f"{args[-2]} not named: {text}"
    return "refused"


INT_OPTIONS = [  # (command, option, lowest allowed, highest allowed)
    (["variance", "-a", "relu"], "--depth", 1, 1000),
    (["variance", "-a", "relu"], "--width", 1, 4096),
    (["train", "--activations", "relu", "--epochs", "1", "--seeds", "1"], "--depth", 1, 200),
    (["train", "--activations", "relu", "--depth", "2", "--seeds", "1"], "--epochs", 1, 1000),
    (["train", "--activations", "relu", "--depth", "2", "--epochs", "1"], "--seeds", 1, 100),
    (["series", "tanh"], "--order", 0, 40),
]


@pytest.mark.parametrize(("cmd", "option", "low", "high"), INT_OPTIONS,
                         ids=[f"{c[0]} {o}" for c, o, _, _ in INT_OPTIONS])  # fmt: skip
@SETTINGS
@given(value=HUGE)
def test_integer_options_refuse_exactly_outside_their_bounds(sentinel, cmd, option, low, high,
                                                             value):  # fmt: skip
    expected = "started" if low <= value <= high else "refused"
    assert _outcome([*cmd, option, str(value)]) == expected


FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(min_value=0, max_value=1e-240),  # the t -> 0 edge, subnormals too
                   st.sampled_from([5e-324, 1e-320, 1e-250, 1e-249, 0.0, -0.0]))  # fmt: skip


@SETTINGS
@given(t=FLOATS)
def test_maxdepth_t_is_refused_or_solved_never_a_library_error(sentinel, t):
    expected = "started" if math.isfinite(t) and t >= 1e-250 else "refused"
    assert _outcome(["maxdepth", "--image", "60", "--t", repr(t)]) == expected


@SETTINGS
@given(budget=FLOATS)
def test_bench_budget_is_refused_outside_its_bounds(sentinel, budget):
    expected = "started" if math.isfinite(budget) and 1e-3 <= budget <= 60 else "refused"
    assert _outcome(["bench", "--list", "--budget", repr(budget)]) == expected


@SETTINGS
@given(size=HUGE, kernel=HUGE, stride=HUGE, padding=HUGE, dilation=HUGE)
def test_shape_answers_or_refuses_any_integers(size, kernel, stride, padding, dilation):
    r = runner.invoke(app, ["shape", "conv", "--size", str(size), "--kernel", str(kernel),
                            "--stride", str(stride), "--padding", str(padding), "--dilation",
                            str(dilation)])  # fmt: skip
    assert r.exit_code in (0, 2), (r.exception, r.output)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output


@SETTINGS
@given(text=st.text(alphabet="cpksd0123456789, ", max_size=60))
def test_rf_answers_or_refuses_any_layer_text(text):
    r = runner.invoke(app, ["rf", text, "--json"])
    assert r.exit_code in (0, 2), (text, r.exception, r.output)
    assert r.exception is None or isinstance(r.exception, SystemExit), (text, r.exception)
