"""Claims about output sizes: the texts' formulas, their worked shapes, PyTorch's docs."""

from __future__ import annotations

from fractions import Fraction

from cnnbench.analysis.claims import claim_factory
from cnnbench.analysis.seeds import BILICI, FOUNDATIONS, MSD_THESIS, PYTORCH_DOCS, XU_THESIS
from cnnbench.analysis.shapes.checks import (
    check_bilici_full_padding,
    check_bilici_half_padding,
    check_bilici_no_overlap,
    check_bilici_pooling_formula,
    check_printed_unfloored,
    check_texts_conv_forms_agree,
)
from cnnbench.analysis.shapes.texts import (
    check_bilici_conv2_padding,
    check_flatten_count,
    check_network_shapes,
    check_two_filter_volume,
    check_w2_example,
)
from cnnbench.analysis.shapes.torch_checks import (
    check_pool_padding_rule,
    check_pytorch_ceil_bare,
    sweep_check,
)


def _w2(w1: int, f: int, s: int, p: int) -> Fraction:
    return Fraction(w1 - f + 2 * p, s) + 1  # W2 = (W1 - F + 2P)/S + 1, as printed


def _eq22(w1: int, f: int, s: int, p: int) -> Fraction:
    return Fraction(w1 + 2 * p - 1 * (f - 1) - 1, s) + 1  # 001 eq. (2.2), dilation 1


_c = claim_factory("shapes")


_FORMULAS = "§Useful Practical Formulas"
_DOC = "torch.nn.{} docs (Shape)"
_W2_FLOOR = "floor((W1 - F + 2P)/S) + 1"

