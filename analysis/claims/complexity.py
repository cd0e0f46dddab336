"""Claims of the "complexity" family: what the texts' networks cost, against the built networks.

003 Table 4.7 (parameters, model sizes, complexity ratios), §4.6's "40% of
AlexNet's operations", §6.2's 12x and 6x, eq. (4.7) itself, published parameter
counts (seed "paper") and FlopCounterMode's counting convention. The policy
deciding each figure is in :mod:`analysis.complexity_checks`.
"""

from __future__ import annotations

from functools import partial

from analysis.claims import CheckResult, Correction, claim_factory, decided
from analysis.complexity import counted_flops, network_cost, other_ops
from analysis.complexity_checks import (
    check_depth_replacement,
    check_eq47_is_mac_count,
    check_pair_ratio,
    check_params,
    check_ratio,
    check_size,
    check_size_from_printed_params,
    check_tinynet_param_difference,
    ratio_readings,
    with_edit,
)
from analysis.networks import NETWORKS, build_network, conv_layers, get_network
from analysis.printed import rounds_to
from analysis.seeds import PAPER, PYTORCH_DOCS, XU_THESIS

T47 = "Table 4.7"


def check_published_params(name: str, published: int, where: str) -> CheckResult:
    """A published parameter count against the network built in torch from its config."""
    import torch

    with torch.device("meta"):
        model = build_network(name)
    counted = sum(p.numel() for p in model.parameters())
    return decided(
        counted == published, "framework",
        f"{NETWORKS[name].title} built in torch from its published configuration has"
        f" {counted:,} parameters (sum of numel); {where} gives {published:,}.",
        Correction(f"{NETWORKS[name].title} has {counted:,} parameters", "torch numel"),
        counted=counted, published=published,
    )  # fmt: skip


def check_flop_counter_convention() -> CheckResult:
    """FlopCounterMode = 2 x our MACs on every network; what it leaves out, counted."""
    rows, bad = {}, []
    for name in NETWORKS:
        cost, counted, other = network_cost(name), counted_flops(name), other_ops(name)
        uncounted = sum(other.values())
        rows[name] = {"macs": cost.macs, "flop_counter": counted["total"],
                      "uncounted_ops": uncounted,
                      "uncounted_share": round(uncounted / (counted["total"] + uncounted), 4),
                      **{f"uncounted_{k}": v for k, v in other.items() if v}}  # fmt: skip
        if counted["total"] != 2 * cost.macs:
            bad.append(name)
    shares = [r["uncounted_share"] for r in rows.values()]
    return decided(
        not bad, "framework",
        f"On all {len(rows)} networks FlopCounterMode's total is exactly 2 x the MACs counted"
        " from the layer shapes (convolution and matrix products only). What it leaves out —"
        " bias additions, batch norm, pooling, activations, LRN, softmax — is"
        f" {min(shares):.1%}-{max(shares):.1%} of all operations by the per-element model of"
        " analysis.complexity.other_ops. Its 2 per MAC is exact for a dot product plus bias:"
        " K multiplications, K-1 additions, one bias addition.",
        Correction("FlopCounterMode does not count 2 FLOPs per MAC here", "per network")
        if bad else None,
        networks=rows, mismatched=bad,
    )  # fmt: skip


