"""The receptive field as torch sees it: the gradient support of one output unit.

Every layer of the stack becomes a single-channel ``conv1d``/``conv2d`` with
all-ones weights and the layer's kernel, stride, padding and dilation (a
pooling window has the same geometry; an average pool is this up to a constant
factor, a max pool would route the gradient to one element and hide the
rest). With positive weights every path from an input pixel to the output
carries a positive product, so no cancellation can hide a pixel: the input
gradient of one output unit is positive exactly on the pixels it depends on.
Gradients are path counts (sums of positive terms, never rounded to zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError, as_choice
from cnnbench.analysis.receptive.formulas import RFLayer

# The largest input built: 2**24 float64 elements, 128 MiB (and its gradient as much again).
MAX_INPUT_ELEMENTS = 2**24


def _text(stack: Sequence[RFLayer]) -> str:
    return ",".join(f"{x.kind[0]}{x.kernel}s{x.stride}p{x.padding}d{x.dilation}" for x in stack)


@dataclass(frozen=True)
class GradientSupport:
    """What torch's autograd says two neighbouring output units depend on."""

    size: int  # last - first + 1 of unit j's support
    stride: int  # first pixel of unit j+1 minus first pixel of unit j
    padding: int  # j*stride - first pixel of unit j (effective padding)
    first: int
    last: int
    unit: int  # j, a middle unit whose window lies strictly inside the input
    input_size: int
    holes: int  # pixels inside [first, last] with zero gradient (dilation leaves holes)
    dims: int

    def to_json(self) -> dict[str, Any]:
        return {"rf": self.size, "jump": self.stride, "effective_padding": self.padding,
                "first": self.first, "last": self.last, "unit": self.unit,
                "input_size": self.input_size, "holes": self.holes, "dims": self.dims}  # fmt: skip


def _apply(stack: Sequence[RFLayer], x: torch.Tensor, dims: int) -> torch.Tensor:
    conv = F.conv1d if dims == 1 else F.conv2d
    for layer in stack:
        weight = torch.ones((1, 1) + (layer.kernel,) * dims, dtype=x.dtype)  # (O, I, k[, k])
        x = conv(x, weight, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
    return x


def _support(grad: torch.Tensor, dims: int) -> tuple[int, int, int]:
    """(first, last, holes) of the positive entries along each axis; the axes must agree."""
    axes = []
    for axis in range(dims):
        other = tuple(a + 2 for a in range(dims) if a != axis)
        profile = grad[0, 0].amax(dim=tuple(a - 2 for a in other)) if other else grad[0, 0]
        hit = torch.nonzero(profile > 0).flatten().tolist()
        axes.append((hit[0], hit[-1], hit[-1] - hit[0] + 1 - len(hit)))
    if len(set(axes)) != 1:
        raise AssertionError(f"2-D support is not square: {axes}")
    return axes[0]


def _touches_padding(stack: Sequence[RFLayer], n: int, dims: int) -> torch.Tensor:
    """Per output unit: whether any path from it reaches a zero-padding position.

    The stack is run on zeros with every layer's padding filled with ones, so a
    unit is non-zero exactly when its window, at some layer, includes padding.
    """
    x = torch.zeros((1, 1) + (n,) * dims, dtype=torch.float64)  # (1, 1, n[, n])
    conv = F.conv1d if dims == 1 else F.conv2d
    for layer in stack:
        x = F.pad(x, (layer.padding,) * (2 * dims), value=1.0)  # (1, 1, n+2p[, n+2p])
        weight = torch.ones((1, 1) + (layer.kernel,) * dims, dtype=x.dtype)  # (O, I, k[, k])
        x = conv(x, weight, stride=layer.stride, dilation=layer.dilation)
    return x[0, 0] > 0  # (m[, m])


def _measure(stack: Sequence[RFLayer], n: int, dims: int) -> GradientSupport | None:
    """Supports of two neighbouring output units whose paths never touch padding (so no
    part of their windows is clipped); None if an ``n``-pixel input has no such pair."""
    touched = _touches_padding(stack, n, dims)
    diagonal = touched if dims == 1 else torch.diagonal(touched)
    clean = [j for j in range(diagonal.numel() - 1) if not diagonal[j] and not diagonal[j + 1]]
    if not clean:
        return None
    unit = clean[len(clean) // 2]
    x = torch.ones((1, 1) + (n,) * dims, dtype=torch.float64, requires_grad=True)  # (1, 1, n[, n])
    y = _apply(stack, x, dims)  # (1, 1, m[, m])
    found = []
    for j in (unit, unit + 1):
        (grad,) = torch.autograd.grad(y[(0, 0) + (j,) * dims], x, retain_graph=True)
        found.append(_support(grad, dims))
    (first, last, holes), (first_next, _, _) = found
    stride = first_next - first
    return GradientSupport(last - first + 1, stride, unit * stride - first, first, last, unit,
                           n, holes, dims)  # fmt: skip


def gradient_support(stack: Sequence[RFLayer], dims: int = 1) -> GradientSupport:
    """Receptive field, jump and padding of ``stack`` measured with torch autograd.

    Independent of the closed form it is compared with: the input starts at
    8 pixels and doubles until two neighbouring output units exist whose paths
    never pass through zero padding (found by running the stack with its
    padding filled with ones), so that no part of their windows is clipped;
    the middle such pair is measured. The effective padding is
    ``j*jump - first`` for the measured unit ``j``. In 2-D the unit ``(j, j)``
    is used and both axes must agree.

    Parameters
    ----------
    stack : layers, input first.
    dims : 1 (``conv1d``) or 2 (``conv2d``, square windows).

    Examples
    --------
    >>> from cnnbench.analysis.receptive.parse import parse_layers
    >>> s = gradient_support(parse_layers("c3p1,p2s2,c3p1"))
    >>> s.size, s.stride, s.padding
    (8, 2, 3)
    """
    dims = int(as_choice("dims", dims, (1, 2)))
    if not stack:
        raise ParameterError("stack", stack, "must hold at least one layer")
    n = 8
    while True:
        if n**dims > MAX_INPUT_ELEMENTS:
            raise ParameterError(
                "stack",
                _text(stack),
                f"needs more than a {n // 2}-pixel input in {dims}-D before two neighbouring"
                f" units see no padding (at most {MAX_INPUT_ELEMENTS} elements in all); use"
                " dims=1 or fewer strided layers",
            )
        try:
            got = _measure(stack, n, dims)
        except RuntimeError:  # input smaller than some layer's window
            got = None
        if got is not None:
            return got
        n *= 2
