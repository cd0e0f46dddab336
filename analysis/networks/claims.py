"""Claims of the "networks" family: what the texts say about their tables' layer counts.

Checked against the networks built in torch from the transcriptions of
:mod:`cnnbench.analysis.networks.tables` (whose assumptions are listed there).
"""

from __future__ import annotations

import torch
from cnnbench.analysis.claims import CheckResult, Claim, Correction, decided, reading
from cnnbench.analysis.networks.modules import build_network, get_network
from cnnbench.analysis.networks.spec import NetworkSpec, infer_shapes
from cnnbench.analysis.seeds import XU_THESIS
from torch import nn

# The transcription marks each layer it had to add to a printed table with this note.
ADDED_NOTE = "not printed in"


def _count(name: str) -> dict[str, int]:
    with torch.device("meta"):
        model = build_network(name)
    kinds = {"conv": nn.Conv2d, "max_pool": nn.MaxPool2d, "fc": nn.Linear}
    return {k: sum(isinstance(m, t) for m in model.modules()) for k, t in kinds.items()}


def as_printed(name: str) -> NetworkSpec:
    """Network ``name`` without the layers the transcription added to the printed table.

    Examples
    --------
    >>> [x.name for x in get_network("alexnet").layers if x.kind == "maxpool"]
    ['pool1', 'pool2', 'pool5']
    >>> [x.name for x in as_printed("alexnet").layers if x.kind == "maxpool"]
    ['pool1', 'pool2']
    """
    spec = get_network(name)
    kept = tuple(x for x in spec.layers if not x.note.startswith(ADDED_NOTE))
    return NetworkSpec(spec.name, spec.seed, spec.locator, spec.input_shape, kept,
                       spec.assumptions)  # fmt: skip


def spec_params(spec: NetworkSpec) -> int:
    """Parameters of ``spec`` (conv and fc weights and biases), counted by torch on meta.

    Examples
    --------
    >>> spec_params(get_network("lenet5")) == sum(
    ...     p.numel() for p in build_network("lenet5").parameters())
    True
    """
    total = 0
    for shape in infer_shapes(spec):
        layers = [nn.Conv2d(c.in_channels, c.out_channels, c.kernel, groups=c.groups,
                            device="meta") for c in shape.convs]  # fmt: skip
        if shape.fc is not None:
            layers.append(nn.Linear(*shape.fc, device="meta"))
        total += sum(p.numel() for layer in layers for p in layer.parameters())
    return total


def _kinds(spec: NetworkSpec) -> dict[str, int]:
    return {k: sum(x.kind == k for x in spec.layers) for k in ("conv", "fc", "maxpool")}


def check_alexnet_layer_counts() -> CheckResult:
    """§4.2.2's 5 conv / 3 max pool / 3 fc, against AlexNet as published (built in torch)."""
    counts = {name: _count(name) for name in ("alexnet_two_tower", "alexnet_torchvision")}
    stated = {"conv": 5, "max_pool": 3, "fc": 3}
    holds = all(c == stated for c in counts.values())
    shown = "; ".join(f"{get_network(n).title}: {c['conv']} conv, {c['max_pool']} max pool,"
                      f" {c['fc']} fc" for n, c in counts.items())  # fmt: skip
    return decided(
        holds, "framework",
        f"AlexNet as published, built in torch from its configuration and its modules counted:"
        f" {shown}. (Whether Table 4.2 prints all of them is the separate claim"
        " networks.table42-lists-3-pools.)",
        Correction(f"AlexNet has {shown}", "torch modules counted"),
        counts=counts, stated=stated,
    )  # fmt: skip


def check_table42_pools() -> CheckResult:
    """Table 4.2 as transcribed (before any added layer) lists §4.2.2's 3 max pools."""
    spec, printed = get_network("alexnet"), as_printed("alexnet")
    counts, ours = _kinds(printed), _kinds(spec)
    added = [x.name for x in spec.layers if x.note.startswith(ADDED_NOTE)]
    fc6_printed = next(s for s in infer_shapes(printed) if s.layer.name == "fc6").fc
    fc6_ours = next(s for s in infer_shapes(spec) if s.layer.name == "fc6").fc
    params_printed, params_ours = spec_params(printed), spec_params(spec)
    holds = counts["maxpool"] == 3
    after = [s.output for s in infer_shapes(printed) if s.layer.kind in ("conv", "maxpool")][-1]
    return decided(
        holds, "framework",
        f"Table 4.2 as transcribed lists {counts['conv']} convolutions, {counts['maxpool']} max"
        f" pools and {counts['fc']} fully connected layers; the text says 3 max pools. Built as"
        f" printed, fc6 sees {fc6_printed[0]:,} inputs ({'x'.join(map(str, after))}) and the"
        f" network has {params_printed:,} parameters; with the transcription's added"
        f" {', '.join(added) or 'nothing'} fc6 sees {fc6_ours[0]:,} and the network has"
        f" {params_ours:,}.",
        Correction(f"Table 4.2 lists {counts['maxpool']} max pools; AlexNet's third (3x3/2 after"
                   " conv5) is missing from it, which leaves fc6 with"
                   f" {fc6_printed[0]:,} inputs and the network with {params_printed:,}"
                   " parameters", "both variants' shapes worked out, parameters counted on meta"),
        readings=[reading("the table's rows as transcribed", holds, max_pools=counts["maxpool"]),
                  reading("the table's rows plus a pool its classifier's input implies "
                          "(fc6 of 9,216 = 256x6x6 inputs, as the 60M parameters need)", False,
                          reasonable=False, why="adds a row the table does not print: that "
                          "is the correction, not a reading")],
        table_counts=counts, with_added_layers=ours, added_layers=added,
        fc6_inputs_as_printed=fc6_printed[0], fc6_inputs_with_added=fc6_ours[0],
        params_as_printed=params_printed, params_with_added=params_ours,
    )  # fmt: skip


def check_vgg_e_depth() -> CheckResult:
    """§4.2.3: the VGG network of Table 4.3 'used 19 layers' (weight layers)."""
    counts = _count("vgg19")
    weight_layers = counts["conv"] + counts["fc"]
    return decided(
        weight_layers == 19, "framework",
        f"Table 4.3 built in torch has {counts['conv']} convolutions and {counts['fc']} fully"
        f" connected layers: {weight_layers} weight layers.",
        Correction(f"Table 4.3 has {weight_layers} weight layers", "modules counted"),
        conv=counts["conv"], fc=counts["fc"], max_pools=counts["max_pool"],
    )  # fmt: skip


CLAIMS = (
    Claim(
        "networks.alexnet-layer-counts",
        XU_THESIS,
        "§4.2.2, Table 4.2",
        "AlexNet ... consisting of 5 convolutional layers, 3 max pooling layers and 3 fully"
        " connected layers",
        check_alexnet_layer_counts,
    ),
    Claim(
        "networks.table42-lists-3-pools",
        XU_THESIS,
        "Table 4.2, §4.2.2",
        "Table 4.2 lists the 3 max pooling layers that §4.2.2 states for AlexNet",
        check_table42_pools,
        severity="slip",
        severity_reason="the prose (3 pools, 60M parameters) is right and only the table omits "
        "the pool after conv5; an OCR-dropped row cannot be excluded",
    ),
    Claim(
        "networks.vgg-e-19-layers",
        XU_THESIS,
        "§4.2.3, Table 4.3",
        "the winner of the ILSVRC-2014 competition, which used 19 layers",
        check_vgg_e_depth,
    ),
)
