"""Torch pieces of the activation registry that torch itself does not ship.

The thesis's leaky ReLU in its ``x/a`` form, Sigmoid*, the regularized ReLU
(with its factors computed from a convolution layer's geometry), a fused
scaled-ReLU autograd function, and a lazily compiled callable (so that
importing the registry never starts ``torch.compile``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import torch
from cnnbench.analysis._validation import ParameterError, as_int, as_real
from torch import Tensor, nn


class LeakyReLUXA(nn.Module):
    """Leaky ReLU as 003 eq. (5.2) writes it: ``x`` for ``x >= 0``, ``x/a`` below, ``a > 1``."""

    def __init__(self, a: float = 100.0) -> None:
        super().__init__()
        self.a = as_real("a", a, lower=1.0, lower_open=True)

    def forward(self, x: Tensor) -> Tensor:
        # The text writes x >= 0; at 0 both branches give 0, and x > 0 keeps the
        # autograd derivative at 0 on the torch convention (negative branch).
        return torch.where(x > 0, x, x / self.a)

    def extra_repr(self) -> str:
        return f"a={self.a:g}"


class SigmoidStar(nn.Module):
    """Sigmoid* = 4·sigmoid(x) − 2 (003 eq. 5.36), computed as the identical 2·tanh(x/2)."""

    def forward(self, x: Tensor) -> Tensor:
        # 2*tanh(x/2) is one transcendental call and has no cancellation near 0,
        # where 4*sigmoid(x)-2 subtracts two numbers close to 2.
        return 2.0 * torch.tanh(0.5 * x)


class _FusedScaledReLU(torch.autograd.Function):
    """relu(scale·x) with one temporary, saving the output (not the input) for backward."""

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:
        # scale > 0, so relu(scale*x) == scale*relu(x): clamp allocates once,
        # the multiply runs in place on that buffer.
        y = torch.clamp_min(x, 0).mul_(scale)
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        # y > 0 exactly where x > 0 (scale > 0): the kink gets derivative 0, as torch.relu.
        # threshold_backward is relu's own backward kernel: one pass, no mask tensor.
        return torch.ops.aten.threshold_backward(grad, y, 0).mul_(ctx.scale), None


def fused_scaled_relu(x: Tensor, scale: float) -> Tensor:
    """``relu(scale * x)`` by :class:`_FusedScaledReLU` (custom backward)."""
    return _FusedScaledReLU.apply(x, scale)


def naive_scaled_relu(x: Tensor, scale: float) -> Tensor:
    """``relu(scale * x)`` as two eager ops (a temporary for ``scale * x``)."""
    return torch.relu(x * scale)


class RegularizedReLU(nn.Module):
    """The regularized ReLU of 000 §3.1, ``max(0, z·c/(s·n·m))``, with a fixed scale."""

    def __init__(self, scale: float, fused: bool = True) -> None:
        super().__init__()
        self.scale = as_real("scale", scale, lower=0.0, lower_open=True)
        self.fused = bool(fused)

    def forward(self, x: Tensor) -> Tensor:
        if self.fused:
            return fused_scaled_relu(x, self.scale)
        return naive_scaled_relu(x, self.scale)

    def extra_repr(self) -> str:
        return f"scale={self.scale:.6g}, fused={self.fused}"


@dataclass(frozen=True)
class RegularizedReLUFactors:
    """The four factors of 000 §3.1's regularization coefficient ``c/(s·n·m)``."""

    c: int  # data values of one input image (the layer's input, per sample)
    s: int  # neurons in one of this layer's feature maps (output H·W)
    n: int  # feature maps of this layer (output channels)
    m: int  # filter size of one neuron (input values one output neuron reads)

    @property
    def coefficient(self) -> Fraction:
        """The exact regularization coefficient ``c/(s·n·m)``."""
        return Fraction(self.c, self.s * self.n * self.m)

    @property
    def scale(self) -> float:
        return float(self.coefficient)


