"""The activations users expect beside the texts' own: Mish, the hard family, SELU, CELU,
softsign, log-sigmoid, ReLU6, tanhshrink and Swish-β.

Each is built like the registry's own (:mod:`cnnbench.analysis.activations.registry`):
a sympy expression, torch's function as the reference, the analytic derivative
in torch code, an ``nn.Module`` and the implementations a benchmark times. At a
kink the sympy ``Piecewise`` takes the branch torch's backward takes, so sympy's
derivative, the analytic one and autograd agree everywhere (tests check it).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import as_real
from cnnbench.analysis.seeds import PAPER, PYTORCH_DOCS
from torch import Tensor, nn

X = sympy.Symbol("x", real=True)  # the registry's symbol (sympy caches it: the same object)

# SELU's constants (Klambauer et al. 2017), exact as the decimals torch uses.
SELU_ALPHA = sympy.Rational("1.6732632423543772848170429916717")
SELU_SCALE = sympy.Rational("1.0507009873554804934193349852946")


def _pw(*pieces: tuple[sympy.Expr, sympy.Basic]) -> sympy.Expr:
    return sympy.Piecewise(*pieces)


def _sech2(x: Tensor) -> Tensor:
    return 1 - torch.tanh(x) ** 2


class Swish(nn.Module):
    """Swish-β: ``x·sigmoid(βx)`` (Ramachandran et al. 2017); β = 1 is SiLU."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self) -> str:
        return f"beta={self.beta:g}"


def _mish_derivative(x: Tensor) -> Tensor:
    sp = F.softplus(x)
    return torch.tanh(sp) + x * _sech2(sp) * torch.sigmoid(x)


def _swish_derivative(beta: float) -> Callable[[Tensor], Tensor]:
    def d(x: Tensor) -> Tensor:
        s = torch.sigmoid(beta * x)
        return s + beta * x * s * (1 - s)

    return d


