"""Checks for the backpropagation examples of 004 §3.2.5, 001 §2.2 and 000 §2.2."""

from __future__ import annotations

import itertools

import sympy as sp
import torch
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.examples.backprop import (
    FOUNDATIONS_EXAMPLE,
    FOUNDATIONS_STATED,
    digits_follow,
    foundations_example,
    msd_backprop,
    regrelu_gradients,
    vanishing_product,
)
from scipy.stats import norm

__all__ = [
    "BACKPROP_ABS_TOL",
    "check_foundations_stage",
    "check_foundations_w5_chain",
    "check_msd_backprop",
    "check_regrelu_gradients",
    "check_vanishing_bound",
    "check_vanishing_product",
]

# O(1) values through <= 10 layers of float64 sigmoid/matmul: rounding ~1e-15.
BACKPROP_ABS_TOL = 1e-12

# The text's stages: which printed numbers each claim covers.
STAGES = {
    "hidden": ("net_h1", "out_h1", "out_h2"),
    "output": ("net_o1", "out_o1", "out_o2"),
    "errors": ("out_o1_in_E_o1", "E_o1", "E_o2", "E_total"),
}


def check_foundations_stage(stage: str) -> CheckResult:
    """Recompute one stage of 004 §3.2.5's numbers; list every digit that does not follow."""
    computed = foundations_example()
    rows = {}
    for name in STAGES[stage]:
        value = computed["out_o1" if name == "out_o1_in_E_o1" else name]
        rows[name] = {"stated": FOUNDATIONS_STATED[name], "computed": value,
                      **digits_follow(FOUNDATIONS_STATED[name], value)}  # fmt: skip
    bad = {k: v for k, v in rows.items() if not v["follows"]}
    listing = "; ".join(
        f"{k} stated {v['stated']} computed {v['rounded']}" for k, v in rows.items()
    )
    summary = (
        f"Recomputed in float64 with torch from the printed inputs, weights and biases "
        f"(b1 = 0.35, b2 = 0.60 read off the arithmetic): {listing}."
    )
    correction = None
    if bad:
        flags = "; ".join(f"{k}: digits {v['bad_digits']} after the point" for k, v in bad.items())
        summary += f" Digits that do not follow: {flags}."
        if "out_o1" in bad:
            literal = 1 / (1 + torch.exp(torch.tensor(computed["net_o1"], dtype=torch.float64)))
            summary += (
                f" The printed expression 1/(1+e^(+1.105905967)) also drops the minus sign "
                f"(it evaluates to {float(literal):.8f}); the text's own E_o1 line uses "
                f"0.75136507."
            )
        correction = Correction(
            "; ".join(f"{k} = {v['rounded']}" for k, v in bad.items()),
            "torch float64 forward pass of the example's network; every other printed number "
            "of the stage follows from the same computation",
        )
    readings = [reading("each printed number rounded or truncated from the exact value at its "
                        "printed digits", not bad, not_following=sorted(bad))]
    return decided(not bad, "arithmetic", summary, correction, readings=readings, numbers=rows)


def check_foundations_w5_chain() -> CheckResult:
    """dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5, each factor from autograd."""
    r = foundations_example()
    out_o1, t1, out_h1 = r["out_o1"], 0.01, r["out_h1"]
    # The chain rule's closed-form factors, each compared with autograd's:
    factors = {"dE/dout_o1": out_o1 - t1, "dout_o1/dnet_o1": out_o1 * (1 - out_o1),
               "dnet_o1/dw5": out_h1}  # fmt: skip
    errs = {k: abs(v - r[k]) for k, v in factors.items()}
    product = factors["dE/dout_o1"] * factors["dout_o1/dnet_o1"] * factors["dnet_o1/dw5"]
    err = abs(product - r["dE/dw5"])
    return decided(
        max(*errs.values(), err) <= BACKPROP_ABS_TOL,
        "framework",
        f"The chain-rule factors {', '.join(f'{k} = {v:.9f}' for k, v in factors.items())} "
        f"match autograd and their product {product:.9f} equals autograd's dE/dw5 to "
        f"{err:.1g}. The text stops before the numbers; for reference autograd's gradients "
        f"are " + ", ".join(f"dE/dw{i} = {r[f'dE/dw{i}']:.9f}" for i in range(1, 9)) + ".",
        gradients={f"dE/dw{i}": r[f"dE/dw{i}"] for i in range(1, 9)},
        # The text gives no learning rate and stops before the update; the original
        # walkthrough of this network (M. Mazur, 2015) uses eta = 0.5.
        updated_weights_eta_0_5={
            f"w{i}": FOUNDATIONS_EXAMPLE[f"w{i}"] - 0.5 * r[f"dE/dw{i}"] for i in range(1, 9)
        },
        factor_errors=errs,
    )


