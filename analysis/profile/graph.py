"""Trace a model with ``torch.fx`` and run the graph on the ``meta`` device.

Every node of the graph becomes a :class:`NodeRecord`: what it calls, which
earlier nodes feed it, the shape of what it returns and the FLOPs torch's
``FlopCounterMode`` counts for it alone. On ``meta`` tensors carry shapes and no
data, so a model of any size is traced in well under a second of arithmetic.

Modules of ``torch.nn`` (convolutions, pools, norms, activations, linear layers)
are leaves, as in ``torch.fx``'s default tracer; the user's own modules are
traced through, so residual additions and concatenations are nodes. A model fx
cannot trace (data-dependent control flow) falls back to forward hooks on its
leaf modules (:func:`hook_records`): shapes, parameters and MACs still come out,
receptive fields (which need the graph) do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn
from torch.utils.flop_counter import FlopCounterMode


@dataclass(frozen=True)
class Ref:
    """An argument that is the value of an earlier node."""

    node: str


@dataclass
class NodeRecord:
    """One node of the traced graph and what running it on ``meta`` showed."""

    node: str  # the fx node's name (unique)
    name: str  # what a reader calls it: the module path, else the node name
    op: str  # "input", a module class ("Conv2d"), a function or method name ("add")
    call: str  # fx op: placeholder, call_module, call_function, call_method, get_attr
    target: Any = None  # the function, the method name, or the attribute path
    module: nn.Module | None = None
    args: tuple = ()  # with earlier nodes as Ref
    kwargs: dict = field(default_factory=dict)
    inputs: tuple[str, ...] = ()  # nodes whose tensors this node reads
    shape: tuple[int, ...] | None = None  # output shape (None: not a tensor)
    itemsize: int = 0  # bytes per element of the output
    alias: bool = False  # the output is a view of, or the same tensor as, an input
    flops: int = 0  # FlopCounterMode's count for this node alone
    first_call: bool = True  # False when a module runs again (its parameters counted once)
    in_shapes: tuple[tuple[int, ...] | None, ...] = ()  # shapes of ``inputs``

    @property
    def numel(self) -> int:
        out = 1
        for d in self.shape or ():
            out *= d
        return out if self.shape is not None else 0


def _refs(value: Any) -> Any:
    if isinstance(value, fx.Node):
        return Ref(value.name)
    if isinstance(value, tuple | list):
        return type(value)(_refs(v) for v in value)
    if isinstance(value, dict):
        return {k: _refs(v) for k, v in value.items()}
    return value


def _tensor_inputs(node: fx.Node) -> tuple[str, ...]:
    seen: list[str] = []
    for n in node.all_input_nodes:
        if n.name not in seen:
            seen.append(n.name)
    return tuple(seen)


def _op_name(node: fx.Node, module: nn.Module | None) -> str:
    if node.op == "placeholder":
        return "input"
    if module is not None:
        return type(module).__name__
    if node.op == "call_method":
        return str(node.target)
    if node.op == "get_attr":
        return "attribute"
    return getattr(node.target, "__name__", str(node.target))


class _Recorder(fx.Interpreter):
    """Runs the graph, keeping each node's output and its own FLOP count."""

    def __init__(self, gm: fx.GraphModule) -> None:
        super().__init__(gm)
        self.values: dict[str, Any] = {}
        self.flops: dict[str, int] = {}

    def run_node(self, n: fx.Node) -> Any:
        counter = FlopCounterMode(display=False)
        with counter:
            out = super().run_node(n)
        self.values[n.name] = out
        self.flops[n.name] = int(counter.get_total_flops())
        return out


def _aliases(out: Any, inputs: list[Any]) -> bool:
    if not isinstance(out, torch.Tensor):
        return False
    if any(out is t for t in inputs):
        return True
    return out._base is not None  # a view shares its base's storage


def trace(model: nn.Module) -> fx.GraphModule:
    """``torch.fx.symbolic_trace`` of ``model`` (raises what fx raises)."""
    return fx.symbolic_trace(model)


