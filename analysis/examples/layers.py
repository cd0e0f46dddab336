"""Dropout (003 eqs. 2.23–2.26) by Monte Carlo, and LRN (004 §3.6.7) against torch.

Monte Carlo tolerances are derived, not guessed: a sample mean of ``n``
Bernoulli-masked values has standard error ``|h| sqrt(p (1-p) / n)``; each
comparison may deviate by ``z`` standard errors, with ``z`` chosen so that
all comparisons of a check together false-alarm with probability
:data:`FAMILY_FALSE_ALARM` (Bonferroni).
"""

from __future__ import annotations

import torch
from cnnbench.analysis._validation import ParameterError, as_int, as_real
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from scipy.stats import norm
from torch import Tensor

__all__ = [
    "FAMILY_FALSE_ALARM",
    "check_dropout_expectation",
    "check_lrn_formula",
    "check_lrn_window",
    "check_torch_dropout",
    "dropout_printed",
    "lrn_printed",
]

FAMILY_FALSE_ALARM = 1e-6  # chance that a correct statement is refuted by sampling noise
DRAWS = 200_000
RATES = (0.2, 0.5, 0.8)
ONE_ROUNDING = 4e-16  # h/(1-p) vs h*(1/(1-p)): the two differ by at most ~2 ulp
LRN_REL_TOL = 1e-12  # a float64 power of a short sum: rounding ~1e-16


def _z(comparisons: int) -> float:
    return float(norm.isf(FAMILY_FALSE_ALARM / (2 * comparisons)))


def _h() -> Tensor:
    return torch.tensor([-2.0, -0.7, 0.3, 1.0, 2.5, 4.0], dtype=torch.float64)  # (K,)