def check_msd_backprop(equation: str, seed: int = 0) -> CheckResult:
    """001 eq. (2.8), (2.9), (2.10) or (2.11) vs autograd on random sigmoid MLPs."""
    gen = torch.Generator().manual_seed(seed)
    worst = 0.0
    widths = ((4, 5, 3), (3, 8, 8, 8, 2), (6, 2, 6))
    for sizes in widths:
        ws = [
            torch.randn(o, i, generator=gen, dtype=torch.float64)
            for i, o in itertools.pairwise(sizes)
        ]
        bs = [torch.randn(o, generator=gen, dtype=torch.float64) for o in sizes[1:]]
        x = torch.randn(sizes[0], generator=gen, dtype=torch.float64)
        y = torch.rand(sizes[-1], generator=gen, dtype=torch.float64)
        worst = max(worst, *msd_backprop(ws, bs, x, y)[f"eq_{equation.replace('.', '_')}"])
    what = {
        "2.8": "the output-layer delta (grad_a C) ⊙ sigma'(z^L) equals autograd's dC/dz^L",
        "2.9": "the hidden deltas ((w^{l+1})^T delta^{l+1}) ⊙ sigma'(z^l) equal dC/dz^l",
        "2.10": "dC/db^l_j = delta^l_j",
        "2.11": "dC/dw^l_{jk} = a^{l-1}_k delta^l_j",
    }[equation]
    return decided(
        worst <= BACKPROP_ABS_TOL,
        "framework",
        f"On sigmoid MLPs with layer widths {', '.join(map(str, widths))} and quadratic cost, "
        f"{what} to {worst:.1g} (autograd).",
        max_abs_diff=worst,
    )


def check_vanishing_product(seed: int = 0, trials: int = 20) -> CheckResult:
    """001 (2.6): dC/db1 = s'(z1) w2 s'(z2) w3 s'(z3) w4 s'(z4) dC/da4, vs autograd."""
    gen = torch.Generator().manual_seed(seed)
    worst, ratio = 0.0, []
    for _ in range(trials):
        w = torch.randn(4, generator=gen, dtype=torch.float64)
        b = torch.randn(4, generator=gen, dtype=torch.float64)
        out = vanishing_product(w, b, float(torch.randn((), generator=gen)))
        rel = abs(out["printed"] - out["autograd"]) / max(abs(out["autograd"]), 1e-300)
        worst = max(worst, rel)
        ratio.append(abs(out["autograd"]))
    return decided(
        worst <= 1e-12,
        "framework",
        f"On {trials} random four-neuron sigmoid chains (weights and biases N(0,1)) the printed "
        f"product equals autograd's dC/db1 to relative {worst:.1g}; |dC/db1| was at most "
        f"{max(ratio):.2g} (each factor |w s'| <= |w|/4).",
        max_rel_err=worst,
        max_abs_gradient=max(ratio),
    )


def check_vanishing_bound() -> CheckResult:
    """001 §2.2.2: max sigma' = 1/4, so |w|<1 gives |w sigma'| < 1/4 and explosion needs |w|>4."""
    z = sp.Symbol("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    ds = sp.diff(s, z)
    crit = sp.solve(sp.Eq(sp.diff(ds, z), 0), z)
    peak = sp.simplify(ds.subs(z, crit[0])) if crit else None
    # Standard-normal weights: how often is |w| > 4 (the text's "very small")?
    tail = float(2 * norm.sf(4.0))
    return decided(
        crit == [0] and peak == sp.Rational(1, 4),
        "symbolic",
        f"sympy: sigma'' = 0 only at z = {crit}, where sigma' = {peak}; so |w sigma'(z)| <= "
        f"|w|/4 < 1/4 when |w| < 1, and |w sigma'| >= 1 needs |w| >= 4, which an N(0,1) weight "
        f"exceeds with probability {tail:.2g}.",
        critical_points=[str(c) for c in crit],
        peak=str(peak),
        p_abs_w_above_4=tail,
    )


def check_regrelu_gradients(quantity: str) -> CheckResult:
    """000 §2.2: hidden error E1 = sum_k E_k f'(z_k) W_k1, G_w = E f'(z) a, G_b = E f'(z)."""
    worst = max(regrelu_gradients(seed)[quantity] for seed in range(5))
    return decided(
        worst <= BACKPROP_ABS_TOL,
        "framework",
        f"On 5 random networks (neuron 1 with 5 inputs feeding neurons 2-4, sigmoid, softmax "
        f"cross-entropy), the text's {quantity} equals autograd's to {worst:.1g}.",
        max_abs_diff=worst,
    )
