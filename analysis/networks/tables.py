"""The texts' network tables transcribed as :class:`NetworkSpec` objects.

Tables 4.1-4.3 print no output shapes, so their ``stated_output`` is ``None``;
Tables 4.6, 5.1, 6.1, 6.2 and 002's walk-through print one per row, kept
exactly as printed (``HxWxC`` rewritten as ``(C, H, W)``) even where it does not
follow from the row before. What a table leaves unsaid (input size, padding,
the classifier) is filled in and written down in ``assumptions`` / ``note``.
"""

from __future__ import annotations

from cnnbench.analysis.networks.paper_tables import ALEXNET_TORCHVISION, GOOGLENET
from cnnbench.analysis.networks.spec import LayerSpec, NetworkSpec
from cnnbench.analysis.networks.table44 import ALEXNET_224, INCEPTION_BN
from cnnbench.analysis.seeds import BILICI, PAPER, XU_THESIS

L = LayerSpec


def _conv(name, n, k, s=1, p=0, out=None, note="", groups=1):
    return L(name, "conv", n, k, s, p, groups=groups, stated_output=out, note=note)


def _pool(name, k, s, kind="maxpool", out=None, ceil=False, p=0, note=""):
    return L(name, kind, kernel=k, stride=s, padding=p, ceil_mode=ceil,
             stated_output=out, note=note)  # fmt: skip


def _act(name, fn="relu"):
    return L(name, "act", activation=fn)


def _fc(name, n, out=None, note=""):
    return L(name, "fc", n, stated_output=out, note=note)


def _classifier_head(n_classes):
    """fc6-fc8 of AlexNet/VGG: 4096, 4096, then the linear classifier."""
    return (
        _fc("fc6", 4096), _act("relu6"), L("drop6", "dropout"),
        _fc("fc7", 4096), _act("relu7"), L("drop7", "dropout"),
        _fc("fc8", n_classes, note="the 'linear classifier' row; ImageNet's 1000 classes"),
    )  # fmt: skip


_LENET = NetworkSpec(
    "lenet5", XU_THESIS, "Table 4.1", (1, 28, 28),
    (
        _conv("conv1", 20, 5), _pool("pool1", 2, 2), _act("tanh1", "tanh"),
        _conv("conv2", 50, 5), _pool("pool2", 2, 2), _act("tanh2", "tanh"),
        _fc("fc1", 500), _fc("fc2", 10, note="the 'linear classifier' row; 10 digits"),
    ),
    ("input 1x28x28 (MNIST); no padding; no activation after fc1 (none is printed)",),
    "LeNet-5 (Caffe/CXXNet MNIST variant)",
)  # fmt: skip


def _alexnet_convs(groups: int) -> tuple[LayerSpec, ...]:
    return (
        _conv("conv1", 96, 11, 4), _pool("pool1", 3, 2), _act("relu1"),
        L("lrn1", "lrn", kernel=5, note="n=5 (AlexNet paper; the table gives none)"),
        _conv("conv2", 256, 5, 1, 2, groups=groups), _pool("pool2", 3, 2), _act("relu2"),
        L("lrn2", "lrn", kernel=5),
        _conv("conv3", 384, 3, 1, 1), _act("relu3"),
        _conv("conv4", 384, 3, 1, 1, groups=groups), _act("relu4"),
        _conv("conv5", 256, 3, 1, 1, groups=groups), _act("relu5"),
        _pool("pool5", 3, 2, note="not printed in Table 4.2; the text's '3 max pooling layers'"),
    )  # fmt: skip


_ALEXNET_ASSUMED = (
    "input 3x227x227 (Caffe/CXXNet crop; gives 55x55 after conv1 without padding)",
    "padding 2 on conv2 and 1 on conv3-conv5 (AlexNet paper; the table prints none)",
    "a third 3x3/2 max pool after conv5: Table 4.2 prints only two, the text says three,"
    " and without it fc6 would see 256x13x13 inputs",
)

