"""How each kind of user claim is decided, with the project's oracles.

``identity``: sympy simplifies ``lhs - rhs`` to 0 (confirmed) or a seeded search over
points respecting ``assume`` finds one where the two differ by more than
:data:`REL_TOL` (refuted, the point is the evidence); neither: inconclusive.
``value``: the expression to 30 digits against ``value``. ``series``: sympy's Maclaurin
coefficients, exactly (or to :data:`REL_TOL` for a float). ``output-size``: torch runs
the op. ``params``/``macs``: :mod:`cnnbench.analysis.profile` (FlopCounterMode cross-checks
the MACs). ``gain``/``fixed-point``: :mod:`cnnbench.analysis.variance` (Gaussian quadrature).
"""

from __future__ import annotations

import math
import random
from typing import Any

import sympy
from cnnbench.analysis.claims._core import CheckResult, decided, inconclusive, reading

REL_TOL = 1e-9  # float comparisons of values computed to 30 digits (sympy) or by quadrature
QUAD_TOL = 1e-6  # default tolerance of gain / fixed-point values (quadrature, brentq)
POINTS = 200  # random points tried for an identity's counterexample
_NAMESPACE = {"E": sympy.E, "pi": sympy.pi, "I": sympy.I, "oo": sympy.oo}
_SIGN = {">": "positive", ">=": "nonnegative", "<": "negative", "<=": "nonpositive",
         "!=": "nonzero"}  # fmt: skip


def parse_expr(text: str, assume: tuple[str, ...] = ()) -> sympy.Expr:
    """``text`` as a sympy expression; every free symbol real (plus ``assume``).

    >>> parse_expr("exp(x) - 1")
    exp(x) - 1
    """
    import re

    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication,
        standard_transformations,
    )
    from sympy.parsing.sympy_parser import (
        parse_expr as sp_parse,
    )

    flags: dict[str, dict[str, bool]] = {}
    for a in assume:
        m = re.match(r"^\s*([A-Za-z_]\w*)\s*(>=|<=|>|<|!=)\s*0\s*$", a)
        flags.setdefault(m.group(1), {})[_SIGN[m.group(2)]] = True
    trans = (*standard_transformations, implicit_multiplication, convert_xor)
    try:
        expr = sp_parse(text, local_dict=dict(_NAMESPACE), transformations=trans)
    except Exception as exc:  # sympy raises many types for bad text
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"it is a {type(expr).__name__}, not an expression")
    subs = {s: sympy.Symbol(s.name, real=True, **flags.get(s.name, {}))
            for s in expr.free_symbols}  # fmt: skip
    return expr.xreplace(subs)


def _point(symbols, rng: random.Random) -> dict:
    pt = {}
    for s in symbols:
        scale = 10 ** rng.uniform(-2, 1)
        v = rng.choice((-1, 1)) * scale
        if s.is_positive or s.is_nonnegative:
            v = abs(v)
        elif s.is_negative or s.is_nonpositive:
            v = -abs(v)
        pt[s] = sympy.Float(v, 30)
    return pt


def identity(lhs: str, rhs: str, assume: list[str] | None = None) -> CheckResult:
    assume_t = tuple(assume or ())
    a, b = parse_expr(lhs, assume_t), parse_expr(rhs, assume_t)
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    cond = f" for {', '.join(assume_t)}" if assume_t else ""
    if sympy.simplify(a - b) == 0:
        return decided(True, "symbolic", f"sympy simplifies ({lhs}) - ({rhs}) to 0 for every "
                       f"real value of {', '.join(map(str, symbols)) or 'no symbol'}{cond}.")
    rng = random.Random(0)
    tried = 0
    for _ in range(POINTS):
        pt = _point(symbols, rng)
        va, vb = complex(a.evalf(30, subs=pt)), complex(b.evalf(30, subs=pt))
        if not all(map(math.isfinite, (va.real, va.imag, vb.real, vb.imag))):
            continue
        tried += 1
        if abs(va - vb) > REL_TOL * max(1.0, abs(va), abs(vb)):
            where = {str(s): float(v) for s, v in pt.items()}
            return decided(False, "symbolic", f"At {where} the left side is {_c(va)} and the "
                           f"right side {_c(vb)}: the identity fails{cond}.", point=where,
                           lhs=_c(va), rhs=_c(vb))  # fmt: skip
    return inconclusive("numeric", f"sympy could not simplify the difference to 0, and at "
                        f"{tried} random points{cond} the two sides agree within {REL_TOL:g}.",
                        points=tried)  # fmt: skip


def _c(z: complex) -> float | str:
    return z.real if z.imag == 0 else str(z)


