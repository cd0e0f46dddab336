"""The receptive fields of a real model as torch's autograd sees them (the oracle).

The model is built on the CPU in float64 and made *positive*: every weight drawn from
U(0.5, 1)/fan-in, biases and batch-norm shifts 0, batch-norm scales and running
variances 1 and running means 0 (so eval mode is a positive scaling), any other
parameter from U(0.5, 1); max pools become average pools of the same window (a max
routes its gradient to one element and would hide the rest). Fed ones, every
pre-activation is then positive and every path from an input pixel to a unit carries a
positive product, so no cancellation hides a pixel: the input gradient of a unit is
positive exactly on the pixels its window covers. The window of each measured unit is
compared, axis by axis, with the one :mod:`cnnbench.analysis.profile.receptive` composed.

Units are measured only where their windows never pass through padding or a missing
unit (the clean units); the input is enlarged (to the size the windows ask for, then
x1.25 per step, within ``max_macs``) until the measured nodes have a whole period of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from cnnbench.analysis.profile.graph import NodeRecord, graph_records, trace
from cnnbench.analysis.profile.layers import geometry, macs
from cnnbench.analysis.profile.receptive import Spatial, propagate
from cnnbench.analysis.profile.source import ModelSource, build_model
from torch import fx, nn

# The forward pass the oracle may run: 2 GMAC in float64 take a few seconds on 2 cores.
MAX_MACS = 2 * 10**9
MAX_UNITS = 48  # units measured in all (one backward pass each)
STALE_STEPS = 3  # stop enlarging the input after this many steps that measured nothing new
BUMPS = 32  # sizes tried above one the model refuses (strides, concatenations that must agree)
_WINDOWED = ("sliding", "transposed", "resample")


@dataclass(frozen=True)
class Verification:
    """What the oracle measured, or why it did not run."""

    input_shape: tuple[int, ...] | None
    units: int = 0
    mismatches: tuple[dict, ...] = ()
    skipped: str = ""
    nodes: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()  # nodes with no unit clear of padding at this input
    checked: list = field(default_factory=list)  # (node, unit, axis, computed, measured)

    @property
    def agrees(self) -> bool:
        return not self.skipped and self.units > 0 and not self.mismatches

    def to_json(self) -> dict:
        return {"input": None if self.input_shape is None else list(self.input_shape),
                "units": self.units, "nodes": list(self.nodes), "agrees": self.agrees,
                "mismatches": list(self.mismatches), "skipped": self.skipped,
                "left_out": list(self.left_out)}  # fmt: skip


def _targets(records: list[NodeRecord], states: dict, head: str | None, every: bool):
    """The headline node, and with ``every`` each windowed op and each merge of paths."""
    out = []
    for r in records:
        s = states.get(r.node)
        if not isinstance(s, Spatial) or not s.canonical:
            continue
        if r.name == head or (every and (geometry(r).kind in _WINDOWED or len(r.inputs) > 1)):
            out.append(r)
    return out


def _short(r: NodeRecord, states: dict) -> bool:
    s = states[r.node]
    return any(hi - lo < w.period for (lo, hi), w in zip(s.clean, s.windows, strict=True))


def _needed(targets: list[NodeRecord], states: dict, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Per axis, the input size at which a whole period of units of every target has its
    window inside the image (the first estimate; clean units are then checked)."""
    need = list(shape[1:])
    for r in targets:
        for axis, w in enumerate(states[r.node].windows):
            o = 0
            while (a := w.first(o)) is None or a < 0:
                o += 1
            last = max(b for j in range(o, o + w.period) if (b := w.last(j)) is not None)
            need[axis] = max(need[axis], last + 1)
    return (shape[0], *need)


