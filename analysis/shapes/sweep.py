"""Exhaustive sweeps of the output-size formulas against torch on the ``meta`` device.

For every configuration of a grid, :func:`sweep` compares what
:mod:`cnnbench.analysis.shapes.formulas` says (a size, or a refusal) with what torch says on the
``meta`` device (a shape, or an exception). The meta kernels of convolution
and transposed convolution skip argument checks that the CPU kernels make
(torch 2.13: they accept a zero kernel, a non-positive stride or dilation,
negative padding or output padding, an ``output_padding`` not below stride or
dilation, and an empty input). Where we refuse and meta accepts, the
configuration is re-run on the CPU with real (tiny) tensors: a CPU refusal
explains the difference. The CPU's 2-D transposed convolution has its own
gap: for a 1x1 input with kernel >= 4 and stride >= kernel it takes a oneDNN
path that accepts dilation 0 (even returning an empty output), while the 1-D
kernel refuses the same configuration; that is the second explanation.
Anything else is an unexplained disagreement.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError, as_choice
from cnnbench.analysis.shapes.formulas import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
)

__all__ = [
    "GRIDS",
    "OPERATORS",
    "SweepResult",
    "explain_refusal",
    "grid_size",
    "sweep",
    "torch_output_size",
]

OPERATORS = ("conv", "maxpool", "avgpool", "convT")

# Parameter axes per operator, in the order of the call signature. Each axis
# reaches one step below its domain (0 or -1) so refusals are swept too; the
# products are just above 100,000 configurations per operator.
GRIDS: Mapping[str, Mapping[str, tuple]] = {
    "conv": {
        "size": tuple(range(0, 32)),
        "kernel": tuple(range(0, 8)),
        "stride": tuple(range(-1, 6)),
        "padding": tuple(range(-1, 7)),
        "dilation": tuple(range(0, 7)),
    },
    "maxpool": {
        "size": tuple(range(0, 30)),
        "kernel": tuple(range(0, 7)),
        "stride": (None, *range(-1, 6)),
        "padding": tuple(range(-1, 5)),
        "dilation": tuple(range(0, 5)),
        "ceil_mode": (False, True),
    },
    "avgpool": {
        "size": tuple(range(0, 90)),
        "kernel": tuple(range(0, 9)),
        "stride": (None, *range(-1, 7)),
        "padding": tuple(range(-1, 6)),
        "ceil_mode": (False, True),
    },
    "convT": {
        "size": tuple(range(0, 14)),
        "kernel": tuple(range(0, 7)),
        "stride": tuple(range(-1, 5)),
        "padding": tuple(range(-1, 5)),
        "output_padding": tuple(range(-1, 5)),
        "dilation": tuple(range(0, 5)),
    },
}

_OURS: Mapping[str, Callable[..., int]] = {
    "conv": conv_output_size,
    "maxpool": pool_output_size,
    "avgpool": pool_output_size,
    "convT": conv_transpose_output_size,
}


@dataclass(frozen=True)
class SweepResult:
    """What one operator's sweep observed.

    ``explained`` counts configurations we refuse, meta accepts and the CPU
    kernel refuses, keyed by the parameter our error names; ``unexplained``
    lists up to :data:`MAX_EXAMPLES` disagreements of any other kind.
    """

    operator: str
    configs: int
    accepted: int  # configurations both sides accept (and agree on the size)
    refused: int  # configurations both the meta kernel and we refuse
    explained: Mapping[str, int]
    explained_examples: Mapping[str, str]
    unexplained_count: int
    unexplained: tuple[str, ...] = field(default=())
    seconds: float = 0.0  # wall time, inflated when other processes share the CPU
    cpu_seconds: float = 0.0  # this process's CPU time: close to an idle machine's wall time
    torch_version: str = torch.__version__

    @property
    def rate(self) -> float:
        """Configurations per wall-clock second (under whatever load the machine had)."""
        return self.configs / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """Configurations per CPU second of this process."""
        return self.configs / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


MAX_EXAMPLES = 5  # enough to diagnose a disagreement without bloating the evidence


def grid_size(operator: str) -> int:
    """Number of configurations in ``GRIDS[operator]``.

    Examples
    --------
    >>> grid_size("conv")
    100352
    """
    as_choice("operator", operator, OPERATORS)
    total = 1
    for axis in GRIDS[operator].values():
        total *= len(axis)
    return total


@cache
def _input(size: int, device: str, dims: int) -> torch.Tensor:
    return torch.zeros((1, 1) + (size,) * dims, device=device)  # (N, C, L) or (N, C, H, W)


@cache
def _weight(kernel: int, device: str, dims: int) -> torch.Tensor:
    return torch.zeros((1, 1) + (kernel,) * dims, device=device)  # (C_out, C_in, *kernel)


_OPS = {
    2: (F.conv2d, F.conv_transpose2d, F.max_pool2d, F.avg_pool2d),
    1: (F.conv1d, F.conv_transpose1d, F.max_pool1d, F.avg_pool1d),
}


def torch_output_size(
    operator: str, config: Mapping, device: str = "meta", dims: int = 2
) -> int | str:
    """What torch makes of ``config`` on ``device``: the output size, or its refusal.

    The input is ``(1, 1) + (size,) * dims`` with the same parameters on every
    axis, so all output axes must agree. A refusal is returned as the
    exception's first line (torch raises RuntimeError, TypeError or, on meta,
    ZeroDivisionError; all count as refusing).

    Examples
    --------
    >>> torch_output_size("conv", {"size": 5, "kernel": 3, "stride": 2, "padding": 0,
    ...                            "dilation": 1})
    2
    """
    as_choice("operator", operator, OPERATORS)
    conv, conv_t, max_pool, avg_pool = _OPS[dims]
    c = config
    x = _input(c["size"], device, dims)
    try:
        if operator == "conv":
            w = _weight(c["kernel"], device, dims)
            y = conv(x, w, None, c["stride"], c["padding"], c["dilation"])
        elif operator == "convT":
            w = _weight(c["kernel"], device, dims)
            y = conv_t(
                x, w, None, c["stride"], c["padding"], c["output_padding"], 1, c["dilation"]
            )
        elif operator == "maxpool":
            y = max_pool(x, c["kernel"], c["stride"], c["padding"], c["dilation"], c["ceil_mode"])
        else:
            y = avg_pool(x, c["kernel"], c["stride"], c["padding"], c["ceil_mode"])
    except Exception as exc:  # any refusal by torch counts; its text is evidence
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    sizes = set(y.shape[2:])
    if len(sizes) != 1:
        return f"asymmetric output {tuple(y.shape)} for a symmetric configuration"
    return int(sizes.pop())


def explain_refusal(operator: str, config: Mapping) -> str | None:
    """Why torch's meta kernel accepting ``config`` does not contradict our refusal.

    Returns the reason, or None when no torch kernel refuses ``config`` (then
    the disagreement is unexplained). The CPU 2-D kernel is asked first; the
    1-D CPU kernel second, because 2-D transposed convolution on the CPU can
    take a oneDNN path that skips ATen's dilation check.

    Examples
    --------
    >>> explain_refusal("conv", {"size": 5, "kernel": 3, "stride": 0, "padding": 0,
    ...                          "dilation": 1})
    'meta accepts, cpu refuses'
    """
    cpu2 = torch_output_size(operator, config, "cpu", 2)
    if isinstance(cpu2, str):
        return "meta accepts, cpu refuses"
    cpu1 = torch_output_size(operator, config, "cpu", 1)
    if isinstance(cpu1, str):
        return "meta and cpu-2d (oneDNN path) accept, cpu-1d refuses"
    return None


def _ours(operator: str, config: Mapping) -> int | ParameterError:
    try:
        return _OURS[operator](**config)
    except ParameterError as exc:
        return exc


def _configs(axes: Mapping[str, tuple]) -> Iterable[dict]:
    names = tuple(axes)
    for values in itertools.product(*axes.values()):
        yield dict(zip(names, values, strict=True))


def sweep(
    operator: str,
    grid: Mapping[str, tuple] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Compare :mod:`cnnbench.analysis.shapes.formulas` with torch on every configuration of a grid.

    Parameters
    ----------
    operator : {"conv", "maxpool", "avgpool", "convT"}
    grid : mapping of parameter name to values, optional
        Defaults to ``GRIDS[operator]``; a smaller one makes a quick smoke run.
    on_progress : callable, optional
        Called with the number of configurations done, every 10,000.

    Returns
    -------
    SweepResult
        Counts of agreements, explained and unexplained disagreements, and the
        wall time (for the rate).
    """
    as_choice("operator", operator, OPERATORS)
    accepted = refused = 0
    explained: Counter[str] = Counter()
    explained_examples: dict[str, str] = {}
    unexplained: list[str] = []
    unexplained_count = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    n = 0
    axes = GRIDS[operator] if grid is None else grid
    for n, config in enumerate(_configs(axes), start=1):
        ours = _ours(operator, config)
        theirs = torch_output_size(operator, config, "meta")
        if isinstance(ours, int) and ours == theirs:
            accepted += 1
        elif isinstance(ours, ParameterError) and isinstance(theirs, str):
            refused += 1
        elif isinstance(ours, ParameterError) and isinstance(theirs, int):
            reason = explain_refusal(operator, config)
            if reason is not None:
                key = f"{ours.name}: {reason}"
                explained[key] += 1
                explained_examples.setdefault(key, f"{config}: {ours}; meta gives {theirs}")
                continue
            unexplained_count += 1
            if len(unexplained) < MAX_EXAMPLES:
                unexplained.append(f"{config}: we refuse ({ours}); every torch kernel accepts")
        else:
            unexplained_count += 1
            if len(unexplained) < MAX_EXAMPLES:
                unexplained.append(f"{config}: ours {ours!s}, meta {theirs}")
        if on_progress is not None and n % 10_000 == 0:
            on_progress(n)
    return SweepResult(
        operator=operator,
        configs=n,
        accepted=accepted,
        refused=refused,
        explained=dict(explained),
        explained_examples=explained_examples,
        unexplained_count=unexplained_count,
        unexplained=tuple(unexplained),
        seconds=time.perf_counter() - start,
        cpu_seconds=time.process_time() - cpu_start,
    )
