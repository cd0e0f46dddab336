"""A network's profile: per layer shape, parameters, MACs, activation memory, receptive field.

:func:`profile_network` traces the model on the ``meta`` device
(:mod:`cnnbench.analysis.profile.graph`), counts each node
(:mod:`cnnbench.analysis.profile.layers`) and follows every unit's input window through
the graph (:mod:`cnnbench.analysis.profile.receptive`). Counts are for one sample, one
forward pass. Activation memory is the bytes of each node's output (views and in-place
results share their input's storage and count 0); the total is what a training step
keeps for the backward pass at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from cnnbench.analysis.profile.graph import NodeRecord, graph_records, hook_records_any, trace
from cnnbench.analysis.profile.layers import macs
from cnnbench.analysis.profile.receptive import (
    GLOBAL,
    Spatial,
    State,
    Unknown,
    headline,
    propagate,
)
from cnnbench.analysis.profile.source import ModelSource, build_model

FLOPS_PER_MAC = 2  # FlopCounterMode counts a multiply-accumulate as 2 FLOPs
PROFILE_SCHEMA = 1


@dataclass(frozen=True)
class LayerRow:
    """One node of the graph (or one leaf-module call when fx could not trace)."""

    name: str
    op: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...] | None  # one sample's output shape (batch dim dropped)
    params: int
    macs: int | None  # from the formulas (None: no formula; torch_macs is then used)
    torch_macs: int  # FlopCounterMode / 2
    activation_bytes: int
    rf: tuple[int, ...] | None = None  # per spatial axis
    jump: tuple[float, ...] | None = None
    padding: tuple[int | None, ...] | None = None
    state: str = "none"  # window | global | unknown | none
    note: str = ""
    node: str = ""  # the fx node's name (the graph's own key)

    @property
    def counted_macs(self) -> int:
        return self.torch_macs if self.macs is None else self.macs

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "inputs": list(self.inputs),
                "shape": None if self.shape is None else list(self.shape),
                "params": self.params, "macs": self.counted_macs, "formula_macs": self.macs,
                "torch_macs": self.torch_macs, "activation_bytes": self.activation_bytes,
                "rf": None if self.rf is None else list(self.rf),
                "jump": None if self.jump is None else list(self.jump),
                "effective_padding": None if self.padding is None else list(self.padding),
                "rf_state": self.state, "note": self.note}  # fmt: skip


@dataclass(frozen=True)
class NetworkProfile:
    spec: str
    label: str
    input_shape: tuple[int, ...]
    rows: tuple[LayerRow, ...]
    params: int  # sum of p.numel() over the model's parameters (each once)
    buffers: int
    torch_macs: int  # FlopCounterMode / 2 over the whole forward pass
    traced: bool  # False: fx failed, rows are leaf-module calls and RFs are unknown
    headline: str | None = None  # the node whose RF is the network's
    notes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)  # verify / variance / layouts, when run

    @property
    def macs(self) -> int:
        return sum(r.counted_macs for r in self.rows)

    @property
    def layer_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        return sum(r.activation_bytes for r in self.rows)

    @property
    def headline_row(self) -> LayerRow | None:
        return next((r for r in self.rows if r.name == self.headline), None)

    @property
    def mismatches(self) -> list[LayerRow]:
        """Rows whose formula MACs differ from FlopCounterMode's."""
        return [r for r in self.rows if r.macs is not None and r.macs != r.torch_macs]

    def to_json(self) -> dict[str, Any]:
        head = self.headline_row
        return {
            "schema": PROFILE_SCHEMA, "spec": self.spec, "label": self.label,
            "input": list(self.input_shape), "traced": self.traced,
            "totals": {"params": self.params, "layer_params": self.layer_params,
                       "buffers": self.buffers, "macs": self.macs, "torch_macs": self.torch_macs,
                       "flops": FLOPS_PER_MAC * self.macs,
                       "activation_bytes": self.activation_bytes,
                       "rf": None if head is None else list(head.rf),
                       "jump": None if head is None else list(head.jump),
                       "effective_padding": None if head is None else list(head.padding),
                       "rf_layer": self.headline},
            "layers": [r.to_json() for r in self.rows], "notes": list(self.notes),
            **self.extra,
        }  # fmt: skip


