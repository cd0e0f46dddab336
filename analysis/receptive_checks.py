"""Checks of receptive-field statements: closed form and torch gradient support."""

from __future__ import annotations

from analysis.claims._core import CheckResult, decided, inconclusive
from analysis.networks import NETWORKS
from analysis.receptive import ReceptiveField, receptive_field
from analysis.receptive_parse import network_layers, parse_layers
from analysis.receptive_torch import gradient_support


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


def check_fig26_second_layer() -> CheckResult:
    """003 §2.1.5: two 1x3 convolutions, receptive field 3 then 9 (Figure 2.6)."""
    rows = []
    for s1 in (1, 2, 3):
        stack = parse_layers(f"c3s{s1},c3")
        closed, torch_ = receptive_field(stack), gradient_support(stack)
        rows.append({"first_stride": s1, "rf_layer1": closed.rows[0].size,
                     "rf_layer2": closed.size, "torch_rf_layer2": torch_.size})  # fmt: skip
    if any(r["rf_layer2"] != r["torch_rf_layer2"] for r in rows):  # pragma: no cover
        return inconclusive("framework", "closed form and torch disagree", cases=rows)
    fits = [r["first_stride"] for r in rows if (r["rf_layer1"], r["rf_layer2"]) == (3, 9)]
    summary = (
        "Two stacked 1x3 convolutions: the first layer's receptive field is 3 for any stride;"
        " the second's is 3 + 2*s1 (torch gradient support agrees: 5, 7, 9 for first-layer"
        f" stride 1, 2, 3). The stated 9 holds only for stride {fits} (non-overlapping windows);"
        " the figure that would show the stride is not in the transcription, so the text"
        " cannot be decided. With the common stride 1 the second layer would see 5 pixels."
    )
    return inconclusive("framework", summary, cases=rows, strides_that_fit=fits)


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
    summary = (
        "Two stacked 3x3 convolutions see the same 5x5 input window as one 5x5, and two 2x2"
        " the same 3x3 window as one 3x3, with the same stride (closed form and torch 2-D"
        " gradient support, with and without padding). Two 2x2 layers keep the window centred"
        " where a padded 3x3 has it only with padding 0 on one and 1 on the other (centre"
        " offset 0 in the last case)."
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
