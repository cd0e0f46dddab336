"""Checks of 003 §5.5.1's ReLU equations (5.29)-(5.32), §5.5.2's sigmoid argument, and
torch's default initialisation."""

from __future__ import annotations

import math

import sympy as sp
import torch
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.variance.checks import LIMIT_TOL, SMALL, _mc_summary
from cnnbench.analysis.variance.maps import fixed_point
from cnnbench.analysis.variance.moments import activation_moments, gaussian_expectation
from cnnbench.analysis.variance.monte_carlo import monte_carlo
from sympy.stats import Laplace, Normal, Uniform, variance


def check_eq5_29() -> CheckResult:
    y = sp.Symbol("y", real=True)
    s = sp.Symbol("s", positive=True)
    results = {}
    for label, rv in (("normal", Normal("y", 0, s)), ("laplace", Laplace("y", 0, s)),
                      ("uniform", Uniform("y", -s, s))):  # fmt: skip
        pdf = sp.stats.density(rv)(y)
        half = sp.integrate(y**2 * pdf, (y, 0, sp.oo) if label != "uniform" else (y, 0, s))
        results[label] = str(sp.simplify(half - variance(rv) / 2))
    shifted = gaussian_expectation(lambda t: torch.relu(t + 1.0) ** 2, 1.0)
    return decided(
        all(v == "0" for v in results.values()), "symbolic",
        "E[ReLU(y)²] − Var[y]/2 integrates to 0 for symmetric zero-mean y (normal, Laplace, "
        f"uniform). It fails once y is not symmetric about 0 (a bias): y ~ N(1, 1) gives "
        f"E[ReLU(y)²] = {shifted:.4f}, not 0.5.",
        residuals=results, shifted_normal_value=shifted,
    )


def check_eq5_30() -> CheckResult:
    rs = [monte_carlo("relu", init, **SMALL) for init in ("kaiming_fan_in", "xavier_normal")]
    ok = all(r.agrees and r.informative for r in rs)
    return decided(
        ok, "monte-carlo",
        "Var[y_l] = ½·n_l·Var[w_l]·Var[y_(l−1)] iterated over 5 ReLU layers (Kaiming and Xavier, "
        f"width 256) matches {SMALL['draws']} torch networks per init at every layer within the "
        "derived tolerance (the formula is exact in expectation at any width for ReLU).",
        **{f"{r.theory.init}": _mc_summary(r) for r in rs},
    )


def check_eq5_31() -> CheckResult:
    r = monte_carlo("relu", "kaiming_fan_in", **SMALL)
    last = r.layers[-1]
    printed = 1.0  # Var[x]·Π_{l=1..L} ½·n_l·Var[w_l] with Kaiming: every factor 1
    corrected = 2.0  # n_1·Var[w_1]·E[x²]·Π_{l=2..L} ½·n_l·Var[w_l]
    fails = abs(last.q_mc - printed) > last.q_tol
    fix = Correction(
        "Var[y_L] = n_1·Var[w_1]·E[x_1²]·Π_{l=2..L} ½·n_l·Var[w_l] (He et al. 2015 eq. 9: "
        "Var[y_L] = Var[y_1]·Π_{l=2..L}); edit: Var[x] → Var[y_1], product from l = 2 — the "
        "raw input is not a ReLU output, so the first layer has no ½.",
        f"Monte Carlo, ReLU + Kaiming, L = {SMALL['depth']}: Var[y_L]/E[x²] = "
        f"{last.q_mc:.3f} ± {last.q_tol:.3f} vs {corrected}",
    )
    return decided(
        not fails, "monte-carlo",
        f"For ReLU with Kaiming (½·n·Var[w] = 1) the printed product predicts Var[y_L] = Var[x] "
        f"= {printed}; {r.draws} torch networks of depth {SMALL['depth']} give "
        f"{last.q_mc:.3f} ± {last.q_tol:.3f}.",
        fix if abs(last.q_mc - corrected) <= last.q_tol else None,
        readings=[
            reading("x the network's input, the product from l = 1 as printed", not fails,
                    predicted=printed, measured=last.q_mc, tolerance=last.q_tol),
            reading("Var[x] read as the variance of a pre-activation y_0 feeding a first ReLU",
                    True, reasonable=False, why="the text's x is the network input (eq. "
                    "5.20's x_1), which no ReLU has halved"),
        ],
        printed_prediction=printed, corrected_prediction=corrected, measured=last.q_mc,
        tolerance=last.q_tol, **_mc_summary(r),
    )


def check_eq5_32() -> CheckResult:
    r = monte_carlo("relu", "kaiming_fan_out", **SMALL)
    tol = r.t_quantile * r.input_grad_se
    ok = abs(r.input_grad_mc - r.input_grad_theory) <= tol
    fix = Correction(
        "Var[∂ε/∂x_1] = Var[∂ε/∂x_(L+1)]·Π_{l=1..L} ½·n̂_l·Var[w_l] (x_(L+1) the last ReLU's "
        "output); edit: Var[·] around ∂ε/∂x_L.",
        f"Monte Carlo, ReLU + Kaiming fan-out (every factor 1), L = {SMALL['depth']}: "
        f"Var[∂ε/∂x_1] = {r.input_grad_mc:.3f} ± {tol:.3f} vs {r.input_grad_theory:.3f}",
    )
    return decided(
        False, "monte-carlo",
        "As printed, the left side is a variance and the right side is the gradient ∂ε/∂x_L "
        "itself times a constant: a random, signed quantity cannot equal a variance.",
        fix if ok else None,
        readings=[
            reading("as printed: a variance equal to the gradient ∂ε/∂x_L times a constant",
                    False),
            reading("with Var[·] around ∂ε/∂x_(L+1)", ok, reasonable=False, measured=
                    r.input_grad_mc, why="an edit of the equation (the correction), though "
                    "the intended meaning is plain"),
        ],
        measured=r.input_grad_mc, predicted=r.input_grad_theory, tolerance=tol, **_mc_summary(r),
    )


