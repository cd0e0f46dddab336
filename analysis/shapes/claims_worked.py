"""Claims about the texts' worked convolution examples, recomputed with torch."""

from __future__ import annotations

from cnnbench.analysis.claims import claim_factory
from cnnbench.analysis.seeds import BILICI, FOUNDATIONS, XU_THESIS
from cnnbench.analysis.shapes.worked import (
    check_bilici_figure6,
    check_foundations_feature_map,
    check_foundations_parameters,
    check_foundations_two_filter_values,
    check_lena_conv_flops,
    check_lena_matmul_flops,
    check_xu_fc_weights,
)

_c = claim_factory("worked")


CLAIMS = (
    _c("bilici-figure6", BILICI, "Figure 6",
       "padding + convolution with a 2x2 kernel, stride 1: output "
       "[[0,3,8,4],[9,19,25,10],[21,37,43,16],[6,7,8,0]]", check_bilici_figure6),
    _c("foundations-feature-maps", FOUNDATIONS, "§3.2.3",
       "the 5*5 image and 3*3 filter give the feature map [[4,3,4],[2,4,3],[2,3,4]] at "
       "stride 1 (a_00 = 4) and [[4,4],[2,4]] at stride 2", check_foundations_feature_map,
       severity="transcription",
       severity_reason="one flipped cell (row 2, column 4) in a visibly garbled figure region; "
                       "the printed maps are exactly those of the classic example (UFLDL's "
                       "'Convolved Feature') whose image has a 1 there"),
    _c("foundations-56-params", FOUNDATIONS, "§3.2.3",
       "two 3*3*3 filters: the number of parameters is (3*3*3 + 1)*2 = 56",
       check_foundations_parameters),
    _c("foundations-two-filter-values", FOUNDATIONS, "§3.2.3",
       "output volume o[:,:,0] = [[6,7,5],[3,-1,-1],[2,-1,4]], "
       "o[:,:,1] = [[2,-5,-8],[1,-4,-4],[0,-5,-5]]", check_foundations_two_filter_values),
    _c("xu-fc-38-million", XU_THESIS, "§2.1.5",
       "224x224 pixels, 3 channels mapped to 256 dimensions by one fully connected layer: "
       "the weight matrix will have 38 million parameters", check_xu_fc_weights),
    _c("bilici-lena-conv-flops", BILICI, "§2.1 Convolution With Lena",
       "input 512 wide, output 511 wide; the 1x2 kernel requires 512 x 511 x 3 = 784896 "
       "floating point operations", check_lena_conv_flops),
    _c("bilici-lena-matmul-flops", BILICI, "§2.1 Convolution With Lena",
       "to describe the same transformation with a matrix multiplication would take "
       "512 x 512 x 511 x 512 floating point operations", check_lena_matmul_flops),
)  # fmt: skip