def _close(got: float, stated: float, tol: float | None, digits: int | None) -> tuple[bool, str]:
    if digits is not None:
        rounded = float(f"{got:.{digits - 1}e}")
        return rounded == float(f"{stated:.{digits - 1}e}"), f"{digits} significant digits"
    tol = REL_TOL * max(1.0, abs(stated)) if tol is None else tol
    return abs(got - stated) <= tol, f"tolerance {tol:g}"


def value(expr: str, stated: float, tolerance: float | None = None,
          digits: int | None = None) -> CheckResult:  # fmt: skip
    e = parse_expr(expr)
    if e.free_symbols:
        return inconclusive("symbolic", f"{expr} has free symbols "
                            f"{sorted(map(str, e.free_symbols))}: it has no single value.")
    got = complex(e.evalf(30))
    if got.imag != 0 or not math.isfinite(got.real):
        return decided(False, "symbolic", f"{expr} = {got} is not a finite real number.",
                       computed=str(got))  # fmt: skip
    ok, how = _close(got.real, stated, tolerance, digits)
    return decided(ok, "symbolic", f"{expr} evaluates to {got.real!r} (30 digits); the stated "
                   f"{stated!r} {'agrees' if ok else 'differs'} at {how}.",
                   computed=got.real, stated=stated)  # fmt: skip


def series(expr: str, order: int, coefficients: list, variable: str = "x") -> CheckResult:
    e = parse_expr(expr)
    x = next((s for s in e.free_symbols if s.name == variable), sympy.Symbol(variable, real=True))
    poly = sympy.series(e, x, 0, order + 1).removeO()
    got = [sympy.nsimplify(sympy.simplify(poly.coeff(x, k))) if k else
           sympy.simplify(poly.subs(x, 0)) for k in range(order + 1)]  # fmt: skip
    bad = []
    for k, (g, s) in enumerate(zip(got, coefficients, strict=True)):
        if isinstance(s, str):
            same = sympy.simplify(g - parse_expr(s)) == 0
        else:
            gv = complex(g.evalf(30))
            same = gv.imag == 0 and abs(gv.real - s) <= REL_TOL * max(1.0, abs(s))
        if not same:
            bad.append({"power": k, "stated": s, "computed": str(g)})
    text = ", ".join(map(str, got))
    return decided(not bad, "symbolic", f"sympy's Maclaurin coefficients of {expr} in "
                   f"{variable} up to order {order}: {text}; "
                   + ("the stated ones agree." if not bad else
                      f"{len(bad)} differ, first at {variable}^{bad[0]['power']}."),
                   computed=[str(g) for g in got], differences=bad)  # fmt: skip


def output_size(op: str, input: int, kernel: int, size: int, stride: int | None = None,
                padding: int = 0, dilation: int = 1, ceil_mode: bool = False,
                output_padding: int = 0) -> CheckResult:  # fmt: skip
    import torch
    import torch.nn.functional as F

    x = torch.zeros((1, 1, input))  # (N, C, L)
    st = stride if stride is not None else (kernel if op.endswith("pool") else 1)
    call = {"conv": lambda: F.conv1d(x, torch.zeros(1, 1, kernel), None, st, padding,
                                     dilation),
            "conv_transpose": lambda: F.conv_transpose1d(x, torch.zeros(1, 1, kernel), None,
                                                         st, padding, output_padding, 1,
                                                         dilation),
            "max_pool": lambda: F.max_pool1d(x, kernel, st, padding, dilation,
                                             ceil_mode=ceil_mode),
            "avg_pool": lambda: F.avg_pool1d(x, kernel, st, padding,
                                             ceil_mode=ceil_mode)}[op]  # fmt: skip
    setting = (f"{op}, input {input}, kernel {kernel}, stride {st}, padding {padding}, dilation "
               f"{dilation}" + (f", ceil_mode {ceil_mode}" if op.endswith("pool") else "")
               + (f", output_padding {output_padding}" if op == "conv_transpose" else ""))
    try:
        got = int(call().shape[-1])
    except RuntimeError as exc:
        msg = str(exc).splitlines()[0]
        return decided(False, "framework", f"torch {torch.__version__} refuses {setting}: "
                       f"{msg}", torch_error=msg,
                       readings=[reading(f"output size {size}", False, torch="refused")])
    return decided(got == size, "framework", f"torch {torch.__version__} gives output size "
                   f"{got} for {setting}; the claim states {size}.", computed=got,
                   stated=size, torch=torch.__version__)  # fmt: skip


def _ratio_ok(got: int, stated: float, rel: float) -> bool:
    return abs(got - stated) <= rel * abs(stated)