_ALEXNET = NetworkSpec(
    "alexnet", XU_THESIS, "Table 4.2", (3, 227, 227),
    _alexnet_convs(1) + _classifier_head(1000),
    (*_ALEXNET_ASSUMED, "single tower, no groups (the text: few people use 'group' now)"),
    "AlexNet from Table 4.2 (one tower), plus the pool5 the text describes but the table omits",
)  # fmt: skip

_ALEXNET_TWO_TOWER = NetworkSpec(
    "alexnet_two_tower", PAPER, "Krizhevsky et al. 2012, Fig. 2", (3, 227, 227),
    _alexnet_convs(2) + _classifier_head(1000),
    (*_ALEXNET_ASSUMED, "groups=2 on conv2, conv4, conv5 (the two-GPU split)"),
    "AlexNet, original two-tower (grouped) form",
)  # fmt: skip

# VGG configurations (Simonyan & Zisserman 2015, Table 1): filters per 3x3 conv, "M" = pool.
_VGG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
_VGG_E = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
          512, 512, 512, 512, "M", 512, 512, 512, 512, "M")  # fmt: skip


def _vgg(config) -> tuple[LayerSpec, ...]:
    layers: list[LayerSpec] = []
    block, index = 1, 1
    for item in config:
        if item == "M":
            layers.append(_pool(f"pool{block}", 2, 2))
            block, index = block + 1, 1
        else:
            layers += [_conv(f"conv{block}_{index}", item, 3, 1, 1), _act(f"relu{block}_{index}")]
            index += 1
    return (*layers, *_classifier_head(1000))


_VGG_ASSUMED = ("input 3x224x224; padding 1 on every 3x3 conv (VGG paper; the table prints none)",)
_VGG16 = NetworkSpec(
    "vgg16", PAPER, "Simonyan & Zisserman 2015, Table 1 config D", (3, 224, 224),
    _vgg(_VGG_D), _VGG_ASSUMED, "VGG-16 (configuration D)",
)  # fmt: skip
_VGG19 = NetworkSpec(
    "vgg19", XU_THESIS, "Table 4.3", (3, 224, 224), _vgg(_VGG_E), _VGG_ASSUMED,
    "VGG-E (19 weight layers)",
)  # fmt: skip


def _chw(h: int, w: int, c: int) -> tuple[int, int, int]:
    """The tables print H x W x C; specs store (C, H, W)."""
    return (c, h, w)


def _tiny_modules() -> tuple[LayerSpec, ...]:
    """module-1 ... module-10 and the final pool: shared by Tables 4.6 and 5.1."""
    def module(i, one, three, hwc):
        return L(f"module{i}", "module", one + three, branches=(one, three),
                 stated_output=_chw(*hwc))  # fmt: skip

    def down(i, three, hwc):
        return L(f"module{i}", "downsample", three, stride=2, stated_output=_chw(*hwc),
                 note="3x3/2 conv (pad 1) concatenated with a 3x3/2 max pool (pad 1)")  # fmt: skip

    return (
        module(1, 32, 32, (28, 28, 64)), module(2, 32, 48, (28, 28, 80)),
        down(3, 80, (14, 14, 160)),
        module(4, 112, 48, (14, 14, 160)), module(5, 96, 64, (14, 14, 160)),
        module(6, 80, 80, (14, 14, 160)), module(7, 48, 96, (14, 14, 144)),
        down(8, 96, (7, 7, 240)),
        module(9, 176, 160, (7, 7, 336)), module(10, 176, 160, (7, 7, 336)),
        _pool("avgpool", 7, 1, "avgpool", out=_chw(1, 1, 336)),
    )  # fmt: skip


_TINY_ASSUMED = (
    "each module concatenates a 1x1 path and a 3x3 path (padding 1); each conv is followed"
    " by batch norm and ReLU; a stride-2 module concatenates a 3x3/2 conv with a 3x3/2 max"
    " pool of its input. Every printed channel count is then the sum of the 1x1, 3x3 and"
    " pool columns",
    "a fully connected classifier after the average pool (the table stops at 1x1x336)",
)