def regularized_relu_factors(
    in_channels: int,
    out_channels: int,
    height: int,
    width: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
) -> RegularizedReLUFactors:
    """Factors ``c, s, n, m`` of the regularized ReLU for a 2-D convolution layer.

    Parameters
    ----------
    in_channels, out_channels : channels of the convolution's input and output.
    height, width : spatial size of the convolution's input.
    kernel, stride, padding, dilation, groups : as ``torch.nn.Conv2d`` (square).

    Returns
    -------
    RegularizedReLUFactors
        ``c = in_channels·height·width`` (values of one input image reaching the
        layer), ``m = (in_channels/groups)·kernel²`` (values one neuron reads),
        ``s = H_out·W_out`` (neurons of one output feature map), ``n = out_channels``.

    Notes
    -----
    000 §3.1 defines ``f(z) = max(0, z·c/(s·n·m))`` with c "the data number of one
    input image", m "the convolution filter size of the neuron", s "the neuron
    number of one this-layer feature map" and n "the number of the feature maps
    in this-layer". Its worked figure (§2: a 6-value input, filter size 4, two
    feature maps of two neurons) fixes the reading of c/m as the number of
    non-overlapping neurons that would cover the input. Assumptions made here:

    - "input image" is the layer's own input (the previous layer's maps), per sample;
      padding zeros are not data, so c does not count them;
    - c and m both count input channels; for ``groups == 1`` the channel count
      cancels in c/m, so the spatial-only reading gives the same coefficient;
      with groups, m counts only the channels one neuron reads;
    - dilation spreads a filter without changing how many values it reads, so it
      enters only through the output size s;
    - the coefficient is a fixed constant per layer (not learned); 000 §4.1 also
      multiplies the network input by 10000 to offset the shrinking, which is a
      property of its network, not of this activation, and is not applied here.

    With these readings c/(s·n·m) is exactly 1 / (mean number of times this
    layer's neurons read an input value) when there is no padding; the claim
    ``activations.regularized-relu-coefficient`` checks that by autograd.

    References
    ----------
    000_940f4854fb2e4a91.txt §3.1 (definition) and §2 (the 6-value figure).

    Examples
    --------
    >>> f = regularized_relu_factors(3, 32, 32, 32, kernel=5)
    >>> (f.c, f.s, f.n, f.m), f.coefficient
    ((3072, 784, 32, 75), Fraction(2, 1225))
    """
    in_channels = as_int("in_channels", in_channels, minimum=1)
    out_channels = as_int("out_channels", out_channels, minimum=1)
    height = as_int("height", height, minimum=1)
    width = as_int("width", width, minimum=1)
    kernel = as_int("kernel", kernel, minimum=1)
    stride = as_int("stride", stride, minimum=1)
    padding = as_int("padding", padding, minimum=0)
    dilation = as_int("dilation", dilation, minimum=1)
    groups = as_int("groups", groups, minimum=1)
    if in_channels % groups or out_channels % groups:
        raise ParameterError(
            "groups",
            groups,
            f"must divide in_channels={in_channels} and out_channels={out_channels}",
        )
    span = dilation * (kernel - 1) + 1
    out_h = (height + 2 * padding - span) // stride + 1
    out_w = (width + 2 * padding - span) // stride + 1
    if out_h < 1 or out_w < 1:
        raise ParameterError(
            "kernel", kernel, f"must fit the padded input {height}x{width} (padding={padding})"
        )
    return RegularizedReLUFactors(
        c=in_channels * height * width,
        s=out_h * out_w,
        n=out_channels,
        m=(in_channels // groups) * kernel * kernel,
    )


def regularized_relu_for(conv: nn.Conv2d, height: int, width: int) -> RegularizedReLU:
    """The regularized ReLU to put after ``conv`` when its input is ``height × width``.

    Examples
    --------
    >>> regularized_relu_for(nn.Conv2d(3, 32, 5), 32, 32).scale == 2 / 1225
    True
    """
    if not isinstance(conv, nn.Conv2d):
        raise ParameterError("conv", type(conv).__name__, "must be a torch.nn.Conv2d")
    (kh, kw), (sh, sw) = conv.kernel_size, conv.stride
    (ph, pw), (dh, dw) = conv.padding, conv.dilation  # type: ignore[misc]
    if kh != kw or sh != sw or ph != pw or dh != dw:
        what = f"kernel {conv.kernel_size}, stride {conv.stride}, padding {conv.padding}"
        raise ParameterError("conv", what, "must be square (same value for H and W)")
    f = regularized_relu_factors(
        conv.in_channels, conv.out_channels, height, width, kh,
        stride=sh, padding=ph, dilation=dh, groups=conv.groups,
    )  # fmt: skip
    return RegularizedReLU(f.scale)


class LazyCompiled:
    """A callable that runs ``torch.compile(fn)`` on its first call, not at creation."""

    def __init__(self, fn: Callable[[Tensor], Tensor], name: str) -> None:
        self._fn = fn
        self._compiled: Callable[[Tensor], Tensor] | None = None
        self.__name__ = f"compiled_{name}"

    @property
    def is_compiled(self) -> bool:
        return self._compiled is not None

    def __call__(self, x: Tensor) -> Tensor:
        if self._compiled is None:
            self._compiled = torch.compile(self._fn, dynamic=False)
        return self._compiled(x)


# Default geometry (000's Table 1 did not survive OCR): a CIFAR-10 image, 3x32x32,
# into a 5x5 convolution with 32 maps, stride 1, no padding (output 32x28x28).
DEFAULT_REGULARIZED_LAYER = {"in_channels": 3, "out_channels": 32, "height": 32, "width": 32,
                             "kernel": 5}  # fmt: skip


def slope_derivative(slope: float) -> Callable[[Tensor], Tensor]:
    """Derivative of a leaky-type ReLU: 1 for x > 0, ``slope`` at and below 0 (torch's kink)."""
    return lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, slope))


def sigmoid_derivative(x: Tensor) -> Tensor:
    """σ(x)(1 − σ(x))."""
    s = torch.sigmoid(x)
    return s * (1 - s)


def gelu_derivative(x: Tensor) -> Tensor:
    """Exact GELU derivative Φ(x) + x·φ(x)."""
    cdf = 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
    pdf = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf
