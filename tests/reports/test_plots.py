"""Figures: what a reader needs is on them once drawn (names under bars, no empty panels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from cnnbench.reports import plots, plots_timing

# A short-profile-like grid: 1M forward and backward, 32M forward only.
CELLS = [("1M", "forward", ("relu", "tanh", "gelu")), ("1M", "backward", ("relu", "tanh")),
         ("32M", "forward", ("relu",))]  # fmt: skip


def _frame() -> pd.DataFrame:
    rows = [
        {"group": "activation", "impl": "eager", "op": op, "dtype": "float32", "case": case,
         "direction": direction, "median_s": 1e-3 * (i + 1), "fraction": 0.1 * (i + 1)}
        for case, direction, ops in CELLS for i, op in enumerate(ops)
    ]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "make", [plots_timing.activation_time_figure, plots_timing.activation_roofline_figure]
)
def test_activation_bars_name_every_op_and_draw_no_empty_panel(make):
    fig = make(_frame())
    fig.canvas.draw()
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert sorted(panels) == ["1M · backward", "1M · forward", "32M · forward"]
    for case, direction, ops in CELLS:
        ax = panels[f"{case} · {direction}"]
        assert [t.get_text() for t in ax.get_xticklabels()] == list(ops)
    plt.close(fig)


def test_history_figure_labels_commits_and_units():
    history = pd.DataFrame([
        {"commit": c, "date": i, "benchmark": "b.time_x", "params": "relu", "value": 1e-3}
        for i, c in enumerate(["aaaa1111", "bbbb2222", "cccc3333"])
    ])  # fmt: skip
    fig = plots.history_figure(history, {"b.time_x": "seconds"})
    fig.canvas.draw()
    (ax,) = fig.axes
    assert ax.get_title() == "b.time_x [seconds]"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["aaaa1111", "bbbb2222", "cccc3333"]
    plt.close(fig)