def _tinynet(
    name: str, kernel: int, stride: int, size: int, text_size: int, title: str
) -> NetworkSpec:
    return NetworkSpec(
        name, XU_THESIS, "Table 4.6", (3, size, size),
        (
            _conv("conv1", 64, kernel, stride, kernel // 2, out=_chw(56, 56, 64),
                  note="half padding (kernel-1)/2"),
            L("bn1", "bn"), _act("relu1"),
            _pool("pool1", 3, 2, out=_chw(28, 28, 64), ceil=True,
                  note="ceil mode (Caffe/CXXNet pooling), as 56 -> 28 requires without padding"),
            _conv("conv2", 96, 3, 1, 1, out=_chw(28, 28, 96)), L("bn2", "bn"), _act("relu2"),
            *_tiny_modules(),
            _fc("fc", 1000, note="assumed ImageNet classifier"), L("softmax", "softmax"),
        ),
        (
            f"input 3x{size}x{size}: the text says {text_size}x{text_size} images, but the"
            f" printed 56x56 after conv1 and the 7x7/1 pool ending at 1x1 need a"
            f" {size}x{size} crop ({text_size}x{text_size} would give"
            f" {(text_size + 2 * (kernel // 2) - kernel) // stride + 1}x... after conv1)",
            *_TINY_ASSUMED,
        ),
        title,
    )  # fmt: skip


_TINYNET_A = _tinynet("tinynet_a", 7, 2, 112, 128, "TinyNet-A (7x7/2 first layer)")
_TINYNET_B = _tinynet("tinynet_b", 9, 4, 224, 256, "TinyNet-B = TinyNet (9x9/4 first layer)")

_TINY_CIFAR = NetworkSpec(
    "tiny_cifar", XU_THESIS, "Table 5.1", (3, 28, 28),
    (
        _conv("conv1", 96, 3, 1, 1, out=_chw(28, 28, 64),
              note="96 filters as the 3x3 column prints (and Table 4.6's conv2); the printed"
                   " output 28x28x64 disagrees"),
        L("bn1", "bn"), _act("relu1"),
        *_tiny_modules(),
        _fc("fc", 10, note="assumed CIFAR-10 classifier"), L("softmax", "softmax"),
    ),
    ("input 3x28x28 (the text: CIFAR-10 cropped to 28x28)", "3x3 conv with padding 1",
     *_TINY_ASSUMED),
    "Tiny CIFAR-10 net (TinyNet without its first conv and pool)",
)  # fmt: skip


