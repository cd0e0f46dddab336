"""The registry of every activation the suite knows.

Each :class:`Activation` carries its sympy expression (in :data:`X`, with the
default parameters substituted), an eager torch reference that works in
float64, its analytic derivative as torch code, an ``nn.Module`` factory and
the named implementations a benchmark times (always one called ``"eager"``).

Derivatives at a kink follow torch's own convention (the positive branch is
taken only for ``x > 0``), so the analytic derivative, autograd and the sympy
``Piecewise`` derivative agree everywhere, the kink included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy
import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError, as_choice, as_real
from cnnbench.analysis.activations.extra import builders as extra_builders
from cnnbench.analysis.activations.modules import (
    DEFAULT_REGULARIZED_LAYER,
    LazyCompiled,
    LeakyReLUXA,
    RegularizedReLU,
    SigmoidStar,
    fused_scaled_relu,
    gelu_derivative,
    naive_scaled_relu,
    regularized_relu_factors,
    sigmoid_derivative,
    slope_derivative,
)
from cnnbench.analysis.seeds import (
    FOUNDATIONS,
    MSD_THESIS,
    PAPER,
    PYTORCH_DOCS,
    REGULARIZED_RELU,
    XU_THESIS,
)
from torch import Tensor, nn

X = sympy.Symbol("x", real=True)

Fn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Activation:
    """One registered activation.

    ``expr`` is f(X) with the default ``params`` substituted (None for softmax);
    ``reference`` is the trusted eager torch form (float64-capable) and
    ``derivative`` its analytic f'(x) (None for softmax). ``implementations``
    are the forms a benchmark times and always include ``"eager"``. For RReLU
    ``stochastic`` is True: its ``"eager"`` runs in training mode (a random
    slope per element), while ``expr``, ``reference``, ``derivative`` and
    ``"eager_eval"`` are the evaluation mode (mean slope (l+u)/2).
    """

    name: str
    expr: sympy.Expr | None
    elementwise: bool
    params: Mapping[str, float]
    reference: Fn
    derivative: Fn | None
    module: Callable[[], nn.Module]
    implementations: Mapping[str, Fn]
    stochastic: bool
    seed: str
    locator: str
    description: str = field(default="", compare=False)


def _rational(value: float) -> sympy.Rational:
    """The shortest rational that prints as ``value`` (0.01 -> 1/100), for exact series."""
    return sympy.nsimplify(value, rational=True)


def _positive_part(pos: sympy.Expr, neg: sympy.Expr) -> sympy.Expr:
    # Positive branch for x > 0 only: torch's backward takes the negative branch at 0.
    return sympy.Piecewise((pos, X > 0), (neg, True))


def _sigmoid(**_: float) -> Activation:
    return Activation(
        "sigmoid", 1 / (1 + sympy.exp(-X)), True, {}, torch.sigmoid, sigmoid_derivative,
        nn.Sigmoid,
        {"eager": torch.sigmoid, "eager_naive": lambda x: 1 / (1 + torch.exp(-x))},
        False, MSD_THESIS, "eq. (2.4)", "logistic sigmoid 1/(1+e^-x)",
    )  # fmt: skip


def _tanh(**_: float) -> Activation:
    return Activation(
        "tanh", sympy.tanh(X), True, {}, torch.tanh, lambda x: 1 - torch.tanh(x) ** 2,
        nn.Tanh, {"eager": torch.tanh}, False, FOUNDATIONS, "§3.4.2 (2)", "hyperbolic tangent",
    )  # fmt: skip


def _relu(**_: float) -> Activation:
    return Activation(
        "relu", _positive_part(X, sympy.S.Zero), True, {}, torch.relu, slope_derivative(0.0),
        nn.ReLU, {"eager": torch.relu, "clamp": lambda x: torch.clamp_min(x, 0)},
        False, XU_THESIS, "§5.3.1 eq. (5.1)", "max(0, x)",
    )  # fmt: skip


def _leaky_relu(negative_slope: float = 0.01) -> Activation:
    a = as_real("negative_slope", negative_slope, lower=0.0, upper=1.0, upper_open=True)
    ref = lambda x: F.leaky_relu(x, a)  # noqa: E731
    return Activation(
        "leaky_relu", _positive_part(X, _rational(a) * X), True, {"negative_slope": a}, ref,
        slope_derivative(a), lambda: nn.LeakyReLU(a), {"eager": ref},
        False, XU_THESIS, "§5.3.3 eq. (5.3)", "x for x>0, slope*x below (torch's form)",
    )  # fmt: skip


def _leaky_relu_xa(a: float = 100.0) -> Activation:
    a = as_real("a", a, lower=1.0, lower_open=True)
    ref = lambda x: torch.where(x > 0, x, x / a)  # noqa: E731
    return Activation(
        "leaky_relu_xa", _positive_part(X, X / _rational(a)), True, {"a": a}, ref,
        slope_derivative(1 / a), lambda: LeakyReLUXA(a),
        {"eager": ref, "slope_form": lambda x: F.leaky_relu(x, 1 / a)},
        False, XU_THESIS, "§5.3.2 eq. (5.2)",
        "x for x>=0, x/a below, a in (1, inf) (same value at 0 either way)",
    )  # fmt: skip


def _prelu(init: float = 0.25) -> Activation:
    a = as_real("init", init)

    def ref(x: Tensor) -> Tensor:
        return F.prelu(x, torch.tensor([a], dtype=x.dtype, device=x.device))

    return Activation(
        "prelu", _positive_part(X, _rational(a) * X), True, {"init": a}, ref,
        slope_derivative(a), lambda: nn.PReLU(1, init=a), {"eager": ref},
        False, XU_THESIS, "§5.3.3 eqs. (5.3)-(5.5)", "leaky ReLU with a learned slope a",
    )  # fmt: skip


def _rrelu(lower: float = 1 / 8, upper: float = 1 / 3) -> Activation:
    lo = as_real("lower", lower, lower=0.0, upper=1.0, upper_open=True)
    hi = as_real("upper", upper, lower=0.0, upper=1.0, upper_open=True)
    if not lo < hi:
        raise ParameterError("upper", upper, f"must exceed `lower`={lower!r} (eq. 5.7: l < u)")
    mean = (lo + hi) / 2
    ref = lambda x: F.rrelu(x, lo, hi, training=False)  # noqa: E731
    train = lambda x: F.rrelu(x, lo, hi, training=True)  # noqa: E731
    return Activation(
        "rrelu", _positive_part(X, (_rational(lo) + _rational(hi)) / 2 * X), True,
        {"lower": lo, "upper": hi}, ref, slope_derivative(mean), lambda: nn.RReLU(lo, hi),
        {"eager": train, "eager_eval": ref},
        True, XU_THESIS, "§5.3.4 eqs. (5.6)-(5.7)",
        "training: slope ~ U(lower, upper) per element; expr/reference/derivative: "
        "evaluation (mean slope)",
    )  # fmt: skip


def _sigmoid_star(**_: float) -> Activation:
    naive = lambda x: 4 * torch.sigmoid(x) - 2  # noqa: E731
    best = lambda x: 2 * torch.tanh(x / 2)  # noqa: E731
    return Activation(
        "sigmoid_star", 4 / (1 + sympy.exp(-X)) - 2, True, {}, naive,
        lambda x: 4 * sigmoid_derivative(x), SigmoidStar,
        {"eager": naive, "eager_naive": naive, "eager_best": best,
         "compiled": LazyCompiled(naive, "sigmoid_star")},
        False, XU_THESIS, "§5.5.2 eq. (5.36)", "4*sigmoid(x) - 2",
    )  # fmt: skip


def _regularized_relu(c: float | None = None, s: float | None = None,
                      n: float | None = None, m: float | None = None) -> Activation:  # fmt: skip
    given = {"c": c, "s": s, "n": n, "m": m}
    if any(v is None for v in given.values()):
        if any(v is not None for v in given.values()):
            missing = [k for k, v in given.items() if v is None]
            raise ParameterError("c, s, n, m", given, f"must all be given (missing {missing})")
        f = regularized_relu_factors(**DEFAULT_REGULARIZED_LAYER)
        given = {"c": f.c, "s": f.s, "n": f.n, "m": f.m}
    vals = {k: as_real(k, v, lower=0.0, lower_open=True) for k, v in given.items()}
    c, s_, n_, m_ = (_rational(vals[k]) for k in "csnm")
    coef = c / (s_ * n_ * m_)
    scale = float(coef)
    naive = lambda x: naive_scaled_relu(x, scale)  # noqa: E731
    return Activation(
        "regularized_relu", _positive_part(coef * X, sympy.S.Zero), True, vals, naive,
        lambda x: torch.where(x > 0, torch.full_like(x, scale), torch.zeros_like(x)),
        lambda: RegularizedReLU(scale),
        {"eager": naive, "naive": naive, "fused": lambda x: fused_scaled_relu(x, scale),
         "compiled": LazyCompiled(naive, "regularized_relu")},
        False, REGULARIZED_RELU, "§3.1", "max(0, z*c/(s*n*m)); factors: regularized_relu_factors",
    )  # fmt: skip


def _softplus(**_: float) -> Activation:
    # F.softplus returns x itself above threshold=20 (off by up to e^-20 ≈ 2e-9);
    # logaddexp(x, 0) = ln(e^x + 1) is exact to rounding everywhere.
    ref = lambda x: torch.logaddexp(x, torch.zeros_like(x))  # noqa: E731
    return Activation(
        "softplus", sympy.log(1 + sympy.exp(X)), True, {}, ref, torch.sigmoid,
        nn.Softplus, {"eager": F.softplus, "logaddexp": ref}, False, FOUNDATIONS,
        "§3.4.2 (5)", "ln(1 + e^x); torch's F.softplus linearises above x = 20",
    )  # fmt: skip


def _softmax(**_: float) -> Activation:
    ref = lambda x: torch.softmax(x, dim=-1)  # noqa: E731
    return Activation(
        "softmax", None, False, {}, ref, None, lambda: nn.Softmax(dim=-1), {"eager": ref},
        False, FOUNDATIONS, "§3.4.2 (6)", "exp(z_j)/sum_k exp(z_k) over the last dimension",
    )  # fmt: skip


def _elu(alpha: float = 1.0) -> Activation:
    al = as_real("alpha", alpha, lower=0.0, lower_open=True)
    ref = lambda x: F.elu(x, al)  # noqa: E731
    return Activation(
        "elu", _positive_part(X, _rational(al) * (sympy.exp(X) - 1)), True, {"alpha": al}, ref,
        lambda x: torch.where(x > 0, torch.ones_like(x), al * torch.exp(x)),
        lambda: nn.ELU(al), {"eager": ref}, False, PAPER, "Clevert et al. 2016 (ELU)",
        "x for x>0, alpha*(e^x - 1) below",
    )  # fmt: skip


def _gelu(**_: float) -> Activation:
    return Activation(
        "gelu", X / 2 * (1 + sympy.erf(X / sympy.sqrt(2))), True, {}, F.gelu, gelu_derivative,
        nn.GELU, {"eager": F.gelu}, False, PAPER, "Hendrycks & Gimpel 2016 (GELU)",
        "x*Phi(x), exact erf form",
    )  # fmt: skip


def _silu(**_: float) -> Activation:
    def derivative(x: Tensor) -> Tensor:
        s = torch.sigmoid(x)
        return s * (1 + x * (1 - s))

    return Activation(
        "silu", X / (1 + sympy.exp(-X)), True, {}, F.silu, derivative, nn.SiLU,
        {"eager": F.silu}, False, PYTORCH_DOCS, "torch.nn.SiLU", "x*sigmoid(x)",
    )  # fmt: skip


# Each builder is named after its activation with a leading underscore.
_BUILDERS: dict[str, Callable[..., Activation]] = {
    b.__name__[1:]: b
    for b in (_sigmoid, _tanh, _relu, _leaky_relu, _leaky_relu_xa, _prelu, _rrelu, _sigmoid_star,
              _regularized_relu, _softplus, _softmax, _elu, _gelu, _silu)
}  # fmt: skip

_BUILDERS.update(extra_builders(Activation))

# The registry: the built-ins above, plus any activation registered at run time (a plugin,
# an entry point of the ``cnnbench.activations`` group, a user's spec; see
# :mod:`cnnbench.analysis.activations.spec`). ACTIVATIONS is a read-only view of it.
_REGISTRY: dict[str, Activation] = {k: b() for k, b in _BUILDERS.items()}
ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(_REGISTRY)
BUILTIN: frozenset[str] = frozenset(_REGISTRY)


def register_activation(act: Activation) -> Activation:
    """Add ``act`` to the registry under ``act.name``; a built-in name cannot be taken.

    Registering the same object twice is a no-op; another activation under a
    name already registered is refused (the message names both).
    """
    if not isinstance(act, Activation):
        raise ParameterError("activation", act, "must be an Activation")
    known = _REGISTRY.get(act.name)
    if known is act:
        return act
    if known is not None:
        why = "a built-in" if act.name in BUILTIN else f"registered from {known.locator}"
        raise ParameterError("name", act.name, f"is already taken ({why}); choose another name")
    _REGISTRY[act.name] = act
    return act


def get_activation(name: str) -> Activation:
    """The registered activation called ``name`` (default parameters).

    Examples
    --------
    >>> get_activation("sigmoid_star").expr.subs(X, 0)
    0
    """
    return ACTIVATIONS[as_choice("name", name, ACTIVATIONS)]


def make_activation(name: str, **params: float) -> Activation:
    """The activation ``name`` with non-default ``params`` (validated).

    Examples
    --------
    >>> make_activation("leaky_relu_xa", a=5.5).expr.subs(X, -11)
    -2
    """
    if name in ACTIVATIONS and name not in _BUILDERS:
        if params:
            raise ParameterError("params", sorted(params), f"{name!r} (a plugin) takes none")
        return ACTIVATIONS[name]
    builder = _BUILDERS[as_choice("name", name, _BUILDERS)]
    allowed = set(ACTIVATIONS[name].params)
    for key in params:
        if key not in allowed:
            what = f"must be one of {sorted(allowed)}" if allowed else "takes no parameters"
            raise ParameterError("params", key, f"is not a parameter of {name!r}: {name} {what}")
    return builder(**params)
