"""Checks of 003 §5.5's variance formulas (eqs. 5.20-5.32, 5.35).

Each check returns a :class:`~cnnbench.analysis.claims.CheckResult`. Symbolic checks use
``sympy.stats``/``integrate``; Monte Carlo checks use
:func:`cnnbench.analysis.variance.monte_carlo.monte_carlo` on small real torch stacks, with the
tolerance derived there.
"""

from __future__ import annotations

import math

import sympy as sp
import torch
from cnnbench.analysis.claims import CheckResult, Correction, confirmed, decided, reading
from cnnbench.analysis.variance.moments import activation_moments, gaussian_expectation
from cnnbench.analysis.variance.monte_carlo import MonteCarloResult, monte_carlo
from sympy.stats import E, Normal, Uniform, variance

# Small stacks for formula checks: wide and shallow, so the draws scatter little.
SMALL = {"depth": 5, "width": 256, "draws": 24, "batch": 32, "seed": 1}
# q at which "q -> 0" limits are evaluated: the O(q) remainder is ~1e-8 there.
Q_SMALL = 1e-8
LIMIT_TOL = 1e-6  # relative, for those limits (remainder ~1e-8 times O(1) coefficients)


def _mc_summary(r: MonteCarloResult) -> dict:
    w = r.worst()
    return {"mc_draws": r.draws, "mc_width": r.theory.width, "mc_depth": r.theory.depth,
            "mc_agrees": r.agrees, "mc_informative": r.informative,
            "mc_forward_err_over_tol": round(w["forward_err_over_tol"], 3),
            "mc_backward_err_over_tol": round(w["backward_err_over_tol"], 3)}  # fmt: skip


def check_eq5_20() -> CheckResult:
    """Var[y] = n·Var[w]·Var[x]: exact for zero-mean x (the Xavier setting), else E[x^2] enters."""
    s_, d = sp.symbols("s d", positive=True)
    m = sp.Symbol("m", real=True)
    w, x = Normal("w", 0, s_), Uniform("x", m - d, m + d)
    gap = sp.simplify(variance(w * x) - s_**2 * variance(x))  # = s^2 m^2
    holds_2nd = sp.simplify(variance(w * x) - s_**2 * E(x**2)) == 0
    r = monte_carlo("sigmoid", "xavier_normal", **SMALL)  # outputs of mean 1/2
    l2 = r.layers[1]
    var_form = l2.q_theory - r.theory.sigma_w2_forward * r.layers[0].mean_theory ** 2
    rejects = abs(l2.q_mc - var_form) > l2.q_tol
    t = monte_carlo("tanh", "xavier_normal", **SMALL)  # zero-mean outputs
    t2 = t.layers[1]
    t_form = t2.q_theory - t.theory.sigma_w2_forward * t.layers[0].mean_theory ** 2
    zero_mean_ok = gap.subs(m, 0) == 0 and abs(t2.q_mc - t_form) <= t2.q_tol
    readings = [
        reading("for any x independent of the zero-mean iid weights", gap == 0 and not rejects,
                symbolic_gap=str(gap), sigmoid_layer2_printed=var_form,
                sigmoid_layer2_measured=l2.q_mc, tolerance=l2.q_tol),
        reading("for zero-mean x (the Xavier setting: the text derives (5.28) from (5.20) 'when "
                "the mean of x_l is zero')", zero_mean_ok, tanh_layer2_printed=t_form,
                tanh_layer2_measured=t2.q_mc, tolerance=t2.q_tol),
    ]  # fmt: skip
    summary = (f"Var[w·x] − Var[w]·Var[x] = {gap} for zero-mean w and x of mean m: exact when "
               f"E[x] = 0 (tanh layers, {t.draws} torch networks: layer 2 {t2.q_mc:.4f} ± "
               f"{t2.q_tol:.4f} vs {t_form:.4f}); for sigmoid outputs (mean 1/2) it predicts "
               f"{var_form:.4f} where torch gives {l2.q_mc:.4f} ± {l2.q_tol:.4f}.")  # fmt: skip
    evidence = dict(readings=readings, symbolic_gap=str(gap), printed_prediction=var_form,
                    second_moment_prediction=l2.q_theory, measured=l2.q_mc,
                    tolerance=l2.q_tol, **_mc_summary(r))  # fmt: skip
    if zero_mean_ok and holds_2nd:
        return confirmed("symbolic", summary, caveat=(
            "Exact for zero-mean x_l, the setting the text describes (its listed hypotheses "
            "name only the weights); in general Var[y_l] = n_l·Var[w_l]·E[x_l²] (5.28), e.g. "
            f"sigmoid outputs: layer 2 {l2.q_mc:.3f}, not {var_form:.3f}."), **evidence)
    return decided(False, "symbolic", summary, Correction(
        "Var[y_l] = n_l·Var[w_l]·E[x_l^2] (eq. 5.28)", "sympy.stats and Monte Carlo"),
        **evidence)  # fmt: skip