def params(network: str, input: str, value: float, biases: bool = True,
           rel_tolerance: float = 0.0) -> CheckResult:  # fmt: skip
    from cnnbench.analysis.profile.profile import profile_network
    from cnnbench.analysis.profile.source import build_model, parse_input, resolve

    source = resolve(network, "network")
    prof = profile_network(source, parse_input(input, "input"))
    model = build_model(source, "meta")
    bias = sum(p.numel() for n, p in model.named_parameters() if n.rsplit(".", 1)[-1] == "bias")
    with_b, without_b = prof.params, prof.params - bias
    got = with_b if biases else without_b
    other = without_b if biases else with_b
    ok = _ratio_ok(got, value, rel_tolerance)
    readings = [reading(f"parameters {'with' if biases else 'without'} biases (as declared)", ok,
                        computed=got),
                reading(f"parameters {'without' if biases else 'with'} biases", _ratio_ok(
                    other, value, rel_tolerance), computed=other, reasonable=False,
                    why="the claim declares its convention")]  # fmt: skip
    return decided(ok, "framework", f"{network} has {with_b:,} parameters ({bias:,} of them "
                   f"biases), sum of p.numel() over the built model; counted "
                   f"{'with' if biases else 'without'} biases: {got:,} against the stated "
                   f"{value:,g} (relative tolerance {rel_tolerance:g}).", computed=got,
                   stated=value, readings=readings)  # fmt: skip


def macs(network: str, input: str, value: float, unit: str = "mac",
         rel_tolerance: float = 0.0) -> CheckResult:  # fmt: skip
    from cnnbench.analysis.profile.profile import profile_network
    from cnnbench.analysis.profile.source import parse_input, resolve

    prof = profile_network(resolve(network, "network"), parse_input(input, "input"))
    scale = 2 if unit == "flop" else 1
    got = scale * prof.macs
    ok = _ratio_ok(got, value, rel_tolerance) and prof.macs == prof.torch_macs
    return decided(ok, "framework", f"{network} at {input} costs {prof.macs:,} MACs per sample "
                   f"(FlopCounterMode: {prof.torch_macs:,}); in {unit}s {got:,} against the "
                   f"stated {value:,g} (relative tolerance {rel_tolerance:g}).", computed=got,
                   torch_macs=prof.torch_macs, stated=value)  # fmt: skip


def gain(activation: str, quantity: str, value: float, sigma_w: float | None = None,
         sigma_b: float = 0.0, tolerance: float = QUAD_TOL) -> CheckResult:  # fmt: skip
    from cnnbench.analysis.variance.gain import critical_gain, gain_row
    from cnnbench.analysis.variance.maps import fixed_point

    if quantity == "chi":
        got = fixed_point(activation, sigma_w**2, sigma_b**2).chi
        what = f"χ at the fixed point for σ_w = {sigma_w:g}, σ_b = {sigma_b:g}"
    elif quantity == "critical":
        got, what = critical_gain(activation), "the critical σ_w (χ(q*) = 1, σ_b = 0)"
    else:
        row = gain_row(activation)
        got = {"forward": row.forward, "backward": row.backward, "torch": row.torch_gain}[quantity]
        what = f"the {quantity} gain"
    if got is None or not math.isfinite(got):
        return decided(False, "numeric", f"{activation} has no finite {what} ({got}).",
                       computed=None if got is None else str(got), stated=value)  # fmt: skip
    ok = abs(got - value) <= tolerance
    return decided(ok, "numeric", f"For {activation}, {what} is {got!r} (Gaussian quadrature); "
                   f"the stated {value!r} {'agrees' if ok else 'differs'} within {tolerance:g}.",
                   computed=got, stated=value)  # fmt: skip


def fixed_point(activation: str, sigma_w: float, sigma_b: float = 0.0, q: float | None = None,
                regime: str | None = None, tolerance: float = QUAD_TOL) -> CheckResult:  # fmt: skip
    from cnnbench.analysis.variance.maps import fixed_point as fp_of

    fp = fp_of(activation, sigma_w**2, sigma_b**2)
    ok_regime = regime is None or fp.regime == regime
    ok_q = q is None or (math.isfinite(fp.q) and abs(fp.q - q) <= tolerance)
    got: Any = fp.q if math.isfinite(fp.q) else str(fp.q)
    return decided(ok_regime and ok_q, "numeric", f"Iterating the forward map of {activation} "
                   f"with σ_w = {sigma_w:g}, σ_b = {sigma_b:g} from q = 1 reaches q* = {got} "
                   f"(regime {fp.regime}); the claim states"
                   + (f" q* = {q!r}" if q is not None else "")
                   + (f" regime {regime}" if regime else "") + f" (tolerance {tolerance:g}).",
                   computed=got, regime=fp.regime)  # fmt: skip
