"""Weight initialisations as variances, and as the torch calls that draw them.

Each :class:`InitScheme` states ``Var[w]`` and ``Var[b]`` as functions of the
layer's fans (torch's definition: ``fan_in = in_features`` or
``in_channels·k_h·k_w``; ``fan_out = out_features`` or ``out_channels·k_h·k_w``)
and applies itself to a real ``nn.Linear``/``nn.Conv2d`` with torch's own
``torch.nn.init`` functions, so a Monte Carlo run tests the stated variance
against what torch draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cnnbench.analysis._validation import as_choice, as_int, as_real
from torch import nn

Layer = nn.Linear | nn.Conv2d


@dataclass(frozen=True)
class InitScheme:
    """One initialisation: its variances and the torch call that realises it."""

    name: str
    weight_var: Callable[[int, int], float]  # (fan_in, fan_out) -> Var[w]
    bias_var: Callable[[int], float]  # fan_in -> Var[b]
    apply: Callable[[Layer], None]
    description: str


def _zero_bias(layer: Layer) -> None:
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def _with_zero_bias(init_weight: Callable[[Layer], None]) -> Callable[[Layer], None]:
    def apply(layer: Layer) -> None:
        init_weight(layer)
        _zero_bias(layer)

    return apply


def _lecun(layer: Layer) -> None:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
    nn.init.normal_(layer.weight, 0.0, 1.0 / math.sqrt(fan_in))


def _uniform_pm1(layer: Layer) -> None:
    nn.init.uniform_(layer.weight, -1.0, 1.0)
    if layer.bias is not None:
        nn.init.uniform_(layer.bias, -1.0, 1.0)


def _zero(_: int) -> float:
    return 0.0


INIT_SCHEMES: Mapping[str, InitScheme] = MappingProxyType({
    s.name: s
    for s in (
        InitScheme("xavier_uniform", lambda fi, fo: 2.0 / (fi + fo), _zero,
                   _with_zero_bias(lambda m: nn.init.xavier_uniform_(m.weight)),
                   "Glorot & Bengio 2010: U(±sqrt(6/(fan_in+fan_out))), bias 0"),
        InitScheme("xavier_normal", lambda fi, fo: 2.0 / (fi + fo), _zero,
                   _with_zero_bias(lambda m: nn.init.xavier_normal_(m.weight)),
                   "Glorot & Bengio 2010: N(0, 2/(fan_in+fan_out)), bias 0"),
        InitScheme("kaiming_fan_in", lambda fi, fo: 2.0 / fi, _zero,
                   _with_zero_bias(lambda m: nn.init.kaiming_normal_(
                       m.weight, mode="fan_in", nonlinearity="relu")),
                   "He et al. 2015 forward: N(0, 2/fan_in), bias 0"),
        InitScheme("kaiming_fan_out", lambda fi, fo: 2.0 / fo, _zero,
                   _with_zero_bias(lambda m: nn.init.kaiming_normal_(
                       m.weight, mode="fan_out", nonlinearity="relu")),
                   "He et al. 2015 backward: N(0, 2/fan_out), bias 0"),
        InitScheme("kaiming_uniform", lambda fi, fo: 2.0 / fi, _zero,
                   _with_zero_bias(lambda m: nn.init.kaiming_uniform_(
                       m.weight, mode="fan_in", nonlinearity="relu")),
                   "He et al. 2015 forward, uniform: U(±sqrt(6/fan_in)), bias 0"),
        InitScheme("lecun", lambda fi, fo: 1.0 / fi, _zero, _with_zero_bias(_lecun),
                   "LeCun 1998: N(0, 1/fan_in), bias 0"),
        # nn.Linear/nn.Conv2d.reset_parameters: kaiming_uniform_(a=sqrt(5)) gives the
        # bound gain*sqrt(3/fan_in) with gain = sqrt(2/(1+5)), i.e. U(±1/sqrt(fan_in)),
        # and the bias U(±1/sqrt(fan_in)): both variances are 1/(3·fan_in).
        InitScheme("pytorch_default", lambda fi, fo: 1.0 / (3.0 * fi),
                   lambda fi: 1.0 / (3.0 * fi), lambda m: m.reset_parameters(),
                   "torch's layer default: U(±1/sqrt(fan_in)) for weight and bias"),
        # 000 §4.5: "every initial weight use the random value between -1 and 1".
        InitScheme("uniform_pm1", lambda fi, fo: 1.0 / 3.0, lambda fi: 1.0 / 3.0,
                   _uniform_pm1, "000 §4.5: U(-1, 1) for weight and bias, whatever the fans"),
    )
})  # fmt: skip


def get_init(name: str | InitScheme) -> InitScheme:
    """The initialisation called ``name`` (an :class:`InitScheme` is returned as it is).

    Examples
    --------
    >>> get_init("pytorch_default").weight_var(64, 10) * 192  # bit-exact: Python floats
    1.0
    """
    if isinstance(name, InitScheme):
        return name
    return INIT_SCHEMES[as_choice("init", name, INIT_SCHEMES)]


def gaussian_init(sigma_w: float, sigma_b: float = 0.0) -> InitScheme:
    """Weights N(0, σ_w²/fan_in) and biases N(0, σ_b²): the mean-field parametrisation.

    Examples
    --------
    >>> s = gaussian_init(2.0, 0.5)
    >>> s.name, s.weight_var(4, 9), s.bias_var(4)  # bit-exact: Python floats
    ('gaussian(sigma_w=2, sigma_b=0.5)', 1.0, 0.25)
    """
    sw = as_real("sigma_w", sigma_w, lower=0.0, lower_open=True)
    sb = as_real("sigma_b", sigma_b, lower=0.0)

    def apply(layer: Layer) -> None:
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
        nn.init.normal_(layer.weight, 0.0, sw / math.sqrt(fan_in))
        if layer.bias is not None:
            nn.init.normal_(layer.bias, 0.0, sb) if sb > 0 else nn.init.zeros_(layer.bias)

    return InitScheme(f"gaussian(sigma_w={sw:g}, sigma_b={sb:g})", lambda fi, fo: sw * sw / fi,
                      lambda fi: sb * sb, apply, "N(0, sigma_w^2/fan_in), bias N(0, sigma_b^2)")


def layer_sigmas(name: str | InitScheme, fan_in: int, fan_out: int) -> tuple[float, float, float]:
    """``(fan_in·Var[w], fan_out·Var[w], Var[b])``: the forward and backward weight
    gains and the bias variance of one layer under initialisation ``name``.

    Examples
    --------
    >>> layer_sigmas("xavier_normal", 100, 300)  # bit-exact: Python floats
    (0.5, 1.5, 0.0)
    """
    scheme = get_init(name)
    fan_in = as_int("fan_in", fan_in, minimum=1)
    fan_out = as_int("fan_out", fan_out, minimum=1)
    v = scheme.weight_var(fan_in, fan_out)
    return fan_in * v, fan_out * v, scheme.bias_var(fan_in)