def _plan(source: ModelSource, input_shape: tuple[int, ...], head: str | None, max_macs: int,
          every: bool):  # fmt: skip
    """The smallest input (from ``input_shape``: first the size the windows ask for, then
    x1.25 per step, within ``max_macs``) with a clean period of units at every target that
    gets one; (shape, states, targets, left out), or a reason. Growing stops after
    :data:`STALE_STEPS` steps that measured no further node (an adaptive pool to a fixed
    size never has a unit clear of padding)."""
    shape = tuple(input_shape)
    gm = trace(build_model(source, "meta").eval())
    best, stale, first, before = None, 0, True, None
    while stale < STALE_STEPS:
        shape, records = _runnable(gm, shape)
        if records is None:
            break
        cost = sum(m for r in records if (m := macs(r)) is not None)
        if cost > max_macs and before is not None:  # the size every target asks for is
            shape, before = before, None  # too dear: grow step by step from the start
            continue
        if cost > max_macs:
            break
        states = propagate(records, clean=True)
        targets = _targets(records, states, head, every)
        if first and targets and (bigger := _needed(targets, states, shape)) != shape:
            shape, first, before = bigger, False, shape
            continue
        before = None
        first = False
        ok = [r for r in targets if not _short(r, states)]
        if best is None or len(ok) > len(best[2]):
            best = (shape, states, ok, tuple(r.name for r in targets if _short(r, states)))
            stale = 0
        else:
            stale += 1
        if targets and len(ok) == len(targets):
            break
        shape = (shape[0], *(n + max(1, n // 4) for n in shape[1:]))
    if best is None or not best[2]:
        size = "x".join(map(str, shape))
        return (f"no unit is clear of padding at inputs up to {size} within the oracle's "
                f"{max_macs / 1e9:g} GMAC (float64) limit")  # fmt: skip
    return best


def _runnable(gm: fx.GraphModule, shape: tuple[int, ...]):
    """``shape`` or the next size up (each spatial size +1, at most :data:`BUMPS` times) at
    which the model runs, with its records; (shape, None) when none does (a model that
    needs, say, sizes divisible by 4 runs at one of the next 3 sizes)."""
    for _ in range(BUMPS):
        try:
            return shape, graph_records(gm, torch.zeros((1, *shape), device="meta"))
        except RuntimeError:
            shape = (shape[0], *(n + 1 for n in shape[1:]))
    return shape, None


def _positive(model: nn.Module, gen: torch.Generator) -> None:
    with torch.no_grad():
        for m in model.modules():
            for name, p in m.named_parameters(recurse=False):
                if isinstance(m, nn.modules.batchnorm._NormBase | nn.GroupNorm | nn.LayerNorm):
                    p.fill_(1.0 if name == "weight" else 0.0)
                elif name == "bias":
                    p.zero_()
                elif name == "weight" and p.dim() > 1:
                    fan = p[0].numel() if not isinstance(m, nn.modules.conv._ConvTransposeNd) \
                        else p.shape[0] * math.prod(p.shape[2:])
                    p.copy_((0.5 + 0.5 * torch.rand(p.shape, generator=gen, dtype=p.dtype)) / fan)
                else:
                    p.copy_(0.5 + 0.5 * torch.rand(p.shape, generator=gen, dtype=p.dtype))
            if isinstance(m, nn.modules.batchnorm._NormBase) and m.running_mean is not None:
                m.running_mean.zero_()
                m.running_var.fill_(1.0)


class _AvgForMax(nn.Module):
    """An average over a max pool's window (dilated windows by a ones-kernel convolution)."""

    def __init__(self, pool: nn.Module) -> None:
        super().__init__()
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, *spatial)
        p, n = self.pool, x.dim() - 2
        if isinstance(p, nn.modules.pooling._AdaptiveMaxPoolNd):
            return [F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d][n - 1](
                x, p.output_size)  # fmt: skip
        k, s, pad, d = (_t(v, n) for v in (p.kernel_size, p.stride or p.kernel_size, p.padding,
                                            p.dilation))  # fmt: skip
        if all(v == 1 for v in d):
            pool = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][n - 1]
            return pool(x, k, s, pad, ceil_mode=p.ceil_mode)
        weight = torch.ones((x.shape[1], 1, *k), dtype=x.dtype)  # (C, 1, *k)
        conv = [F.conv1d, F.conv2d, F.conv3d][n - 1]
        return conv(x, weight, None, s, pad, d, groups=x.shape[1])


def _t(v, n: int) -> tuple[int, ...]:
    return (v,) * n if isinstance(v, int) else tuple(v)


def _swap_max_pools(gm: fx.GraphModule) -> None:
    for name, m in list(gm.named_modules()):
        if isinstance(m, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AdaptiveMaxPoolNd):
            parent, _, leaf = name.rpartition(".")
            setattr(gm.get_submodule(parent) if parent else gm, leaf, _AvgForMax(m))
    for node in gm.graph.nodes:  # functional max pools: F.max_pool2d(x, k, s, p, d, ceil)
        fname = getattr(node.target, "__name__", "")
        if node.op == "call_function" and fname.startswith(("max_pool", "adaptive_max_pool")):
            node.target = getattr(F, fname.replace("max", "avg"))
            if fname.startswith("max_pool"):  # avg_pool has no dilation: drop that argument
                node.args = node.args[:4] + node.args[5:6]
                node.kwargs = {k: v for k, v in node.kwargs.items()
                               if k not in ("dilation", "return_indices")}  # fmt: skip
    gm.recompile()


def verify(source: ModelSource, input_shape: tuple[int, ...], head: str | None = None, *,
           every: bool = True, max_macs: int = MAX_MACS,
           seed: int = 0) -> Verification:  # fmt: skip
    """Measure the receptive fields of ``source``'s model with autograd and compare: at
    ``head`` (the network's headline node) and, with ``every``, at each windowed op and
    each merge of paths."""
    planned = _plan(source, input_shape, head, max_macs, every)
    if isinstance(planned, str):
        return Verification(None, skipped=planned)
    shape, states, targets, left_out = planned
    gen = torch.Generator().manual_seed(seed)
    model = build_model(source, "cpu").double().eval()
    _positive(model, gen)
    gm = trace(model)
    _swap_max_pools(gm)
    values: dict[str, torch.Tensor] = {}

    class Keep(fx.Interpreter):
        def run_node(self, n):
            out = super().run_node(n)
            if n.name in wanted:
                values[n.name] = out
            return out

    wanted = {r.node for r in targets}
    x = torch.ones((1, *shape), dtype=torch.float64, requires_grad=True)  # (1, C, *spatial)
    Keep(gm).run(x)
    per_node = max(1, MAX_UNITS // len(targets))
    checked, bad, units = [], [], 0
    for r in targets:
        s: Spatial = states[r.node]
        period = math.lcm(*(w.period for w in s.windows))
        count = min(period, per_node)
        for j in range(count):
            unit = tuple(lo + (hi - lo - count) // 2 + j for lo, hi in s.clean)
            y = values[r.node][(0, slice(None), *unit)].sum()
            (grad,) = torch.autograd.grad(y, x, retain_graph=True)
            units += 1
            support = grad[0].abs().sum(dim=0)  # (*spatial)
            for axis, w in enumerate(s.windows):
                other = tuple(a for a in range(support.dim()) if a != axis)
                hit = torch.nonzero(support.amax(dim=other) > 0 if other else support > 0)
                measured = (int(hit.min()), int(hit.max()))
                computed = (w.first(unit[axis]), w.last(unit[axis]))
                checked.append((r.name, unit[axis], axis, computed, measured))
                if computed != measured:
                    bad.append({"layer": r.name, "unit": unit[axis], "axis": axis,
                                "computed": list(computed), "measured": list(measured)})
    return Verification(shape, units, tuple(bad), "", tuple(r.name for r in targets),
                        tuple(left_out), checked)
