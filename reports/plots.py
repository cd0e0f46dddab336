"""Seaborn figures from tidy tables. Functions return figures; they never save."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

sns.set_theme(context="paper", style="whitegrid")


def activation_taylor_frame(names: list[str], orders=(1, 3, 5), lim: float = 4.0) -> pd.DataFrame:
    """f(x) and its Taylor polynomials (one-sided at 0 for piecewise f), tidy.

    Columns: activation, x, y, curve ("f" or "order k").
    """
    import torch

    from analysis.activations import get_activation
    from analysis.taylor import expansion

    x = np.linspace(-lim, lim, 241)
    rows = []
    for name in names:
        act = get_activation(name)
        y = act.reference(torch.from_numpy(x)).numpy()
        rows.append(pd.DataFrame({"activation": name, "x": x, "y": y, "curve": "f"}))
        e = expansion(name, max(orders))
        right = np.array([float(c) for c in e.right])
        left = np.array([float(c) for c in e.left])
        for k in orders:
            poly_r = np.polynomial.polynomial.polyval(x, right[: k + 1])
            poly_l = np.polynomial.polynomial.polyval(x, left[: k + 1])
            yk = np.where(x >= 0, poly_r, poly_l)
            rows.append(pd.DataFrame({"activation": name, "x": x, "y": yk, "curve": f"order {k}"}))
    return pd.concat(rows, ignore_index=True)


def activation_taylor_figure(frame: pd.DataFrame, lim: float = 4.0) -> Figure:
    g = sns.relplot(
        data=frame, x="x", y="y", hue="curve", style="curve", col="activation", col_wrap=4,
        kind="line", height=2.0, aspect=1.25, facet_kws={"sharey": False},
    )  # fmt: skip
    for ax, name in zip(g.axes.flat, g.col_names, strict=False):
        f = frame[(frame.activation == name) & (frame.curve == "f")]["y"]
        pad = 0.25 * (f.max() - f.min() + 1e-9)
        ax.set_ylim(f.min() - pad, f.max() + pad)
        ax.set_xlim(-lim, lim)
    g.set_titles("{col_name}")
    return g.figure


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
    """% of the measured limit per activation, by dtype and direction (preallocated output)."""
    d = df[(df.group == "activation") & (df.impl == "eager")].copy()
    d["percent of limit"] = 100 * d["fraction"]
    g = sns.catplot(
        data=d, x="op", y="percent of limit", hue="dtype", col="direction", row="case",
        kind="bar", height=2.4, aspect=2.4, errorbar=None,
    )  # fmt: skip
    g.set_xticklabels(rotation=45, ha="right")
    return g.figure


def activation_time_figure(df: pd.DataFrame) -> Figure:
    d = df[(df.group == "activation") & (df.impl == "eager")].copy()
    d["median time (ms)"] = 1e3 * d["median_s"]
    g = sns.catplot(
        data=d, x="op", y="median time (ms)", hue="dtype", col="direction", row="case",
        kind="bar", height=2.4, aspect=2.4, errorbar=None, sharey=False,
    )  # fmt: skip
    g.set_xticklabels(rotation=45, ha="right")
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


def maxdepth_frame(kernel: int = 3, m: int = 5, ts=None) -> pd.DataFrame:
    """Optimal total depth over t: LP / integer optima vs the printed and derived closed forms.

    The image size for each t is ``z = 2**(m-1) * k / t``, the size at which the
    text's closed form has ``m`` stages (the same convention as the maxdepth claims).
    """
    from analysis.maxdepth import solve_max_depth
    from analysis.maxdepth_theory import derive_closed_form, text_closed_form

    ts = np.round(np.linspace(0.1, 0.9, 17), 3) if ts is None else ts
    rows = []
    for t in ts:
        z = 2 ** (m - 1) * kernel / t
        for version in ("printed", "derived"):
            for integer in (False, True):
                sol = solve_max_depth(z, kernel, float(t), constraints=version, integer=integer)
                kind = "integer optimum (milp)" if integer else "LP optimum (linprog)"
                rows.append(
                    {"t": t, "constraints": version, "series": kind, "total depth": sol.total}
                )
            _, _, total = derive_closed_form(version).evaluate(kernel, float(t), m)
            rows.append(
                {
                    "t": t,
                    "constraints": version,
                    "series": "corrected closed form (sympy)",
                    "total depth": total,
                }
            )
            _, a_text = text_closed_form(kernel, float(t), m)
            rows.append(
                {
                    "t": t,
                    "constraints": version,
                    "series": "text's closed form (4.5)-(4.6)",
                    "total depth": sum(a_text),
                }
            )
    return pd.DataFrame(rows)


def maxdepth_figure(frame: pd.DataFrame) -> Figure:
    g = sns.relplot(
        data=frame, x="t", y="total depth", hue="series", style="series", col="constraints",
        kind="line", markers=True, height=3.2, aspect=1.3, facet_kws={"sharey": False},
    )  # fmt: skip
    for ax in g.axes.flat:
        ax.set_yscale("log")
    g.set_titles("constraints: {col_name}")
    return g.figure


def history_figure(history: pd.DataFrame) -> Figure:
    """One panel per benchmark: each parameter combination's value over commits (date order)."""
    d = history.sort_values("date").copy()
    order = list(dict.fromkeys(d["commit"]))
    d["commit #"] = d["commit"].map({c: i for i, c in enumerate(order)})
    g = sns.relplot(
        data=d, x="commit #", y="value", hue="params", col="benchmark", col_wrap=2,
        kind="line", marker="o", height=2.6, aspect=1.8, facet_kws={"sharey": False},
        legend=len(d["params"].unique()) <= 12,
    )  # fmt: skip
    g.set_titles("{col_name}", size=7)
    for ax in g.axes.flat:
        ax.set_yscale("log")
    return g.figure
