"""003 Table 4.4, the Inception network the thesis calls GoogLeNet, and the AlexNet
crop that its complexity figures are read against.

§6.2 of 003 names the network: "I also used GoogLeNet (Table 4.4)". Table 4.4 is
the 2015 batch-normalised Inception (BN after every convolution, the 5x5 paths
replaced by double 3x3, average pooling inside modules), so Table 4.7's
"GoogLeNet" row is read against it first; the 2014 GoogLeNet (v1, seed
"paper") is the other reading.
"""

from __future__ import annotations

from cnnbench.analysis.networks.spec import LayerSpec, NetworkSpec
from cnnbench.analysis.seeds import PAPER, XU_THESIS

L = LayerSpec


def _cbr(name, n, k, s=1, p=0):
    """conv -> BN -> ReLU (Table 4.4's point 1: BN after every convolution)."""
    return (L(name, "conv", n, k, s, p), L(f"{name}_bn", "bn"), L(f"{name}_relu", "act",
                                                                  activation="relu"))


def _module(name, one, r3, n3, rd, nd, pool, proj=0, stride=1):
    return L(f"inception{name}", "inception_bn", one + n3 + nd + proj, stride=stride,
             branches=(one, r3, n3, rd, nd, proj), pool=pool)  # fmt: skip


INCEPTION_BN = NetworkSpec(
    "inception_bn", XU_THESIS, "Table 4.4", (3, 224, 224),
    (
        *_cbr("conv1", 64, 7, 2, 3), L("pool1", "maxpool", kernel=3, stride=2, ceil_mode=True),
        *_cbr("conv2_reduce", 64, 1), *_cbr("conv2", 192, 3, 1, 1),
        L("pool2", "maxpool", kernel=3, stride=2, ceil_mode=True),
        # the rows of Table 4.4: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3
        _module("3a", 64, 64, 64, 64, 96, "avg", 32),
        _module("3b", 64, 64, 96, 64, 96, "avg", 64),
        _module("3c", 0, 128, 160, 64, 96, "max", stride=2),
        _module("4a", 224, 64, 96, 96, 128, "avg", 128),
        _module("4b", 192, 96, 128, 96, 128, "avg", 128),
        _module("4c", 160, 128, 160, 128, 160, "avg", 128),
        _module("4d", 96, 128, 192, 160, 192, "avg", 128),
        _module("4e", 0, 128, 192, 192, 256, "max", stride=2),
        _module("5a", 352, 192, 320, 160, 224, "avg", 128),
        _module("5b", 352, 192, 320, 192, 224, "max", 128),
        L("avgpool", "avgpool", kernel=7, stride=1),
        L("fc", "fc", 1000, note="not printed; ImageNet's 1000 classes"),
    ),
    ("input 3x224x224 (the table's 7x7 average pool then sees 7x7)",
     "the table's second 'convolution 3x3/1' row is a 1x1 reduce to 64 and a 3x3 to 192 "
     "(its '#3x3 reduce' and '#3x3' columns)",
     "padding 3 on the 7x7, 1 on every 3x3; 3x3/2 max pools in ceil mode (Caffe/cxxnet)",
     "stride-2 modules put the stride on the last conv of each path and on their 3x3 max "
     "pool, which has no projection ('max' without '+ proj')",
     "conv biases kept (the table says nothing); a 1000-way linear classifier after the "
     "average pool",),
    "GoogLeNet of 003 Table 4.4 (2015, batch-normalised Inception)",
)  # fmt: skip


def _alexnet_224() -> tuple[LayerSpec, ...]:
    def pool(name):
        return L(name, "maxpool", kernel=3, stride=2, ceil_mode=True)

    def conv(name, n, k, s=1, p=0, g=1):
        return (L(name, "conv", n, k, s, p, groups=g), L(f"relu{name[-1]}", "act",
                                                         activation="relu"))

    return (
        *conv("conv1", 96, 11, 4), pool("pool1"), L("lrn1", "lrn", kernel=5),
        *conv("conv2", 256, 5, 1, 2, 2), pool("pool2"), L("lrn2", "lrn", kernel=5),
        *conv("conv3", 384, 3, 1, 1), *conv("conv4", 384, 3, 1, 1, 2),
        *conv("conv5", 256, 3, 1, 1, 2), pool("pool5"),
        L("fc6", "fc", 4096), L("relu6", "act", activation="relu"),
        L("fc7", "fc", 4096), L("relu7", "act", activation="relu"), L("fc8", "fc", 1000),
    )  # fmt: skip


ALEXNET_224 = NetworkSpec(
    "alexnet_224", PAPER, "Krizhevsky et al. 2012 run on 224x224 crops (Caffe/cxxnet pools)",
    (3, 224, 224), _alexnet_224(),
    ("the two-tower AlexNet on the 224x224 crops the thesis trains on, its 3x3/2 max pools "
     "in ceil mode as Caffe and cxxnet round them (54 -> 27 -> 13 -> 6)",),
    "AlexNet (two-tower) on 224x224 crops",
)  # fmt: skip
