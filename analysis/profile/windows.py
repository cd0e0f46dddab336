"""Receptive fields through any graph: every unit's input window, composed op by op.

Along one spatial axis a layer's unit ``o`` depends on the input pixels
``[A(o), B(o)]`` (before any clipping at the image border: padding positions
count, as in Araujo et al.). For a stack of sliding windows ``A(o) = o·S - P``
and ``B(o) = A(o) + r - 1`` (jump ``S``, effective padding ``P``, receptive field
``r``). A strided transposed convolution breaks that: neighbouring output units
read different numbers of input units, so the windows are *periodic*,
``A(o + T) = A(o) + shift`` with a period ``T`` and a fractional jump
``shift/T``. :class:`AxisWindows` keeps ``A`` and ``B`` on one period, which is
exact for every op here.

An op is an :class:`IndexMap`: output unit ``o`` reads the previous layer's
units ``lo(o) .. hi(o)`` (a convolution ``o·s - p .. o·s - p + d(k-1)``). As ``A``
and ``B`` are non-decreasing, the window of ``o`` is ``[A(lo(o)), B(hi(o))]``
(:func:`compose`). Where paths meet (a residual add, a concatenation) a unit
depends on the union of its paths' windows (:func:`union`): the receptive field
of a branchy net is the maximum over its paths, and paths must agree on the jump.

References
----------
A. Araujo, W. Norris, J. Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019 (single-path closed forms; multi-path alignment).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

Index = Callable[[int], "int | None"]


class Misaligned(ValueError):
    """Paths that meet have different jumps: their units do not line up."""


@dataclass(frozen=True)
class AxisWindows:
    """``A(o)`` and ``B(o)`` of every unit along one axis, periodic with ``period``.

    ``lo[r]``/``hi[r]`` are ``A(r)``/``B(r)`` for ``r < period`` (None: the unit reads
    nothing, e.g. the gaps of a transposed convolution whose kernel is shorter than
    its stride); ``A(o + period) = A(o) + shift``.
    """

    period: int
    shift: int
    lo: tuple[int | None, ...]
    hi: tuple[int | None, ...]

    def first(self, o: int) -> int | None:
        """``A(o)``: the first input pixel unit ``o`` depends on (any integer ``o``)."""
        q, r = divmod(o, self.period)
        a = self.lo[r]
        return None if a is None else a + q * self.shift

    def last(self, o: int) -> int | None:
        """``B(o)``: the last input pixel unit ``o`` depends on."""
        q, r = divmod(o, self.period)
        b = self.hi[r]
        return None if b is None else b + q * self.shift

    @property
    def size(self) -> int:
        """The receptive field: the widest window of any unit (0 if none reads anything)."""
        return max((b - a + 1 for a, b in zip(self.lo, self.hi, strict=True) if a is not None),
                   default=0)  # fmt: skip

    @property
    def sizes(self) -> tuple[int, ...]:
        """Window width of each unit of one period (0 where a unit reads nothing)."""
        return tuple(0 if a is None else b - a + 1 for a, b in zip(self.lo, self.hi, strict=True))

    @property
    def jump(self) -> Fraction:
        """Input pixels between neighbouring units (the effective stride), on average."""
        return Fraction(self.shift, self.period)

    @property
    def padding(self) -> int | None:
        """Effective padding: unit 0's window starts at pixel ``-padding``."""
        a = self.first(0)
        return None if a is None else -a

    def to_json(self) -> dict:
        return {"rf": self.size, "jump": _number(self.jump), "effective_padding": self.padding,
                "period": self.period}  # fmt: skip


def _number(x: Fraction) -> int | float:
    return int(x) if x.denominator == 1 else float(x)


IDENTITY = AxisWindows(1, 1, (0,), (0,))


@dataclass(frozen=True)
class IndexMap:
    """Which previous-layer units output unit ``o`` reads: ``lo(o) .. hi(o)`` (None: none).

    Periodic: ``lo(o + period) = lo(o) + shift`` (and ``hi`` alike).
    """

    period: int
    shift: int
    lo: Index
    hi: Index
    name: str = ""


def sliding(kernel: int, stride: int, padding: int, dilation: int = 1) -> IndexMap:
    """A convolution or pooling window: unit ``o`` reads ``o·s - p .. o·s - p + d(k-1)``.

    >>> m = sliding(3, 2, 1)
    >>> m.lo(0), m.hi(0), m.lo(1)
    (-1, 1, 1)
    """
    span = dilation * (kernel - 1)
    return IndexMap(1, stride, lambda o: o * stride - padding,
                    lambda o: o * stride - padding + span, "sliding")  # fmt: skip


