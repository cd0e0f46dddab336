"""Symbolic proofs about the output-size formulas (sympy, integer symbols, floor semantics).

Each proof returns a :class:`Proof`: whether it went through and the steps,
as text a reader can follow. Nothing here samples values: every step is an
identity sympy simplifies to zero, or a sign sympy decides from the
symbols' assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from cnnbench.analysis.shapes.formulas import (
    conv_output_size_expr,
    conv_transpose_output_size_expr,
    pool_output_size_expr,
)

__all__ = [
    "Proof",
    "prove_division_algorithm",
    "prove_full_padding",
    "prove_half_padding",
    "prove_no_overlap_pool",
    "prove_texts_conv_forms_agree",
]

# The texts' letters: input width W1, kernel F, padding P, stride S.
W1 = sympy.Symbol("W1", integer=True, positive=True)
F = sympy.Symbol("F", integer=True, positive=True)
P = sympy.Symbol("P", integer=True, nonnegative=True)
S = sympy.Symbol("S", integer=True, positive=True)


@dataclass(frozen=True)
class Proof:
    """The outcome of a symbolic argument: did every step hold, and what were they."""

    holds: bool
    steps: tuple[str, ...]


def _zero(expr: sympy.Expr) -> bool:
    return sympy.simplify(expr) == 0


def prove_texts_conv_forms_agree() -> Proof:
    """001 eq. (2.2) at dilation 1 and ``W2 = (W1 - F + 2P)/S + 1`` (002, 004), both floored.

    Examples
    --------
    >>> prove_texts_conv_forms_agree().holds
    True
    """
    eq22 = conv_output_size_expr(W1, F, S, P, 1)
    w2 = sympy.floor((W1 - F + 2 * P) / S) + 1
    stride_only = sympy.floor((W1 - F) / S) + 1  # 002 "Stride": (H - K)/S + 1, no padding
    holds = _zero(eq22 - w2) and _zero(w2.subs(P, 0) - stride_only)
    return Proof(
        holds,
        (
            f"001 eq. (2.2), dilation=1, floored: {eq22}",
            f"002/004 W2 floored: {w2}",
            f"simplify(difference) = {sympy.simplify(eq22 - w2)} for all integers W1, F, P, S>0",
            f"002 'Stride' form (P=0): {stride_only}; W2 at P=0 minus it = "
            f"{sympy.simplify(w2.subs(P, 0) - stride_only)}",
        ),
    )


def prove_division_algorithm() -> Proof:
    """The printed, unfloored ``(W1 - F + 2P)/S + 1`` equals the floored one iff S divides.

    Write ``W1 - F + 2P = q*S + r`` with integers ``q >= 0`` and ``0 <= r < S``
    (the division algorithm). Then ``floor((q*S + r)/S) = q`` because
    ``(q*S + r)/S - q = r/S >= 0`` and ``q + 1 - (q*S + r)/S = u/S > 0`` with
    ``u = S - r >= 1``; and unfloored minus floored is ``r/S``, zero iff ``r = 0``.

    Examples
    --------
    >>> prove_division_algorithm().holds
    True
    """
    q = sympy.Symbol("q", integer=True, nonnegative=True)
    r = sympy.Symbol("r", integer=True, nonnegative=True)
    u = sympy.Symbol("u", integer=True, positive=True)  # u = S - r >= 1 encodes r < S
    x = (q * S + r) / S
    lower = sympy.simplify(x - q)
    upper = sympy.simplify((q + 1 - x).subs(r, S - u))
    gap = sympy.simplify(x + 1 - (q + 1))  # unfloored minus floored, given floor(x) = q
    holds = bool(lower.is_nonnegative) and bool(upper.is_positive) and _zero(gap - r / S)
    holds = holds and sympy.solve(sympy.Eq(gap, 0), r) == [0]
    return Proof(
        holds,
        (
            "W1 - F + 2P = q*S + r, q >= 0, 0 <= r < S (write r = S - u, u >= 1)",
            f"(q*S + r)/S - q = {lower} >= 0: {lower.is_nonnegative}",
            f"q + 1 - (q*S + r)/S = {upper} > 0: {upper.is_positive}",
            "hence floor((W1 - F + 2P)/S) = q and the floored W2 = q + 1",
            f"unfloored W2 - floored W2 = {gap}, which is 0 iff r = 0, i.e. iff S divides "
            "W1 - F + 2P; otherwise the printed form is not an integer",
        ),
    )


def prove_no_overlap_pool() -> Proof:
    """Pooling with stride = kernel (no overlap) gives ``floor(W1 / F)``.

    Examples
    --------
    >>> prove_no_overlap_pool().holds
    True
    """
    general = pool_output_size_expr(W1, F, F, 0, 1)
    printed_general = (W1 - F) / F  # 002's (W1 - F)/S at S = F, as printed (no +1)
    holds = _zero(general - sympy.floor(W1 / F))
    return Proof(
        holds,
        (
            f"torch's pooling size at S=F, P=0: {general}",
            f"minus floor(W1/F) simplifies to {sympy.simplify(general - sympy.floor(W1 / F))}",
            "so 002's 'no overlap' W2 = W1/F holds with floor (exactly when F divides W1)",
            f"002's printed general (W1-F)/S at S=F is {sympy.expand(printed_general)}: "
            "one less, so the two printed pooling lines contradict each other",
        ),
    )


def prove_half_padding() -> Proof:
    """Stride 1 with padding ``(K-1)/2`` keeps the size for odd K.

    No symmetric integer padding keeps it for even K.

    Examples
    --------
    >>> prove_half_padding().holds
    True
    """
    n = sympy.Symbol("n", integer=True, positive=True)
    j = sympy.Symbol("j", integer=True, nonnegative=True)
    odd = conv_output_size_expr(n, 2 * j + 1, 1, j, 1)
    even_low = conv_output_size_expr(n, 2 * j + 2, 1, j, 1)
    even_high = conv_output_size_expr(n, 2 * j + 2, 1, j + 1, 1)
    holds = _zero(odd - n) and _zero(even_low - (n - 1)) and _zero(even_high - (n + 1))
    return Proof(
        holds,
        (
            f"odd K = 2j+1, P = j: output {odd} (= input)",
            f"even K = 2j+2: P = j gives {even_low}, P = j+1 gives {even_high}; "
            "(K-1)/2 = j + 1/2 is not an integer",
        ),
    )


def prove_full_padding() -> Proof:
    """Padding ``K-1`` grows the input by ``2(K-1)`` and the output to ``H + K - 1``.

    The same size as a stride-1 transposed convolution of the input (the
    "reverse" convolution of 002).

    Examples
    --------
    >>> prove_full_padding().holds
    True
    """
    h = sympy.Symbol("H", integer=True, positive=True)
    k = sympy.Symbol("K", integer=True, positive=True)
    padded = h + 2 * (k - 1)
    out = conv_output_size_expr(h, k, 1, k - 1, 1)
    transposed = conv_transpose_output_size_expr(h, k, 1, 0, 0, 1)
    holds = _zero(out - (h + k - 1)) and _zero(out - transposed)
    return Proof(
        holds,
        (
            f"padded size H + 2(K-1) = {sympy.expand(padded)}",
            f"stride-1 conv output with P = K-1: {out}",
            f"stride-1 transposed conv output with P = 0: {transposed}; difference "
            f"{sympy.simplify(out - transposed)}",
        ),
    )
