"""Claims of the "complexity" family: what the texts' networks cost, against the built networks.

003 Table 4.7 (parameters, model sizes, complexity ratios), §4.6's "40% of
AlexNet's operations", §6.2's 12x and 6x, eq. (4.7) itself, published parameter
counts (seed "paper") and FlopCounterMode's counting convention. The policy
deciding each figure is in :mod:`cnnbench.analysis.networks.complexity_checks`.
"""

from __future__ import annotations

from functools import partial

from cnnbench.analysis.claims import CheckResult, Correction, claim_factory, decided, reading
from cnnbench.analysis.networks.complexity import counted_flops, network_cost, other_ops
from cnnbench.analysis.networks.complexity_checks import (
    check_depth_replacement,
    check_eq47_is_mac_count,
    check_pair_ratio,
)
from cnnbench.analysis.networks.complexity_figures import (
    check_params,
    check_ratio,
    check_size,
    check_size_from_printed_params,
    check_tinynet_param_difference,
    ratio_readings,
)
from cnnbench.analysis.networks.modules import NETWORKS, build_network, conv_layers, get_network
from cnnbench.analysis.seeds import PAPER, PYTORCH_DOCS, XU_THESIS

T47 = "Table 4.7"
# Which networks a Table 4.7 row may mean: the one it names first, then the others.
_ALEXNETS = ("alexnet_torchvision", "alexnet")
_GOOGLENET = "GoogLeNet (003 Table 4.4, the network §6.2 calls GoogLeNet)"
_TINY = "complexity.table47-tinynet-a-params"


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
        " cnnbench.analysis.networks.complexity.other_ops. Its 2 per MAC is exact for a dot"
        " product plus bias:"
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
    conv1, conv2 = network_cost("ndsb1").conv_macs, network_cost("ndsb2").conv_macs
    readings = [reading("all multiply-accumulates, whatever AlexNet divides both", one > two,
                        ndsb1=one, ndsb2=two),
                reading("convolutions only (eq. 4.7)", conv1 > conv2, ndsb1=conv1, ndsb2=conv2)]
    return decided(
        one > two, "arithmetic",
        f"NDSB Network-1 needs {one / 1e9:.3f} GMAC and Network-2 {two / 1e9:.3f} GMAC per"
        f" image: Network-{costlier} is the costlier ({factor:.2f}x the other); the text's 12x"
        f" vs 6x puts Network-1 first. {why}.",
        Correction(f"Network-2 is the costlier: {two / one:.2f}x Network-1 ({why})",
                   "both networks built in torch; MACs agree with FlopCounterMode"),
        readings=readings, ndsb1_macs=one, ndsb2_macs=two, difference=diff,
        ratios_ndsb1=dict(ratio_readings("ndsb1")), ratios_ndsb2=dict(ratio_readings("ndsb2")),
    )  # fmt: skip


def check_table42_params() -> CheckResult:
    """§4.2.2's 60 million against Table 4.2, with the pool5 the transcription adds."""
    from cnnbench.analysis.networks.claims import as_printed, spec_params

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
    """§4.6's "40%" for TinyNet (TinyNet-B, the final design), read as a round figure."""
    result = check_ratio("tinynet_b", "40", "TinyNet (= TinyNet-B, the final design)",
                         "floating point operations", percent=True)
    if result.verdict.value != "confirmed":
        return result
    caveat = ("'40%' read as a round figure (35-45%): the same text prints TinyNet-B's ratio as "
              "0.42X in Table 4.7." + (f" {result.caveat}" if result.caveat else ""))
    return CheckResult(result.verdict, result.method, result.evidence, caveat=caveat)


_make = claim_factory("complexity")


