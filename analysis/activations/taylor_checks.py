"""Checks of what 003 (Xu's thesis) says about activations' Taylor coefficients."""

from __future__ import annotations

import sympy
import torch
from cnnbench.analysis.activations.registry import ACTIVATIONS, BUILTIN, X, get_activation
from cnnbench.analysis.activations.taylor import expansion, slope_at_zero_plus
from cnnbench.analysis.claims import (
    CheckResult,
    Correction,
    decided,
    inconclusive,
    reading,
    refuted,
)

# 003 eq. (5.33) as printed: 1/2 + x/4 + x^2/48 + ...  (power -> coefficient)
PRINTED_5_33 = {0: sympy.Rational(1, 2), 1: sympy.Rational(1, 4), 2: sympy.Rational(1, 48)}
# Table 5.3 (CIFAR-100, 33-layer Inception without BN, Xavier init): which converged.
TABLE_5_3_CONVERGED = ("relu", "sigmoid_star", "tanh", "rrelu")
TABLE_5_3_FAILED = ("sigmoid",)
TRUNCATION_X = 0.5  # where the truncated series are compared with the function itself


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _term(coeffs) -> str:
    """The one non-zero term of ``coeffs`` as the series prints it (sign included)."""
    return format_series(coeffs, tail="")[len("f(x) = ") :]


def format_series(coeffs, tail: str = "+") -> str:
    """A power series in the texts' notation, built from its coefficients.

    Examples
    --------
    >>> format_series([sympy.Rational(1, 2), sympy.Rational(1, 4), 0, sympy.Rational(-1, 48)])
    'f(x) = 1/2 + x/4 − x³/48 + …'

    ``tail`` is the sign of the omitted rest ("" for none).
    """
    parts = []
    for k, c in enumerate(coeffs):
        if not c:
            continue
        c = sympy.Rational(c)
        power = "" if k == 0 else "x" if k == 1 else f"x{str(k).translate(_SUPERSCRIPT)}"
        mag = abs(c)
        if k == 0:
            body = str(mag)
        elif mag.p == 1:
            body = power if mag.q == 1 else f"{power}/{mag.q}"
        else:
            body = f"{mag.p}{power}" if mag.q == 1 else f"{mag.p}{power}/{mag.q}"
        sign = "−" if c < 0 else "+"
        parts.append(body if not parts and c > 0 else f"{sign} {body}" if parts else f"−{body}")
    return "f(x) = " + " ".join(parts) + (f" {tail} …" if tail else "")


def _poly(coeffs: dict[int, sympy.Expr]) -> sympy.Expr:
    return sum((c * X**k for k, c in coeffs.items()), sympy.S.Zero)


def check_eq_5_33() -> CheckResult:
    """Sigmoid's Maclaurin series vs 003 eq. (5.33) as printed, coefficient by coefficient."""
    true = expansion("sigmoid", 5).maclaurin
    rows = [{"power": k, "printed": str(c), "exact": str(true[k]), "holds": bool(c == true[k])}
            for k, c in PRINTED_5_33.items()]  # fmt: skip
    wrong = [r for r in rows if not r["holds"]]
    sigmoid = get_activation("sigmoid").expr
    printed, corrected = _poly(PRINTED_5_33), _poly({0: true[0], 1: true[1], 3: true[3]})
    err = {name: float(abs(p.subs(X, TRUNCATION_X) - sigmoid.subs(X, TRUNCATION_X)))
           for name, p in (("printed", printed), ("corrected", corrected))}  # fmt: skip
    # Which printed term would be right after one edit: same magnitude elsewhere in the series.
    sizes = {abs(sympy.sympify(r["printed"])) for r in wrong}
    moves = [f"x^{k} with coefficient {c}" for k, c in enumerate(true) if c and abs(c) in sizes]
    series = " + ".join(f"({c})·x^{k}" for k, c in enumerate(true) if c)
    shown = "; ".join(f"the printed x^{r['power']} coefficient {r['printed']} (exact"
                      f" {r['exact']})" for r in wrong) or "none"  # fmt: skip
    summary = (
        f"sympy's series of 1/(1+e^-x) at 0 is {series} + …; printed terms that do not match:"
        f" {shown}. At x = {TRUNCATION_X} the printed {len(PRINTED_5_33)} terms miss sigmoid by"
        f" {err['printed']:.2e}, the corrected ones by {err['corrected']:.2e}."
    )
    if not wrong:
        return decided(True, "symbolic", summary, coefficients=rows)
    bound = TRUNCATION_X**5 * abs(true[5])  # alternating series: error below the next term
    if err["corrected"] >= bound:
        return inconclusive("symbolic", summary + " The corrected form failed its own check.")
    edits = []
    for r in wrong:  # the true term of the same magnitude the printed one stands for
        printed_c = sympy.sympify(r["printed"])
        k, c = next(
            ((k, c) for k, c in enumerate(true) if c and abs(c) == abs(printed_c)),
            (r["power"], true[r["power"]]),
        )
        changes = [f"exponent {r['power']}→{k}"] if k != r["power"] else []
        changes += (
            ["sign + → −" if c < 0 < printed_c else "sign − → +"]
            if ((c < 0) != (printed_c < 0))
            else []
        )
        was = _term([0] * r["power"] + [printed_c])
        edits.append(
            f"'{was}' → '{_term([0] * k + [c])}' ({' and '.join(changes)}:"
            f" {len(changes)} edit{'s' if len(changes) != 1 else ''} in one term)"
        )
    longer = expansion("sigmoid", 9).maclaurin  # the sign of the first omitted term
    omitted = next(c for c in longer[6:] if c)
    corrected_series = format_series(true[:6], tail="−" if omitted < 0 else "+")
    return refuted(
        "symbolic",
        summary + " Reconciling it: " + "; ".join(edits) + ".",
        Correction(
            corrected_series,
            "generated from sympy.series to order 5; the truncation error at x = 0.5 "
            f"({err['corrected']:.2e}) is below the next term's size 0.5⁵·{abs(true[5])} ="
            f" {bound:.2e}.",
        ),
        readings=[
            reading("the series as printed, term by term", False, wrong_terms=len(wrong)),
            reading("the x^2 term read as a misprinted x^3 term (superscript), sign as printed",
                    False, note="the x^3 coefficient is -1/48: the sign is wrong too"),
            reading("a truncated expansion whose terms need not be exact", False,
                    reasonable=False, why="an expansion's printed terms are its coefficients; "
                    "the printed x^2 term makes the approximation worse than 1/2 + x/4 alone"),
        ],
        coefficients=rows,
        same_magnitude_terms=moves,
        truncation_error_at_half=err,
        edits=edits,
    )


