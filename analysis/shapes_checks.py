"""Checks of the texts' output-size formulas: symbolic proofs plus torch on ``meta``.

Every check returns a :class:`~analysis.claims.CheckResult`. Torch is the
oracle for sizes (``torch_output_size`` on the meta device); sympy for the
identities (:mod:`analysis.shapes_proofs`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from functools import cache

import torch

from analysis.claims import CheckResult, Correction, decided
from analysis.shapes_proofs import (
    prove_division_algorithm,
    prove_full_padding,
    prove_half_padding,
    prove_no_overlap_pool,
    prove_texts_conv_forms_agree,
)
from analysis.shapes_sweep import torch_output_size

# A small grid of valid settings for the texts' (dilation-free) formulas:
# widths 1..40, kernels 1..7, strides 1..5, paddings 0..3.
TEXT_GRID = tuple(itertools.product(range(1, 41), range(1, 8), range(1, 6), range(0, 4)))


@cache
def torch_conv_size(w1: int, f: int, s: int, p: int) -> int | str:
    return torch_output_size(
        "conv", {"size": w1, "kernel": f, "stride": s, "padding": p, "dilation": 1}
    )


@cache
def torch_pool_size(w1: int, f: int, s: int, p: int = 0, ceil_mode: bool = False) -> int | str:
    config = {"size": w1, "kernel": f, "stride": s, "padding": p, "ceil_mode": ceil_mode}
    return torch_output_size("maxpool", {**config, "dilation": 1})


def check_texts_conv_forms_agree() -> CheckResult:
    """001 eq. (2.2) at dilation 1 against 002/004's W2, both floored: a sympy identity."""
    forms, division = prove_texts_conv_forms_agree(), prove_division_algorithm()
    return decided(
        forms.holds and division.holds,
        "symbolic",
        "With floor semantics, 001 eq. (2.2) at dilation 1 and 002/004's W2 = (W1-F+2P)/S+1 "
        "are the same expression for all integers (sympy: difference simplifies to 0); "
        "unfloored, as printed, both are integers exactly when S divides W1-F+2P "
        "(division-algorithm proof).",
        proof=list(forms.steps),
        division_algorithm=list(division.steps),
    )


def check_printed_unfloored(
    printed: Callable[[int, int, int, int], Fraction],
    name: str,
    corrected: str,
    padded: bool = True,
):
    """A check that a printed (unfloored) conv size formula matches torch on the text grid.

    ``corrected`` is the floored form in the text's own letters; ``padded=False``
    restricts the grid to zero padding (for a form without P).
    """
    grid = [c for c in TEXT_GRID if padded or c[3] == 0]

    def check() -> CheckResult:
        agree = differ = 0
        example = None
        for w1, f, s, p in grid:
            size = torch_conv_size(w1, f, s, p)
            if isinstance(size, str):
                continue  # kernel larger than the padded input: no formula applies
            if printed(w1, f, s, p) == size:
                agree += 1
            else:
                differ += 1
                shown = str(printed(w1, f, s, p))
                example = example or {"W1": w1, "F": f, "S": s, "P": p, "printed": shown,
                                      "torch": size}  # fmt: skip
        division = prove_division_algorithm()
        floored_ok = all(
            math.floor(printed(w1, f, s, p)) == torch_conv_size(w1, f, s, p)
            for w1, f, s, p in grid
            if not isinstance(torch_conv_size(w1, f, s, p), str)
        )
        correction = Correction(
            f"{name} = {corrected}; the printed form holds exactly when the stride divides "
            "the numerator (one small edit: floor brackets around the quotient)",
            f"sympy division-algorithm proof; the floored form equals torch (meta) on all "
            f"{agree + differ} valid settings of the grid: {floored_ok}",
        )
        return decided(
            differ == 0,
            "exhaustive",
            f"The printed {name} (no floor) equals torch's output size on {agree} of "
            f"{agree + differ} valid settings (W1<=40, F<=7, S<=5, P<={3 if padded else 0}); "
            "elsewhere it is a "
            "fraction and torch rounds down.",
            correction if floored_ok and division.holds else None,
            agree=agree,
            differ=differ,
            first_difference=example,
            division_algorithm=list(division.steps),
        )

    return check


def check_bilici_pooling_formula() -> CheckResult:
    """002 prints the pooling size as (W1 - F)/S, without the +1."""
    printed_ok = floored_ok = total = 0
    for w1, f, s, _ in TEXT_GRID:
        size = torch_pool_size(w1, f, s)
        if isinstance(size, str):
            continue
        total += 1
        printed_ok += Fraction(w1 - f, s) == size
        floored_ok += (w1 - f) // s + 1 == size
    no_overlap = prove_no_overlap_pool()
    return decided(
        printed_ok == total,
        "exhaustive",
        f"002's pooling size (W1-F)/S matches torch's max pooling on {printed_ok} of {total} "
        f"valid settings (W1<=40, F<=7, S<=5), e.g. W1=28, F=S=2 gives 13 where torch gives "
        f"{torch_pool_size(28, 2, 2)}; floor((W1-F)/S)+1 matches on {floored_ok}.",
        Correction(
            "W2 = floor((W1 - F)/S) + 1 (one small edit: append '+ 1', as in the convolution "
            "formula and as the text's own 'no overlap' W2 = W1/F requires)",
            f"torch max pooling on meta agrees on {floored_ok}/{total} settings; sympy shows "
            "the corrected form reduces to floor(W1/F) at S = F",
        )
        if floored_ok == total and no_overlap.holds
        else None,
        printed_matches=printed_ok,
        corrected_matches=floored_ok,
        settings=total,
        no_overlap_proof=list(no_overlap.steps),
    )


