"""Claims of the "networks" family: what the texts say about their tables' layer counts.

Checked against the networks built in torch from the transcriptions of
:mod:`analysis.network_tables` (whose assumptions are listed there).
"""

from __future__ import annotations

import torch
from torch import nn

from analysis.claims import CheckResult, Claim, Correction, decided
from analysis.network_spec import NetworkSpec, infer_shapes
from analysis.networks import build_network, get_network
from analysis.seeds import XU_THESIS


def _count(name: str) -> dict[str, int]:
    with torch.device("meta"):
        model = build_network(name)
    kinds = {"conv": nn.Conv2d, "max_pool": nn.MaxPool2d, "fc": nn.Linear}
    return {k: sum(isinstance(m, t) for m in model.modules()) for k, t in kinds.items()}


def check_alexnet_layer_counts() -> CheckResult:
    """§4.2.2's 5 conv / 3 max pool / 3 fc against Table 4.2 as printed."""
    spec = get_network("alexnet")
    printed = NetworkSpec(spec.name, spec.seed, spec.locator, spec.input_shape,
                          tuple(x for x in spec.layers if x.name != "pool5"))  # fmt: skip
    fc6_printed = next(s for s in infer_shapes(printed) if s.layer.name == "fc6").fc
    fc6_ours = next(s for s in infer_shapes(spec) if s.layer.name == "fc6").fc
    # count the rows Table 4.2 prints: the transcription without the pool5 it had to add
    counts = {k: sum(x.kind == k for x in printed.layers) for k in ("conv", "fc", "maxpool")}
    table_pools = counts["maxpool"]
    holds = counts["conv"] == 5 and counts["fc"] == 3 and table_pools == 3
    extra = (fc6_printed[0] - fc6_ours[0]) * fc6_ours[1]
    return decided(
        holds, "framework",
        f"Table 4.2 prints {counts['conv']} convolutions, {counts['fc']} fully connected layers"
        f" (the last is the 'linear classifier') and {table_pools} max pools, not the text's 3:"
        f" no pool follows conv5. Built as printed, fc6 would see {fc6_printed[0]:,} inputs"
        f" (256x13x13) instead of {fc6_ours[0]:,} (256x6x6) with the third pool: {extra:,}"
        " more weights.",
        Correction("Table 4.2 needs a 3x3/2 max pool after conv5 (the AlexNet paper's third),"
                   " as the text's count says; the transcription adds it",
                   "both variants' shapes worked out and fc6 sizes compared"),
        conv=counts["conv"], fc=counts["fc"], table_max_pools=table_pools,
        fc6_inputs_as_printed=fc6_printed[0], fc6_inputs_with_pool5=fc6_ours[0],
        extra_weights_without_pool5=extra,
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
    Claim("networks.alexnet-layer-counts", XU_THESIS, "§4.2.2, Table 4.2",
          "AlexNet ... consisting of 5 convolutional layers, 3 max pooling layers and 3 fully"
          " connected layers", check_alexnet_layer_counts),
    Claim("networks.vgg-e-19-layers", XU_THESIS, "§4.2.3, Table 4.3",
          "the winner of the ILSVRC-2014 competition, which used 19 layers", check_vgg_e_depth),
)

