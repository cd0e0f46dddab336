"""The activation dossier (`cnnbench activation SPEC --json`) against oracles that share no
code with it: sympy's own series, scipy quadrature written here, and Monte Carlo on a
torch network built here.
"""

from __future__ import annotations

import json
import math

import pytest
import sympy
import torch
from cnnbench.reports.cli import app
from scipy import integrate, optimize
from typer.testing import CliRunner

runner = CliRunner()
SW, SB = 1.2, 0.1  # a point where Mish has a finite, stable fixed point reached from q = 1


def _mish(x: float) -> float:
    return x * math.tanh(math.log1p(math.exp(x))) if x < 30 else x


def _dmish(x: float) -> float:
    # d/dx x·tanh(softplus(x)) = tanh(sp) + x·sech²(sp)·sigmoid(x), written out here
    sp = math.log1p(math.exp(x)) if x < 30 else x
    return math.tanh(sp) + x * (1 - math.tanh(sp) ** 2) / (1 + math.exp(-x))


def _gauss(g) -> float:
    """E[g(z)], z ~ N(0, 1), by scipy quad."""
    return integrate.quad(lambda z: g(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi),
                          -40, 40, limit=400, epsabs=1e-13, epsrel=1e-12)[0]  # fmt: skip


def _q_map(f, sw: float, sb: float, q: float) -> float:
    return sw * sw * _gauss(lambda z: f(math.sqrt(q) * z) ** 2) + sb * sb