def check_bilici_no_overlap() -> CheckResult:
    """002: "If No Overlapping: W2 = W1/F" — pooling with stride = kernel, printed unfloored.

    Judged like the conv formulas printed without a floor: the printed quotient
    must equal torch's size on every setting; the floored form is the correction.
    """
    proof = prove_no_overlap_pool()
    cases = [(w1, f) for w1 in range(1, 65) for f in range(1, 9) if f <= w1]
    floor_ok = sum(torch_pool_size(w1, f, f) == w1 // f for w1, f in cases)
    exact = sum(Fraction(w1, f) == torch_pool_size(w1, f, f) for w1, f in cases)
    example = next(
        ((w1, f) for w1, f in cases if Fraction(w1, f) != torch_pool_size(w1, f, f)), None
    )
    shown = (
        f", e.g. W1={example[0]}, F={example[1]}: W1/F = {Fraction(*example)}, torch"
        f" {torch_pool_size(example[0], example[1], example[1])}"
        if example
        else ""
    )
    return decided(
        exact == len(cases),
        "exhaustive",
        f"With stride = kernel F and no padding, W1/F as printed (no floor) equals torch's"
        f" pooling size on {exact} of {len(cases)} settings W1<=64, F<=8 (those where F divides"
        f" W1){shown}. floor(W1/F) matches torch on {floor_ok}/{len(cases)} (and is a sympy"
        f" identity with the pooling formula: {proof.holds}).",
        Correction(
            "W2 = floor(W1/F), H2 = floor(H1/F) (one small edit: floor brackets around the"
            " quotient, as in the corrected convolution formulas)",
            f"torch max pooling on meta agrees on {floor_ok}/{len(cases)} settings; sympy"
            " reduces floor((W1-F)/F)+1 to floor(W1/F)",
        )
        if proof.holds and floor_ok == len(cases)
        else None,
        proof=list(proof.steps),
        printed_exact=exact,
        torch_agree_floored=floor_ok,
        settings=len(cases),
    )


def check_bilici_half_padding() -> CheckResult:
    """002: padding (K-1)/2 on each side keeps the spatial size (stride 1)."""
    proof = prove_half_padding()
    odd = [(h, k) for h in range(1, 41) for k in range(1, 12, 2)]
    odd_ok = sum(torch_conv_size(h, k, 1, (k - 1) // 2) == h for h, k in odd)
    even = [(h, k) for h in range(2, 41) for k in range(2, 12, 2)]
    even_any = sum(h in (torch_conv_size(h, k, 1, p) for p in range(k)) for h, k in even)
    return decided(
        proof.holds and odd_ok == len(odd) and even_any == 0,
        "symbolic",
        f"For odd K, padding (K-1)/2 at stride 1 keeps the size (sympy identity; torch agrees "
        f"on {odd_ok}/{len(odd)} settings H<=40, K<=11). For even K, (K-1)/2 is not an "
        f"integer and no symmetric padding keeps the size (torch: {even_any} of "
        f"{len(even)} even settings do), which the text's '(almost) half' allows for.",
        proof=list(proof.steps),
        odd_settings=len(odd),
        even_settings_preserved=even_any,
    )


def check_bilici_full_padding() -> CheckResult:
    """002: full padding K-1 gives H + K - 1, the size of the "reverse" convolution."""
    proof = prove_full_padding()
    cases = [(h, k) for h in range(1, 41) for k in range(1, 12)]
    conv_ok = sum(torch_conv_size(h, k, 1, k - 1) == h + k - 1 for h, k in cases)
    conv_t = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1}
    transposed_ok = sum(
        torch_output_size("convT", {"size": h, "kernel": k, **conv_t}) == h + k - 1
        for h, k in cases
    )
    # The "reverse" convolution itself: conv_transpose2d equals a full-padded
    # convolution with the kernel flipped, value for value (float64, exact ints).
    g = torch.Generator().manual_seed(0)
    x = torch.randint(-9, 10, (1, 1, 6, 5), generator=g, dtype=torch.float64)  # (N, C, H, W)
    w = torch.randint(-9, 10, (1, 1, 3, 3), generator=g, dtype=torch.float64)
    reverse = torch.nn.functional.conv2d(x, w.flip(-1, -2), padding=2)  # (1, 1, 8, 7)
    same = torch.equal(reverse, torch.nn.functional.conv_transpose2d(x, w))
    return decided(
        proof.holds and conv_ok == transposed_ok == len(cases) and same,
        "symbolic",
        f"Padding K-1 grows H to H+2(K-1) and the output to H+K-1 (sympy identity; torch conv "
        f"agrees on {conv_ok}/{len(cases)} settings, and a stride-1 transposed convolution "
        f"gives the same size on {transposed_ok}); conv_transpose2d equals the full-padded "
        f"convolution with the flipped kernel on a 6x5 integer input: {same}.",
        proof=list(proof.steps),
    )