def graph_records(gm: fx.GraphModule, sample: torch.Tensor) -> list[NodeRecord]:
    """Run ``gm`` on ``sample`` (a meta tensor, batch first) and describe every node."""
    rec = _Recorder(gm)
    with torch.no_grad():
        rec.run(sample)
    modules = dict(gm.named_modules())
    called: dict[int, int] = {}
    out: list[NodeRecord] = []
    for node in gm.graph.nodes:
        if node.op == "output":
            continue
        module = modules.get(node.target) if node.op == "call_module" else None
        value = rec.values.get(node.name)
        inputs = _tensor_inputs(node)
        in_values = [rec.values.get(i) for i in inputs]
        tensor = isinstance(value, torch.Tensor)
        name = str(node.target) if node.op in ("call_module", "get_attr") else node.name
        if module is not None:  # a module called again: its own row, named by the call
            called[id(module)] = called.get(id(module), 0) + 1
            if called[id(module)] > 1:
                name = f"{name} (call {called[id(module)]})"
        out.append(NodeRecord(
            node=node.name, name=name,
            op=_op_name(node, module), call=node.op, target=node.target, module=module,
            args=_refs(node.args), kwargs=_refs(dict(node.kwargs)),
            inputs=tuple(i for i, v in zip(inputs, in_values, strict=True)
                         if isinstance(v, torch.Tensor)),
            shape=tuple(value.shape) if tensor else None,
            itemsize=value.element_size() if tensor else 0,
            alias=_aliases(value, in_values), flops=rec.flops.get(node.name, 0),
            first_call=module is None or called[id(module)] == 1,
            in_shapes=tuple(tuple(v.shape) for v in in_values if isinstance(v, torch.Tensor)),
        ))  # fmt: skip
    return out


def _is_leaf(module: nn.Module) -> bool:
    return not any(True for _ in module.children())


def hook_records(model: nn.Module, sample: torch.Tensor) -> tuple[list[NodeRecord], int]:
    """Leaf-module calls in the order they ran (no graph: ``inputs`` stay empty), each with
    the FLOPs counted while it ran, and the whole forward pass's FlopCounterMode total."""
    calls: list[NodeRecord] = []
    called: set[int] = set()
    names = {id(m): n for n, m in model.named_modules()}
    counter = FlopCounterMode(display=False)
    started: list[int] = []

    def pre_hook(module, args):
        started.append(counter.get_total_flops())

    def hook(module, args, output):
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        first = id(module) not in called
        called.add(id(module))
        tensor = isinstance(output, torch.Tensor)
        calls.append(NodeRecord(
            node=f"call{len(calls)}", name=names.get(id(module), "?"),
            op=type(module).__name__, call="call_module", target=names.get(id(module)),
            module=module, shape=tuple(output.shape) if tensor else None,
            itemsize=output.element_size() if tensor else 0,
            alias=_aliases(output, tensors), first_call=first,
            flops=int(counter.get_total_flops() - started.pop()),
            in_shapes=tuple(tuple(t.shape) for t in tensors),
        ))  # fmt: skip

    leaves = [m for m in model.modules() if _is_leaf(m)]
    handles = [m.register_forward_pre_hook(pre_hook) for m in leaves]
    handles += [m.register_forward_hook(hook) for m in leaves]
    try:
        with counter, torch.no_grad():
            model(sample)
    finally:
        for h in handles:
            h.remove()
    return calls, int(counter.get_total_flops())


def hook_records_any(model: nn.Module, sample: torch.Tensor, build_cpu) -> tuple[list, int, str]:
    """:func:`hook_records` on ``meta``; a model whose forward reads values (``.item()``,
    ``if x.sum() > 0``) is rebuilt by ``build_cpu()`` and run on zeros on the CPU.
    Returns the records, the FLOPs and a note ("" when meta sufficed)."""
    try:
        records, flops = hook_records(model, sample)
        return records, flops, ""
    except (RuntimeError, NotImplementedError) as exc:
        cpu = build_cpu().eval()
        records, flops = hook_records(cpu, torch.zeros(sample.shape))
        return records, flops, (f"the forward pass reads tensor values ({exc}); it ran on the "
                                "CPU on zeros, so the model's data-dependent branches took "
                                "the zeros' path")  # fmt: skip
