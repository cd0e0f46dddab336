"""Claims about receptive fields: published reference values and the texts' statements."""

from __future__ import annotations

from cnnbench.analysis.claims._core import Claim
from cnnbench.analysis.receptive.checks import (
    check_alexnet_rf,
    check_fig26_second_layer,
    check_network_rf,
    check_small_kernels_same_rf,
    check_strides_grow_rf,
)
from cnnbench.analysis.seeds import BILICI, PAPER, XU_THESIS

_DISTILL = "Araujo et al., Distill 2019, receptive fields of modern networks"

CLAIMS = (
    Claim(
        "receptive.alexnet-195",
        PAPER,
        f"{_DISTILL}: alexnet_v2",
        "AlexNet: receptive field 195, effective stride 32 (at the last pool)",
        check_alexnet_rf,
    ),
    Claim(
        "receptive.vgg16-conv5-3-196",
        PAPER,
        f"{_DISTILL}: vgg_16 conv5_3",
        "VGG-16 conv5_3: receptive field 196 (effective stride 16)",
        lambda: check_network_rf("vgg16", "conv5_3", 196, 16),
    ),
    Claim(
        "receptive.vgg16-pool5-212",
        PAPER,
        f"{_DISTILL}: vgg_16",
        "VGG-16 pool5: receptive field 212, effective stride 32",
        lambda: check_network_rf("vgg16", "pool5", 212, 32),
    ),
    Claim(
        "receptive.fig26-two-1x3-layers",
        XU_THESIS,
        "§2.1.5, Figure 2.6",
        "with a 1x3 kernel, the receptive field of a neuron in the first layer is 3, in the"
        " second layer 9",
        check_fig26_second_layer,
    ),
    Claim(
        "receptive.small-kernels-same-field",
        XU_THESIS,
        "§4.5, item 1",
        "replace a 5x5 convolution layer with two 3x3 convolution layers, or one 3x3 with two"
        " 2x2 (the same receptive field at lower cost)",
        check_small_kernels_same_rf,
    ),
    Claim(
        "receptive.strides-grow-field",
        BILICI,
        "§Stride (end)",
        "strides have the effect of rapidly increasing the receptive field of each feature in"
        " the hidden layer",
        check_strides_grow_rf,
    ),
)
