"""The training experiment: reproducibility, pairing, decision rules, claims on a smoke run."""

from __future__ import annotations

import json
from dataclasses import replace

import cnnbench.analysis.training.claims as claims_training
import pytest
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims import CheckResult, Verdict
from cnnbench.analysis.training.experiment import (
    CONFIG_000,
    SIGMOID_STAR_INIT,
    ExperimentResult,
    RunResult,
    TrainConfig,
    build_mlp,
    run_experiment,
    train_one,
    training_activation,
)
from cnnbench.analysis.training.stats import (
    DIFF_MARGIN,
    paired_difference,
    relation,
    status,
    t_interval,
)
from scipy import stats

SMOKE = TrainConfig(activations=("sigmoid", "sigmoid_star", "tanh", "relu", "leaky_relu",
                                 "prelu", "rrelu", "regularized_relu", SIGMOID_STAR_INIT),
                    depth=3, width=16, epochs=2, seeds=2, batch=128)  # fmt: skip


def test_training_is_reproducible_per_seed():
    # source: issue 3 §4 ("Seeds fixed; results reproducible")
    a = train_one(SMOKE, "rrelu", 1)
    b = train_one(SMOKE, "rrelu", 1)
    assert a.test_acc == b.test_acc and a.train_loss == b.train_loss
    assert a.grad_norms_init == b.grad_norms_init


def test_every_arm_starts_from_the_same_weights():
    # source: cnnbench.analysis.training.experiment docstring (paired design across activations)
    torch.manual_seed(3)
    w_sig = build_mlp("sigmoid", 3, 16, "xavier_uniform")[0].weight
    torch.manual_seed(3)
    w_relu = build_mlp("relu", 3, 16, "xavier_uniform")[0].weight
    assert torch.equal(w_sig, w_relu)


def test_sigmoid_star_init_computes_the_sigmoid_star_network():
    # source: 003 eq. (5.36): 4σ(x) − 2, so W·(4σ(h) − 2) + b = 4W·σ(h) + (b − 2W·1)
    torch.manual_seed(0)
    star = build_mlp("sigmoid_star", 5, 32, "xavier_uniform").double()
    torch.manual_seed(0)
    sig = build_mlp(SIGMOID_STAR_INIT, 5, 32, "xavier_uniform").double()
    x = torch.randn(7, 64, dtype=torch.float64)
    assert torch.allclose(star(x), sig(x), atol=1e-5)
    assert all(not isinstance(m, type(star[1])) for m in sig)


def test_regularized_relu_factors_for_a_dense_layer():
    # source: 000 §3.1: c/(s·n·m) with c = m = fan_in, s = 1, n = fan_out
    act = training_activation("regularized_relu", 64, 32)
    x = torch.tensor([-1.0, 3.2], dtype=torch.float64)
    assert torch.equal(act.reference(x), torch.tensor([0.0, 0.1], dtype=torch.float64))


def test_t_interval_matches_scipy():
    # source: Student-t interval; oracle: scipy.stats.t.interval
    data = [0.91, 0.88, 0.95, 0.9, 0.93]
    ci = t_interval(data)
    lo, hi = stats.t.interval(0.95, 4, loc=sum(data) / 5, scale=stats.sem(data))
    assert (ci.low, ci.high) == pytest.approx((lo, hi), rel=1e-12)


def _fake(accs: dict[str, list[float]]) -> ExperimentResult:
    runs = tuple(RunResult(a, s, (1.0,), (1.0,), (acc,), (1.0, 1.0), 0.0, 0.0)
                 for a, vals in accs.items() for s, acc in enumerate(vals))  # fmt: skip
    return ExperimentResult(replace(SMOKE, activations=tuple(accs)), runs, 0.1)


def test_decision_rules_on_constructed_results():
    # source: cnnbench.analysis.training.stats (rules fixed before the experiment)
    res = _fake({"tanh": [0.9, 0.92, 0.91], "relu": [0.5, 0.6, 0.55], "elu": [0.4, 0.6, 0.45]})
    assert status(res, "tanh") == "converges" and status(res, "elu") == "mixed"
    assert relation(res, "tanh", "relu", strict=True) == "holds"
    assert relation(res, "relu", "tanh", strict=False) == "contradicted"
    assert relation(res, "relu", "elu", strict=True) == "undecided"
    assert relation(res, "relu", "elu", strict=False) == "consistent"


def test_decisions_need_to_clear_their_margins():
    # source: cnnbench.analysis.training.stats margins (issue 9: no verdict on a statistical edge)
    tight = [0.0, 0.001, -0.001, 0.0005]
    res = _fake({"tanh": [0.9 + d for d in tight], "relu": [0.885 + d for d in tight],
                 "elu": [0.52, 0.9, 0.91, 0.95], "gelu": [0.2, 0.47, 0.3, 0.1]})  # fmt: skip
    d = paired_difference(res, "tanh", "relu")
    assert 0 < d.low < DIFF_MARGIN  # clears 0, not the margin
    assert relation(res, "tanh", "relu", strict=True) == "undecided"
    assert relation(res, "relu", "tanh", strict=False) == "consistent"
    assert status(res, "elu") == "mixed"  # 0.52 is above the line but within the margin
    assert status(res, "gelu") == "mixed"  # 0.47 likewise below it


def test_smoke_experiment_and_json_round_trip():
    # source: issue 3 §4 (curves and per-layer gradient norms at init)
    res = run_experiment(SMOKE)
    assert len(res.runs) == len(SMOKE.activations) * SMOKE.seeds
    assert all(len(r.test_acc) == SMOKE.epochs and len(r.grad_norms_init) == 4 for r in res.runs)
    back = ExperimentResult.from_json(json.loads(json.dumps(res.to_json())))
    assert back == res


def test_training_claims_decide_on_a_smoke_run(monkeypatch):
    # The claims' logic on a tiny run (the real one is slow): each returns a verdict.
    res = run_experiment(SMOKE)
    small_000 = replace(CONFIG_000, depth=2, width=16, epochs=1, seeds=2)
    monkeypatch.setattr(claims_training, "_result", lambda: res)
    monkeypatch.setattr(claims_training, "CONFIG_000", small_000)
    for claim in claims_training.CLAIMS:
        out = claim.check()
        assert isinstance(out, CheckResult) and out.verdict is not Verdict.ERROR
        json.dumps(dict(out.evidence), allow_nan=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activations": ("softmax",)}, "`activations`='softmax' must name elementwise"),
        ({"epochs": 0}, "`epochs`=0 must be an integer in [1, 1000]: the digits are fitted"),
        ({"depth": 10**6}, "`depth`=1000000 must be an integer in [1, 200]"),
        ({"activations": ()}, "`activations`='' must name at least one activation"),
        ({"lr": 0.0}, "`lr`=0.0 must be a finite real number in (0, inf)"),
        ({"momentum": 1.0}, "`momentum`=1.0 must be a finite real number in [0, 1)"),
        ({"optimizer": "rmsprop"}, "`optimizer`='rmsprop' must be one of 'sgd', 'adam'"),
        ({"init": "orthogonal"}, "`init`='orthogonal' must be one of"),
    ],
)
def test_config_error_messages(kwargs, message):
    with pytest.raises(ParameterError) as exc:
        TrainConfig(**kwargs)
    assert message in str(exc.value)