CLAIMS = (
    _c("texts-conv-forms-agree", MSD_THESIS, "eq. (2.2)",
       "H_out = (H_in + 2*padding - dilation*(kernel size - 1) - 1)/stride + 1 is, at "
       "dilation 1, the W2 = (W1 - F + 2P)/S + 1 of 002 and 004",
       check_texts_conv_forms_agree),
    _c("msd-eq22-printed", MSD_THESIS, "eq. (2.2)",
       "H_out = (H_in + 2*padding - dilation*(kernel size - 1) - 1)/stride + 1 (no floor)",
       check_printed_unfloored(
           _eq22, "H_out",
           "floor((H_in + 2*padding - dilation*(kernel size - 1) - 1)/stride) + 1")),
    _c("bilici-conv-formula", BILICI, f"{_FORMULAS}, Convolution Layer",
       "W2 = (W1 - F + 2P)/S + 1", check_printed_unfloored(_w2, "W2", _W2_FLOOR)),
    _c("bilici-stride-formula", BILICI, "§6 Stride",
       "output height (H_q - K_q)/S_q + 1 and width (W_q - K_q)/S_q + 1",
       check_printed_unfloored(_w2, "height", "floor((H_q - K_q)/S_q) + 1", padded=False)),
    _c("foundations-w2-formula", FOUNDATIONS, "§3.2.3",
       "W2 = (W1 - F + 2P)/S + 1 (the relationship image size, stride and feature map satisfy)",
       check_printed_unfloored(_w2, "W2", _W2_FLOOR)),
    _c("bilici-pooling-formula", BILICI, f"{_FORMULAS}, Pooling Layer",
       "W2 = (W1 - F)/S, H2 = (H1 - F)/S", check_bilici_pooling_formula, severity="slip",
       severity_reason="the '+ 1' is missing, but the text's own pooling (28 -> 14 -> 7) uses "
                       "the right sizes"),
    _c("bilici-no-overlap", BILICI, f"{_FORMULAS}, Pooling Layer",
       "If no overlapping: W2 = W1/F, H2 = H1/F", check_bilici_no_overlap),
    _c("bilici-half-padding", BILICI, "§5 Padding",
       "adding (K_q - 1)/2 pixels all around (half-padding) maintains the spatial footprint",
       check_bilici_half_padding),
    _c("bilici-full-padding", BILICI, "§5 Padding",
       "full padding (K_q - 1 zeros per side): input H_q + 2(K_q - 1), output H_q + K_q - 1, "
       "the size of a 'reverse' convolution", check_bilici_full_padding),
    _c("bilici-mnist-shapes", BILICI, "§10 A Practical Example: MNIST",
       "28x28 -> conv 3x3 p1: 8@28x28 -> pool 2: 14x14 -> conv 5x5: 32@14x14 -> pool 2: 7x7 "
       "-> flatten 7*7*32 = 1568 -> 600 -> 10", lambda: check_network_shapes("mnist_bilici")),
    _c("bilici-mnist-conv2-padding", BILICI, "§10 A Practical Example: MNIST",
       "[5x5] kernel size means that our amount of zero padding is 1",
       check_bilici_conv2_padding, severity="slip",
       severity_reason="the text's own rule, arithmetic and code all pad 2; only this "
                       "sentence says 1"),
    _c("bilici-flatten-490", BILICI, "§9 Fully Connected Layers and Flattening",
       "10 feature maps of 7x7 -> 7 x 7 x 10 = 490 neurons in the first fully connected layer",
       lambda: check_flatten_count(10, 7, 7, 490)),
    _c("foundations-stride1-size", FOUNDATIONS, "§3.2.3",
       "a 5*5 image convolved with a 3*3 filter [stride 1] gives a 3*3 feature map",
       check_w2_example(5, 3, 1, 0, 3)),
    _c("foundations-stride2-size", FOUNDATIONS, "§3.2.3",
       "W1 = 5, F = 3, P = 0, S = 2: W2 = (5 - 3 + 0)/2 + 1 = 2",
       check_w2_example(5, 3, 2, 0, 2)),
    _c("foundations-two-filter-volume", FOUNDATIONS, "§3.2.3",
       "7*7*3 input (+pad 1), two 3*3*3 filters, stride 2 -> output 3*3*2",
       check_two_filter_volume),
    _c("xu-ndsb1-table-6-1", XU_THESIS, "Table 6.1",
       "NDSB Network-1 outputs 128x128x16 ... 8x8x512 -> 1x1x512 -> 1x1x121",
       lambda: check_network_shapes("ndsb1")),
    _c("xu-ndsb2-table-6-2", XU_THESIS, "Table 6.2",
       "NDSB Network-2 outputs 144x144x16 ... 6x6x512 -> 1x1x512 -> 1x1x121",
       lambda: check_network_shapes("ndsb2")),
    _c("pytorch-conv2d", PYTORCH_DOCS, _DOC.format("Conv2d"),
       "H_out = floor((H_in + 2*padding - dilation*(kernel_size - 1) - 1)/stride + 1)",
       sweep_check("conv"), slow=True),
    _c("pytorch-maxpool2d", PYTORCH_DOCS, _DOC.format("MaxPool2d"),
       "H_out = floor((H_in + 2*padding - dilation*(kernel_size - 1) - 1)/stride + 1); "
       "ceil_mode: windows starting in the right padded region are ignored",
       sweep_check("maxpool"), slow=True),
    _c("pytorch-avgpool2d", PYTORCH_DOCS, _DOC.format("AvgPool2d"),
       "H_out = floor((H_in + 2*padding - kernel_size)/stride + 1)",
       sweep_check("avgpool"), slow=True),
    _c("pytorch-convtranspose2d", PYTORCH_DOCS, _DOC.format("ConvTranspose2d"),
       "H_out = (H_in - 1)*stride - 2*padding + dilation*(kernel_size - 1) "
       "+ output_padding + 1", sweep_check("convT"), slow=True),
    _c("pytorch-ceil-mode-bare", PYTORCH_DOCS, "torch.nn.MaxPool2d docs (ceil_mode)",
       "ceil_mode - If True, will use ceil instead of floor to compute the output shape",
       check_pytorch_ceil_bare),
    _c("pytorch-pool-padding-range", PYTORCH_DOCS, "torch.nn.functional.max_pool2d docs",
       "padding - must be >= 0 and <= kernel_size / 2", check_pool_padding_rule),
)  # fmt: skip
