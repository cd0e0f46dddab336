"""Costs of the texts' networks against torch: numel, FlopCounterMode, forward hooks."""

from __future__ import annotations

import pytest
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims import Verdict
from cnnbench.analysis.networks.complexity import (
    eq47_term,
    network_cost,
    other_ops,
    parameter_breakdown,
)
from cnnbench.analysis.networks.complexity_figures import (
    check_params,
    check_ratio,
    check_size,
    check_size_from_printed_params,
)
from cnnbench.analysis.networks.modules import NETWORKS, build_network, get_network
from cnnbench.analysis.printed import printed_interval, rounds_to
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def _meta_model(name):
    with torch.device("meta"):
        return build_network(name).eval()


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_parameter_count_matches_torch_numel(name):
    counted = sum(p.numel() for p in _meta_model(name).parameters())
    assert network_cost(name).params == counted
    assert sum(parameter_breakdown(name).values()) == counted


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_macs_are_half_of_flop_counter_mode(name):
    # source: paper, torch.utils.flop_counter (conv and mm: 2 FLOPs per multiply-accumulate)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        _meta_model(name)(torch.zeros(1, *get_network(name).input_shape, device="meta"))
    cost = network_cost(name)
    assert counter.get_total_flops() == 2 * cost.macs == cost.flops
    by_op = {str(k): v for k, v in counter.get_flop_counts()["Global"].items()}
    assert by_op.get("aten.convolution", 0) == 2 * cost.conv_macs
    assert by_op.get("aten.addmm", 0) == 2 * cost.fc_macs


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("alexnet_torchvision", 61_100_840),  # source: paper, torchvision alexnet
        ("alexnet_two_tower", 60_965_224),  # source: paper, Caffe bvlc_alexnet (two towers)
        ("vgg16", 138_357_544),  # source: paper, torchvision vgg16 (config D)
    ],
)
def test_published_parameter_counts_from_the_spec_alone(name, params):
    assert network_cost(name).params == params


def _conv_flop_count(conv: nn.Conv2d, size: int) -> int:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        conv(torch.zeros(1, conv.in_channels, size, size, device="meta"))
    return counter.get_total_flops()


def test_eq47_term_against_flop_counter_and_a_hand_count():
    # source: hand count, Krizhevsky et al. 2012 conv1: 227x227x3 input, 96 filters of
    # 11x11x3 at stride 4 -> 55x55 outputs, each 11*11*3 = 363 multiply-accumulates
    conv1 = nn.Conv2d(3, 96, 11, 4, device="meta")
    assert _conv_flop_count(conv1, 227) == 2 * eq47_term(3, 11, 96, 55)
    assert eq47_term(3, 11, 96, 55) == 55 * 55 * 96 * 363
    # conv2 of the two-tower net: 96 -> 256, 5x5, 27x27, two groups run half the MACs
    # that eq. (4.7), which has no groups term, counts
    conv2 = nn.Conv2d(96, 256, 5, padding=2, groups=2, device="meta")
    assert 2 * _conv_flop_count(conv2, 27) == 2 * eq47_term(96, 5, 256, 27)


def test_alexnet_two_tower_macs_match_flop_counter_by_operator():
    # source: paper, Krizhevsky et al. 2012 (fc 9216 -> 4096 -> 4096 -> 1000)
    cost = network_cost("alexnet_two_tower")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        _meta_model("alexnet_two_tower")(torch.zeros(1, 3, 227, 227, device="meta"))
    by_op = {str(k): v for k, v in counter.get_flop_counts()["Global"].items()}
    assert cost.conv_macs == by_op["aten.convolution"] // 2
    assert cost.fc_macs == 9216 * 4096 + 4096 * 4096 + 4096 * 1000


def test_vgg16_model_size_in_mb_and_mib():
    # source: paper, torchvision vgg16 weights file holds 138,357,544 float32 values
    cost = network_cost("vgg16")
    assert cost.size_mb == pytest.approx(553.430176, abs=1e-6)
    assert cost.size_mib == pytest.approx(138_357_544 * 4 / 1048576, rel=1e-15)
    assert round(cost.size_mib) == 528


def test_eq47_ignores_groups_where_the_layers_run_fewer_macs():
    # source: 003 eq. (4.7) has no groups term; 003 §4.2.2 describes AlexNet's groups
    grouped, single = network_cost("alexnet_two_tower"), network_cost("alexnet")
    assert grouped.eq47 == single.eq47 == single.macs
    assert grouped.macs < single.macs


def _hooked_counts(name):
    """Outputs of ReLU/Tanh modules and of conv/linear layers in a real forward pass."""
    model = build_network(name).eval()
    counts = {"activation": 0, "bias": 0}
    for module in model.modules():
        key = ("activation" if isinstance(module, (nn.ReLU, nn.Tanh))
               else "bias" if isinstance(module, (nn.Conv2d, nn.Linear)) else None)  # fmt: skip
        if key:
            module.register_forward_hook(
                lambda m, i, o, key=key: counts.__setitem__(key, counts[key] + o.numel())
            )
    with torch.no_grad():
        model(torch.zeros(1, *get_network(name).input_shape))
    return counts