@pytest.fixture(scope="module")
def mish_dossier() -> dict:
    result = runner.invoke(app, ["activation", "x*tanh(log(1+exp(x)))", "--sigma-w", str(SW),
                                 "--sigma-b", str(SB), "--order", "6", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["theory"]


def test_mish_series_is_sympys_own(mish_dossier):
    x = sympy.Symbol("x")
    poly = sympy.series(x * sympy.tanh(sympy.log(1 + sympy.exp(x))), x, 0, 7).removeO()
    want = [sympy.nsimplify(sympy.simplify(poly.coeff(x, k))) for k in range(7)]
    assert [sympy.Rational(c) for c in mish_dossier["series"]["maclaurin"]] == want
    assert mish_dossier["series"]["how"] == "sympy (exact)"


def test_mish_slope_at_zero_is_three_fifths(mish_dossier):
    # source: issue 11 (tanh(softplus(0)) = tanh(log 2) = (4 - 1)/(4 + 1) = 3/5)
    assert mish_dossier["slope_at_0_plus"] == "3/5"
    assert _dmish(1e-9) == pytest.approx(0.6, abs=1e-8)


def test_mish_gains_against_quadrature(mish_dossier):
    ef2, edf2 = _gauss(lambda z: _mish(z) ** 2), _gauss(lambda z: _dmish(z) ** 2)
    g = mish_dossier["gains"]
    assert g["forward"]["gain"] == pytest.approx(1 / math.sqrt(ef2), rel=1e-7)
    assert g["backward"]["gain"] == pytest.approx(1 / math.sqrt(edf2), rel=1e-7)
    assert g["compromise"]["gain"] == pytest.approx(math.sqrt(2 / (ef2 + edf2)), rel=1e-7)
    assert g["torch"]["gain"] is None  # torch's calculate_gain does not know Mish


def test_mish_fixed_point_and_chi1_against_quadrature(mish_dossier):
    q = 1.0
    for _ in range(500):
        q_next = _q_map(_mish, SW, SB, q)
        if abs(q_next - q) < 1e-14:
            break
        q = q_next
    chi1 = SW * SW * _gauss(lambda z: _dmish(math.sqrt(q) * z) ** 2)
    mf = mish_dossier["mean_field"]
    assert mf["q_star"] == pytest.approx(q, rel=1e-6)
    assert mf["chi1"] == pytest.approx(chi1, rel=1e-6)
    assert mf["phase"] == "ordered" and chi1 < 1
    assert mf["depth_gradient"] == pytest.approx(-1 / math.log(chi1), rel=1e-6)


def test_mish_edge_is_absent_and_the_reason_holds(mish_dossier):
    """At σ_b = 0.1 the q-map from q = 1 diverges before χ₁ reaches 1: check both halves of
    that statement by quadrature either side of the onset the dossier names."""
    assert mish_dossier["edge_sigma_w"] is None
    note = mish_dossier["edge_note"]
    onset = float(note.split("σ_w = ")[1].split(" ")[0])
    below, above = onset * (1 - 1e-3), onset * (1 + 1e-3)

    def iterate(sw: float) -> float:
        q = 1.0
        for _ in range(3000):
            q = _q_map(_mish, sw, SB, q)
            if q > 1e6:
                return math.inf
        return q

    q_below = iterate(below)
    assert math.isfinite(q_below) and math.isinf(iterate(above))
    chi_below = below**2 * _gauss(lambda z: _dmish(math.sqrt(q_below) * z) ** 2)
    assert chi_below < 1


def test_tanh_edge_matches_the_literature_and_quadrature():
    """Poole et al. 2016 / Schoenholz et al. 2017: at σ_b = 0 tanh's order-to-chaos transition
    is σ_w = 1 (q* = 0, χ₁ = σ_w²); at σ_b = 0.3 it is the root of χ₁(σ_w) = 1 computed here."""
    result = runner.invoke(app, ["activation", "tanh", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["theory"]["edge_sigma_w"] == pytest.approx(1.0, abs=1e-6)
    result = runner.invoke(app, ["activation", "tanh", "--sigma-b", "0.3", "--json"])
    edge = json.loads(result.output)["theory"]["edge_sigma_w"]

    def chi1(sw: float) -> float:
        q = 1.0
        for _ in range(2000):
            q = _q_map(math.tanh, sw, 0.3, q)
        return sw * sw * _gauss(lambda z: (1 - math.tanh(math.sqrt(q) * z) ** 2) ** 2) - 1

    assert edge == pytest.approx(optimize.brentq(chi1, 1.0, 2.0, xtol=1e-10), rel=1e-6)


def test_mish_monte_carlo_on_a_torch_network_built_here(mish_dossier):
    """q* of the dossier against the second moment of h in a deep random torch MLP."""
    torch.manual_seed(1)
    n, depth = 1024, 40
    x = torch.randn(256, n, dtype=torch.float64)  # q = 1 at the input
    with torch.no_grad():
        for _ in range(depth):
            w = torch.randn(n, n, dtype=torch.float64) * SW / math.sqrt(n)
            h = x @ w.T + torch.randn(n, dtype=torch.float64) * SB
            x = torch.nn.functional.mish(h)
    q_mc = float(h.square().mean())
    assert q_mc == pytest.approx(mish_dossier["mean_field"]["q_star"], rel=0.1)


def test_mish_dossier_mc_option_agrees():
    result = runner.invoke(app, ["activation", "mish", "--sigma-w", str(SW), "--sigma-b", str(SB),
                                 "--mc", "--depth", "4", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    mc = json.loads(result.output)["monte_carlo"]
    assert mc["agrees"] and mc["informative"] and len(mc["layers"]) == 2


def test_numeric_activation_dossier_says_it_is_numeric():
    result = runner.invoke(app, ["activation", "torch.nn.functional:silu", "--name",
                                 "t_dossier_silu", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    t = json.loads(result.output)["theory"]
    assert t["symbolic"] is False and t["series"]["how"].startswith("numeric: autograd")
    assert float(t["slope_at_0_plus"]) == pytest.approx(0.5, abs=1e-6)  # silu'(0) = 1/2
    assert float(t["series"]["right"][2]) == pytest.approx(0.25, abs=1e-5)  # x²/4


def test_piecewise_dossier_one_sided_and_kink():
    result = runner.invoke(app, ["activation", "Max(x, 0.1*x)", "--name", "t_dossier_leaky",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    t = json.loads(result.output)["theory"]
    assert t["series"]["right"][1] == "1" and t["series"]["left"][1] == "1/10"
    assert t["smoothness"]["class"] == "C^0" and t["ranges"]["monotone"] == "increasing"
    assert t["edge_sigma_w"] == pytest.approx(math.sqrt(2 / (1 + 0.01)), rel=1e-6)


@pytest.mark.parametrize(("args", "message"), [
    (["log(x)"], "`SPEC`='log(x)' is undefined at 0"),
    (["torch.nn:Softmax"], "is not elementwise"),
    (["mish", "--sigma-w", "0"], "`--sigma-w`=0.0 must be in [0.001, 30]"),
    (["mish", "--sigma-b", "-1"], "`--sigma-b`=-1.0 must be in [0, 30]: a bias spread"),
    (["mish", "--order", "13"], "`--order`=13 must be in [0, 12]"),
    (["mish", "--depth", "0"], "`--depth`=0 must be in [1, 200]"),
    (["mish", "--seeds", "1"], "`--seeds`=1 must be in [2, 20]"),
    (["mish", "--epochs", "0"], "`--epochs`=0 must be in [1, 100]"),
    (["softmax"], "is not elementwise: a dossier needs f(x) per element"),
    (["Max(0, x)", "--name", "relu"], "is already taken (a built-in)"),
])  # fmt: skip
@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
def test_dossier_usage_errors_exit_2(args, message):
    result = runner.invoke(app, ["activation", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output


def test_dossier_train_option_pairs_by_seed_against_the_baselines():
    result = runner.invoke(app, ["activation", "x*tanh(x)", "--name", "t_dossier_train",
                                 "--train", "--depth", "2", "--seeds", "2", "--epochs", "1",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    tr = json.loads(result.output)["training"]
    assert list(tr["arms"]) == ["t_dossier_train", "relu", "tanh"]
    assert set(tr["paired_final_acc"]) == {"relu", "tanh"}
    arms = tr["arms"]
    for base in ("relu", "tanh"):  # the paired mean is the mean of per-seed differences
        diffs = [a - b for a, b in zip(arms["t_dossier_train"]["final_acc_per_seed"],
                                       arms[base]["final_acc_per_seed"], strict=True)]
        assert tr["paired_final_acc"][base]["mean"] == pytest.approx(sum(diffs) / 2, abs=1e-3)


def test_public_functions_take_an_activation_object_or_a_callable():
    """analysis as a library: an Activation, or a torch function, wherever a name goes."""
    import torch.nn.functional as F
    from cnnbench.analysis.activations.registry import ACTIVATIONS
    from cnnbench.analysis.variance.maps import fixed_point, variance_profile
    from cnnbench.analysis.variance.meanfield import edge_of_chaos, mean_field

    mish = ACTIVATIONS["mish"]
    assert mean_field(mish, SW, SB) == mean_field("mish", SW, SB)
    assert fixed_point(mish, 1.44, 0.01) == fixed_point("mish", 1.44, 0.01)
    assert variance_profile(mish, "xavier_normal", 3, 8).layers == \
        variance_profile("mish", "xavier_normal", 3, 8).layers
    # a plain torch function: numeric derivative (autograd), same edge as the registry's tanh
    assert edge_of_chaos(torch.tanh, 0.3) == pytest.approx(edge_of_chaos("tanh", 0.3), rel=1e-7)
    assert mean_field(F.silu, 1.0).chi1 == pytest.approx(mean_field("silu", 1.0).chi1, rel=1e-9)