def builders(activation_cls) -> dict[str, Callable[..., object]]:
    """Builders of the activations of this module, for the registry's ``Activation`` class."""
    A = activation_cls

    def mish(**_: float):
        return A("mish", X * sympy.tanh(sympy.log(1 + sympy.exp(X))), True, {}, F.mish,
                 _mish_derivative, nn.Mish, {"eager": F.mish}, False, PAPER,
                 "Misra 2019 (Mish)", "x*tanh(softplus(x))")  # fmt: skip

    def hardswish(**_: float):
        # torch's backward: 0 up to -3 inclusive, x/3 + 1/2 inside, 1 from 3 on
        expr = _pw((0, X <= -3), (X * (X + 3) / 6, X < 3), (X, True))
        d = lambda x: torch.where(x <= -3, 0.0, torch.where(x < 3, x / 3 + 0.5, 1.0)).to(x.dtype)  # noqa: E731
        return A("hardswish", expr, True, {}, F.hardswish, d, nn.Hardswish,
                 {"eager": F.hardswish}, False, PAPER, "Howard et al. 2019 (MobileNetV3)",
                 "x*relu6(x + 3)/6")  # fmt: skip

    def hardsigmoid(**_: float):
        expr = _pw((0, X <= -3), (X / 6 + sympy.Rational(1, 2), X < 3), (1, True))
        d = lambda x: ((x > -3) & (x < 3)).to(x.dtype) / 6  # noqa: E731
        return A("hardsigmoid", expr, True, {}, F.hardsigmoid, d, nn.Hardsigmoid,
                 {"eager": F.hardsigmoid}, False, PYTORCH_DOCS, "torch.nn.Hardsigmoid",
                 "relu6(x + 3)/6")  # fmt: skip

    def hardtanh(**_: float):
        expr = _pw((-1, X <= -1), (X, X < 1), (1, True))
        d = lambda x: ((x > -1) & (x < 1)).to(x.dtype)  # noqa: E731
        return A("hardtanh", expr, True, {}, F.hardtanh, d, nn.Hardtanh,
                 {"eager": F.hardtanh}, False, PYTORCH_DOCS, "torch.nn.Hardtanh",
                 "clamp(x, -1, 1)")  # fmt: skip

    def relu6(**_: float):
        expr = _pw((0, X <= 0), (X, X < 6), (6, True))
        d = lambda x: ((x > 0) & (x < 6)).to(x.dtype)  # noqa: E731
        return A("relu6", expr, True, {}, F.relu6, d, nn.ReLU6, {"eager": F.relu6}, False,
                 PYTORCH_DOCS, "torch.nn.ReLU6", "min(max(0, x), 6)")  # fmt: skip

    def selu(**_: float):
        expr = _pw((SELU_SCALE * X, X > 0), (SELU_SCALE * SELU_ALPHA * (sympy.exp(X) - 1), True))
        sc, al = float(SELU_SCALE), float(SELU_ALPHA)
        d = lambda x: torch.where(x > 0, sc, sc * al * torch.exp(x)).to(x.dtype)  # noqa: E731
        return A("selu", expr, True, {}, F.selu, d, nn.SELU, {"eager": F.selu}, False, PAPER,
                 "Klambauer et al. 2017 (SELU)", "scale*(x if x>0 else alpha*(e^x - 1))")

    def celu(alpha: float = 1.0):
        al = as_real("alpha", alpha, lower=0.0, lower_open=True)
        a = sympy.nsimplify(al, rational=True)
        expr = _pw((X, X > 0), (a * (sympy.exp(X / a) - 1), True))
        ref = lambda x: F.celu(x, al)  # noqa: E731
        d = lambda x: torch.where(x > 0, 1.0, torch.exp(x / al)).to(x.dtype)  # noqa: E731
        return A("celu", expr, True, {"alpha": al}, ref, d, lambda: nn.CELU(al),
                 {"eager": ref}, False, PAPER, "Barron 2017 (CELU)",
                 "x for x>0, alpha*(e^(x/alpha) - 1) below")  # fmt: skip

    def softsign(**_: float):
        # x/(1+|x|), written by branches so its one-sided expansions are explicit
        expr = _pw((X / (1 + X), X > 0), (X / (1 - X), True))
        d = lambda x: 1 / (1 + x.abs()) ** 2  # noqa: E731
        return A("softsign", expr, True, {}, F.softsign, d, nn.Softsign,
                 {"eager": F.softsign}, False, PYTORCH_DOCS, "torch.nn.Softsign",
                 "x/(1 + |x|)")  # fmt: skip

    def logsigmoid(**_: float):
        expr = -sympy.log(1 + sympy.exp(-X))
        return A("logsigmoid", expr, True, {}, F.logsigmoid, lambda x: torch.sigmoid(-x),
                 nn.LogSigmoid, {"eager": F.logsigmoid}, False, PYTORCH_DOCS,
                 "torch.nn.LogSigmoid", "log(sigmoid(x))")  # fmt: skip

    def tanhshrink(**_: float):
        return A("tanhshrink", X - sympy.tanh(X), True, {}, F.tanhshrink,
                 lambda x: torch.tanh(x) ** 2, nn.Tanhshrink, {"eager": F.tanhshrink}, False,
                 PYTORCH_DOCS, "torch.nn.Tanhshrink", "x - tanh(x)")  # fmt: skip

    def swish(beta: float = 1.0):
        b = as_real("beta", beta, lower=0.0, lower_open=True)
        bb = sympy.nsimplify(b, rational=True)
        ref = lambda x: x * torch.sigmoid(b * x)  # noqa: E731
        return A("swish", X / (1 + sympy.exp(-bb * X)), True, {"beta": b}, ref,
                 _swish_derivative(b), lambda: Swish(b), {"eager": ref}, False, PAPER,
                 "Ramachandran et al. 2017 (Swish)", "x*sigmoid(beta*x); beta = 1 is SiLU")

    return {f.__name__: f for f in (mish, hardswish, hardsigmoid, hardtanh, relu6, selu, celu,
                                    softsign, logsigmoid, tanhshrink, swish)}  # fmt: skip