def dropout_printed(h: Tensor, p: float, draws: int, gen: torch.Generator, keep_prob=None):
    """``r_j ~ Bernoulli(p)``, ``hhat = r * h`` (003 eqs. 2.23–2.24); ``draws`` samples.

    ``keep_prob`` overrides the Bernoulli parameter (the corrected reading
    uses ``1 - p``). Returns a ``(draws, *h.shape)`` tensor.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> dropout_printed(torch.ones(3), 1.0, 2, g).tolist()  # bit-exact: p = 1 keeps x·1
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    p = as_real("p", p, lower=0.0, upper=1.0)
    draws = as_int("draws", draws, minimum=1)
    q = p if keep_prob is None else keep_prob
    r = torch.bernoulli(torch.full((draws, *h.shape), q, dtype=h.dtype), generator=gen)
    return r * h


def check_dropout_expectation(seed: int = 0) -> CheckResult:
    """003 (2.23)-(2.26): with r ~ Bernoulli(p), E[hhat] = (1-p) h."""
    gen, h = torch.Generator().manual_seed(seed), _h()
    z = _z(2 * len(RATES) * len(h))
    worst_printed, worst_fixed, means = 0.0, 0.0, {}
    for p in RATES:
        se = h.abs() * (p * (1 - p) / DRAWS) ** 0.5
        mean = dropout_printed(h, p, DRAWS, gen).mean(0)
        fixed = dropout_printed(h, p, DRAWS, gen, keep_prob=1 - p).mean(0)
        worst_printed = max(worst_printed, float(((mean - (1 - p) * h).abs() / se).max()))
        worst_fixed = max(worst_fixed, float(((fixed - (1 - p) * h).abs() / se).max()))
        means[str(p)] = {"h": h.tolist(), "mean_r_bernoulli_p": mean.tolist()}
    standard = worst_printed <= z
    holds = standard or worst_fixed <= z
    readings = [
        reading("Bernoulli(p) in the usual notation, P(r = 1) = p", standard,
                max_z=worst_printed, z_allowed=z),
        reading("p the drop probability, as the next line, (2.25), defines it (P(r = 0) = p)",
                worst_fixed <= z, max_z=worst_fixed, z_allowed=z),
    ]  # fmt: skip
    return decided(
        holds,
        "monte-carlo",
        f"With r ~ Bernoulli(p) as written, the mean of r*h over {DRAWS} draws misses (1-p)h "
        f"by up to {worst_printed:.3g} standard errors (allowed {z:.2f}, family false-alarm "
        f"{FAMILY_FALSE_ALARM:g}) for p = 0.2 and 0.8; it is p*h. (2.25) reads p as the drop "
        "probability, (2.23) as the keep probability; they agree only at p = 0.5.",
        None
        if holds or worst_fixed > z
        else Correction(
            "r_j ~ Bernoulli(1 - p) (p = drop probability), so E[hhat_j] = (1 - p) h_j  "
            "(edit: 'Bernoulli(p)' -> 'Bernoulli(1-p)')",
            f"Monte Carlo, {DRAWS} draws per p in {RATES}: within {worst_fixed:.2f} standard "
            f"errors of (1-p)h (allowed {z:.2f})",
        ),
        caveat=None if standard or not holds else (
            "p is the drop probability, as (2.25) uses it (and torch's Dropout); in the usual "
            "notation, where Bernoulli(p) means P(r = 1) = p, that is r ~ Bernoulli(1 - p)."),
        readings=readings,
        max_z_printed=worst_printed,
        max_z_corrected=worst_fixed,
        z_allowed=z,
        means=means,
    )


def check_torch_dropout(seed: int = 0) -> CheckResult:
    """nn.Dropout(p): zero with probability p, scale kept values by 1/(1-p); eval = identity."""
    h = _h()
    z = _z(3 * len(RATES) * len(h))
    worst_mean, worst_zero, exact_kept, eval_exact = 0.0, 0.0, True, True
    with torch.random.fork_rng():  # nn.Dropout draws from the global generator
        torch.manual_seed(seed)
        for p in RATES:
            layer = torch.nn.Dropout(p).train()
            out = layer(h.expand(DRAWS, -1))  # (DRAWS, K)
            kept = out != 0
            want = (h / (1 - p)).expand_as(out)[kept]
            exact_kept &= bool(torch.allclose(out[kept], want, rtol=ONE_ROUNDING, atol=0))
            zero_frac = 1 - kept.double().mean(0)
            worst_zero = max(worst_zero, float(((zero_frac - p).abs()
                                                / (p * (1 - p) / DRAWS) ** 0.5).max()))
            se = h.abs() * (p / (1 - p) / DRAWS) ** 0.5  # sd of h*r/(1-p), r ~ Bern(1-p)
            worst_mean = max(worst_mean, float(((out.mean(0) - h).abs() / se).max()))
            eval_exact &= bool(torch.equal(layer.eval()(h), h))
    holds = exact_kept and eval_exact and max(worst_mean, worst_zero) <= z
    return decided(
        holds,
        "monte-carlo",
        f"Over {DRAWS} draws per p in {RATES}: the zero fraction is within {worst_zero:.2f} "
        f"and the training-mode mean within {worst_mean:.2f} standard errors of p and h "
        f"(allowed {z:.2f}); every kept value is h/(1-p) to rounding: {exact_kept}; eval mode is "
        f"the identity: {eval_exact}. So torch moves 003's test-time factor (1-p) into "
        "training as 1/(1-p) ('inverted' dropout); both make test output = E[train output].",
        max_z_mean=worst_mean,
        max_z_zero_fraction=worst_zero,
        z_allowed=z,
    )


def lrn_printed(a: Tensor, k: float, n: int, alpha: float, beta: float) -> Tensor:
    """004's LRN on an NHWC array, as printed (no division of ``alpha`` by ``n``).

    ``B^i = a^i / (k + alpha * sum_{j=max(0, i-n/2)}^{min(N-1, i+n/2)} (a^j)^2)^beta``
    with ``n/2`` read as ``floor(n/2)`` (the summation bounds are integers).

    References
    ----------
    004_e138cd620735c755.txt §3.6.7.

    Examples
    --------
    >>> a = torch.tensor([[[[1.0, 1.0]]]], dtype=torch.float64)  # (1, 1, 1, 2) NHWC
    >>> [round(v, 12) for v in lrn_printed(a, 1.0, 2, 1.0, 1.0).flatten().tolist()]
    [0.333333333333, 0.333333333333]
    """
    if not isinstance(a, Tensor) or a.ndim != 4:
        shape = tuple(a.shape) if isinstance(a, Tensor) else type(a).__name__
        raise ParameterError("a.shape", shape, "must be 4-D [batch, height, width, channel]")
    n = as_int("n", n, minimum=1)
    channels = a.shape[-1]
    out = torch.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        sq = (a[..., lo : hi + 1] ** 2).sum(-1)  # (batch, height, width)
        out[..., i] = a[..., i] / (k + alpha * sq) ** beta
    return out


def _lrn_inputs(seed: int) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    return 3 * torch.randn(2, 3, 4, 9, generator=gen, dtype=torch.float64)  # NHWC, 9 channels


def _torch_lrn(a_nhwc: Tensor, size: int, alpha: float, beta: float, k: float) -> Tensor:
    layer = torch.nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)
    return layer(a_nhwc.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)  # NCHW in torch


def _rel(a: Tensor, b: Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


def check_lrn_formula(seed: int = 0) -> CheckResult:
    """The printed LRN equals torch's LocalResponseNorm(size=n, alpha=n*alpha) for odd n."""
    a, k, beta = _lrn_inputs(seed), 2.0, 0.75
    odd, unscaled, even = [], [], {}
    for alpha in (1e-4, 0.1):  # the text's default, and one large enough to see
        for n in (1, 3, 5, 7):
            mine = lrn_printed(a, k, n, alpha, beta)
            odd.append(_rel(mine, _torch_lrn(a, n, n * alpha, beta, k)))
            if n > 1:
                unscaled.append(_rel(mine, _torch_lrn(a, n, alpha, beta, k)))
        for n in (2, 4):
            mine = lrn_printed(a, k, n, alpha, beta)
            even[f"n={n},alpha={alpha}"] = {
                "vs_size_n": _rel(mine, _torch_lrn(a, n, n * alpha, beta, k)),
                "vs_size_n_plus_1": _rel(mine, _torch_lrn(a, n + 1, (n + 1) * alpha, beta, k)),
            }
    return decided(
        max(odd) <= LRN_REL_TOL,
        "framework",
        f"For n = 1, 3, 5, 7 (k=2, beta=0.75, alpha 1e-4 and 0.1) the printed formula equals "
        f"torch.nn.LocalResponseNorm(size=n, alpha=n*alpha) to {max(odd):.1g}: torch divides "
        f"alpha by n (with alpha unscaled they differ by up to {max(unscaled):.2g}). For even n "
        "the printed window i-n/2..i+n/2 has n+1 channels, torch's size=n window n; it "
        "matches torch's size=n+1 instead.",
        odd_n_rel_err=max(odd),
        unscaled_alpha_rel_diff=max(unscaled),
        even_n=even,
    )


