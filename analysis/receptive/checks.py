"""Checks of receptive-field statements: closed form and torch gradient support."""

from __future__ import annotations

from cnnbench.analysis.claims._core import CheckResult, decided, inconclusive, reading
from cnnbench.analysis.networks.modules import NETWORKS
from cnnbench.analysis.receptive.formulas import ReceptiveField, receptive_field
from cnnbench.analysis.receptive.parse import network_layers, parse_layers
from cnnbench.analysis.receptive.torch_oracle import gradient_support


def _upto(name: str, layer: str):
    """The network's window stack up to and including ``layer``."""
    stack, _ = network_layers(NETWORKS[name])
    names = [x.name for x in stack]
    return stack[: names.index(layer) + 1]


def check_network_rf(name: str, layer: str, rf: int, stride: int, note: str = "") -> CheckResult:
    """A published receptive field and effective stride at ``layer`` of network ``name``."""
    stack = _upto(name, layer)
    closed = receptive_field(stack)
    torch_ = gradient_support(stack, dims=2)
    got = (closed.size, closed.stride)
    agree = got == (torch_.size, torch_.stride) and closed.padding == torch_.padding
    holds = agree and got == (rf, stride)
    summary = (
        f"{name} up to {layer} ({len(stack)} window layers): closed form gives receptive field"
        f" {closed.size}, effective stride {closed.stride}, effective padding {closed.padding};"
        f" the input gradient of one output unit of the same stack in torch (2-D, float64,"
        f" all-ones weights) spans {torch_.size} px with neighbours {torch_.stride} px apart;"
        f" stated {rf} and {stride}.{note}"
    )
    return decided(holds, "framework", summary, closed=closed.to_json()["layers"][-1],
                   torch=torch_.to_json(), stated={"rf": rf, "stride": stride})  # fmt: skip


def check_alexnet_rf() -> CheckResult:
    """AlexNet at pool5, noting what 003's Table 4.2 (no pool5 printed) would give."""
    conv5 = receptive_field(_upto("alexnet", "conv5"))
    note = (
        " 003's Table 4.2 prints no pool after conv5 (its text says three pools); there the"
        f" receptive field stops at {conv5.size} with effective stride {conv5.stride}."
    )
    return check_network_rf("alexnet", "pool5", 195, 32, note)


# Readings of Figure 2.6 the surviving text allows: a 1x3 kernel at any first-layer
# stride from 1 to its width (a wider stride would leave input pixels unseen).
FIG26_STRIDES = (1, 2, 3)


def check_fig26_second_layer(strides: tuple[int, ...] = FIG26_STRIDES) -> CheckResult:
    """003 §2.1.5: two 1x3 convolutions, receptive field 3 then 9 (Figure 2.6).

    The figure that fixes the first layer's stride is not in the transcription,
    so every stride in ``strides`` is a reading: confirmed if all of them give
    3 and 9, refuted if none does, inconclusive if only some do.
    """
    rows = []
    for s1 in strides:
        stack = parse_layers(f"c3s{s1},c3")
        closed, torch_ = receptive_field(stack), gradient_support(stack)
        rows.append({"first_stride": s1, "rf_layer1": closed.rows[0].size,
                     "rf_layer2": closed.size, "torch_rf_layer2": torch_.size})  # fmt: skip
    disagree = [r["first_stride"] for r in rows if r["rf_layer2"] != r["torch_rf_layer2"]]
    fits = [
        r["first_stride"]
        for r in rows
        if (r["rf_layer1"], r["rf_layer2"]) == (3, 9) and r["torch_rf_layer2"] == 9
    ]
    sizes = ", ".join(f"{r['rf_layer2']} (stride {r['first_stride']})" for r in rows)
    summary = (
        f"Two stacked 1x3 convolutions, for every first-layer stride the text leaves open"
        f" ({list(strides)}): the second layer's receptive field is {sizes}; torch gradient"
        f" support {'agrees' if not disagree else f'disagrees at strides {disagree}'}. The"
        f" stated 9 holds for stride {fits or 'none'}"
    )
    evidence = {"cases": rows, "strides_that_fit": fits,
                "readings": [reading(f"first-layer stride {r['first_stride']}",
                                     r["first_stride"] in fits, rf_layer2=r["rf_layer2"])
                             for r in rows]}  # fmt: skip
    if disagree:
        return inconclusive("framework", summary + "; closed form and torch disagree.",
                            **evidence)  # fmt: skip
    if len(fits) == len(rows):
        return decided(True, "framework", summary + ", i.e. for every reading.", **evidence)
    if not fits:
        return decided(False, "framework", summary + ": no reading gives 9.", **evidence)
    return inconclusive(
        "framework",
        summary + f" and not for {[s for s in strides if s not in fits]}; Figure 2.6, which"
        " would show the stride, is not in the transcription, so the text cannot be decided.",
        **evidence,
    )


