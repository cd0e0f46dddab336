"""Monte Carlo of variance propagation on real torch networks, against the theory.

Many independent draws of a deep plain stack (weights by torch's own
``torch.nn.init``, activation modules from the registry, float64), each fed a
batch of ``N(0, input_q)`` inputs and back-propagated from ``ε = Σ g·x_{L+1}``
with ``g ~ N(0, 1)`` (so ``Var[∂ε/∂x_{L+1}] = 1``). Per layer and draw we record
the mean of ``h_l^2`` (forward), of ``f(h_l)`` (the mean eq. 5.20 assumes zero)
and of ``(∂ε/∂h_l)^2`` (backward), and compare their averages over draws with
:func:`cnnbench.analysis.variance.maps.variance_profile`.

Tolerance (derivation)
----------------------
Let ``m_r`` be one draw's per-layer statistic (a mean over the ``N = B·n·S``
entries of the layer: batch × width × spatial positions) and ``m̄`` its average
over ``R`` independent draws.

1. *What the theory predicts.* Weights are zero-mean and independent of the
   layer input, so ``E[h_{l+1}^2 | x] = Var[w]·Σ_j x_j^2 + Var[b]`` exactly, at any
   width; with Gaussian weights ``h_{l+1} | x`` is exactly Gaussian with that
   variance. For positively homogeneous ``f`` (ReLU family) ``E[f(h)^2 | s] = c·s``
   is linear in the conditional variance ``s``, so the theory's ``q_l`` is
   ``E[m_r]`` exactly at finite width; for other ``f`` the theory replaces the
   random ``s`` by its mean, an ``O(1/n)`` (Jensen) error per layer that compounds
   with depth. The backward map additionally assumes the backward weights
   independent of the forward ones.
2. *How ``m_r`` scatters.* If the ``N`` entries were iid ``N(0, q)``, ``N·m_r/q``
   would be ``χ²_N``: ``Var[m_r] = 2q²/N`` (relative s.e. ``sqrt(2/N)``). They are
   not: the units of a layer share its input, and the per-layer factors
   ``‖x_{l+1}‖²/‖x_l‖²`` (each a mean of ``n`` terms) multiply, so the relative
   variance grows roughly like ``1/(BnS) + l·κ/n``. No closed form covers every
   activation, so ``Var[m_r]`` is *estimated* from the draws by the sample
   variance ``s²``; the ratio ``s²/(2q²/N)`` (the design effect) is reported.
3. *Interval.* Draws are iid, so ``(m̄ − E m_r)/(s/sqrt(R))`` is approximately
   Student-t with ``R − 1`` degrees of freedom. Comparing ``K = 2L`` statistics
   at once, the Bonferroni tolerance ``τ = t_{R−1, 1−α/(2K)}·s/sqrt(R)`` keeps the
   chance of any false disagreement at most ``α`` (``ALPHA``). Reported as
   relative errors ``m̄/q − 1`` (delta method: ``g(m̄) = m̄/q`` is linear, so its
   s.e. is ``s/(q·sqrt(R))``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from cnnbench.analysis._validation import as_int, as_real
from cnnbench.analysis.activations.registry import get_activation
from cnnbench.analysis.activations.spec import activation_name
from cnnbench.analysis.variance.init_schemes import get_init
from cnnbench.analysis.variance.maps import VarianceProfile, variance_profile
from cnnbench.analysis.variance.moments import single_thread
from scipy import stats
from torch import nn

# Family-wise false-alarm rate of the per-layer comparisons of one run.
ALPHA = 0.01
# Fewer draws make the t-interval anti-conservative for these right-skewed statistics:
# with 8 draws the sample s.d. of a ReLU layer's q came out at 0.3x its value over 200
# draws (design effect 0.8 vs 8.5), and the run "disagreed" with an exact theory.
MIN_DRAWS = 12
# Agreement within a tolerance wider than half the predicted value says nothing:
# such a run is reported as uninformative (finite-width fluctuations dominate).
MAX_REL_TOL = 0.5
SPATIAL = 8  # conv feature maps are SPATIAL × SPATIAL (circular padding keeps them exact)


@dataclass(frozen=True)
class LayerMC:
    """Measured against predicted, one layer."""

    layer: int
    q_theory: float
    q_mc: float
    q_tol: float  # absolute Bonferroni tolerance on q_mc
    grad_theory: float
    grad_mc: float
    grad_tol: float
    mean_theory: float  # E[f(h_l)]
    mean_mc: float
    design_effect: float  # Var[m_r] / (2q²/N): 1 for iid entries

    @property
    def q_agrees(self) -> bool:
        return abs(self.q_mc - self.q_theory) <= self.q_tol

    @property
    def grad_agrees(self) -> bool:
        return abs(self.grad_mc - self.grad_theory) <= self.grad_tol


@dataclass(frozen=True)
class MonteCarloResult:
    """Theory and Monte Carlo for every layer of one configuration."""

    theory: VarianceProfile
    draws: int
    batch: int
    seed: int
    alpha: float
    t_quantile: float
    layers: tuple[LayerMC, ...]
    input_grad_mc: float  # mean (∂ε/∂x_1)² over draws (eq. 5.32's left side)
    input_grad_se: float  # its standard error over draws

    @property
    def input_grad_theory(self) -> float:
        """``fan_out·Var[w]·E[(∂ε/∂h_1)^2]``: the input gradient's second moment."""
        return self.theory.sigma_w2_backward * self.theory.layers[0].grad_var

    @property
    def informative(self) -> bool:
        """Every tolerance below ``MAX_REL_TOL`` of its prediction (else the draws
        scatter too much for agreement to mean anything)."""
        return all(
            r.q_tol <= MAX_REL_TOL * r.q_theory and r.grad_tol <= MAX_REL_TOL * r.grad_theory
            for r in self.layers
        )

    @property
    def agrees(self) -> bool:
        return all(r.q_agrees and r.grad_agrees for r in self.layers)

    def worst(self) -> dict:
        """The largest |error|/tolerance, forward and backward (``<= 1`` agrees)."""
        def ratio(mc: float, th: float, tol: float) -> float:
            return abs(mc - th) / tol if tol > 0 else (0.0 if mc == th else math.inf)

        fq = max(ratio(r.q_mc, r.q_theory, r.q_tol) for r in self.layers)
        fg = max(ratio(r.grad_mc, r.grad_theory, r.grad_tol) for r in self.layers)
        return {"forward_err_over_tol": fq, "backward_err_over_tol": fg}

    def to_json(self) -> dict:
        return {
            "theory": self.theory.to_json(),
            "draws": self.draws,
            "batch": self.batch,
            "seed": self.seed,
            "alpha": self.alpha,
            "t_quantile": self.t_quantile,
            "agrees": self.agrees,
            "informative": self.informative,
            "input_grad_mc": self.input_grad_mc,
            "input_grad_se": self.input_grad_se,
            "layers": [
                asdict(r) | {"q_agrees": r.q_agrees, "grad_agrees": r.grad_agrees}
                for r in self.layers
            ],
        }