def _conv_macs(name: str) -> dict[str, int]:
    """Each conv layer's multiply-accumulates (output pixels x window x filters / groups)."""
    return {c.name: c.out_height * c.out_width * c.kernel**2 * c.in_channels * c.out_channels
            // c.groups for c in conv_layers(name)}  # fmt: skip


def ndsb_difference() -> dict[str, object]:
    """Where NDSB Network-2's extra multiply-accumulates come from, layer by layer.

    Examples
    --------
    >>> ndsb_difference()["inputs"]
    {'ndsb1': [128, 128], 'ndsb2': [144, 144]}
    """
    one, two = _conv_macs("ndsb1"), _conv_macs("ndsb2")
    shapes = {n: {c.name: c for c in conv_layers(n)} for n in ("ndsb1", "ndsb2")}
    extra = {k: two.get(k, 0) - one.get(k, 0) for k in {**one, **two}}
    top = sorted(extra, key=extra.get, reverse=True)[:2]
    rows = []
    for k in top:
        a, b = shapes["ndsb1"].get(k), shapes["ndsb2"][k]
        was = f"{a.out_height}x{a.out_width}x{a.out_channels}" if a else "absent"
        rows.append(f"{k} {b.out_height}x{b.out_width}x{b.out_channels} (Network-1: {was}),"
                    f" +{extra[k] / 1e6:.0f} MMAC")  # fmt: skip
    return {
        "inputs": {n: list(get_network(n).input_shape[1:]) for n in shapes},
        "extra_macs_by_layer": extra,
        "largest": rows,
    }


def check_ndsb_order() -> CheckResult:
    """§6.2 puts Network-1 at twice Network-2's complexity (12x vs 6x)."""
    one, two = network_cost("ndsb1").macs, network_cost("ndsb2").macs
    diff = ndsb_difference()
    (h1, w1), (h2, w2) = diff["inputs"]["ndsb1"], diff["inputs"]["ndsb2"]
    why = f"its {h2}x{w2} input against {h1}x{w1}; largest extra layers: " + "; ".join(
        diff["largest"]
    )
    costlier, factor = (1, one / two) if one > two else (2, two / one)
    return decided(
        one > two, "arithmetic",
        f"NDSB Network-1 needs {one / 1e9:.3f} GMAC and Network-2 {two / 1e9:.3f} GMAC per"
        f" image: Network-{costlier} is the costlier ({factor:.2f}x the other); the text's 12x"
        f" vs 6x puts Network-1 first. {why}.",
        Correction(f"Network-2 is the costlier: {two / one:.2f}x Network-1 ({why})",
                   "both networks built in torch; MACs agree with FlopCounterMode"),
        ndsb1_macs=one, ndsb2_macs=two, difference=diff,
        readings_ndsb1=ratio_readings("ndsb1"), readings_ndsb2=ratio_readings("ndsb2"),
    )  # fmt: skip


def check_googlenet_complexity() -> CheckResult:
    """Table 4.7's 3.07X for GoogLeNet, and the edit the GoogLeNet paper's own count gives."""
    paper_macs = 1.5e9  # Szegedy et al. 2015 §5: "1.5 billion multiply-adds" per image
    ratio = paper_macs / network_cost("alexnet_two_tower").macs
    edited = f"{ratio:.2f}"  # the paper's ratio at the printed cell's two decimals
    return with_edit(
        check_ratio("googlenet", "3.07", "GoogLeNet"),
        "3.07",
        edited,
        ratio,
        "the GoogLeNet paper's own 1.5 G multiply-adds over AlexNet's MACs",
    )


def check_alexnet_size() -> CheckResult:
    """Table 4.7's 212 MB for AlexNet, and the edit that the MiB size would need."""
    mib = network_cost("alexnet_two_tower").size_mib
    edited = str(round(mib))  # the size in MiB at the printed figure's precision (units)
    return with_edit(
        check_size("alexnet_two_tower", "212", "AlexNet (two-tower)"),
        "212",
        edited,
        mib,
        "the two-tower AlexNet's float32 size in MiB",
    )


def check_table42_params() -> CheckResult:
    """§4.2.2's 60 million against Table 4.2, with the pool5 the transcription adds."""
    from analysis.claims.networks import as_printed, spec_params

    printed = spec_params(as_printed("alexnet"))
    label = (
        f"AlexNet of Table 4.2 with the transcription's added pool5 (one tower; exactly as"
        f" printed, without pool5, it would have {printed:,} parameters)"
    )
    result = check_params("alexnet", "60", label)
    return CheckResult(result.verdict, result.method,
                       {**result.evidence, "params_exactly_as_printed": printed},
                       result.correction)  # fmt: skip


def check_tinynet_40pct() -> CheckResult:
    """§4.6's 40%, read at the precision of Table 4.7's 0.40X for the same ratio."""
    result = check_ratio(
        "tinynet_b",
        "40",
        "TinyNet (= TinyNet-B, the final design)",
        "floating point operations",
        percent=True,
        zeros_significant=True,
    )
    why = (
        " The zero of '40%' is read as significant because the same text prints this ratio"
        " as 0.40X in Table 4.7 (two significant figures); at one figure, 35-45, it would"
        f" {'hold' if rounds_to(result.evidence['computed'], '40') else 'still fail'}."
    )
    evidence = {**result.evidence, "summary": result.summary + why}
    return CheckResult(result.verdict, result.method, evidence, result.correction)


_make = claim_factory("complexity")


def _c(slug, locator, statement, check, seed=XU_THESIS, slow=False):
    return _make(slug, seed, locator, statement, check, slow=slow)  # most cite the thesis


CLAIMS = (
    _c("eq47-counts-macs", "§4.5 eq. (4.7)",
       "complexity O(sum_l n_(l-1) * s_l^2 * n_l * m_l^2)",
       partial(check_eq47_is_mac_count, tuple(NETWORKS))),
    _c("depth-5x5-to-two-3x3", "§4.5",
       "To constrain time, one can replace a 5x5 convolution layer with two 3x3 convolution"
       " layers", partial(check_depth_replacement, 5, 3)),
    _c("depth-3x3-to-two-2x2", "§4.5",
       "or replace one 3x3 convolution layer with two 2x2 convolution layers",
       partial(check_depth_replacement, 3, 2)),
    _c("table47-alexnet-params", T47, "AlexNet: 60M parameters",
       partial(check_params, "alexnet_two_tower", "60", "AlexNet (two-tower)")),
    _c("alexnet-table42-params", "§4.2.2, Table 4.2", "AlexNet has 60 million parameters",
       check_table42_params),
    _c("table47-vgg16-params", T47, "VGG-16: 138M parameters",
       partial(check_params, "vgg16", "138", "VGG-16")),
    _c("table47-tinynet-a-params", T47, "TinyNet-A: 1.54M parameters",
       partial(check_params, "tinynet_a", "1.54", "TinyNet-A")),
    _c("table47-tinynet-b-params", T47, "TinyNet-B: 1.56M parameters",
       partial(check_params, "tinynet_b", "1.56", "TinyNet-B")),
    _c("table47-tinynet-param-difference", f"{T47}, §4.6",
       "TinyNet-A 1.54M, TinyNet-B 1.56M; they differ only in the first layer",
       check_tinynet_param_difference),
    _c("table47-alexnet-size", T47, "AlexNet: model size 212 MB",
       check_alexnet_size),
    _c("table47-vgg16-size", T47, "VGG-16: model size 528 MB",
       partial(check_size, "vgg16", "528", "VGG-16")),
    _c("table47-tinynet-a-size", T47, "TinyNet-A: model size 7.9 MB",
       partial(check_size, "tinynet_a", "7.9", "TinyNet-A")),
    _c("table47-tinynet-b-size", T47, "TinyNet-B: model size 7.9 MB",
       partial(check_size, "tinynet_b", "7.9", "TinyNet-B")),
    _c("table47-googlenet-params", T47, "GoogLeNet: 5M parameters",
       partial(check_params, "googlenet", "5", "GoogLeNet")),
    _c("table47-googlenet-size", T47, "GoogLeNet: model size 45.3 MB",
       partial(check_size, "googlenet", "45.3", "GoogLeNet")),
    _c("table47-googlenet-complexity", T47, "GoogLeNet: complexity (eq. 4.7) 3.07X AlexNet",
       check_googlenet_complexity),
    _c("table47-googlenet-size-vs-params", T47, "GoogLeNet: 5M parameters, 45.3 MB",
       partial(check_size_from_printed_params, "5", "45.3", "GoogLeNet")),
    _c("table47-kaiming-size-vs-params", T47, "Kaiming Net: 95M parameters, 303 MB",
       partial(check_size_from_printed_params, "95", "303", "Kaiming Net")),
    _c("table47-tinynet-a-size-vs-params", T47, "TinyNet-A: 1.54M parameters, 7.9 MB",
       partial(check_size_from_printed_params, "1.54", "7.9", "TinyNet-A")),
    _c("table47-tinynet-b-size-vs-params", T47, "TinyNet-B: 1.56M parameters, 7.9 MB",
       partial(check_size_from_printed_params, "1.56", "7.9", "TinyNet-B")),
    _c("table47-vgg16-complexity", T47, "VGG-16: complexity (eq. 4.7) 22.6X AlexNet",
       partial(check_ratio, "vgg16", "22.6", "VGG-16")),
    _c("table47-tinynet-a-complexity", T47, "TinyNet-A: complexity (eq. 4.7) 0.40X AlexNet",
       partial(check_ratio, "tinynet_a", "0.40", "TinyNet-A")),
    _c("table47-tinynet-b-complexity", T47, "TinyNet-B: complexity (eq. 4.7) 0.42X AlexNet",
       partial(check_ratio, "tinynet_b", "0.42", "TinyNet-B")),
    _c("table47-tinynet-b-over-a", T47, "TinyNet-A 0.40X, TinyNet-B 0.42X (baseline-free)",
       partial(check_pair_ratio, "tinynet_b", "tinynet_a", "0.42", "0.40",
               ("TinyNet-B", "TinyNet-A"))),
    _c("table47-vgg16-over-tinynet-a", T47, "VGG-16 22.6X, TinyNet-A 0.40X (baseline-free)",
       partial(check_pair_ratio, "vgg16", "tinynet_a", "22.6", "0.40",
               ("VGG-16", "TinyNet-A"))),
    _c("tinynet-40pct-of-alexnet", "§4.6",
       "This tiny network requires only 40% of the floating point operations used by AlexNet",
       check_tinynet_40pct),
    _c("ndsb1-12x-alexnet", "§6.2", "The first network's complexity is 12x compared to AlexNet",
       partial(check_ratio, "ndsb1", "12", "NDSB Network-1")),
    _c("ndsb2-6x-alexnet", "§6.2", "the second network's complexity is 6x compared to AlexNet",
       partial(check_ratio, "ndsb2", "6", "NDSB Network-2")),
    _c("ndsb1-costlier-than-ndsb2", "§6.2",
       "Network-1 at 12x and Network-2 at 6x AlexNet's complexity", check_ndsb_order),
    _c("alexnet-torchvision-params", "torchvision.models.alexnet (Krizhevsky 2014)",
       "AlexNet (torchvision's single-tower variant) has 61,100,840 parameters",
       partial(check_published_params, "alexnet_torchvision", 61_100_840, "torchvision"),
       seed=PAPER),
    _c("alexnet-two-tower-params", "Krizhevsky et al. 2012 (Caffe bvlc_alexnet)",
       "the original two-tower AlexNet has 60,965,224 parameters",
       partial(check_published_params, "alexnet_two_tower", 60_965_224, "Caffe's bvlc_alexnet"),
       seed=PAPER),
    _c("vgg16-params", "Simonyan & Zisserman 2015, config D (torchvision vgg16)",
       "VGG-16 has 138,357,544 parameters",
       partial(check_published_params, "vgg16", 138_357_544, "torchvision"), seed=PAPER),
    _c("vgg19-params", "Simonyan & Zisserman 2015, config E (torchvision vgg19)",
       "VGG-19 has 143,667,240 parameters",
       partial(check_published_params, "vgg19", 143_667_240, "torchvision"), seed=PAPER),
    _c("flop-counter-convention", "torch.utils.flop_counter.FlopCounterMode",
       "FlopCounterMode counts 2 FLOPs per multiply-accumulate of convolutions and matrix"
       " products, and nothing else", check_flop_counter_convention, seed=PYTORCH_DOCS),
)  # fmt: skip
