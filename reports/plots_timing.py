"""Seaborn figures of the timings (``cnnbench bench`` results). They return figures, never save."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from cnnbench.reports.plots import THEME
from matplotlib.figure import Figure

sns.set_theme(**THEME)


def bench_frame(records: list[dict]) -> pd.DataFrame:
    """One row per result record of `cnnbench bench` (JSON Lines), tidy."""
    rows = []
    for r in records:
        if r.get("type") != "result":
            continue
        w, m, roof = r["workload"], r["measurement"], r.get("roofline") or {}
        rows.append({
            **{k: w[k] for k in ("key", "group", "op", "impl", "dtype", "device", "layout",
                                 "direction", "alloc", "case", "bytes", "flops")},
            "median_s": m["median"], "q1_s": None, "iqr_s": m["iqr"],
            "fraction": roof.get("fraction"), "suspect": bool(roof.get("suspect")),
            "bound": roof.get("bound"), "achieved_flops": roof.get("achieved_flops_per_s"),
            "achieved_bytes": roof.get("achieved_bytes_per_s"),
        })  # fmt: skip
    return pd.DataFrame(rows)


def activation_roofline_figure(df: pd.DataFrame) -> Figure:
    """% of the measured limit per activation (the eager call as a user writes it)."""
    d = df[(df.group == "activation") & (df.impl == "eager")].copy()
    d["percent of limit"] = 100 * d["fraction"]
    return _activation_bars(d, "percent of limit", sharey=True)


def activation_time_figure(df: pd.DataFrame) -> Figure:
    d = df[(df.group == "activation") & (df.impl == "eager")].copy()
    d["median time (ms)"] = 1e3 * d["median_s"]
    return _activation_bars(d, "median time (ms)", sharey=False)


def _activation_bars(d: pd.DataFrame, y: str, sharey: bool) -> Figure:
    """One bar panel per (size, direction) that has results, each op named under its bars.

    A row x col grid would draw an empty panel for a combination the sweep
    does not time (the short profile has no 32M backward), so panels are the
    combinations present, and each keeps its own op axis.
    """
    d = d.copy()
    d["panel"] = d["case"].astype(str) + " · " + d["direction"].astype(str)
    order = sorted(d["panel"].unique(), key=lambda p: (p.split(" · ")[0],
                                                       p.split(" · ")[1] != "forward"))  # fmt: skip
    g = sns.catplot(
        data=d, x="op", y=y, hue="dtype", col="panel", col_order=order, col_wrap=2,
        kind="bar", height=2.6, aspect=2.2, errorbar=None, sharex=False, sharey=sharey,
    )  # fmt: skip
    g.set_titles("{col_name}")
    for ax in g.axes.flat:
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    g.tight_layout()
    return g.figure


def implementation_ratio_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Each implementation's median over the same op's eager median (same size, dtype, ...)."""
    d = df[df.group == "activation"]
    keys = ["op", "dtype", "direction", "alloc", "case"]
    eager = d[d.impl == "eager"].set_index(keys)["median_s"]
    out = d[d.impl != "eager"].join(eager.rename("eager_s"), on=keys)
    out = out.dropna(subset=["eager_s"])
    out["time / eager"] = out["median_s"] / out["eager_s"]
    return out


def implementation_figure(ratios: pd.DataFrame) -> Figure:
    ratios = ratios.assign(variant=ratios.op + " " + ratios.impl)
    g = sns.catplot(
        data=ratios, y="variant", x="time / eager", hue="dtype", col="direction",
        kind="bar", height=3.2, aspect=1.4, errorbar=None,
    )  # fmt: skip
    for ax in g.axes.flat:
        ax.axvline(1.0, color="k", lw=0.8)
    return g.figure


def layout_speedup_frame(df: pd.DataFrame) -> pd.DataFrame:
    """NCHW time / channels_last time per conv case, dtype and direction (>1: CL faster)."""
    d = df[df.group == "conv"]
    keys = ["case", "dtype", "direction"]
    nchw = d[d.layout == "nchw"].set_index(keys)["median_s"]
    cl = d[d.layout == "channels_last"].set_index(keys)["median_s"]
    joined = pd.concat([nchw.rename("nchw"), cl.rename("cl")], axis=1).dropna()
    joined["speedup"] = joined["nchw"] / joined["cl"]
    return joined.reset_index()


def layout_heatmap(speed: pd.DataFrame) -> Figure:
    pivot = speed.assign(col=speed.dtype + " " + speed.direction).pivot_table(
        index="case", columns="col", values="speedup"
    )
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.4 * len(pivot.columns) + 3, 0.32 * len(pivot) + 1.5))
    sns.heatmap(pivot, annot=True, fmt=".2f", center=1.0, cmap="vlag_r", ax=ax,
                cbar_kws={"label": "NCHW time / channels_last time"})  # fmt: skip
    ax.set_xlabel("")
    ax.set_ylabel("conv layer")
    return fig


def roofline_figure(df: pd.DataFrame, ceilings: dict) -> Figure:
    """Every workload at (operations per byte, achieved FLOP/s) under the measured limits."""
    import matplotlib.pyplot as plt

    d = df[(df.flops > 0) & df.achieved_flops.notna()].copy()
    d["intensity"] = d.flops / d.bytes
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    sns.scatterplot(data=d, x="intensity", y="achieved_flops", hue="group", style="dtype", ax=ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs = np.logspace(np.log10(max(d.intensity.min() / 2, 1e-3)), np.log10(d.intensity.max() * 2))
    bw = (ceilings.get("bandwidth") or {}).get("dram")
    for dtype, peak in (ceilings.get("flops") or {}).items():
        if bw:
            ax.plot(xs, np.minimum(peak, bw * xs), lw=1, label=f"limit {dtype} (DRAM)")
    ax.set_xlabel("operations per byte moved (fewest bytes)")
    ax.set_ylabel("achieved operations / s")
    ax.legend(fontsize=7, loc="lower right")
    return fig
