"""Layer stacks for :mod:`cnnbench.analysis.receptive.formulas`, from text and from the
texts' networks.

Grammar of a layer list (whitespace around tokens is ignored)::

    layers := token ("," token)*
    token  := kind [kernel] field*
    kind   := "c"  (convolution)  |  "p"  (pooling, max or average: same geometry)
    kernel := digits              (or the field "k" digits)
    field  := ("k" | "s" | "p" | "d") digits      kernel, stride, padding, dilation

Defaults: stride 1 for a convolution and the kernel for a pooling (torch's
rule), padding 0, dilation 1. Each field at most once per token. Examples:
``c3s1p1``, ``c3p1d2``, ``p2s2``, ``ck5s2p2``.
"""

from __future__ import annotations

import re

from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.networks.spec import NetworkSpec, infer_shapes
from cnnbench.analysis.receptive.formulas import RFLayer, rf_layer

GRAMMAR = (
    "comma-separated tokens: kind 'c' (conv) or 'p' (pool), the kernel, then optional"
    " fields s<stride> p<padding> d<dilation> (e.g. 'c3s1p1,p2s2,c3p1d2')"
)
_FIELD = re.compile(r"([kspd])(\d+)")
_KIND = {"c": "conv", "p": "pool"}
_FIELD_NAMES = {"k": "kernel", "s": "stride", "p": "padding", "d": "dilation"}


def parse_layers(text: str) -> tuple[RFLayer, ...]:
    """The layer stack a text such as ``"c3s1p1,p2s2,c3s1p1"`` describes.

    Layers are named ``L1``, ``L2``, ... in order. Errors name the token, its
    position (1-based) and the character where it starts.

    Examples
    --------
    >>> [(x.kind, x.kernel, x.stride, x.padding, x.dilation) for x in parse_layers("c3p1d2,p2")]
    [('conv', 3, 1, 1, 2), ('pool', 2, 2, 0, 1)]
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("layers", text, f"must list at least one layer: {GRAMMAR}")
    layers = []
    offset = 0
    for position, raw in enumerate(text.split(","), start=1):
        column = offset + len(raw) - len(raw.lstrip()) + 1
        offset += len(raw) + 1
        layers.append(_parse_token(text, raw.strip(), position, column))
    return tuple(layers)


def _parse_token(text: str, token: str, position: int, column: int) -> RFLayer:
    where = f"token {position} {token!r} (character {column})"

    def fail(problem: str) -> ParameterError:
        return ParameterError("layers", text, f"has {where}: {problem}; expected {GRAMMAR}")

    if not token:
        raise fail("it is empty")
    kind = _KIND.get(token[0])
    if kind is None:
        raise fail(f"kind {token[0]!r} is unknown, use 'c' (conv) or 'p' (pool)")
    rest = token[1:]
    fields: dict[str, int] = {}
    lead = re.match(r"\d+", rest)
    if lead:
        fields["k"] = int(lead.group())
        rest = rest[lead.end() :]
    pos = 0
    while pos < len(rest):
        match = _FIELD.match(rest, pos)
        if match is None:
            raise fail(f"{rest[pos:]!r} is not a field (a letter k, s, p or d and digits)")
        letter = match.group(1)
        if letter in fields:
            raise fail(f"it gives the {_FIELD_NAMES[letter]} ({letter}) twice")
        fields[letter] = int(match.group(2))
        pos = match.end()
    if "k" not in fields:
        raise fail("it has no kernel; write it after the kind ('c3') or as a field ('ck3')")
    try:
        return rf_layer(kind, fields["k"], fields.get("s"), fields.get("p", 0),
                        fields.get("d", 1), name=f"L{position}")  # fmt: skip
    except ParameterError as exc:
        raise fail(str(exc)) from None


# Layer kinds that keep every spatial position where it is (no window).
_POINTWISE = ("act", "bn", "lrn", "dropout", "softmax")


def network_layers(spec: NetworkSpec) -> tuple[tuple[RFLayer, ...], tuple[str, ...]]:
    """The sliding-window stack of a text's network, up to its first global layer.

    A "module" (1x1 path beside a padded 3x3 path), a "downsample" (3x3/2
    conv beside a 3x3/2 pool, both padding 1) and an "inception" (widest path
    1x1 then 5x5, padding 2) reach as far as their widest path, which is one
    window of that geometry; all paths share the window's centre. Pointwise layers (activation,
    normalisation, dropout) leave the receptive field as it is. The walk stops
    at the first fully connected/flatten layer, or after a pool whose output is
    1x1 (a global pool): from there every unit sees the whole input.

    Returns
    -------
    (layers, notes): the stack and a note for every layer not taken literally.

    Examples
    --------
    >>> from cnnbench.analysis.networks.modules import NETWORKS
    >>> [x.name for x in network_layers(NETWORKS["lenet5"])[0]]
    ['conv1', 'pool1', 'conv2', 'pool2']
    """
    stack: list[RFLayer] = []
    notes: list[str] = []
    for shape in infer_shapes(spec):
        layer = shape.layer
        if layer.kind in _POINTWISE:
            continue
        if layer.kind in ("fc", "flatten"):
            notes.append(f"stops at {layer.name} ({layer.kind}): it sees the whole input")
            break
        if layer.kind == "conv":
            stack.append(RFLayer("conv", layer.kernel, layer.stride, layer.padding,
                                 layer.dilation, layer.name))  # fmt: skip
        elif layer.kind in ("maxpool", "avgpool"):
            stack.append(RFLayer("pool", layer.kernel, layer.stride, layer.padding, 1,
                                 layer.name))  # fmt: skip
        elif layer.kind == "module":
            stack.append(RFLayer("conv", 3, 1, 1, 1, layer.name))
            notes.append(f"{layer.name}: its 3x3 path (padding 1) is the widest")
        elif layer.kind == "inception":
            stack.append(RFLayer("conv", 5, 1, 2, 1, layer.name))
            notes.append(f"{layer.name}: its 1x1 -> 5x5 path (padding 2) is the widest")
        elif layer.kind == "inception_bn":  # 1x1 -> 3x3 -> 3x3/stride: a 5-wide window
            stack.append(RFLayer("conv", 5, layer.stride, 2, 1, layer.name))
            notes.append(f"{layer.name}: its double-3x3 path (padding 1 each) is the widest")
        elif layer.kind == "downsample":
            stack.append(RFLayer("conv", 3, 2, 1, 1, layer.name))
            notes.append(f"{layer.name}: 3x3/2 conv and 3x3/2 pool, both padding 1")
        else:  # pragma: no cover - a kind added to network_spec without a rule here
            raise ParameterError("spec", spec.name, f"has layer kind {layer.kind!r} with no rule")
        if layer.kind in ("maxpool", "avgpool") and shape.output[1:] == (1, 1):
            notes.append(f"stops after {layer.name}: a global pool (output 1x1)")
            break
    return tuple(stack), tuple(notes)
