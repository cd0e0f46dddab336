"""Gaussian moments of an activation: what the variance maps need from ``f``.

For a pre-activation ``h ~ N(0, q)`` the forward map needs ``E[f(h)^2]`` (a
*second moment*, not a variance: the next layer's pre-activation variance is
``n·Var[w]·E[x^2]`` whatever the mean of ``x``), the backward map needs
``E[f'(h)^2]`` and the mean ``E[f(h)]`` says how far the zero-mean assumption
of 003 eq. (5.20) is off. Expectations are one-dimensional integrals against
the Gaussian density, done by adaptive quadrature (``scipy.integrate.quad``)
split at the kink ``h = 0`` of the piecewise activations.

Stochastic activations (RReLU in training mode) enter through the same three
functions averaged over their internal randomness: with a slope ``a ~ U(l, u)``
on ``h < 0``, ``E_a[f(h)^2] = E[a^2]·h^2`` and ``E[a^2] = (l^2 + l·u + u^2)/3``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from cnnbench.analysis._validation import ParameterError, as_real
from scipy import integrate, special

TensorFn = Callable[[torch.Tensor], torch.Tensor]

# Composite Gauss-Legendre: 24 nodes per panel integrates exp(-z^2/2)·(smooth) on a
# panel of width 0.5 to float64 rounding; the density is < 1e-300 beyond Z_MAX.
GL_NODES = 24
Z_MAX = 38.0
# quad's own error targets for the cross-check: ~1e-11 relative.
QUAD_EPSABS = 1e-14
QUAD_EPSREL = 1e-11
_SQRT_2PI = math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class MomentFunctions:
    """The three pointwise functions whose Gaussian expectations the maps use.

    ``value(x) = E_noise[f(x)]``, ``square(x) = E_noise[f(x)^2]`` and
    ``dsquare(x) = E_noise[f'(x)^2]``; without internal noise these are
    ``f``, ``f^2`` and ``f'^2``. All take and return float64 tensors.
    """

    name: str
    value: TensorFn
    square: TensorFn
    dsquare: TensorFn


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, restoring the caller's setting.

    Small tensors gain nothing from threads and lose a lot on a busy machine
    (under contention, load average ~9 on 2 cores): one Gaussian expectation
    took 26.7 ms on 2 threads and 0.52 ms on 1; a depth-5 Monte Carlo of 24
    draws 12.6 s and 1.3 s.
    """
    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=1)
def _half_line_rule() -> tuple[torch.Tensor, torch.Tensor]:
    """Composite Gauss-Legendre nodes/weights on [0, Z_MAX] times the N(0,1) density.

    Panels grow geometrically from 1e-9 to 0.5 (so a transition of width
    1/sqrt(q) near 0 is resolved up to q ~ 1e16), then have width 0.5 up to
    Z_MAX, beyond which the density is below 1e-300.
    """
    t, w = special.roots_legendre(GL_NODES)
    inner = np.concatenate([[0.0], np.geomspace(1e-9, 0.5, 31)])
    edges = np.concatenate([inner, np.arange(1.0, Z_MAX + 0.25, 0.5)])
    a, b = edges[:-1, None], edges[1:, None]
    z = (a + (b - a) * (t + 1) / 2).ravel()
    wz = ((b - a) / 2 * w).ravel() * np.exp(-0.5 * z * z) / _SQRT_2PI
    return torch.from_numpy(z), torch.from_numpy(wz)


def gaussian_expectation(g: TensorFn, q: float) -> float:
    """``E[g(sqrt(q)·z)]`` for ``z ~ N(0, 1)``, by quadrature split at 0.

    Parameters
    ----------
    g : an elementwise function of a float64 tensor.
    q : the variance of the Gaussian argument, ``q >= 0``.

    Returns
    -------
    float
        The expectation; ``g(0)`` when ``q == 0``.

    Notes
    -----
    ``E[g(sqrt(q) z)] = ∫ g(sqrt(q) z) exp(-z^2/2)/sqrt(2π) dz`` on
    ``(-inf, 0]`` and ``[0, inf)`` separately (a kink at 0 costs nothing), each by
    composite Gauss-Legendre in one vectorised call; agreement with scipy's
    adaptive ``quad`` (:func:`gaussian_expectation_quad`) is a test.

    Examples
    --------
    >>> round(gaussian_expectation(lambda x: x * x, 2.5), 12)
    2.5
    """
    q = as_real("q", q, lower=0.0)
    if q == 0.0:
        return float(g(torch.zeros((), dtype=torch.float64)))
    z, wz = _half_line_rule()
    with single_thread():
        x = math.sqrt(q) * torch.cat([z, -z])  # (2·nodes,)
        return float((g(x) * torch.cat([wz, wz])).sum())