def check_eq5_21() -> CheckResult:
    """The backward factor is E[f'(y)^2] (squared), not f'(y)."""
    r = monte_carlo("sigmoid", "xavier_normal", **SMALL)
    dm = activation_moments("sigmoid")
    s2 = r.theory.sigma_w2_backward
    printed = 1.0
    for row in reversed(r.theory.layers):
        # first-power factor, read in expectation: E[f'(y_l)]·n·Var[w]
        printed *= gaussian_expectation(lambda t: dm.dsquare(t).sqrt(), row.q)
        if row.layer > 1:
            printed *= s2
    l1 = r.layers[0]
    printed_fails = abs(l1.grad_mc - printed) > l1.grad_tol
    fix = Correction(
        "Var[∂ε/∂y_l] = E[f'(y_l)²]·n̂_{l+1}·Var[w_{l+1}]·Var[∂ε/∂y_{l+1}] (fan-out n̂; "
        "the same as the printed form for ReLU, whose f' is 0 or 1).",
        f"Monte Carlo, sigmoid with Xavier: every layer's gradient variance within tolerance "
        f"of the E[f'²] recursion (agrees={r.agrees}); layer 1: {l1.grad_mc:.3e} ± "
        f"{l1.grad_tol:.1e} vs {l1.grad_theory:.3e}",
    )
    readings = [
        reading("f'(y_l) read as its expectation E[f'(y_l)], layer by layer", not printed_fails,
                predicted=printed, measured=l1.grad_mc, tolerance=l1.grad_tol),
        reading("f'(y_l) as a fixed per-unit factor (conditioning on y)", False,
                note="Var[f'·g] = f'²·Var[g]: the factor enters squared either way"),
        reading("the linear regime f' ≈ 1, or ReLU (f' ∈ {0, 1}), where f' = f'²", True,
                reasonable=False, why="special cases; the equation is stated for any f "
                "and §5.5.2 applies it to sigmoid, whose f' is 1/4 at 0"),
    ]  # fmt: skip
    return decided(
        not printed_fails, "monte-carlo",
        f"Across {SMALL['depth']} sigmoid layers the printed factor f'(y) (read as E[f'(y)]) "
        f"predicts layer-1 gradient variance {printed:.3e}; {r.draws} torch networks give "
        f"{l1.grad_mc:.3e} ± {l1.grad_tol:.1e}, the E[f'(y)²] recursion {l1.grad_theory:.3e}.",
        fix if r.agrees else None,
        readings=readings,
        printed_prediction=printed, corrected_prediction=l1.grad_theory, measured=l1.grad_mc,
        tolerance=l1.grad_tol, **_mc_summary(r),
    )


def check_eq5_25_26() -> CheckResult:
    """With f(0) = 0 and f'(0) = 1, n·Var[w] = 1 keeps both directions' variance (small q)."""
    out, ok = {}, True
    for name in ("tanh", "sigmoid_star", "sigmoid"):
        m = activation_moments(name)
        fwd = gaussian_expectation(m.square, Q_SMALL) / Q_SMALL
        bwd = gaussian_expectation(m.dsquare, Q_SMALL)
        out[name] = {"forward_gain_q0": fwd, "backward_gain_q0": bwd}
        if name != "sigmoid":
            ok &= abs(fwd - 1) < LIMIT_TOL and abs(bwd - 1) < LIMIT_TOL
    tanh_q1 = gaussian_expectation(activation_moments("tanh").square, 1.0)
    return decided(
        ok, "numeric",
        f"With n·Var[w] = 1, the per-layer forward gain E[f(y)²]/Var[y] and backward gain "
        f"E[f'(y)²] tend to 1 as Var[y] → 0 for tanh and Sigmoid* (hypothesis 1 holds); "
        f"for sigmoid they are {out['sigmoid']['forward_gain_q0']:.3g} and "
        f"{out['sigmoid']['backward_gain_q0']:.4f}. Outside the linear regime the gain drops "
        f"(tanh at Var[y] = 1: {tanh_q1:.4f}).",
        gains=out, tanh_forward_gain_q1=tanh_q1, q_small=Q_SMALL,
    )


def check_eq5_27() -> CheckResult:
    """2/(n_l + n_{l+1}) solves the averaged condition; torch's Xavier draws it."""
    n1, n2, v = sp.symbols("n1 n2 v", positive=True)
    sol = sp.solve(sp.Eq((n1 + n2) / 2 * v, 1), v)
    sym_ok = len(sol) == 1 and sp.simplify(sol[0] - 2 / (n1 + n2)) == 0
    draws, ok = {}, sym_ok
    gen = torch.Generator().manual_seed(0)
    for name, fn, kurt in (("xavier_uniform", torch.nn.init.xavier_uniform_, 1.8),
                           ("xavier_normal", torch.nn.init.xavier_normal_, 3.0)):  # fmt: skip
        w = fn(torch.empty(300, 700, dtype=torch.float64), generator=gen)
        target = 2 / 1000
        # s.e. of a sample variance: sqrt((kurtosis − 1)/N)·σ² (delta method)
        se = math.sqrt((kurt - 1) / w.numel()) * target
        got = float(w.var())
        draws[name] = {"sample_var": got, "target": target, "z": (got - target) / se}
        ok &= abs(got - target) <= 5 * se
    return decided(
        ok, "symbolic",
        f"sympy solves ((n_l + n_(l+1))/2)·Var[w] = 1 to Var[w] = {sol[0] if sol else '?'}, "
        "satisfying eqs. (5.25)-(5.26) exactly only when n_l = n_(l+1); torch's "
        "xavier_uniform_/xavier_normal_ on a 700→300 layer draw that variance "
        f"(z = {draws['xavier_uniform']['z']:.2f}, {draws['xavier_normal']['z']:.2f}).",
        torch_draws=draws,
    )


def check_eq5_28() -> CheckResult:
    s, d = sp.symbols("s d", positive=True)
    m = sp.Symbol("m", real=True)
    w, x = Normal("w", 0, s), Uniform("x", m - d, m + d)
    diff = sp.simplify(variance(w * x) - variance(w) * E(x**2))
    return decided(
        diff == 0, "symbolic",
        "sympy.stats: Var[w·x] − Var[w]·E[x²] simplifies to 0 for w ~ N(0, s²) and "
        "x ~ U(m−d, m+d) of any mean m. The hypothesis that makes (5.28) true is zero-mean "
        "weights independent of x (He et al. 2015), not zero-mean x as the text's item 1 "
        "says (with zero-mean x it is just eq. 5.20).",
        residual=str(diff),
    )

