"""Per-layer second moments at initialisation, measured by a Monte Carlo pass.

The model is built on the CPU with its own initialisation (float32, train mode, so
batch norms normalise with the batch's statistics as in the first training step) and
fed ``samples`` inputs drawn i.i.d. N(0, 1). Every node of the traced graph keeps its
output; a backward pass from ``sum(out * g)`` with ``g`` i.i.d. N(0, 1) (the gradient
of a loss whose output gradient has unit second moment) gives each node's gradient.
A node's forward moment is ``mean(y²)``, its backward moment ``mean((∂L/∂y)²)``. The
forward one is compared with the input's; the backward one with the gradient's where it
enters the body, at ``reference`` (the last layer with spatial windows: a global pool and
the head divide every unit's gradient by the number of units they average over, which
says nothing about propagation through the body). A ratio
beyond :data:`EXPLODE` or below :data:`VANISH` flags the node: the signal (or gradient)
has exploded or vanished by that depth. This is the measurement whose theory
``cnnbench variance`` gives for plain stacks (003 §5.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from cnnbench.analysis.profile.graph import trace
from cnnbench.analysis.profile.source import ModelSource, build_model
from torch import fx

EXPLODE = 1e3  # a moment grown a thousandfold (30 dB) from the input: exploding
VANISH = 1e-3  # shrunk a thousandfold: vanishing
MAX_SAMPLE_MACS = 60 * 10**9  # batch x MACs of the pass (ResNet-50, 224², 8 samples: 33 G)


@dataclass(frozen=True)
class MomentRow:
    name: str
    forward: float  # mean(y²)
    backward: float | None  # mean(grad²); None where no gradient flows
    forward_ratio: float  # forward / input's
    backward_ratio: float | None  # backward / the reference node's
    flag: str  # "" | "forward explodes" | "backward vanishes" | ...

    def to_json(self) -> dict:
        return {"name": self.name, "forward": _finite(self.forward),
                "backward": _finite(self.backward), "forward_ratio": _finite(self.forward_ratio),
                "backward_ratio": _finite(self.backward_ratio), "flag": self.flag}  # fmt: skip


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _flag(kind: str, ratio: float | None) -> str:
    if ratio is None:
        return ""
    if not math.isfinite(ratio) or ratio > EXPLODE:
        return f"{kind} explodes"
    if ratio < VANISH:
        return f"{kind} vanishes"
    return ""


def moments(source: ModelSource, input_shape: tuple[int, ...], names: dict[str, str],
            reference: str | None = None, samples: int = 8,
            seed: int = 0) -> list[MomentRow]:  # fmt: skip
    """The moments of every node named in ``names`` (fx node name -> row name), in order;
    backward ratios relative to node ``reference`` (None: the output gradient).

    >>> from cnnbench.analysis.profile.source import resolve
    >>> rows = moments(resolve("lenet5"), (1, 28, 28), {"conv2": "conv2", "tanh2": "tanh2"},
    ...                "tanh2", samples=4)
    >>> [(r.name, r.flag) for r in rows]
    [('conv2', ''), ('tanh2', '')]
    """
    torch.manual_seed(seed)
    model = build_model(source, "cpu").float().train()
    gm = trace(model)
    values: dict[str, torch.Tensor] = {}

    class Keep(fx.Interpreter):
        def run_node(self, n):
            out = super().run_node(n)
            if n.name in names and isinstance(out, torch.Tensor) and out.requires_grad:
                out.retain_grad()
                values[n.name] = out
            return out

    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((samples, *input_shape), generator=gen)  # (N, C, *spatial)
    out = Keep(gm).run(x)
    if not isinstance(out, torch.Tensor):
        out = next(t for t in (out if isinstance(out, tuple | list) else out.values())
                   if isinstance(t, torch.Tensor))  # fmt: skip
    g = torch.randn(out.shape, generator=gen)
    (out * g).sum().backward()
    x_m = float(x.pow(2).mean())
    g_m = float(g.pow(2).mean())
    if reference in values and values[reference].grad is not None:
        g_m = float(values[reference].grad.pow(2).mean())
    rows, past = [], False  # past the reference: the head, no backward ratio
    for node, name in names.items():
        if node not in values:
            continue
        y = values[node].detach()
        fwd = float(y.pow(2).mean())
        grad = values[node].grad
        bwd = None if grad is None else float(grad.pow(2).mean())
        fr, br = fwd / x_m, None if bwd is None or past else bwd / g_m
        past = past or node == reference
        flag = ", ".join(f for f in (_flag("forward", fr), _flag("backward", br)) if f)
        rows.append(MomentRow(name, fwd, bwd, fr, br, flag))
    return rows