def gaussian_expectation_quad(g: TensorFn, q: float) -> float:
    """The same expectation by scipy's adaptive ``quad`` (slow; the cross-check).

    Examples
    --------
    >>> round(gaussian_expectation_quad(lambda x: x * x, 2.5), 10)
    2.5
    """
    q = as_real("q", q, lower=0.0)
    if q == 0.0:
        return float(g(torch.zeros((), dtype=torch.float64)))
    s = math.sqrt(q)

    def integrand(z: float) -> float:
        gz = float(g(torch.tensor(s * z, dtype=torch.float64)))
        return gz * math.exp(-0.5 * z * z) / _SQRT_2PI

    return sum(
        integrate.quad(integrand, lo, hi, epsabs=QUAD_EPSABS, epsrel=QUAD_EPSREL, limit=200)[0]
        for lo, hi in ((-math.inf, 0.0), (0.0, math.inf))
    )


def moments_from_callables(name: str, f: TensorFn, df: TensorFn) -> MomentFunctions:
    """Moment functions of a deterministic activation given ``f`` and ``f'``.

    Examples
    --------
    >>> m = moments_from_callables("linear", lambda x: x, torch.ones_like)
    >>> round(gaussian_expectation(m.dsquare, 3.0), 12)  # quadrature
    1.0
    """
    return MomentFunctions(name, f, lambda x: f(x) ** 2, lambda x: df(x) ** 2)


def rrelu_slope_moments(lower: float, upper: float) -> tuple[float, float]:
    """``(E[a], E[a^2])`` for a slope ``a ~ U(lower, upper)`` (003 eq. 5.7).

    Examples
    --------
    >>> rrelu_slope_moments(0.0, 1.0)  # bit-exact: Python float arithmetic
    (0.5, 0.3333333333333333)
    """
    lo = as_real("lower", lower)
    hi = as_real("upper", upper)
    if not lo < hi:
        raise ParameterError("upper", upper, f"must exceed `lower`={lower!r}")
    return (lo + hi) / 2, (lo * lo + lo * hi + hi * hi) / 3


def activation_moments(name: object) -> MomentFunctions:
    """Moment functions of the registered activation ``name`` (training behaviour).

    The function and its derivative are the registry's torch ``reference`` and
    ``derivative`` in float64;
    RReLU uses its random slope's first and second moments (see module notes).

    Examples
    --------
    >>> m = activation_moments("relu")
    >>> round(gaussian_expectation(m.square, 1.0), 12)
    0.5
    """
    from cnnbench.analysis.activations.spec import activation_name

    return _activation_moments(activation_name(name))


@lru_cache(maxsize=64)
def _activation_moments(name: str) -> MomentFunctions:
    from cnnbench.analysis.activations.registry import get_activation

    act = get_activation(name)
    if not act.elementwise:
        raise ParameterError("activation", name, "must be an elementwise activation")
    if act.stochastic:
        mean_a, mean_a2 = rrelu_slope_moments(act.params["lower"], act.params["upper"])
        return MomentFunctions(
            name,
            lambda x: torch.where(x > 0, x, mean_a * x),
            lambda x: torch.where(x > 0, x * x, mean_a2 * x * x),
            lambda x: torch.where(x > 0, 1.0, mean_a2).to(x.dtype),
        )
    # The registry's torch code is overflow-safe far out in the tails, where a
    # lambdified sympy sigmoid derivative gives inf/inf.
    return moments_from_callables(name, act.reference, act.derivative)