def _state_fields(state: State) -> dict[str, Any]:
    if isinstance(state, Spatial):
        return {"rf": tuple(w.size for w in state.windows),
                "jump": tuple(float(w.jump) for w in state.windows),
                "padding": tuple(w.padding for w in state.windows), "state": "window"}
    if state is GLOBAL:
        return {"state": "global", "note": "every output depends on the whole input"}
    if isinstance(state, Unknown):
        return {"state": "unknown", "note": state.reason}
    return {}


def _params_of(r: NodeRecord, model: torch.nn.Module) -> int:
    if r.module is not None:
        return sum(p.numel() for p in r.module.parameters()) if r.first_call else 0
    if r.call == "get_attr":
        obj = model
        for part in str(r.target).split("."):
            obj = getattr(obj, part, None)
        return obj.numel() if isinstance(obj, torch.nn.Parameter) else 0
    return 0


def _unique_numel(tensors) -> int:
    seen, total = set(), 0
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            total += t.numel()
    return total


def _row(r: NodeRecord, model, state: State = None) -> LayerRow:
    act = 0 if r.alias or r.shape is None else r.numel * r.itemsize
    return LayerRow(r.name, r.op, r.inputs, None if r.shape is None else tuple(r.shape[1:]),
                    _params_of(r, model), macs(r), r.flops // FLOPS_PER_MAC, act,
                    node=r.node, **_state_fields(state))  # fmt: skip


def profile_network(source: ModelSource, input_shape: tuple[int, ...]) -> NetworkProfile:
    """Profile the model ``source`` builds, for one sample of ``input_shape`` (C, H, W).

    Examples
    --------
    >>> from cnnbench.analysis.profile.source import resolve
    >>> p = profile_network(resolve("lenet5"), (1, 28, 28))
    >>> p.params, p.macs, p.headline_row.rf
    (431080, 2293000, (16, 16))
    """
    model = build_model(source, "meta").eval()
    sample = torch.zeros((1, *input_shape), device="meta")  # (1, C, H, W)
    notes: list[str] = []
    try:
        gm = trace(model)
    except Exception as exc:  # fx cannot trace data-dependent control flow
        notes.append(f"torch.fx could not trace the model ({type(exc).__name__}: {exc}); rows "
                     "are leaf-module calls from forward hooks, and receptive fields (which "
                     "need the graph) are not computed")  # fmt: skip
        records, total_flops, note = hook_records_any(model, sample,
                                                      lambda: build_model(source, "cpu"))
        notes += [note] if note else []
        rows = tuple(_row(r, model) for r in records)
        return _finish(source, input_shape, model, rows, total_flops, False, None, notes)
    records = graph_records(gm, sample)
    states = propagate(records)
    rows = tuple(_row(r, model, states.get(r.node)) for r in records
                 if r.call not in ("placeholder", "get_attr") and r.shape is not None)  # fmt: skip
    head = headline(records, states)
    return _finish(source, input_shape, model, rows, sum(r.flops for r in records), True,
                   None if head is None else head.name, notes)  # fmt: skip


def _finish(source, input_shape, model, rows, total_flops, traced, head, notes) -> NetworkProfile:
    params = _unique_numel(model.parameters())
    in_rows = sum(r.params for r in rows)
    if in_rows != params:
        notes.append(f"{params - in_rows:,} parameters belong to modules the forward pass "
                     "never calls (or are used through an op the trace cannot attribute)")
    return NetworkProfile(source.spec, source.label or source.spec, tuple(input_shape), rows,
                          params, _unique_numel(model.buffers()),
                          total_flops // FLOPS_PER_MAC, traced, head, tuple(notes))  # fmt: skip