def transposed(kernel: int, stride: int, padding: int, dilation: int = 1) -> IndexMap:
    """A transposed convolution: input ``i`` adds into outputs ``i·s - p + t·d``, ``t < k``;
    output ``o`` reads every ``i`` with ``i·s = o + p - t·d`` for some tap ``t``.

    >>> m = transposed(3, 2, 1)   # outputs alternate between 1 and 2 input units
    >>> [(m.lo(o), m.hi(o)) for o in range(4)]
    [(0, 0), (0, 1), (1, 1), (1, 2)]
    """

    def reads(o: int) -> list[int]:
        return [(o + padding - t * dilation) // stride for t in range(kernel)
                if (o + padding - t * dilation) % stride == 0]  # fmt: skip

    return IndexMap(stride, 1, lambda o: min(reads(o), default=None),
                    lambda o: max(reads(o), default=None), "transposed")  # fmt: skip


def resampling(n_in: int, n_out: int, kind: str) -> IndexMap:
    """Adaptive pooling (``kind="adaptive"``: torch's ``floor(o·n/m) .. ceil((o+1)·n/m) - 1``),
    nearest (``"nearest"``: ``floor(o·n/m)``) or linear (``"linear"``, align_corners False:
    the two pixels around ``(o + 1/2)·n/m - 1/2``) resampling from ``n_in`` to ``n_out`` units.

    >>> m = resampling(7, 3, "adaptive")
    >>> [(m.lo(o), m.hi(o)) for o in range(3)]
    [(0, 2), (2, 4), (4, 6)]
    """
    g = math.gcd(n_in, n_out)
    if kind == "adaptive":
        lo = lambda o: (o * n_in) // n_out  # noqa: E731
        hi = lambda o: -((-(o + 1) * n_in) // n_out) - 1  # noqa: E731
    elif kind == "nearest":
        lo = hi = lambda o: (o * n_in) // n_out
    else:  # linear: src = ((2o + 1)·n_in - n_out) / (2·n_out)
        lo = lambda o: ((2 * o + 1) * n_in - n_out) // (2 * n_out)  # noqa: E731
        hi = lambda o: -((-((2 * o + 1) * n_in - n_out)) // (2 * n_out))  # noqa: E731
    return IndexMap(n_out // g, n_in // g, lo, hi, kind)


def compose(w: AxisWindows, m: IndexMap) -> AxisWindows:
    """The windows after applying ``m`` to a layer whose windows are ``w``.

    >>> c = compose(compose(IDENTITY, sliding(3, 1, 1)), sliding(3, 2, 1))
    >>> c.size, c.jump, c.padding
    (5, Fraction(2, 1), 2)
    """
    reps = w.period // math.gcd(m.shift, w.period)  # index periods per whole input period
    period = reps * m.period
    shift = reps * m.shift // w.period * w.shift
    lo, hi = [], []
    for o in range(period):
        a, b = m.lo(o), m.hi(o)
        lo.append(None if a is None else w.first(a))
        hi.append(None if b is None else w.last(b))
    return _reduce(AxisWindows(period, shift, tuple(lo), tuple(hi)))


def union(ws: Sequence[AxisWindows]) -> AxisWindows:
    """Windows of units that depend on several paths (residual add, concatenation).

    Raises :class:`Misaligned` when the paths' jumps differ.

    >>> a = compose(IDENTITY, sliding(3, 1, 1))
    >>> union([a, compose(a, sliding(3, 1, 1))]).size
    5
    """
    if len({w.jump for w in ws}) > 1:
        raise Misaligned(f"paths with jumps {', '.join(str(w.jump) for w in ws)} meet")
    period = math.lcm(*(w.period for w in ws))
    shift = period * ws[0].shift // ws[0].period
    lo, hi = [], []
    for o in range(period):
        firsts = [a for w in ws if (a := w.first(o)) is not None]
        lasts = [b for w in ws if (b := w.last(o)) is not None]
        lo.append(min(firsts) if firsts else None)
        hi.append(max(lasts) if lasts else None)
    return _reduce(AxisWindows(period, shift, tuple(lo), tuple(hi)))


def _reduce(w: AxisWindows) -> AxisWindows:
    """The same windows on the shortest period that describes them."""
    for p in range(1, w.period):
        if w.period % p or (w.shift * p) % w.period:
            continue
        step = w.shift * p // w.period
        ok = all(_plus(w.lo[o], step) == w.lo[o + p] and _plus(w.hi[o], step) == w.hi[o + p]
                 for o in range(w.period - p))  # fmt: skip
        if ok:
            return AxisWindows(p, step, w.lo[:p], w.hi[:p])
    return w


def _plus(x: int | None, d: int) -> int | None:
    return None if x is None else x + d


def clean_units(m: IndexMap, n_in: int, n_out: int, clean_in: tuple[int, int]) -> tuple[int, int]:
    """The output units ``[lo, hi)`` whose windows pass through no padding, no missing unit and
    no unit outside ``clean_in`` (the previous layer's clean units): the units whose gradient
    support is their whole window. Assumes the clean units are consecutive (monotone maps).

    >>> clean_units(sliding(3, 1, 1), 8, 8, (0, 8))
    (1, 7)
    """
    a, b = clean_in
    ok = [o for o in range(n_out)
          if (lo := m.lo(o)) is not None and lo >= a and m.hi(o) < b]  # fmt: skip
    return (ok[0], ok[-1] + 1) if ok else (0, 0)
