"""Forward and backward variance propagation through a deep plain stack.

The stack is ``x_1 = input``, ``h_l = W_l x_l + b_l``, ``x_{l+1} = f(h_l)`` for
``l = 1..L`` (003 eqs. 5.18-5.19 with ``y_l = h_l``), fully connected or a
convolution with circular padding (so every output reads exactly ``fan_in``
inputs and every input feeds exactly ``fan_out`` outputs). With zero-mean weights
independent of the layer's input,

``q_{l+1} = E[h_{l+1}^2] = fan_in·Var[w]·E[f(h_l)^2] + Var[b]``            (forward)

``r_l = E[(∂ε/∂h_l)^2] = E[f'(h_l)^2]·fan_out·Var[w]·r_{l+1}``            (backward)

and with ``h_l ~ N(0, q_l)`` (the infinite-width limit) both expectations are
one-dimensional Gaussian integrals (:mod:`cnnbench.analysis.variance.moments`). The
forward map uses the *second moment* ``E[f(h)^2]`` where 003 eq. (5.20) writes
``Var[x_l]``; the two differ by ``E[x_l]^2``, which is 1/4 for the sigmoid. The
backward map assumes the backward weights independent of the forward ones (the
usual "gradient independence" assumption) and ``∂ε/∂x_{L+1}`` of unit variance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from cnnbench.analysis._validation import as_choice, as_int, as_real
from cnnbench.analysis.activations.spec import activation_name
from cnnbench.analysis.variance.init_schemes import layer_sigmas
from cnnbench.analysis.variance.moments import (
    MomentFunctions,
    activation_moments,
    gaussian_expectation,
)
from scipy import optimize

KINDS = ("mlp", "conv")
# A map F with |F(q) - q| below this fraction of q at three scales decades apart
# is the identity: positively homogeneous f at the critical gain (ReLU + Kaiming).
MARGINAL_REL_TOL = 1e-9


@dataclass(frozen=True)
class LayerTheory:
    """Theory for one layer ``l`` (1-based) of the stack."""

    layer: int
    q: float  # E[h_l^2], the pre-activation second moment (its variance: E[h_l] = 0)
    post_mean: float  # E[f(h_l)]: zero is what eq. (5.20) assumes
    post_second: float  # E[f(h_l)^2], what the next layer's forward map uses
    chi: float  # backward gain fan_out·Var[w]·E[f'(h_l)^2]
    grad_var: float  # E[(∂ε/∂h_l)^2] for Var[∂ε/∂x_{L+1}] = 1


@dataclass(frozen=True)
class VarianceProfile:
    """Per-layer theory of one (activation, initialisation, geometry)."""

    activation: str
    init: str
    kind: str
    depth: int
    width: int
    kernel: int
    fan_in: int
    fan_out: int
    sigma_w2_forward: float  # fan_in·Var[w]
    sigma_w2_backward: float  # fan_out·Var[w]
    sigma_b2: float
    input_q: float
    layers: tuple[LayerTheory, ...]

    def to_json(self) -> dict:
        out = asdict(self)
        out["layers"] = [asdict(r) for r in self.layers]
        return out


@dataclass(frozen=True)
class FixedPoint:
    """Where the forward map ``F(q) = σ_w²·E[f(√q z)^2] + σ_b²`` settles from ``q0``."""

    regime: str  # "finite", "zero", "marginal" (F is the identity) or "divergent"
    q: float  # the fixed point reached (q0 itself when marginal; inf when divergent)
    slope: float  # F'(q*): below 1 attracting, 1 marginal
    chi: float  # σ_w²·E[f'(√q* z)^2], the per-layer gradient gain there


def stack_fans(kind: str, width: int, kernel: int = 3) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a hidden layer: ``width`` features or channels.

    Examples
    --------
    >>> stack_fans("conv", 64, 3)
    (576, 576)
    """
    kind = as_choice("kind", kind, KINDS)
    width = as_int("width", width, minimum=1)
    kernel = as_int("kernel", kernel, minimum=1)
    fan = width * kernel * kernel if kind == "conv" else width
    return fan, fan