def _c(slug, locator, statement, check, seed=XU_THESIS, slow=False, **judgement):
    return _make(slug, seed, locator, statement, check, slow=slow, **judgement)


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
       partial(check_params, "alexnet_two_tower", "60", "AlexNet (two-tower)", _ALEXNETS)),
    _c("alexnet-table42-params", "§4.2.2, Table 4.2", "AlexNet has 60 million parameters",
       check_table42_params),
    _c("table47-vgg16-params", T47, "VGG-16: 138M parameters",
       partial(check_params, "vgg16", "138", "VGG-16")),
    _c("table47-tinynet-a-params", T47, "TinyNet-A: 1.54M parameters",
       partial(check_params, "tinynet_a", "1.54", "TinyNet-A"), severity="substantive",
       severity_reason="Table 4.6's layers hold about 2.05M parameters (1.71M in the "
       "convolutions alone), and the row's own 7.9 MB fits 2.05M; the headline size of the "
       "thesis's TinyNet is a third too small"),
    _c("table47-tinynet-b-params", T47, "TinyNet-B: 1.56M parameters",
       partial(check_params, "tinynet_b", "1.56", "TinyNet-B"), severity="substantive",
       same_as=_TINY),
    _c("table47-tinynet-param-difference", f"{T47}, §4.6",
       "TinyNet-A 1.54M, TinyNet-B 1.56M; they differ only in the first layer",
       check_tinynet_param_difference, severity="slip", same_as=_TINY),
    _c("table47-alexnet-size", T47, "AlexNet: model size 212 MB",
       partial(check_size, "alexnet_two_tower", "212", "AlexNet (two-tower)", _ALEXNETS),
       severity="slip", severity_reason="every AlexNet's float32 weights take 229-250 MB or "
       "MiB; no figure of the argument uses this one (a digit slip, or OCR of 232/233)"),
    _c("table47-vgg16-size", T47, "VGG-16: model size 528 MB",
       partial(check_size, "vgg16", "528", "VGG-16")),
    _c("table47-tinynet-a-size", T47, "TinyNet-A: model size 7.9 MB",
       partial(check_size, "tinynet_a", "7.9", "TinyNet-A")),
    _c("table47-tinynet-b-size", T47, "TinyNet-B: model size 7.9 MB",
       partial(check_size, "tinynet_b", "7.9", "TinyNet-B")),
    _c("table47-googlenet-params", T47, "GoogLeNet: 5M parameters",
       partial(check_params, "inception_bn", "5", _GOOGLENET, ("googlenet",)),
       severity="slip", severity_reason="5M is the GoogLeNet paper's round figure for the "
       "2014 network (which has 7.0M); the thesis's GoogLeNet, Table 4.4, has 11.3M, and the "
       "row's size and complexity are right for it"),
    _c("table47-googlenet-size", T47, "GoogLeNet: model size 45.3 MB",
       partial(check_size, "inception_bn", "45.3", _GOOGLENET, ("googlenet",))),
    _c("table47-googlenet-complexity", T47, "GoogLeNet: complexity (eq. 4.7) 3.07X AlexNet",
       partial(check_ratio, "inception_bn", "3.07", _GOOGLENET)),
    _c("table47-googlenet-size-vs-params", T47, "GoogLeNet: 5M parameters, 45.3 MB",
       partial(check_size_from_printed_params, "5", "45.3", "GoogLeNet"), severity="slip",
       same_as="complexity.table47-googlenet-params"),
    _c("table47-kaiming-size-vs-params", T47, "Kaiming Net: 95M parameters, 303 MB",
       partial(check_size_from_printed_params, "95", "303", "Kaiming Net"), severity="slip",
       severity_reason="one of the row's two figures is wrong (95M float32 parameters take "
       "380 MB / 362 MiB); the thesis prints no table to tell which, and no conclusion rests "
       "on Kaiming Net's size"),
    _c("table47-tinynet-a-size-vs-params", T47, "TinyNet-A: 1.54M parameters, 7.9 MB",
       partial(check_size_from_printed_params, "1.54", "7.9", "TinyNet-A"),
       severity="substantive", same_as=_TINY),
    _c("table47-tinynet-b-size-vs-params", T47, "TinyNet-B: 1.56M parameters, 7.9 MB",
       partial(check_size_from_printed_params, "1.56", "7.9", "TinyNet-B"),
       severity="substantive", same_as=_TINY),
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
       partial(check_ratio, "ndsb1", "12", "NDSB Network-1"), severity="substantive",
       severity_reason="Network-1 costs 1.3-2.3x AlexNet under every reading (1.5 GMAC); the "
       "thesis's cost comparison of its own competition networks is off by about 6x"),
    _c("ndsb2-6x-alexnet", "§6.2", "the second network's complexity is 6x compared to AlexNet",
       partial(check_ratio, "ndsb2", "6", "NDSB Network-2"), severity="substantive",
       severity_reason="Network-2 costs 2.2-3.7x AlexNet under every reading (2.4 GMAC), and "
       "more than Network-1, not half as much"),
    _c("ndsb1-costlier-than-ndsb2", "§6.2",
       "Network-1 at 12x and Network-2 at 6x AlexNet's complexity", check_ndsb_order,
       severity="substantive", same_as="complexity.ndsb1-12x-alexnet"),
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
