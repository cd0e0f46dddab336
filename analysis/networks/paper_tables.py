"""Published networks the texts compare with but do not tabulate (seed "paper").

torchvision's single-tower AlexNet (the reference count 61,100,840) and
GoogLeNet (Table 4.7's third row; its structure is the paper's Table 1).
"""

from __future__ import annotations

from cnnbench.analysis.networks.spec import LayerSpec, NetworkSpec
from cnnbench.analysis.seeds import PAPER

L = LayerSpec


def _conv(name, n, k, s=1, p=0):
    return L(name, "conv", n, k, s, p)


def _pool(name, k, s, kind="maxpool", ceil=False):
    return L(name, kind, kernel=k, stride=s, ceil_mode=ceil)


def _act(name):
    return L(name, "act", activation="relu")


def _fc(name, n):
    return L(name, "fc", n)


ALEXNET_TORCHVISION = NetworkSpec(
    "alexnet_torchvision", PAPER, "Krizhevsky 2014 'One weird trick'; torchvision alexnet",
    (3, 224, 224),
    (
        _conv("conv1", 64, 11, 4, 2), _act("relu1"), _pool("pool1", 3, 2),
        _conv("conv2", 192, 5, 1, 2), _act("relu2"), _pool("pool2", 3, 2),
        _conv("conv3", 384, 3, 1, 1), _act("relu3"),
        _conv("conv4", 256, 3, 1, 1), _act("relu4"),
        _conv("conv5", 256, 3, 1, 1), _act("relu5"), _pool("pool5", 3, 2),
        L("drop6", "dropout"), _fc("fc6", 4096), _act("relu6"),
        L("drop7", "dropout"), _fc("fc7", 4096), _act("relu7"), _fc("fc8", 1000),
    ),
    ("torchvision's adaptive 6x6 average pool is the identity at 224x224 and is left out",),
    "AlexNet, torchvision's single-tower variant",
)  # fmt: skip


def _inception(name, *branches):
    return L(f"inception{name}", "inception", branches[0] + branches[2] + branches[4] + branches[5],
             branches=branches)  # fmt: skip


GOOGLENET = NetworkSpec(
    "googlenet", PAPER, "Szegedy et al. 2015, Table 1", (3, 224, 224),
    (
        _conv("conv1", 64, 7, 2, 3), _act("relu1"), _pool("pool1", 3, 2, ceil=True),
        L("lrn1", "lrn", kernel=5),
        _conv("conv2_reduce", 64, 1), _act("relu2_reduce"),
        _conv("conv2", 192, 3, 1, 1), _act("relu2"), L("lrn2", "lrn", kernel=5),
        _pool("pool2", 3, 2, ceil=True),
        _inception("3a", 64, 96, 128, 16, 32, 32), _inception("3b", 128, 128, 192, 32, 96, 64),
        _pool("pool3", 3, 2, ceil=True),
        _inception("4a", 192, 96, 208, 16, 48, 64), _inception("4b", 160, 112, 224, 24, 64, 64),
        _inception("4c", 128, 128, 256, 24, 64, 64), _inception("4d", 112, 144, 288, 32, 64, 64),
        _inception("4e", 256, 160, 320, 32, 128, 128),
        _pool("pool4", 3, 2, ceil=True),
        _inception("5a", 256, 160, 320, 32, 128, 128),
        _inception("5b", 384, 192, 384, 48, 128, 128),
        _pool("avgpool", 7, 1, "avgpool"), L("dropout", "dropout"),
        _fc("fc", 1000), L("softmax", "softmax"),
    ),
    ("the paper's Table 1 without the two auxiliary classifiers (used only in training);"
     " 3x3/2 max pools in ceil mode as Caffe's bvlc_googlenet; LRN n=5",),
    "GoogLeNet (Inception v1), Table 4.7's third row",
)  # fmt: skip
