"""Checks of the identities and framework behaviour the texts state about activations.

Sigmoid* vs tanh, the two leaky-ReLU parameterisations, PReLU's slope gradient,
RReLU's training and evaluation behaviour, and the counting argument behind the
regularized ReLU's coefficient; oracles are sympy, torch modules and autograd.
"""

from __future__ import annotations

import math

import sympy
import torch
from cnnbench.analysis.activations.modules import LeakyReLUXA, regularized_relu_factors
from cnnbench.analysis.activations.registry import X, get_activation, make_activation
from cnnbench.analysis.claims import CheckResult, decided
from scipy import stats
from torch import nn

ABS_TOL_FP64 = 1e-12  # float64 rounding after a few ops on O(1..10) values
MC_Z = 4.0  # Monte Carlo mean tolerance in standard errors (two-sided p ≈ 6e-5)
KS_ALPHA = 1e-3  # uniformity test level; fixed seed, so the verdict is reproducible
MC_SAMPLES = 200_000
THESIS_A = (5.5, 7.5, 100.0)  # a values of 003 §5.3.2 and Table 5.2


def check_sigmoid_star_tanh() -> CheckResult:
    """Sigmoid* = 4·sigmoid(x) − 2 equals 2·tanh(x/2) (symbolic; float64/float32 numerics)."""
    star = get_activation("sigmoid_star")
    residual = sympy.simplify((star.expr - 2 * sympy.tanh(X / 2)).rewrite(sympy.exp))
    x64 = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    naive, best = star.implementations["eager_naive"], star.implementations["eager_best"]
    diff64 = float((naive(x64) - best(x64)).abs().max())
    # Near 0, 4*sigmoid-2 subtracts numbers close to 2 and loses relative accuracy.
    small = torch.logspace(-6, -1, 51, dtype=torch.float64)
    ref = 2 * torch.tanh(small / 2)
    rel = {k: float(((f(small.float()).double() - ref) / ref).abs().max())
           for k, f in (("eager_naive", naive), ("eager_best", best))}  # fmt: skip
    return decided(
        residual == 0 and diff64 < ABS_TOL_FP64,
        "symbolic",
        f"sympy rewrites 4/(1+e^-x) − 2 − 2·tanh(x/2) in exponentials and simplifies it to "
        f"{residual}; in float64 the two forms differ by at most {diff64:.1e} on [-20, 20]. "
        f"In float32 for x in [1e-6, 0.1] the naive form's relative error reaches "
        f"{rel['eager_naive']:.1e}, the tanh form's {rel['eager_best']:.1e}.",
        residual=str(residual),
        float64_max_abs_diff=diff64,
        float32_max_rel_err_near_0=rel,
    )


def check_leaky_forms() -> CheckResult:
    """003 (5.2) ``x/a, a∈(1,∞)`` rewritten as (5.3) ``a·x``: equal under a ↦ 1/a."""
    a = sympy.Symbol("a", positive=True)
    xa = sympy.Piecewise((X, X > 0), (X / a, True))
    slope = sympy.Piecewise((X, X > 0), ((1 / a) * X, True))
    residual = sympy.simplify(xa - slope)
    image = sympy.imageset(sympy.Lambda(a, 1 / a), sympy.Interval.open(1, sympy.oo))
    x = torch.randn(10_000, dtype=torch.float64) * 3
    diffs = {}
    for val in THESIS_A:
        y = LeakyReLUXA(val)(x)
        prelu = nn.PReLU(1, init=1 / val).double()
        with torch.no_grad():  # PReLU stores `init` in float32 first; restore it in float64
            prelu.weight.fill_(1 / val)
        diffs[str(val)] = max(
            float((y - nn.LeakyReLU(1 / val)(x)).abs().max()),
            float((y - prelu(x).detach()).abs().max()),
        )
    literal = {str(v): [float(-1 / v), float(-v)] for v in THESIS_A}  # x = -1: x/a vs a·x
    holds = residual == 0 and image == sympy.Interval.open(0, 1)
    holds &= max(diffs.values()) < ABS_TOL_FP64
    return decided(
        holds,
        "symbolic",
        "sympy: the x/a form equals the slope form with slope 1/a (difference simplifies to "
        f"{residual}), and a ↦ 1/a maps (1, ∞) onto {image}; torch LeakyReLU(1/a) and "
        f"PReLU(init=1/a) match the x/a module for a = 5.5, 7.5, 100 on 10,000 float64 points "
        f"(max |diff| {max(diffs.values()):.1e}). The text reuses the symbol a_i: read "
        "literally (same a) the forms differ, e.g. at x = −1 they give −1/a vs −a.",
        residual=str(residual),
        slope_range=str(image),
        torch_max_abs_diff=diffs,
        literal_same_symbol_at_minus_1=literal,
    )