def _stack(activation: str, init: str, kind: str, depth: int, width: int, kernel: int):
    act = get_activation(activation)
    scheme = get_init(init)
    layers, acts = [], []
    for _ in range(depth):
        if kind == "conv":
            layer = nn.Conv2d(width, width, kernel, padding=kernel // 2, padding_mode="circular",
                              dtype=torch.float64)  # fmt: skip
        else:
            layer = nn.Linear(width, width, dtype=torch.float64)
        scheme.apply(layer)
        layers.append(layer)
        acts.append(act.module().double())
    return layers, acts


def _one_draw(layers, acts, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Per-layer (mean h², mean f(h), mean (∂ε/∂h)²) for one draw, (3, L), and the
    mean (∂ε/∂x_1)² of the input."""
    x.requires_grad_(True)
    x1, hs = x, []
    for layer, act in zip(layers, acts, strict=True):
        h = layer(x)  # (B, n) or (B, n, S, S)
        h.retain_grad()
        hs.append(h)
        x = act(h)
    g = torch.randn_like(x)  # ∂ε/∂x_{L+1}: unit variance
    (g * x).sum().backward()
    with torch.no_grad():
        per_layer = torch.stack([
            torch.stack([h.square().mean() for h in hs]),
            torch.stack([act(h).mean() for act, h in zip(acts, hs, strict=True)]),
            torch.stack([h.grad.square().mean() for h in hs]),
        ])  # fmt: skip
    return per_layer, float(x1.grad.square().mean())


def monte_carlo(
    activation: object,
    init: str,
    depth: int,
    width: int,
    *,
    kind: str = "mlp",
    kernel: int = 3,
    draws: int = 16,
    batch: int = 32,
    input_q: float = 1.0,
    seed: int = 0,
    alpha: float = ALPHA,
) -> MonteCarloResult:
    """Measure per-layer forward/backward second moments over ``draws`` networks.

    Parameters
    ----------
    activation, init, depth, width, kind, kernel, input_q : as
        :func:`cnnbench.analysis.variance.maps.variance_profile`.
    draws : independent networks (weights, inputs and ``g`` redrawn), ``>= MIN_DRAWS``.
    batch : inputs per draw.
    seed : base seed; draw ``r`` uses ``seed + r`` (torch's global generator,
        forked so the caller's RNG state is untouched).
    alpha : family-wise false-alarm rate of this run's ``2L`` comparisons.

    Returns
    -------
    MonteCarloResult
        Per layer: theory, Monte Carlo mean over draws and the tolerance of the
        module docstring.

    References
    ----------
    003_6ff731d493f5c8c8.txt §5.5.1 eqs. (5.20)-(5.32).

    Examples
    --------
    >>> r = monte_carlo("relu", "kaiming_fan_in", depth=2, width=16, draws=12, batch=2)
    >>> len(r.layers), round(r.layers[0].q_theory, 12)
    (2, 2.0)
    """
    activation = activation_name(activation)
    theory = variance_profile(activation, init, depth, width, kind=kind, kernel=kernel,
                              input_q=input_q)  # fmt: skip
    draws = as_int("draws", draws, minimum=MIN_DRAWS)
    batch = as_int("batch", batch, minimum=1)
    seed = as_int("seed", seed, minimum=0)
    input_q = as_real("input_q", input_q, lower=0.0)
    alpha = as_real("alpha", alpha, lower=0.0, upper=1.0, lower_open=True, upper_open=True)
    shape = (batch, width, SPATIAL, SPATIAL) if kind == "conv" else (batch, width)
    per_draw, input_grad = [], []
    with torch.random.fork_rng(devices=[]), single_thread():
        for r in range(draws):
            torch.manual_seed(seed + r)
            layers, acts = _stack(activation, init, kind, depth, width, kernel)
            x = math.sqrt(input_q) * torch.randn(shape, dtype=torch.float64)
            stats_r, g_in = _one_draw(layers, acts, x)
            per_draw.append(stats_r)
            input_grad.append(g_in)
    data = torch.stack(per_draw)  # (R, 3, L)
    # Rescale before squaring deviations: q ~ 1e-165 would underflow to a zero s.d.
    scale = data.abs().amax(0).clamp_min(torch.finfo(torch.float64).tiny)  # (3, L)
    mean, sd = data.mean(0), (data / scale).std(0, unbiased=True) * scale
    t = float(stats.t.ppf(1 - alpha / (2 * 2 * depth), draws - 1))
    g_in = torch.tensor(input_grad, dtype=torch.float64)
    se = sd / math.sqrt(draws)
    n_entries = math.prod(shape)
    rows = []
    for i, th in enumerate(theory.layers):
        iid_var = 2 * th.q**2 / n_entries
        rows.append(LayerMC(
            layer=th.layer, q_theory=th.q, q_mc=float(mean[0, i]), q_tol=t * float(se[0, i]),
            grad_theory=th.grad_var, grad_mc=float(mean[2, i]), grad_tol=t * float(se[2, i]),
            mean_theory=th.post_mean, mean_mc=float(mean[1, i]),
            design_effect=float(sd[0, i]) ** 2 / iid_var if iid_var > 0 else 0.0,
        ))  # fmt: skip
    return MonteCarloResult(theory, draws, batch, seed, alpha, t, tuple(rows),
                            float(g_in.mean()), float(g_in.std() / math.sqrt(draws)))  # fmt: skip