@pytest.mark.parametrize("name", ["lenet5", "mnist_bilici", "tiny_cifar", "ndsb1"])
def test_other_ops_count_what_torch_runs_beside_the_macs(name):
    ops = other_ops(name)
    counts = _hooked_counts(name)
    assert ops["activation"] == counts["activation"]
    assert ops["bias"] == counts["bias"]


def test_unknown_network_name_lists_the_valid_names():
    with pytest.raises(ParameterError, match=r"`name`='resnet50' must be one of 'lenet5'"):
        network_cost("resnet50")


@pytest.mark.parametrize(
    ("printed", "interval"),
    [("22.6", (22.55, 22.65)), ("0.40", (0.395, 0.405)), ("60", (55.0, 65.0)),
     ("212", (211.5, 212.5)), ("12", (11.5, 12.5)), ("1.54", (1.535, 1.545))],
)  # fmt: skip
def test_printed_interval(printed, interval):
    # source: 003 Table 4.7 and §6.2 print these figures
    assert printed_interval(printed) == pytest.approx(interval, abs=1e-12)


def test_printed_reading_is_stated_and_zeros_can_be_significant():
    # source: 003 §4.6 prints "40%", Table 4.7 the same ratio as "0.40X"
    from cnnbench.analysis.printed import describe_reading

    assert printed_interval("40", zeros_significant=True) == pytest.approx((39.5, 40.5))
    assert rounds_to(40.67, "40") and not rounds_to(40.67, "40", zeros_significant=True)
    assert describe_reading("60") == (
        "60 read as 55-65 (trailing zero of an integer not significant)"
    )
    assert describe_reading("100") == (
        "100 read as 50-150 (trailing zeros of an integer not significant)"
    )
    assert describe_reading("22.6") == "22.6 read as 22.55-22.65"


def test_printed_interval_refuses_non_numbers():
    with pytest.raises(ParameterError, match=r"`printed`='22,6' must be a decimal number"):
        printed_interval("22,6")


def test_printed_interval_refuses_negative_or_infinite():
    with pytest.raises(ParameterError, match=r"`printed`='-1' must be a finite non-negative"):
        printed_interval("-1")
    with pytest.raises(ParameterError, match=r"`printed`='Infinity' must be a finite"):
        rounds_to(1.0, "Infinity")


def test_checks_can_fail_and_can_pass():
    # source: 003 Table 4.7 (the printed cells); other figures show the checks discriminate
    assert check_params("vgg16", "138", "VGG-16").verdict is Verdict.CONFIRMED
    assert check_params("vgg16", "137", "VGG-16").verdict is Verdict.REFUTED
    assert check_size("vgg16", "528", "VGG-16").verdict is Verdict.CONFIRMED
    assert check_size("vgg16", "553", "VGG-16").verdict is Verdict.CONFIRMED  # in MB
    assert check_size("vgg16", "540", "VGG-16").verdict is Verdict.REFUTED
    assert check_ratio("vgg16", "21.4", "VGG-16").verdict is Verdict.CONFIRMED
    # issue 10: 22.6 lies between the readings (21.36 all MACs, 23.05 conv MACs): undecidable
    assert check_ratio("vgg16", "22.6", "VGG-16").verdict is Verdict.INCONCLUSIVE
    assert check_ratio("vgg16", "30", "VGG-16").verdict is Verdict.REFUTED
    assert check_ratio("ndsb1", "2.1", "NDSB-1").verdict is Verdict.CONFIRMED
    assert check_ratio("tinynet_a", "0.38", "TinyNet-A").verdict is Verdict.CONFIRMED
    assert check_ratio("tinynet_a", "0.40", "TinyNet-A").verdict is Verdict.INCONCLUSIVE
    assert check_ratio("tinynet_a", "0.50", "TinyNet-A").verdict is Verdict.REFUTED
    assert check_size_from_printed_params("138", "553", "VGG-16").verdict is Verdict.CONFIRMED
    assert check_size_from_printed_params("5", "45.3", "GoogLeNet").verdict is Verdict.REFUTED


def test_depth_replacement_checks_can_fail():
    # source: 003 §4.5 (5x5 -> two 3x3; 3x3 -> two 2x2); 3x3 -> two 3x3 costs 2x and widens
    from cnnbench.analysis.networks.complexity_checks import check_depth_replacement

    assert check_depth_replacement(5, 3).evidence["ratio"] == "18/25"
    assert check_depth_replacement(3, 2).evidence["ratio"] == "8/9"
    assert check_depth_replacement(3, 3).verdict is Verdict.REFUTED


def test_pair_ratio_is_free_of_the_alexnet_baseline():
    # source: 003 Table 4.7 (0.40X and 0.42X); 0.30X would not fit the built networks
    from cnnbench.analysis.networks.complexity_checks import check_pair_ratio

    labels = ("TinyNet-B", "TinyNet-A")
    assert check_pair_ratio("tinynet_b", "tinynet_a", "0.42", "0.40", labels).verdict is (
        Verdict.CONFIRMED
    )
    assert check_pair_ratio("tinynet_b", "tinynet_a", "0.42", "0.30", labels).verdict is (
        Verdict.REFUTED
    )
