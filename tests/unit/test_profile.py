"""`cnnbench.analysis.profile`: every count of a network profile against torch itself.

Oracles: ``sum(p.numel())`` for parameters, a real CPU forward pass (torch.fx's own
Interpreter, not the profiler's) for shapes, ``FlopCounterMode`` for MACs, and autograd's
gradient support for receptive fields.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from cnnbench.analysis.profile.oracle import verify
from cnnbench.analysis.profile.profile import profile_network
from cnnbench.analysis.profile.source import build_model, resolve
from torch import fx
from torch.utils.flop_counter import FlopCounterMode

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MIXED = f"{FIXTURES / 'profile_models.py'}:mixed"
RESNET50 = f"{FIXTURES / 'resnet50.py'}:resnet50"
RESNET50_V1 = f"{FIXTURES / 'resnet50.py'}:resnet50_v1"
RESNET50_V1_THIN = f"{FIXTURES / 'resnet50.py'}:resnet50_v1_thin"


@pytest.fixture(scope="module")
def mixed():
    return profile_network(resolve(MIXED), (3, 32, 32))


def test_mixed_model_holds_every_op_the_issue_names():
    from torch import nn

    model = build_model(resolve(MIXED), "meta")
    mods = list(model.modules())
    assert any(isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2) for m in mods)
    assert any(isinstance(m, nn.Conv2d) and m.groups == m.in_channels > 1 for m in mods)
    assert any(isinstance(m, nn.Conv2d) and 1 < m.groups < m.in_channels for m in mods)
    assert any(isinstance(m, nn.Conv2d) and m.dilation == (2, 2) for m in mods)
    assert any(isinstance(m, nn.MaxPool2d) and m.ceil_mode for m in mods)
    assert any(isinstance(m, nn.AdaptiveAvgPool2d) for m in mods)


def test_totals_equal_sum_of_numel(mixed):
    model = build_model(resolve(MIXED), "cpu")
    assert mixed.params == sum(p.numel() for p in model.parameters())
    assert mixed.layer_params == mixed.params  # every parameter is in some row


def test_shapes_equal_a_real_forward_pass(mixed):
    model = build_model(resolve(MIXED), "cpu").eval()
    gm = fx.symbolic_trace(model)
    shapes = {}

    class Shapes(fx.Interpreter):
        def run_node(self, n):
            out = super().run_node(n)
            if isinstance(out, torch.Tensor):
                shapes[n.name] = tuple(out.shape[1:])
            return out

    Shapes(gm).run(torch.randn(2, 3, 32, 32))  # (N, C, H, W)
    assert len(mixed.rows) > 20
    for r in mixed.rows:
        assert r.shape == shapes[r.node], r.name


def test_macs_equal_flop_counter_over_two(mixed):
    model = build_model(resolve(MIXED), "cpu").eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.randn(1, 3, 32, 32))
    assert mixed.macs * 2 == counter.get_total_flops()
    assert not mixed.mismatches  # and per layer, each formula agrees with torch's count


def test_receptive_fields_equal_gradient_support(mixed):
    v = verify(resolve(MIXED), (3, 32, 32), mixed.headline)
    assert v.agrees, v.to_json()
    # the strided transposed conv, the depthwise conv, the residual add and the concatenation
    for layer in ("up", "depthwise", "add", "add_1", "cat", mixed.headline):
        assert layer in v.nodes
    assert mixed.headline_row.rf == (35, 35)
    # the transposed conv's units read windows of two widths: the RF is the wider one
    up = next(r for r in mixed.rows if r.name == "up")
    assert up.jump == (2.0, 2.0)  # bit-exact: an integer jump stored as a float


def test_untraceable_model_falls_back_to_hooks():
    p = profile_network(resolve(f"{FIXTURES / 'profile_models.py'}:branchy"), (3, 16, 16))
    model = build_model(resolve(f"{FIXTURES / 'profile_models.py'}:branchy"), "cpu")
    assert not p.traced
    assert p.params == sum(q.numel() for q in model.parameters())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, 16, 16))
    assert 2 * p.macs == counter.get_total_flops()
    assert any("could not trace" in n for n in p.notes)
    assert all(r.rf is None for r in p.rows)


def test_resnet50_params_macs_and_receptive_field():
    # source: paper, torchvision ResNet-50 model card: 25,557,032 parameters, 4.09 GFLOPS
    # (multiply-accumulates) at 224x224; He et al., CVPR 2016, Table 1: 3.8 x 10^9 FLOPs.
    p = profile_network(resolve(RESNET50), (3, 224, 224))
    assert p.params == 25_557_032
    assert p.macs == p.torch_macs  # FlopCounterMode / 2 agrees exactly
    assert 4.05e9 < p.macs < 4.15e9  # ~4.1 GMAC
    # source: paper, Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional
    # Neural Networks", Distill 2019, table of receptive fields: resnet_v1_50 = 483 (the
    # original ResNet, stride on the 1x1 convolution), also TensorFlow's receptive_field
    # library for resnet_v1_50/block4. torchvision's v1.5 moves the stride to the 3x3 and
    # its receptive field shrinks to 427 (the formula here, cross-checked by autograd in
    # test_resnet50_v1_receptive_field_by_gradient_support).
    v1 = profile_network(resolve(RESNET50_V1), (3, 224, 224))
    assert v1.params == 25_557_032
    assert v1.headline_row.rf == (483, 483)
    assert v1.headline_row.jump == (32.0, 32.0)  # bit-exact: an integer jump
    assert p.headline_row.rf == (427, 427)


@pytest.mark.slow
def test_resnet50_v1_receptive_field_by_gradient_support():
    # source: paper, Araujo et al., Distill 2019: resnet_v1_50 receptive field 483. The thin
    # variant has the same kernels, strides, paddings and paths at 1/256 of the cost.
    thin = profile_network(resolve(RESNET50_V1_THIN), (3, 224, 224))
    v = verify(resolve(RESNET50_V1_THIN), (3, 64, 64), thin.headline, every=False)
    assert v.agrees and v.units >= 1, v.to_json()
    assert v.checked[0][3][1] - v.checked[0][3][0] + 1 == 483  # the measured window


@pytest.mark.slow
def test_resnet50_v1_layer2_by_gradient_support():
    # every windowed layer and merge up to the input the
    # oracle's budget allows on the thin model, the stages with strides included
    thin = profile_network(resolve(RESNET50_V1_THIN), (3, 64, 64))
    v = verify(resolve(RESNET50_V1_THIN), (3, 64, 64), thin.headline, max_macs=2 * 10**7)
    assert v.agrees, v.to_json()
    assert any(n.startswith("layer2") for n in v.nodes)


def test_meta_device_makes_huge_models_free():
    import time

    start = time.perf_counter()
    p = profile_network(resolve(RESNET50), (3, 4096, 4096))
    assert p.macs == p.torch_macs > 10**12  # integer counts
    assert time.perf_counter() - start < 60  # nothing is computed: seconds, not hours