def check_eq_5_34() -> CheckResult:
    """f'(0) = 0.25 for sigmoid: the x coefficient of (5.33), and autograd at 0."""
    c1 = expansion("sigmoid", 1).maclaurin[1]
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    return decided(
        c1 == sympy.Rational(1, 4) and float(g) == 0.25,
        "symbolic",
        f"The x coefficient of sigmoid's Maclaurin series is {c1}, and torch autograd gives "
        f"sigmoid'(0) = {float(g):g} in float64.",
        coefficient=str(c1),
        autograd=float(g),
    )


def check_eq_5_36() -> CheckResult:
    """Sigmoid* = 4·sigmoid − 2 has f(0) = 0 and f'(0) = 1; compare with tanh beyond that."""
    star = expansion("sigmoid_star", 5).maclaurin
    tanh = expansion("tanh", 5).maclaurin
    first_diff = next((k for k in range(6) if star[k] != tanh[k]), None)
    return decided(
        star[0] == 0 and star[1] == 1,
        "symbolic",
        f"Sigmoid*'s series at 0 is {star[1]}·x + ({star[3]})·x³ + ({star[5]})·x⁵ + … (constant "
        f"{star[0]}): zero mean output at 0 and slope 1, which is what Xavier's initialisation "
        f"assumes; sigmoid's slope 1/4 is gone. It agrees with tanh to first order only: the "
        f"x^{first_diff} coefficients are {star[first_diff]} vs {tanh[first_diff]}.",
        sigmoid_star=[str(c) for c in star],
        tanh=[str(c) for c in tanh],
        first_differing_power=first_diff,
    )


def check_observation_2() -> CheckResult:
    """003 §5.7 obs. 2, coefficient side: Table 5.3's converging activations have slope 1 at 0⁺."""
    slopes = {name: str(slope_at_zero_plus(name)) for name, a in ACTIVATIONS.items()
              if a.elementwise and name in BUILTIN}  # fmt: skip  (a plugin never changes a claim)
    converged = {n: slopes[n] for n in TABLE_5_3_CONVERGED}
    failed = {n: slopes[n] for n in TABLE_5_3_FAILED}
    holds = all(v == "1" for v in converged.values()) and all(v != "1" for v in failed.values())
    ones = sorted(n for n, v in slopes.items() if v == "1")
    return decided(
        holds,
        "symbolic",
        "Coefficient of x at 0⁺ (sympy, right branch): the activations Table 5.3 reports as "
        f"converging ({', '.join(TABLE_5_3_CONVERGED)}) all have 1; sigmoid, which failed, has "
        f"{failed['sigmoid']}. Slope 1 at 0⁺ in the registry: {', '.join(ones)}. Whether these "
        "train from random initialisation here is the training experiment's claim.",
        slopes_at_0_plus=slopes,
        table_5_3_converged=converged,
        table_5_3_failed=failed,
    )