def check_eq5_35() -> CheckResult:
    y = sp.Symbol("y", real=True)
    q = sp.Symbol("q", positive=True)
    lin = Normal("y", 0, sp.sqrt(q))
    lin_ok = sp.simplify(variance(sp.Rational(1, 2) + lin / 4) - q / 16) == 0
    series = sp.series(1 / (1 + sp.exp(-y)), y, 0, 8).removeO()

    def gauss_mean(expr: sp.Expr) -> sp.Expr:  # E[y^k] = (k−1)!!·q^(k/2), k even
        poly = sp.Poly(sp.expand(expr), y)
        return sp.expand(sum(c * sp.factorial2(k - 1) * q ** (k // 2)
                             for (k,), c in poly.terms() if k % 2 == 0))  # fmt: skip

    var_series = sp.series(gauss_mean(series**2) - gauss_mean(series) ** 2, q, 0, 3).removeO()
    m = activation_moments("sigmoid")
    ratio = {str(v): (gaussian_expectation(m.square, v) - 0.25) / v for v in (1e-4, 0.1, 1.0)}
    mean_sq = 0.25 + 1.0 / 16  # E[x²] of the linearisation at Var[y] = 1
    return decided(
        lin_ok and sp.simplify(var_series.coeff(q, 1) - sp.Rational(1, 16)) == 0, "symbolic",
        f"Var[1/2 + y/4] = Var[y]/16 exactly, and for the true sigmoid Var[σ(y)] = "
        f"{var_series} + O(q³) with q = Var[y] (sympy), so 1/16 is the small-variance limit; "
        f"the ratio is {ratio['1.0']:.4f} at q = 1. What breaks Kaiming's (5.29) is the mean: "
        f"E[x²] = 1/4 + q/16 (= {mean_sq} at q = 1), not q/2.",
        variance_series=str(var_series), ratio_var_over_q=ratio,
    )


def check_sigmoid_backward() -> CheckResult:
    fp = fixed_point("sigmoid", 1.0)
    stars = {n: fixed_point(n, 1.0) for n in ("tanh", "sigmoid_star")}
    saturated = math.erfc(3.0 / math.sqrt(2 * fp.q))  # P(|h| > 3): sigmoid' < 0.05 there
    r = monte_carlo("sigmoid", "xavier_normal", depth=30, width=256, draws=16, batch=32)
    g1 = r.layers[0]
    ok = (fp.chi < 0.1 and saturated < 1e-3 and g1.grad_agrees
          and all(abs(s.chi - 1) < LIMIT_TOL for s in stars.values()))  # fmt: skip
    return decided(
        ok, "monte-carlo",
        f"Under Xavier the sigmoid forward map settles at Var[y] = {fp.q:.4f} (it does not "
        f"vanish: E[x] = 1/2) where P(|y| > 3) = {saturated:.1e} (no saturation), but each layer "
        f"multiplies gradient variance by χ = {fp.chi:.4f}: after 30 layers theory gives "
        f"{g1.grad_theory:.2e}, {r.draws} torch networks {g1.grad_mc:.2e} ± {g1.grad_tol:.1e}. "
        f"tanh and Sigmoid* have χ → {stars['tanh'].chi:.3f}, {stars['sigmoid_star'].chi:.3f} "
        "(their variance decays only polynomially).",
        sigmoid_fixed_point=fp.q, sigmoid_chi=fp.chi, saturated_fraction=saturated,
        layer1_grad_theory=g1.grad_theory, layer1_grad_mc=g1.grad_mc, tolerance=g1.grad_tol,
        **_mc_summary(r),
    )


def check_torch_default_init() -> CheckResult:
    torch.manual_seed(0)
    layer = torch.nn.Linear(1200, 400).double()
    target = 1 / (3 * 1200)
    out = {}
    for name, t in (("weight", layer.weight), ("bias", layer.bias)):
        se = math.sqrt(0.8 / t.numel()) * target  # uniform: kurtosis 1.8
        got = float(t.detach().var())
        out[name] = {"sample_var": got, "target": target, "z": (got - target) / se}
    ok = all(abs(v["z"]) <= 5 for v in out.values())
    return decided(
        ok, "framework",
        "nn.Linear(1200, 400)'s default weight and bias (U(±1/sqrt(in_features))) have sample "
        f"variances within 5 s.e. of 1/(3·in_features) (z = {out['weight']['z']:.2f}, "
        f"{out['bias']['z']:.2f}): fan_in·Var[w] = 1/3, so a ReLU stack with this default "
        "loses a factor 6 of variance per layer.",
        draws=out,
    )