def _prelu_slope_grads(init: float, shape=(8, 3, 5, 5)) -> tuple[float, float]:
    """Max |autograd − eq. (5.4)/(5.5)| for the per-channel slope, conditioning on y and on x."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, dtype=torch.float64, generator=gen)  # (N, C, H, W)
    upstream = torch.randn(shape, dtype=torch.float64, generator=gen)
    layer = nn.PReLU(shape[1], init=init).double()
    y = layer(x)
    (grad_a,) = torch.autograd.grad(y, layer.weight, upstream)  # (C,)
    by_y = torch.where(y.detach() < 0, x, torch.zeros_like(x))  # eq. (5.5) as printed
    by_x = torch.where(x < 0, x, torch.zeros_like(x))
    sums = [(upstream * d).sum(dim=(0, 2, 3)) for d in (by_y, by_x)]  # eq. (5.4), (C,)
    return tuple(float((grad_a - s).abs().max()) for s in sums)  # type: ignore[return-value]


def check_prelu_gradient() -> CheckResult:
    """003 eqs. (5.4)-(5.5): dε/da = Σ dε/dy · (x if y < 0 else 0), against autograd."""
    inside = {str(a): _prelu_slope_grads(a)[0] for a in (0.25, 1 / 5.5, 0.9)}
    by_y, by_x = _prelu_slope_grads(-0.5)
    return decided(
        max(inside.values()) < ABS_TOL_FP64,
        "framework",
        "autograd's gradient of nn.PReLU's per-channel slope on a (8, 3, 5, 5) float64 input "
        f"equals the sum (5.4) of upstream × (5.5) for slopes 0.25, 1/5.5, 0.9 (max |diff| "
        f"{max(inside.values()):.1e}). (5.5) conditions on the output y; that is the input's "
        f"sign only for a > 0 (the domain (5.2) gives): with a = −0.5 it is off by {by_y:.2f}, "
        f"while conditioning on x gives {by_x:.1e}.",
        max_abs_diff_in_domain=inside,
        negative_slope_condition_on_y=by_y,
        negative_slope_condition_on_x=by_x,
    )


def check_rrelu_eval() -> CheckResult:
    """003 §5.3.4: at test time a_ji = (l+u)/2; torch's RReLU in eval mode does the same."""
    x = -torch.rand(5_000, dtype=torch.float64) * 10 - 1e-3  # strictly negative
    rows = []
    for lo, hi in ((1 / 8, 1 / 3), (0.1, 0.3), (0.0, 0.5)):
        module = nn.RReLU(lo, hi).double().eval()
        slope = module(x) / x
        act = make_activation("rrelu", lower=lo, upper=hi)
        t = sympy.Symbol("t", positive=True)
        sym_slope = sympy.diff(act.expr.subs(X, -t), t)
        rows.append({
            "lower": lo, "upper": hi,
            "torch_eval_slope_min": float(slope.min()), "torch_eval_slope_max": float(slope.max()),
            "mean_slope": (lo + hi) / 2, "registry_sympy_slope": str(-sym_slope),
        })  # fmt: skip
    holds = all(
        abs(r["torch_eval_slope_min"] - r["mean_slope"]) < ABS_TOL_FP64
        and abs(r["torch_eval_slope_max"] - r["mean_slope"]) < ABS_TOL_FP64
        and abs(float(sympy.sympify(r["registry_sympy_slope"])) - r["mean_slope"]) < ABS_TOL_FP64
        for r in rows
    )
    return decided(
        holds,
        "framework",
        "torch.nn.RReLU in eval mode scales every negative input of 5,000 by exactly (l+u)/2 "
        "for (l, u) = (1/8, 1/3), (0.1, 0.3), (0, 0.5), as the text's test-time rule; the "
        "registry's eval-mode expression has the same slope.",
        cases=rows,
    )


