"""Checks of PyTorch's documented output-size rules: exhaustive sweeps and the ceil-mode note.

The sweeps (:func:`cnnbench.analysis.shapes.sweep.sweep`) decide the documented
formulas of Conv2d, MaxPool2d, AvgPool2d and ConvTranspose2d, errors
included; two smaller grids decide the bare "ceil instead of floor" sentence
and the documented pooling padding range.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.shapes.checks import torch_pool_size
from cnnbench.analysis.shapes.formulas import pool_output_size
from cnnbench.analysis.shapes.sweep import sweep

__all__ = ["check_pool_padding_rule", "check_pytorch_ceil_bare", "sweep_check"]


def check_pytorch_ceil_bare() -> CheckResult:
    """PyTorch docs: ceil_mode "will use ceil instead of floor to compute the output shape"."""
    total = bare_ok = corrected_ok = 0
    first = None
    for n, k, s in itertools.product(range(1, 25), range(1, 7), range(1, 6)):
        for p in range(k // 2 + 1):
            size = torch_pool_size(n, k, s, p, ceil_mode=True)
            if isinstance(size, str):
                continue
            total += 1
            bare = math.ceil((n + 2 * p - k) / s) + 1
            bare_ok += bare == size
            corrected_ok += pool_output_size(n, k, s, p, ceil_mode=True) == size
            if bare != size and first is None:
                first = {"size": n, "kernel": k, "stride": s, "padding": p,
                         "ceil_formula": bare, "torch": size}  # fmt: skip
    readings = [
        reading("the parameter line alone: the displayed formula with ceil for floor",
                bare_ok == total, matches=bare_ok, settings=total, first_difference=first),
        reading("the parameter line read with the same page's Note (windows that would start "
                "in the right padded region are ignored)", corrected_ok == total,
                matches=corrected_ok, settings=total),
    ]  # fmt: skip
    holds = bare_ok == total or corrected_ok == total
    return decided(
        holds,
        "exhaustive",
        f"The displayed formula with ceil instead of floor matches torch max pooling (ceil_mode) "
        f"on {bare_ok} of {total} settings (size<=24, kernel<=6, stride<=5, all legal paddings); "
        "it overcounts where the last window would start in the right padding, which the same "
        f"page's Note excludes; with the Note applied it matches on {corrected_ok}.",
        None if holds else Correction(
            "ceil((H + 2p - d(k-1) - 1)/s) + 1, less 1 when (out-1)*s >= H + p",
            f"cnnbench.analysis.shapes.formulas.pool_output_size matches torch on "
            f"{corrected_ok}/{total}"),
        caveat=("Ceil applies subject to the Note on the same MaxPool2d page: a last window that "
                "would start in the right padding (or beyond the input) is dropped, "
                "i.e. subtract 1 when (out-1)*s >= H + p.") if bare_ok != total else None,
        readings=readings,
        matches=bare_ok,
        corrected_matches=corrected_ok,
        settings=total,
        first_difference=first,
    )


def check_pool_padding_rule() -> CheckResult:
    """PyTorch docs: pooling padding "must be >= 0 and <= kernel_size / 2"."""
    mismatches = []
    total = 0
    for n, k, p in itertools.product(range(1, 20), range(1, 9), range(-2, 7)):
        total += 1
        refused = isinstance(torch_pool_size(n, k, 1, p), str)
        illegal = p < 0 or p > k / 2
        if refused != (illegal or n + 2 * p < k):  # a legal padding may still leave no window
            mismatches.append({"size": n, "kernel": k, "padding": p, "torch_refused": refused})
    return decided(
        not mismatches,
        "exhaustive",
        f"Torch max pooling refuses a padding outside [0, kernel/2] and accepts every padding "
        f"inside it (unless the input is too small) on all {total} settings (size<=19, "
        f"kernel<=8, padding -2..6)." if not mismatches else
        f"{len(mismatches)} of {total} settings contradict the documented padding range.",
        mismatches=mismatches[:5],
        settings=total,
    )


def sweep_check(operator: str) -> Callable[[], CheckResult]:
    """The exhaustive sweep of ``operator`` against torch on meta, as a check."""

    def check() -> CheckResult:
        r = sweep(operator)
        n_onednn = sum(v for k, v in r.explained.items() if "cpu-1d" in k)
        onednn = (
            f" ({n_onednn} of them accepted by the CPU 2-D oneDNN path too and refused by the "
            "1-D kernel)"
            if n_onednn
            else ""
        )
        summary = (
            f"{r.configs:,} configurations (errors included) compared with torch {r.torch_version}"
            f" on the meta device in {r.seconds:.1f} s wall, {r.cpu_seconds:.1f} s CPU "
            f"({r.rate:,.0f} configs/s wall, {r.cpu_rate:,.0f} per CPU second): {r.accepted:,}"
            f" sizes agree, {r.refused:,} refused by both, "
            f"{sum(r.explained.values()):,} refused by us and by torch's CPU kernels but "
            f"accepted by its laxer meta kernel{onednn}, {r.unexplained_count} unexplained."
        )
        return decided(
            r.unexplained_count == 0,
            "exhaustive",
            summary,
            configs=r.configs,
            agreed_sizes=r.accepted,
            refused_by_both=r.refused,
            explained=dict(r.explained),
            explained_examples=dict(r.explained_examples),
            unexplained_count=r.unexplained_count,
            unexplained=list(r.unexplained),
            seconds=round(r.seconds, 2),
            cpu_seconds=round(r.cpu_seconds, 2),
            configs_per_second=round(r.rate),
            configs_per_cpu_second=round(r.cpu_rate),
            torch_version=r.torch_version,
            timing_note="wall time is inflated when other processes share the CPU; "
            "CPU seconds approximate the wall time on an idle machine",
        )

    return check