def check_small_kernels_same_rf() -> CheckResult:
    """003 §4.5 item 1: two 3x3 for one 5x5, two 2x2 for one 3x3 (same receptive field)."""
    pairs = [("c5", "c3,c3"), ("c3", "c2,c2"), ("c5p2", "c3p1,c3p1"), ("c3p1", "c2,c2p1")]
    rows = []
    for big, small in pairs:
        a, b = parse_layers(big), parse_layers(small)
        ra, rb = receptive_field(a), receptive_field(b)
        ta, tb = gradient_support(a, dims=2), gradient_support(b, dims=2)
        rows.append({"one": big, "two": small, "rf": [ra.size, rb.size],
                     "torch_rf": [ta.size, tb.size], "jump": [ra.stride, rb.stride],
                     "centre_offset": rb.rows[-1].start - ra.rows[-1].start})  # fmt: skip
    holds = all(r["rf"][0] == r["rf"][1] == r["torch_rf"][0] == r["torch_rf"][1]
                and r["jump"][0] == r["jump"][1] for r in rows)  # fmt: skip
    shown = "; ".join(
        f"{r['one']} vs {r['two']}: receptive field {r['rf'][0]} vs {r['rf'][1]} (torch"
        f" {r['torch_rf'][0]} vs {r['torch_rf'][1]}), jump {r['jump'][0]} vs {r['jump'][1]},"
        f" centre offset {r['centre_offset']}"
        for r in rows
    )
    summary = (
        f"One large convolution against two small ones, closed form and torch 2-D gradient"
        f" support: {shown}. The same window and stride in every case: {holds}."
    )
    return decided(holds, "framework", summary, cases=rows)


def check_strides_grow_rf(depth: int = 6) -> CheckResult:
    """002 §Stride: strides rapidly increase the receptive field of hidden features."""
    rows = []
    for stride in (1, 2):
        stack = parse_layers(",".join([f"c3s{stride}"] * depth))
        closed: ReceptiveField = receptive_field(stack)
        torch_rf = [gradient_support(stack[: i + 1]).size for i in range(depth)]
        rows.append({"stride": stride, "rf": [r.size for r in closed.rows], "torch_rf": torch_rf})
    linear = [2 * i + 1 for i in range(1, depth + 1)]
    exponential = [2 ** (i + 1) - 1 for i in range(1, depth + 1)]
    holds = (rows[0]["rf"] == rows[0]["torch_rf"] == linear
             and rows[1]["rf"] == rows[1]["torch_rf"] == exponential)  # fmt: skip
    summary = (
        f"Stacks of up to {depth} 3-wide convolutions: with stride 1 the receptive field grows"
        f" linearly (2L+1: {linear}), with stride 2 exponentially (2^(L+1)-1: {exponential});"
        " closed form and torch gradient support agree on every layer."
    )
    return decided(holds, "framework", summary, cases=rows)