def _support(fn, channels: int = 9) -> int:
    """How many input channels the output at the middle channel depends on (autograd)."""
    a = torch.randn(1, 1, 1, channels, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(a)[..., channels // 2].sum(), a)
    return int((g != 0).sum())


def check_lrn_window(seed: int = 0) -> CheckResult:
    """004 §3.6.7 item 5: the sum runs over 'n + 1 points' in total."""
    printed, torch_n = {}, {}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for n in range(1, 8):
            printed[n] = _support(lambda a, n=n: lrn_printed(a, 2.0, n, 0.1, 0.75))
            torch_n[n] = _support(lambda a, n=n: _torch_lrn(a, n, 0.1, 0.75, 2.0))
    stated_ok = all(printed[n] == n + 1 for n in printed)
    fixed_ok = all(printed[n] == 2 * (n // 2) + 1 for n in printed) and all(
        printed[n] == torch_n[n] for n in printed if n % 2
    )
    even_ok = all(printed[n] == n + 1 for n in printed if n % 2 == 0)
    readings = [
        reading("for every n", stated_ok, support=printed),
        reading("for n with n/2 a whole number of channels (n/2 as TensorFlow's depth_radius)",
                even_ok, support={k: v for k, v in printed.items() if k % 2 == 0}),
    ]  # fmt: skip
    return decided(
        stated_ok or even_ok,
        "framework",
        f"Channels the output depends on (autograd support, interior channel) in the printed "
        f"formula: {printed} for n = 1..7; n + 1 only for even n. At the text's own default "
        f"n = 5 the sum covers 5 channels, as does torch's size-5 window ({torch_n[5]}).",
        None
        if stated_ok or not fixed_ok
        else Correction(
            "the sum covers 2*floor(n/2) + 1 channels: n for odd n (5 at the default n = 5), "
            "n + 1 for even n",
            f"autograd support of the printed formula for n = 1..7, and of "
            f"torch.nn.LocalResponseNorm(size=n) for odd n: {torch_n}",
        ),
        caveat=None if stated_ok or not even_ok else (
            "Exact when n/2 is a whole number (TensorFlow's depth_radius r = n/2 gives 2r + 1 "
            f"= n + 1 channels); at odd n, such as the default n = 5 the text quotes, the "
            f"window holds n channels ({printed[5]}), as torch's size-n window does."),
        readings=readings,
        printed_support={str(k): v for k, v in printed.items()},
        torch_support={str(k): v for k, v in torch_n.items()},
    )
