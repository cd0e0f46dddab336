"""Receptive field, effective stride and effective padding of a stack of layers.

Closed forms of Araujo, Norris & Sim (2019) for a single-path stack of
sliding-window layers (convolutions and poolings share the geometry: kernel,
stride, padding, dilation). :mod:`cnnbench.analysis.receptive.torch_oracle` checks them
against the gradient support of the same stack built in torch;
:mod:`cnnbench.analysis.receptive.parse` reads a stack from text (``c3s1p1,p2s2``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cnnbench.analysis._validation import ParameterError, as_choice, as_int

LAYER_KINDS = ("conv", "pool")


@dataclass(frozen=True)
class RFLayer:
    """One sliding-window layer: what its geometry is, nothing about channels."""

    kind: str  # "conv" | "pool"
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    name: str = ""

    @property
    def span(self) -> int:
        """Input positions one window covers: ``dilation*(kernel-1)+1``."""
        return self.dilation * (self.kernel - 1) + 1

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "kernel": self.kernel, "stride": self.stride,
                "padding": self.padding, "dilation": self.dilation}  # fmt: skip


def rf_layer(
    kind: str,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    name: str = "",
) -> RFLayer:
    """A validated :class:`RFLayer`; a pool's stride defaults to its kernel (torch's rule).

    Examples
    --------
    >>> rf_layer("pool", 2)
    RFLayer(kind='pool', kernel=2, stride=2, padding=0, dilation=1, name='')
    """
    kind = as_choice("kind", kind, LAYER_KINDS)
    kernel = as_int("kernel", kernel, minimum=1)
    if stride is None:
        stride = kernel if kind == "pool" else 1
    stride = as_int("stride", stride, minimum=1)
    padding = as_int("padding", padding, minimum=0)
    dilation = as_int("dilation", dilation, minimum=1)
    span = dilation * (kernel - 1) + 1
    if kind == "pool" and 2 * padding > span:
        # torch's pooling refuses this ("pad should be at most half of effective kernel size")
        raise ParameterError(
            "padding", padding, f"must be at most half the pool's window {span} (torch's rule)"
        )
    return RFLayer(kind, kernel, stride, padding, dilation, name)


@dataclass(frozen=True)
class RFRow:
    """The receptive field of one layer's output units, in input pixels."""

    layer: RFLayer
    size: int  # r: input pixels between the first and last one a unit depends on
    jump: int  # S: input pixels between neighbouring units (effective stride)
    padding: int  # P: unit 0's window starts at input pixel -P (effective padding)

    @property
    def start(self) -> float:
        """Centre of unit 0's window, in input pixel indices (pixel 0 at 0)."""
        return (self.size - 1) / 2 - self.padding

    def window(self, index: int) -> tuple[int, int]:
        """First and last input pixel that output unit ``index`` depends on."""
        first = index * self.jump - self.padding
        return first, first + self.size - 1

    def to_json(self) -> dict[str, Any]:
        return {**self.layer.to_json(), "rf": self.size, "jump": self.jump,
                "effective_padding": self.padding, "start": self.start}  # fmt: skip


@dataclass(frozen=True)
class ReceptiveField:
    """Per-layer receptive fields of a stack; the whole stack's is the last row's."""

    rows: tuple[RFRow, ...]

    @property
    def size(self) -> int:
        return self.rows[-1].size if self.rows else 1

    @property
    def stride(self) -> int:
        return self.rows[-1].jump if self.rows else 1

    @property
    def padding(self) -> int:
        return self.rows[-1].padding if self.rows else 0

    def row(self, name: str) -> RFRow:
        """The row of the layer called ``name``."""
        for r in self.rows:
            if r.layer.name == name:
                return r
        names = ", ".join(repr(r.layer.name) for r in self.rows)
        raise ParameterError("name", name, f"must name a layer of the stack: {names}")

    def to_json(self) -> dict[str, Any]:
        return {"rf": self.size, "jump": self.stride, "effective_padding": self.padding,
                "layers": [r.to_json() for r in self.rows]}  # fmt: skip


def receptive_field_size(layers: Sequence[RFLayer]) -> int:
    """Receptive field size of the stack's last layer (Araujo et al. eq. 2).

    Notes
    -----
    With ``k'_l = d_l (k_l - 1) + 1`` the dilated kernel,
    ``r_0 = 1 + sum_l (k'_l - 1) prod_{i<l} s_i``.

    References
    ----------
    A. Araujo, W. Norris, J. Sim, "Computing Receptive Fields of Convolutional
    Neural Networks", Distill 2019, eq. (2).

    Examples
    --------
    >>> receptive_field_size([rf_layer("conv", 3), rf_layer("conv", 3)])
    5
    """
    return 1 + sum((layer.span - 1) * math.prod(x.stride for x in layers[:i])
                   for i, layer in enumerate(layers))  # fmt: skip


def effective_stride(layers: Sequence[RFLayer]) -> int:
    """Effective stride ``S_0 = prod_l s_l`` (Araujo et al. eq. 4).

    Examples
    --------
    >>> effective_stride([rf_layer("conv", 11, 4), rf_layer("pool", 3, 2)])
    8
    """
    return math.prod(layer.stride for layer in layers)


def effective_padding(layers: Sequence[RFLayer]) -> int:
    """Effective padding ``P_0 = sum_l p_l prod_{i<l} s_i`` (Araujo et al. eq. 5).

    Examples
    --------
    >>> effective_padding([rf_layer("conv", 3, 2, 1), rf_layer("conv", 3, 1, 1)])
    3
    """
    return sum(layer.padding * math.prod(x.stride for x in layers[:i])
               for i, layer in enumerate(layers))  # fmt: skip


def receptive_field(layers: Iterable[RFLayer]) -> ReceptiveField:
    """Receptive field size, effective stride and padding after every layer.

    Parameters
    ----------
    layers : the stack, input first (see :func:`rf_layer`, :func:`parse_layers`).

    Returns
    -------
    ReceptiveField with one :class:`RFRow` per layer, each from the closed forms
    applied to the prefix ending at that layer.

    References
    ----------
    Araujo, Norris, Sim, Distill 2019, eqs. (2), (4), (5).

    Examples
    --------
    >>> from cnnbench.analysis.receptive.parse import parse_layers
    >>> rf = receptive_field(parse_layers("c11s4,p3s2,c5p2,p3s2,c3p1,c3p1,c3p1,p3s2"))
    >>> rf.size, rf.stride, rf.padding
    (195, 32, 64)
    """
    stack = tuple(layers)
    rows = tuple(
        RFRow(layer, receptive_field_size(stack[: i + 1]), effective_stride(stack[: i + 1]),
              effective_padding(stack[: i + 1]))
        for i, layer in enumerate(stack)
    )  # fmt: skip
    return ReceptiveField(rows)