def _ndsb_stem(size: int) -> tuple[LayerSpec, ...]:
    half = size // 2
    return (
        _conv("conv1", 16, 5, 1, 2, out=_chw(size, size, 16)), _act("relu1"),
        _pool("pool1", 3, 2, out=_chw(half, half, 16), ceil=True),
        _conv("conv2", 32, 3, 1, 1, out=_chw(half, half, 32)), _act("relu2"),
        _conv("conv3", 32, 3, 1, 1, out=_chw(half, half, 32)), _act("relu3"),
        _conv("conv4", 64, 3, 1, 1, out=_chw(half, half, 64)), _act("relu4"),
        _conv("conv5", 64, 3, 1, 1, out=_chw(half, half, 64)), _act("relu5"),
        _conv("conv6", 128, 3, 1, 1, out=_chw(half, half, 128)), _act("relu6"),
        _pool("pool2", 3, 2, out=_chw(half // 2, half // 2, 128), ceil=True),
        _conv("conv7", 256, 3, 1, 1, out=_chw(half // 2, half // 2, 256)), _act("relu7"),
        _pool("pool3", 3, 2, out=_chw(half // 4, half // 4, 256), ceil=True),
    )  # fmt: skip


def _ndsb_head(size: int, pool_out: tuple[int, int, int]) -> tuple[LayerSpec, ...]:
    return (
        _pool("pool_final", size, 1, "avgpool", out=pool_out,
              note="printed 'avg/max pooling'; average chosen (same shape and cost)"),
        _conv("classifier", 121, 1, note="assumed: the softmax over 121 classes needs a"
              " 512->121 layer; a 1x1 conv on the 1x1 map is that fully connected layer"
              " (same weights and MACs) and keeps the printed 1x1x121 shape"),
        L("softmax", "softmax", stated_output=_chw(1, 1, 121)),
    )  # fmt: skip


_NDSB_ASSUMED = (
    "grey-scale input (1 channel, plankton images), size = the first printed output",
    "padding 2 on the 5x5 conv and 1 on every 3x3 conv (the printed sizes keep the input size)",
    "3x3/2 max pools in ceil mode (Caffe/CXXNet), which gives the printed halvings",
    "ReLU after every conv (the table prints no activation; it changes no count)",
    "a 512->121 classifier before the softmax, as a 1x1 conv on the 1x1 map",
)

_NDSB1 = NetworkSpec(
    "ndsb1", XU_THESIS, "Table 6.1", (1, 128, 128),
    (
        *_ndsb_stem(128),
        _conv("conv8", 512, 3, 1, 1, out=_chw(16, 16, 512)), _act("relu8"),
        _pool("pool4", 3, 2, out=_chw(8, 8, 512), ceil=True),
        _conv("conv9", 512, 3, 1, 1, out=_chw(8, 8, 512)), _act("relu9"),
        _conv("conv10", 512, 3, 1, 1, out=_chw(8, 8, 512)), _act("relu10"),
        *_ndsb_head(8, _chw(1, 1, 512)),
    ),
    _NDSB_ASSUMED, "NDSB Network-1",
)  # fmt: skip

_NDSB2 = NetworkSpec(
    "ndsb2", XU_THESIS, "Table 6.2", (1, 144, 144),
    (
        *_ndsb_stem(144),
        _conv("conv8", 512, 3, 1, 1, out=_chw(18, 18, 512)), _act("relu8"),
        _conv("conv9", 512, 3, 1, 1, out=_chw(18, 18, 512)), _act("relu9"),
        _pool("pool4", 3, 3, out=_chw(6, 6, 512)),
        _conv("conv10", 512, 3, 1, 1, out=_chw(6, 6, 512)), _act("relu10"),
        _conv("conv11", 512, 3, 1, 1, out=_chw(6, 6, 512)), _act("relu11"),
        *_ndsb_head(6, _chw(1, 1, 512)),
    ),
    _NDSB_ASSUMED, "NDSB Network-2",
)  # fmt: skip

_MNIST_BILICI = NetworkSpec(
    "mnist_bilici", BILICI, "§10 (Algorithms 2-3)", (1, 28, 28),
    (
        _conv("cnn1", 8, 3, 1, 1, out=(8, 28, 28)), L("batch_norm1", "bn"), _act("relu1"),
        _pool("maxpool1", 2, 2, out=(8, 14, 14)),
        _conv("cnn2", 32, 5, 1, 2, out=(32, 14, 14),
              note="padding 2 as Algorithm 2 and the size formula use; the prose says 1"),
        L("batch_norm2", "bn"), _act("relu2"), _pool("maxpool2", 2, 2, out=(32, 7, 7)),
        L("flatten", "flatten", stated_output=(1568,)),
        _fc("fc1", 600, out=(600,)), _act("relu3"), _fc("fc2", 10, out=(10,)),
    ),
    ("everything as Algorithms 2 and 3 give it; nothing had to be assumed",),
    "Bilici's MNIST example network",
)  # fmt: skip


ALL = (
    _LENET, _ALEXNET, _ALEXNET_TWO_TOWER, ALEXNET_TORCHVISION, ALEXNET_224, _VGG16, _VGG19,
    GOOGLENET, INCEPTION_BN,
    _TINYNET_A, _TINYNET_B, _TINY_CIFAR, _NDSB1, _NDSB2, _MNIST_BILICI,
)  # fmt: skip
