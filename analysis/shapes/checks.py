"""Checks of the texts' output-size formulas: symbolic proofs plus torch on ``meta``.

Every check returns a :class:`~cnnbench.analysis.claims.CheckResult`. Torch is the
oracle for sizes (``torch_output_size`` on the meta device); sympy for the
identities (:mod:`cnnbench.analysis.shapes.proofs`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from functools import cache

import torch
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.shapes.proofs import (
    prove_division_algorithm,
    prove_full_padding,
    prove_half_padding,
    prove_no_overlap_pool,
    prove_texts_conv_forms_agree,
)
from cnnbench.analysis.shapes.sweep import torch_output_size

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
    """A check of a conv size formula printed without a floor, read the way texts mean it.

    Readings: the quotient as printed for *every* setting (then a fractional
    size is simply wrong), and the formula for the settings where the stride
    divides the numerator (the texts' own examples), with torch's floor
    elsewhere. The claim is confirmed, with that caveat, when the second
    reading holds; refuted only when the formula is wrong even where it is an
    integer. ``corrected`` is the floored form in the text's letters;
    ``padded=False`` restricts the grid to zero padding (for a form without P).
    Half padding (K-1)/2 is judged by the same rule (:func:`check_bilici_half_padding`).
    """
    grid = [c for c in TEXT_GRID if padded or c[3] == 0]

    def check() -> CheckResult:
        exact = divisible = divisible_ok = 0
        example = None
        for w1, f, s, p in grid:
            size = torch_conv_size(w1, f, s, p)
            if isinstance(size, str):
                continue  # kernel larger than the padded input: no formula applies
            value = printed(w1, f, s, p)
            exact += value == size
            if value.denominator == 1:
                divisible += 1
                divisible_ok += value == size
            elif example is None:
                example = {"W1": w1, "F": f, "S": s, "P": p, "printed": str(value), "torch": size}
        valid = [c for c in grid if not isinstance(torch_conv_size(*c), str)]
        floored_ok = sum(math.floor(printed(*c)) == torch_conv_size(*c) for c in valid)
        division = prove_division_algorithm()
        readings = [
            reading("the quotient as printed, for every setting", exact == len(valid),
                    agree=exact, settings=len(valid), first_fraction=example),
            reading("where the stride divides the numerator (an integer size, as in the "
                    f"texts' examples), torch's floor elsewhere: {name} = {corrected}",
                    divisible_ok == divisible and floored_ok == len(valid) and division.holds,
                    divisible_settings=divisible, divisible_agree=divisible_ok,
                    floored_agree=floored_ok),
        ]  # fmt: skip
        summary = (f"The printed {name} (no floor) is an integer on {divisible} of {len(valid)} "
                   f"valid settings (W1<=40, F<=7, S<=5, P<={3 if padded else 0}) and equals "
                   f"torch's output size on {divisible_ok} of those; elsewhere it is a fraction "
                   f"and torch rounds down (floor((...)/S) + 1 matches torch on {floored_ok}).")
        holds = readings[1]["holds"]
        return decided(
            holds, "exhaustive", summary,
            None if holds else Correction(
                f"{name} = {corrected}", f"the floored form equals torch on {floored_ok}/"
                f"{len(valid)} settings; the printed form is wrong even where it is an integer"),
            caveat=(f"Exact when the stride divides the numerator; otherwise {name} = "
                    f"{corrected} (torch)") if holds else None,
            severity="substantive", readings=readings,
            division_algorithm=list(division.steps),
        )  # fmt: skip

    return check


def check_bilici_pooling_formula() -> CheckResult:
    """002 prints the pooling size as (W1 - F)/S, without the +1."""
    printed_ok = divisible = divisible_ok = floored_ok = total = 0
    settings = sorted({(w1, f, s) for w1, f, s, _ in TEXT_GRID})  # pooling here has no P
    for w1, f, s in settings:
        size = torch_pool_size(w1, f, s)
        if isinstance(size, str):
            continue
        total += 1
        printed_ok += Fraction(w1 - f, s) == size
        if (w1 - f) % s == 0:
            divisible += 1
            divisible_ok += Fraction(w1 - f, s) == size
        floored_ok += (w1 - f) // s + 1 == size
    no_overlap = prove_no_overlap_pool()
    readings = [
        reading("the quotient as printed, for every setting", printed_ok == total,
                agree=printed_ok, settings=total),
        reading("where the stride divides W1 - F (an integer size), floor elsewhere",
                divisible_ok == divisible, divisible_settings=divisible, agree=divisible_ok),
        reading("W2 counts the window positions after the first (so the size is W2 + 1)",
                False, note="the text calls W2 the output size; its MNIST example pools "
                "28 -> 14, i.e. W2 = (28 - 2)/2 + 1"),
    ]  # fmt: skip
    return decided(
        printed_ok == total,
        "exhaustive",
        f"002's pooling size (W1-F)/S matches torch's max pooling on {printed_ok} of {total} "
        f"distinct valid settings (W1<=40, F<=7, S<=5), and only {divisible_ok} of the "
        f"{divisible} where it is an integer: e.g. W1=28, F=S=2 gives 13 where torch (and the "
        f"text's own MNIST example) gives {torch_pool_size(28, 2, 2)}; floor((W1-F)/S)+1 "
        f"matches on {floored_ok}.",
        Correction(
            "W2 = floor((W1 - F)/S) + 1 (one small edit: append '+ 1', as in the convolution "
            "formula and as the text's own 'no overlap' W2 = W1/F requires)",
            f"torch max pooling on meta agrees on {floored_ok}/{total} settings; sympy shows "
            "the corrected form reduces to floor(W1/F) at S = F",
        )
        if floored_ok == total and no_overlap.holds
        else None,
        readings=readings,
        printed_matches=printed_ok,
        corrected_matches=floored_ok,
        settings=total,
        no_overlap_proof=list(no_overlap.steps),
    )


def check_bilici_no_overlap() -> CheckResult:
    """002: "If No Overlapping: W2 = W1/F" — pooling with stride = kernel, printed unfloored.

    Judged like the conv formulas printed without a floor (and like half
    padding): exact where F divides W1, the floor elsewhere.
    """
    proof = prove_no_overlap_pool()
    cases = [(w1, f) for w1 in range(1, 65) for f in range(1, 9) if f <= w1]
    floor_ok = sum(torch_pool_size(w1, f, f) == w1 // f for w1, f in cases)
    exact = sum(Fraction(w1, f) == torch_pool_size(w1, f, f) for w1, f in cases)
    divisible = [(w1, f) for w1, f in cases if w1 % f == 0]
    divisible_ok = sum(Fraction(w1, f) == torch_pool_size(w1, f, f) for w1, f in divisible)
    readings = [
        reading("the quotient as printed, for every setting", exact == len(cases),
                agree=exact, settings=len(cases)),
        reading("where F divides W1 (an integer size), floor(W1/F) elsewhere",
                divisible_ok == len(divisible) and floor_ok == len(cases) and proof.holds,
                divisible_settings=len(divisible), divisible_agree=divisible_ok,
                floored_agree=floor_ok),
    ]  # fmt: skip
    holds = readings[1]["holds"]
    return decided(
        holds,
        "exhaustive",
        f"With stride = kernel F and no padding, W1/F as printed equals torch's pooling size "
        f"on all {divisible_ok} of the {len(divisible)} settings W1<=64, F<=8 where F divides "
        f"W1; on the other {len(cases) - len(divisible)} it is a fraction and torch gives "
        f"floor(W1/F) (matches on {floor_ok}/{len(cases)}; a sympy identity with the pooling "
        f"formula: {proof.holds}).",
        None if holds else Correction("W2 = floor(W1/F), H2 = floor(H1/F)",
                                      f"torch agrees on {floor_ok}/{len(cases)} settings"),
        caveat="Exact when F divides W1 (the non-overlapping tiling the text describes); "
               "otherwise W2 = floor(W1/F)." if holds else None,
        readings=readings,
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
