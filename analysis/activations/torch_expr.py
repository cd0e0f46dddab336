"""Evaluate a sympy expression in ``x`` with torch, elementwise, in any dtype.

sympy's ``lambdify(..., "torch")`` prints ``Max(0, x)`` as ``torch.max(0, x)``,
which torch refuses, and has no rule for ``Piecewise``; this small evaluator
walks the expression tree instead and supports what an activation is written
with: arithmetic and powers, ``exp log sqrt tanh sinh cosh sin cos atan erf erfc
Abs sign Heaviside Max Min Piecewise`` and comparisons.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sympy
import torch
from torch import Tensor

_UNARY: dict[type, Callable[[Tensor], Tensor]] = {
    sympy.exp: torch.exp, sympy.log: torch.log, sympy.tanh: torch.tanh,
    sympy.sinh: torch.sinh, sympy.cosh: torch.cosh, sympy.sin: torch.sin,
    sympy.cos: torch.cos, sympy.atan: torch.atan, sympy.erf: torch.erf,
    sympy.erfc: torch.erfc, sympy.Abs: torch.abs, sympy.sign: torch.sign,
}  # fmt: skip
_COMPARE = {sympy.StrictLessThan: torch.lt, sympy.LessThan: torch.le,
            sympy.StrictGreaterThan: torch.gt, sympy.GreaterThan: torch.ge}  # fmt: skip
SUPPORTED = tuple(sorted({f.__name__ for f in _UNARY} | {"Heaviside", "Max", "Min",
                                                         "Piecewise"}))  # fmt: skip


class UnsupportedExpression(ValueError):
    """The expression uses a function this evaluator has no torch form for."""


def torch_function(expr: sympy.Expr, x: sympy.Symbol) -> Callable[[Tensor], Tensor]:
    """A torch callable computing ``expr`` elementwise at a tensor of ``x`` values.

    The expression is translated once into nested closures over torch operations
    (constants folded to Python floats, which keep the tensor's dtype), so a call
    costs what the operations cost and ``torch.compile`` traces it without breaks.

    Examples
    --------
    >>> x = sympy.Symbol("x", real=True)
    >>> f = torch_function(sympy.Max(0, x) + sympy.Piecewise((x**2, x < 0), (1, True)), x)
    >>> f(torch.tensor([-2.0, 3.0])).tolist()  # bit-exact: small integers
    [4.0, 4.0]
    """
    _check(expr, x)
    g = _build(expr, x)

    def f(t: Tensor) -> Tensor:
        out = g(t)
        if not isinstance(out, Tensor):
            return torch.full_like(t, out)
        return out if out.shape == t.shape else out.expand_as(t).clone()

    return f


def _check(expr: sympy.Basic, x: sympy.Symbol) -> None:
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function) and type(node) not in _UNARY and not isinstance(
            node, (sympy.Max, sympy.Min, sympy.Heaviside, sympy.Piecewise)
        ):
            raise UnsupportedExpression(
                f"{type(node).__name__} has no torch form here; use {', '.join(SUPPORTED)}"
            )


Value = Tensor | float
Node = Callable[[Tensor], Value]


def _fold(op: Callable[[Value, Value], Value], parts: list[Node]) -> Node:
    return lambda t: functools.reduce(op, (p(t) for p in parts))


def _tensor(v: Value, t: Tensor) -> Tensor:
    return v if isinstance(v, Tensor) else torch.full_like(t, v)


def _build(e: sympy.Basic, x: sympy.Symbol) -> Node:
    """``e`` as a closure of ``t`` (the tensor of x values)."""
    if e == x:
        return lambda t: t
    if e.is_number:  # no free symbols: fold now
        c = float(e)
        return lambda t: c
    if isinstance(e, sympy.Piecewise):
        pieces = [(_build(value, x), _condition(cond, x)) for value, cond in e.args]

        def piecewise(t: Tensor) -> Value:
            out = None
            for value, cond in reversed(pieces):  # the first true condition wins
                v = value(t)
                out = v if out is None or cond is None else torch.where(cond(t), v, out)
            return out

        return piecewise
    parts = [_build(a, x) for a in e.args]
    if isinstance(e, sympy.Add):
        return _fold(lambda a, b: a + b, parts)
    if isinstance(e, sympy.Mul):
        return _fold(lambda a, b: a * b, parts)
    if isinstance(e, sympy.Pow):
        base, power = parts
        if e.args[1].is_number:
            k = float(e.args[1])
            special = {2.0: lambda v: v * v, 0.5: torch.sqrt, -1.0: torch.reciprocal}
            if k in special:  # the cheaper kernel (pow is a general one)
                op = special[k]
                return lambda t: op(_tensor(base(t), t))
            return lambda t: torch.pow(base(t), k)
        return lambda t: torch.pow(_tensor(base(t), t), power(t))
    if type(e) in _UNARY:
        fn, (arg,) = _UNARY[type(e)], parts
        return lambda t: fn(_tensor(arg(t), t))
    if isinstance(e, sympy.Max | sympy.Min):
        op = torch.maximum if isinstance(e, sympy.Max) else torch.minimum
        return _fold(lambda a, b: op(_tensor(a, b if isinstance(b, Tensor) else a), _tensor(
            b, a if isinstance(a, Tensor) else b)), parts)  # fmt: skip
    if isinstance(e, sympy.Heaviside):
        arg = parts[0]
        at0 = parts[1] if len(parts) > 1 else (lambda t: 0.5)
        return lambda t: torch.where(arg(t) > 0, 1.0, torch.where(arg(t) < 0, 0.0, at0(t)))
    raise UnsupportedExpression(f"{e} has no torch form here; use {', '.join(SUPPORTED)}")


def _condition(c: sympy.Basic, x: sympy.Symbol) -> Callable[[Tensor], Tensor] | None:
    """A closure giving the boolean tensor of ``c``; None for a condition that is always true."""
    if c is sympy.true:
        return None
    if c is sympy.false:
        return lambda t: torch.zeros_like(t, dtype=torch.bool)
    if type(c) in _COMPARE:
        op, (a, b) = _COMPARE[type(c)], (_build(arg, x) for arg in c.args)
        return lambda t: op(_tensor(a(t), t), b(t))
    if isinstance(c, sympy.And | sympy.Or):
        op = torch.logical_and if isinstance(c, sympy.And) else torch.logical_or
        conds = [_condition(a, x) for a in c.args]
        always = lambda t: torch.ones_like(t, dtype=torch.bool)  # noqa: E731
        return _fold(op, [k or always for k in conds])
    raise UnsupportedExpression(f"condition {c} has no torch form here")