def forward_map(m: MomentFunctions, q: float, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """``σ_w²·E[f(√q z)^2] + σ_b²``: the next layer's pre-activation second moment.

    Examples
    --------
    >>> round(forward_map(activation_moments("relu"), 3.0, 2.0), 12)
    3.0
    """
    return sigma_w2 * gaussian_expectation(m.square, q) + sigma_b2


def backward_gain(m: MomentFunctions, q: float, sigma_w2: float) -> float:
    """``χ = σ_w²·E[f'(√q z)^2]``: the factor a layer multiplies ``E[δ^2]`` by.

    Examples
    --------
    >>> round(backward_gain(activation_moments("relu"), 1.0, 2.0), 12)  # quadrature
    1.0
    """
    return sigma_w2 * gaussian_expectation(m.dsquare, q)


def variance_profile(
    activation: object,
    init: str,
    depth: int,
    width: int,
    *,
    kind: str = "mlp",
    kernel: int = 3,
    input_q: float = 1.0,
) -> VarianceProfile:
    """Per-layer forward second moments and backward gradient variances.

    Parameters
    ----------
    activation : a registered elementwise activation name.
    init : an initialisation of :data:`cnnbench.analysis.variance.init_schemes.INIT_SCHEMES`.
    depth, width : number of layers ``L`` and features (MLP) or channels (conv).
    kind : ``"mlp"`` or ``"conv"`` (square ``kernel``, circular padding).
    input_q : ``E[x_1^2]`` of the raw input (not passed through ``f``).

    Returns
    -------
    VarianceProfile

    Notes
    -----
    ``q_1 = σ_fwd²·input_q + σ_b²``, ``q_{l+1} = σ_fwd²·E[f(√q_l z)^2] + σ_b²``;
    ``r_L = E[f'(√q_L z)^2]``, ``r_l = σ_bwd²·E[f'(√q_l z)^2]·r_{l+1}``.

    References
    ----------
    003_6ff731d493f5c8c8.txt §5.5.1 eqs. (5.18)-(5.32); He et al. 2015 §2.2.

    Examples
    --------
    >>> p = variance_profile("relu", "kaiming_fan_in", depth=3, width=100)
    >>> [round(r.q, 12) for r in p.layers], round(p.layers[0].grad_var, 12)
    ([2.0, 2.0, 2.0], 0.5)
    """
    activation = activation_name(activation)
    m = activation_moments(activation)
    depth = as_int("depth", depth, minimum=1)
    fan_in, fan_out = stack_fans(kind, width, kernel)
    input_q = as_real("input_q", input_q, lower=0.0)
    s_fwd, s_bwd, s_b2 = layer_sigmas(init, fan_in, fan_out)
    qs = [s_fwd * input_q + s_b2]
    for _ in range(depth - 1):
        qs.append(forward_map(m, qs[-1], s_fwd, s_b2))
    dsq = [gaussian_expectation(m.dsquare, q) for q in qs]
    grad = [0.0] * depth
    grad[-1] = dsq[-1]
    for i in range(depth - 2, -1, -1):
        grad[i] = dsq[i] * s_bwd * grad[i + 1]
    rows = tuple(
        LayerTheory(
            layer=i + 1,
            q=qs[i],
            post_mean=gaussian_expectation(m.value, qs[i]),
            post_second=gaussian_expectation(m.square, qs[i]),
            chi=s_bwd * dsq[i],
            grad_var=grad[i],
        )
        for i in range(depth)
    )
    init = init if isinstance(init, str) else init.name
    return VarianceProfile(activation, init, kind, depth, width, kernel, fan_in, fan_out,
                           s_fwd, s_bwd, s_b2, input_q, rows)  # fmt: skip


def fixed_point(
    activation: object, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0
) -> FixedPoint:
    """The fixed point of the forward map reached by iterating it from ``q0``.

    ``F`` is increasing in ``q`` for every registered activation, so iteration
    moves monotonically towards the nearest root of ``F(q) - q`` in the
    direction of ``F(q0) - q0``; roots are bracketed on a log grid and polished
    with ``brentq``.

    Examples
    --------
    >>> fixed_point("relu", 2.0).regime
    'marginal'
    >>> fp = fixed_point("tanh", 1.0)
    >>> fp.regime, round(fp.q, 12), round(fp.chi, 12)
    ('zero', 0.0, 1.0)
    """
    activation = activation_name(activation)
    m = activation_moments(activation)
    sw = as_real("sigma_w2", sigma_w2, lower=0.0, lower_open=True)
    sb = as_real("sigma_b2", sigma_b2, lower=0.0)
    q0 = as_real("q0", q0, lower=0.0, lower_open=True)

    def F(q: float) -> float:
        return forward_map(m, q, sw, sb)

    def result(regime: str, q: float) -> FixedPoint:
        if not math.isfinite(q):
            return FixedPoint(regime, math.inf, math.inf, math.inf)
        h = max(q, 1e-6) * 1e-4
        slope = (F(q + h) - F(max(q - h, 0.0))) / (q + h - max(q - h, 0.0))
        # At q* = 0 the gain is the limit q -> 0+, (f'(0+)² + f'(0-)²)/2 at a kink.
        return FixedPoint(regime, q, slope, backward_gain(m, max(q, 1e-200), sw))

    if sb == 0.0 and all(abs(F(q) - q) <= MARGINAL_REL_TOL * q for q in (1e-2, 1.0, 1e2)):
        return result("marginal", q0)
    g0 = F(q0) - q0
    if g0 == 0.0:
        return result("finite", q0)
    up = g0 > 0
    grid = np.geomspace(q0, 1e8 if up else 1e-10, 46)[1:]
    prev = q0
    for q in grid:
        if (F(q) - q > 0) != up:
            root = optimize.brentq(lambda t: F(t) - t, min(prev, q), max(prev, q), xtol=1e-14)
            return result("finite", float(root))
        prev = q
    if up:
        return result("divergent", math.inf)
    # F(q) < q all the way down: settles at F(0) (zero when f(0) = 0 and σ_b = 0).
    f0 = F(0.0)
    return result("zero" if f0 == 0.0 else "finite", f0)
