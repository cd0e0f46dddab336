"""Mean-field theory of a deep random network at (σ_w, σ_b): fixed point, χ₁, depth scales,
and the order-to-chaos edge (Poole et al. 2016; Schoenholz et al. 2017).

Weights have variance σ_w²/fan_in and biases σ_b². The pre-activation second
moment follows ``q ← σ_w²·E[φ(√q z)²] + σ_b²`` to its fixed point ``q*``; the
correlation of two inputs follows ``c ← (σ_w²·E[φ(u₁)φ(u₂)] + σ_b²)/q*`` with
``(u₁, u₂)`` Gaussian of variance ``q*`` and correlation ``c``. Then

- ``χ₁ = σ_w²·E[φ'(√q* z)²]``: the per-layer gain of gradients (and of
  perturbations of ``c = 1``). ``χ₁ < 1``: ordered phase, gradients vanish;
  ``χ₁ > 1``: chaotic phase, gradients explode; ``χ₁ = 1``: the edge.
- signal depth scale ``ξ_c = −1/ln χ_c`` with ``χ_c = σ_w²·E[φ'(u₁)φ'(u₂)]`` at
  the stable correlation ``c*`` (``c* = 1`` and ``χ_c = χ₁`` in the ordered phase);
- gradient depth scale ``ξ_∇ = 1/|ln χ₁|``: the depth over which gradients
  shrink (ordered) or grow (chaotic) by a factor e.

Both diverge at the edge, which :func:`edge_of_chaos` finds as the σ_w with
``χ₁ = 1`` at a given σ_b.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from cnnbench.analysis._validation import as_real
from cnnbench.analysis.activations.spec import activation_name
from cnnbench.analysis.variance.maps import fixed_point
from cnnbench.analysis.variance.moments import activation_moments
from scipy import optimize

# Gauss-Hermite (probabilists') nodes for the two-dimensional correlation integrals.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(96)
_W = torch.tensor(_WEIGHTS / math.sqrt(2 * math.pi), dtype=torch.float64)
_Z = torch.tensor(_NODES, dtype=torch.float64)
EDGE_BRACKET = (0.05, 30.0)  # σ_w searched for the edge of chaos
EDGE_XTOL = 1e-10
EDGE_SIDE = 1e-7  # log σ_w either side of a root where χ₁ is read again
EDGE_JUMP_TOL = 1e-4  # |χ₁ − 1| allowed on the finite side of a divergence


@dataclass(frozen=True)
class MeanField:
    """The mean-field picture of one activation at (σ_w, σ_b)."""

    activation: str
    sigma_w: float
    sigma_b: float
    regime: str  # of the q-map: "finite", "zero", "marginal" or "divergent"
    q_star: float
    chi1: float
    phase: str  # "ordered", "chaotic" or "critical"
    c_star: float  # the stable correlation fixed point
    chi_c: float
    depth_signal: float  # ξ_c (inf at the edge)
    depth_gradient: float  # ξ_∇ (inf at the edge)

    def to_json(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}  # fmt: skip


def _pair_expectation(g, q: float, c: float) -> float:
    """E[g(u₁)·g(u₂)], (u₁, u₂) Gaussian with variance ``q`` and correlation ``c``."""
    s = math.sqrt(q)
    z1, z2 = _Z[:, None], _Z[None, :]  # (n, 1), (1, n)
    u1 = s * z1.expand(len(_Z), len(_Z))
    u2 = s * (c * z1 + math.sqrt(max(1.0 - c * c, 0.0)) * z2)
    vals = g(u1.reshape(-1)).reshape(u1.shape) * g(u2.reshape(-1)).reshape(u2.shape)
    return float((_W[:, None] * _W[None, :] * vals).sum())


def _depth(chi: float) -> float:
    """1/|ln χ|: ∞ at χ = 1; 0 at χ = 0 (a flat activation at q* = 0 passes nothing back)."""
    if chi <= 0.0:
        return 0.0
    return math.inf if chi == 1.0 else 1.0 / abs(math.log(chi))


def mean_field(activation: object, sigma_w: float, sigma_b: float = 0.0) -> MeanField:
    """Fixed point, χ₁, phase and depth scales of ``activation`` at (σ_w, σ_b).

    Examples
    --------
    >>> m = mean_field("tanh", 1.0, 0.0)  # the edge at zero bias
    >>> m.phase, round(m.chi1, 9)
    ('critical', 1.0)
    >>> mean_field("relu", 1.0).phase, round(mean_field("relu", 1.0).chi1, 12)
    ('ordered', 0.5)
    """
    activation = activation_name(activation)
    sw = as_real("sigma_w", sigma_w, lower=0.0, lower_open=True)
    sb = as_real("sigma_b", sigma_b, lower=0.0)
    fp = fixed_point(activation, sw * sw, sb * sb)
    chi1 = fp.chi
    if not math.isfinite(chi1):
        return MeanField(activation, sw, sb, fp.regime, fp.q, chi1, "chaotic", math.nan,
                         math.inf, 0.0, 0.0)  # fmt: skip
    phase = "critical" if abs(chi1 - 1.0) < 1e-9 else ("ordered" if chi1 < 1 else "chaotic")
    c_star, chi_c = 1.0, chi1
    if phase == "chaotic" and fp.q > 0:
        c_star, chi_c = _chaotic_correlation(activation, sw, sb, fp.q)
    if phase == "critical":
        return MeanField(activation, sw, sb, fp.regime, fp.q, chi1, phase, 1.0, chi1,
                         math.inf, math.inf)  # fmt: skip
    return MeanField(activation, sw, sb, fp.regime, fp.q, chi1, phase, c_star, chi_c,
                     _depth(chi_c), _depth(chi1))  # fmt: skip


def _chaotic_correlation(activation: str, sw: float, sb: float, q: float) -> tuple[float, float]:
    from cnnbench.analysis.activations.registry import get_activation

    act = get_activation(activation)
    f, df = activation_moments(activation).value, act.derivative

    def c_map(c: float) -> float:
        return (sw * sw * _pair_expectation(f, q, c) + sb * sb) / q

    lo = -0.999999
    excess = lambda c: c_map(c) - c  # noqa: E731
    top = 1.0 - 1e-9  # c = 1 is a fixed point; the chaotic one lies below it
    if excess(lo) * excess(top - 1e-6) > 0:
        c_star = lo if excess(lo) < 0 else top
    else:
        c_star = optimize.brentq(excess, lo, top - 1e-6, xtol=1e-12)
    return c_star, sw * sw * _pair_expectation(df, q, c_star)


def edge_of_chaos(activation: object, sigma_b: float = 0.0) -> float | None:
    """The σ_w at which χ₁ = 1 for bias standard deviation ``sigma_b`` (None: no edge found).

    Examples
    --------
    >>> round(edge_of_chaos("tanh", 0.0), 6), round(edge_of_chaos("relu", 0.0), 6)
    (1.0, 1.414214)
    """
    return _edge_of_chaos(activation_name(activation), as_real("sigma_b", sigma_b, lower=0.0))


@functools.lru_cache(maxsize=256)
def _edge_of_chaos(activation: str, sb: float) -> float | None:
    def excess(log_sw: float) -> float:
        chi = fixed_point(activation, math.exp(2 * log_sw), sb * sb).chi
        return (chi if math.isfinite(chi) else 1e6) - 1.0

    grid = np.linspace(math.log(EDGE_BRACKET[0]), math.log(EDGE_BRACKET[1]), 40)
    vals = [excess(v) for v in grid]
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if fa == 0.0:
            return math.exp(a)
        if (fa < 0) != (fb < 0):
            root = optimize.brentq(excess, a, b, xtol=EDGE_XTOL)
            return math.exp(root) if continuous_at(excess, root) else None
    return None


def continuous_at(excess, root: float) -> bool:
    """Whether χ₁ really crosses 1 at ``root`` rather than jumping over it.

    Where the q-map from q = 1 turns divergent (χ₁ = ∞ beyond), brentq converges
    on the jump. That is the edge only when χ₁ tends to 1 from the finite side
    (ReLU at σ_b = 0: χ₁ = σ_w²/2 → 1); Mish at σ_b = 0 jumps from χ₁ ≈ 0.8.
    """
    sides = [excess(root - EDGE_SIDE), excess(root + EDGE_SIDE)]
    finite = [abs(v) for v in sides if v < 1e5]
    return len(finite) == 2 or (len(finite) == 1 and finite[0] < EDGE_JUMP_TOL)


def divergence_onset(activation: object, sigma_b: float = 0.0) -> tuple[float, float] | None:
    """The smallest σ_w (in the edge's search range) where the q-map from q = 1 diverges,
    and χ₁ just below it; None when it never does there.

    Explains a missing edge: SiLU at σ_b = 0.3 loses its fixed point (q* jumps to
    ∞) at σ_w ≈ 1.58 while χ₁ is still about 0.8, so χ₁ never reaches 1.

    Examples
    --------
    >>> sw, chi = divergence_onset("relu", 0.0)  # ReLU: the onset is the edge
    >>> round(sw, 6), round(chi, 6)
    (1.414214, 1.0)
    """
    activation = activation_name(activation)
    sb = as_real("sigma_b", sigma_b, lower=0.0)

    def chi(log_sw: float) -> float:
        return fixed_point(activation, math.exp(2 * log_sw), sb * sb).chi

    grid = np.linspace(math.log(EDGE_BRACKET[0]), math.log(EDGE_BRACKET[1]), 40)
    finite = [math.isfinite(chi(v)) for v in grid]
    if all(finite):
        return None
    k = finite.index(False)
    if k == 0:
        return EDGE_BRACKET[0], math.inf
    lo, hi = grid[k - 1], grid[k]
    while hi - lo > EDGE_SIDE:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.isfinite(chi(mid)) else (lo, mid)
    return math.exp(hi), chi(lo)