def check_rrelu_training() -> CheckResult:
    """003 (5.6)-(5.7): in training each negative element gets its own slope ~ U(l, u)."""
    lo, hi = 1 / 8, 1 / 3
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = nn.RReLU(lo, hi).double().train()
        slopes = -module(-torch.ones(MC_SAMPLES, dtype=torch.float64))
        positive = module(torch.ones(1000, dtype=torch.float64))
    s = slopes.numpy()
    tol = MC_Z * (hi - lo) / math.sqrt(12 * MC_SAMPLES)
    ks = stats.kstest(s, "uniform", args=(lo, hi - lo))
    distinct = len(set(s.tolist())) / MC_SAMPLES
    holds = bool(s.min() >= lo and s.max() <= hi and abs(s.mean() - (lo + hi) / 2) < tol)
    holds &= ks.pvalue > KS_ALPHA and distinct > 0.99 and bool((positive == 1).all())
    return decided(
        holds,
        "monte-carlo",
        f"torch.nn.RReLU(1/8, 1/3) in training mode on {MC_SAMPLES:,} inputs of −1 (seed 0): "
        f"slopes in [{s.min():.4f}, {s.max():.4f}], mean {s.mean():.5f} vs (l+u)/2 = "
        f"{(lo + hi) / 2:.5f} (tolerance {tol:.1e}, {MC_Z:g} standard errors), KS test against "
        f"U(l, u) p = {ks.pvalue:.3f}, {distinct:.1%} distinct slopes (one per element); "
        "positive inputs pass unchanged.",
        slope_min=float(s.min()),
        slope_max=float(s.max()),
        slope_mean=float(s.mean()),
        mean_tolerance=tol,
        ks_pvalue=float(ks.pvalue),
        distinct_fraction=distinct,
    )


def read_counts(conv: nn.Module, shape: tuple[int, ...]) -> torch.Tensor:
    """How many times each input value is read by the layer's neurons (all maps), by autograd."""
    with torch.no_grad():
        conv.weight.fill_(1.0)
    x = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    conv(x).sum().backward()
    return x.grad


def check_regularized_overlap() -> CheckResult:
    """000 §2 figure and §3.1: c/(s·n·m) is 1 / (mean times a datum is read by the layer)."""
    fig = nn.Conv1d(1, 2, kernel_size=4, stride=2, bias=False).double()
    counts = read_counts(fig, (1, 1, 6))[0, 0].tolist()  # data in order ?, ?, E, F, ?, ?
    fig_coef = sympy.Rational(6, 2 * 2 * 4)
    rows = []
    for geo in ({"in_channels": 3, "out_channels": 32, "height": 32, "width": 32, "kernel": 5},
                {"in_channels": 16, "out_channels": 8, "height": 15, "width": 13, "kernel": 3,
                 "stride": 2},
                {"in_channels": 4, "out_channels": 6, "height": 12, "width": 12, "kernel": 3,
                 "dilation": 2, "groups": 2}):  # fmt: skip
        f = regularized_relu_factors(**geo)
        conv = nn.Conv2d(geo["in_channels"], geo["out_channels"], geo["kernel"],
                         stride=geo.get("stride", 1), dilation=geo.get("dilation", 1),
                         groups=geo.get("groups", 1), bias=False).double()  # fmt: skip
        grad = read_counts(conv, (1, geo["in_channels"], geo["height"], geo["width"]))
        rows.append({**geo, "coefficient": str(f.coefficient), "mean_reads": float(grad.mean()),
                     "1/coefficient": float(1 / f.coefficient)})  # fmt: skip
    holds = counts == [2.0, 2.0, 4.0, 4.0, 2.0, 2.0]
    holds &= all(abs(r["mean_reads"] - r["1/coefficient"]) < ABS_TOL_FP64 for r in rows)
    return decided(
        holds,
        "framework",
        f"A Conv1d with 2 maps of 2 neurons, filter size 4, on 6 data (000's figure) reads the "
        f"data {counts} times (E, F four times, the rest twice), and c/(s·n·m) = {fig_coef} is "
        f"1/(mean reads) = 1/{sum(counts) / 6:g}. For three Conv2d geometries (stride, dilation, "
        "groups) the mean read count by autograd equals 1/coefficient exactly, which supports "
        "the mapping c = C_in·H·W, m = (C_in/groups)·k², s = H_out·W_out, n = C_out.",
        figure_read_counts=counts,
        figure_coefficient=str(fig_coef),
        geometries=rows,
    )
