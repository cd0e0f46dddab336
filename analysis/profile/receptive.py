"""Receptive field, jump and effective padding of every node of a traced graph.

Each node gets a state: :class:`Spatial` (its tensor's spatial axes and every unit's
input window along each, :mod:`cnnbench.analysis.profile.windows`), :data:`GLOBAL`
(every output depends on the whole input: after a global pool, a flatten, a
reduction over a spatial axis, a broadcast of such a summary), :class:`Unknown`
(an op without a rule, and everything computed from it; the reason is kept) or
None (not a tensor, or a constant). Pointwise ops take the union of their inputs'
windows, so at a residual addition the receptive field is the larger of the two
paths', and paths that meet must agree on the jump (Araujo et al.'s alignment).

With ``clean=True`` each axis also carries the units whose windows never pass
through padding or a missing unit (:func:`~cnnbench.analysis.profile.windows.clean_units`):
those are the units the gradient-support oracle can measure whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cnnbench.analysis.profile.graph import NodeRecord
from cnnbench.analysis.profile.layers import Geometry, geometry
from cnnbench.analysis.profile.windows import (
    IDENTITY,
    AxisWindows,
    IndexMap,
    Misaligned,
    clean_units,
    compose,
    resampling,
    sliding,
    transposed,
    union,
)


@dataclass(frozen=True)
class Spatial:
    """A tensor with spatial axes: which dims they are, their windows and unit counts."""

    dims: tuple[int | None, ...]  # per tensor dim: the spatial axis it holds, or None
    windows: tuple[AxisWindows, ...]  # per spatial axis
    sizes: tuple[int, ...]  # units per spatial axis
    clean: tuple[tuple[int, int], ...] | None = None  # per axis: [lo, hi) of clean units

    @property
    def canonical(self) -> bool:
        """Laid out (N, C, axis 0, axis 1, ...), as convolutions and pools expect."""
        return self.dims == (None, None, *range(len(self.windows)))


@dataclass(frozen=True)
class Unknown:
    reason: str


class _Global:
    def __repr__(self) -> str:
        return "GLOBAL"


GLOBAL = _Global()
State = Spatial | _Global | Unknown | None
_REDUCTIONS = frozenset("mean sum amax amin max min prod std var norm logsumexp softmax "
                        "log_softmax softmin".split())  # fmt: skip
_SOFTMAX_MODULES = ("Softmax", "LogSoftmax", "Softmin")


def propagate(records: list[NodeRecord], *, clean: bool = False) -> dict[str, State]:
    """The state of every node, in graph order (see the module docstring)."""
    states: dict[str, State] = {}
    for r in records:
        try:
            states[r.node] = _state(r, geometry(r), [states.get(i) for i in r.inputs], clean)
        except Misaligned as exc:
            states[r.node] = Unknown(f"{r.name}: {exc}")
    return states


def _state(r: NodeRecord, g: Geometry, ins: list[State], clean: bool) -> State:
    if g.kind == "input":
        sizes = r.shape[2:]
        return Spatial((None, None, *range(len(sizes))), (IDENTITY,) * len(sizes), sizes,
                       tuple((0, n) for n in sizes) if clean else None)  # fmt: skip
    if g.kind == "none":
        return None
    known = [s for s in ins if s is not None]
    bad = next((s for s in known if isinstance(s, Unknown)), None)
    if bad is not None:
        return bad
    if not known:
        return None  # computed from constants only
    if g.kind == "unknown":
        return Unknown(g.reason)
    if any(s is GLOBAL for s in known):
        return GLOBAL
    main = known[0]
    if g.kind in ("sliding", "transposed", "resample"):
        return _windowed(r, g, main, clean)
    if g.kind == "permute":
        return replace(main, dims=tuple(main.dims[p] for p in g.perm))
    if g.kind == "linear":  # acts on the last dim
        if main.dims[-1] is not None:
            return Unknown(f"{r.name}: {r.op} mixes spatial axis {main.dims[-1]} (the last dim)")
        return _pointwise(r, known)
    if g.kind == "reduce":
        return _reduced(r, main)
    return _pointwise(r, known)


def _windowed(r: NodeRecord, g: Geometry, main: Spatial, clean: bool) -> State:
    if not main.canonical:
        return Unknown(f"{r.name}: {r.op} applied to permuted axes {main.dims}")
    out_sizes = r.shape[2:]
    if len(out_sizes) != len(main.windows):
        return Unknown(f"{r.name}: {r.op} changes the number of spatial axes")
    maps: list[IndexMap] = []
    for axis, n_out in enumerate(out_sizes):
        if g.kind == "resample":
            maps.append(resampling(main.sizes[axis], n_out, g.mode))
        else:
            k, s, p, d = g.axes[axis]
            maps.append((sliding if g.kind == "sliding" else transposed)(k, s, p, d))
    windows = tuple(compose(w, m) for w, m in zip(main.windows, maps, strict=True))
    cleaned = None
    if clean and main.clean is not None:
        cleaned = tuple(clean_units(m, n_in, n_out, c) for m, n_in, n_out, c in
                        zip(maps, main.sizes, out_sizes, main.clean, strict=True))  # fmt: skip
    return Spatial(main.dims, windows, tuple(out_sizes), cleaned)


def _pointwise(r: NodeRecord, known: list[State]) -> State:
    if r.shape is None:
        return known[0]
    nd = len(r.shape)
    spatial = [s for s in known if isinstance(s, Spatial)]
    first = spatial[0]
    if len(first.dims) != nd:
        return Unknown(f"{r.name}: {r.op} changes the number of dims")
    for s in spatial:
        if len(s.dims) != nd or s.dims != first.dims:
            return Unknown(f"{r.name}: {r.op} combines tensors laid out differently")
        if s.sizes != first.sizes:
            if all(n == 1 for n in s.sizes):  # a broadcast global summary (squeeze-excitation)
                return GLOBAL
            return Unknown(f"{r.name}: {r.op} combines spatial sizes {s.sizes} and {first.sizes}")
    if r.op in ("cat", "concat", "concatenate", "stack"):
        dim = _dim(r, 1, 0)
        if dim is not None and first.dims[dim % nd] is not None:
            return Unknown(f"{r.name}: {r.op} along a spatial axis")
    windows = tuple(union([s.windows[a] for s in spatial]) for a in range(len(first.windows)))
    cleaned = None
    if all(s.clean is not None for s in spatial):
        cleaned = tuple((max(s.clean[a][0] for s in spatial), min(s.clean[a][1] for s in spatial))
                        for a in range(len(first.windows)))  # fmt: skip
    return Spatial(first.dims, windows, first.sizes, cleaned)


def _dim(r: NodeRecord, position: int, default):
    """The ``dim`` argument of ``r`` (keyword or the ``position``-th positional argument)."""
    if r.op in _SOFTMAX_MODULES:
        return 1 if r.module.dim is None else r.module.dim  # None: torch's implicit dim 1
    if "dim" in r.kwargs:
        return r.kwargs["dim"]
    return r.args[position] if len(r.args) > position else default


def _reduced(r: NodeRecord, main: Spatial) -> State:
    nd = len(main.dims)
    if r.op in ("chunk", "split", "tensor_split"):
        dim = _dim(r, 2, 0)
        if isinstance(dim, int) and main.dims[dim % nd] is not None:
            return Unknown(f"{r.name}: {r.op} along a spatial axis")
        return main
    name = r.op.lower()
    if name in _REDUCTIONS or r.op in _SOFTMAX_MODULES:
        dim = _dim(r, 1, None)
        dims = (dim,) if isinstance(dim, int) else tuple(dim) if dim is not None else range(nd)
        if any(main.dims[d % nd] is not None for d in dims):
            return GLOBAL
    out = r.shape
    if len(out) == nd and all(out[j] == main.sizes[a] for j, a in enumerate(main.dims)
                              if a is not None):  # fmt: skip
        return main  # the spatial axes survive as they were (channel slices, views)
    if len(out) <= 2:
        return GLOBAL
    return Unknown(f"{r.name}: {r.op} reshapes the spatial axes {tuple(main.sizes)} to {out}")


def headline(records: list[NodeRecord], states: dict[str, State]) -> NodeRecord | None:
    """The node whose receptive field is *the network's*: the last one with windows before
    the head, i.e. the first node whose output depends on the whole input (a flatten, a
    global reduction) or the first adaptive pooling. That is where Araujo et al. read it
    off (ResNet-50: the output of the last block)."""
    found = None
    for r in records:
        s = states.get(r.node)
        if s is GLOBAL or r.op.lower().startswith("adaptive"):
            break
        if isinstance(s, Spatial):
            found = r
    return found
