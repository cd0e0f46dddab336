"""Seaborn figures from tidy tables. Functions return figures; they never save."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

THEME = {"context": "paper", "style": "whitegrid"}  # every report figure's look
sns.set_theme(**THEME)


def activation_taylor_frame(names: list[str], orders=(1, 3, 5), lim: float = 4.0) -> pd.DataFrame:
    """f(x) and its Taylor polynomials (one-sided at 0 for piecewise f), tidy.

    Columns: activation, x, y, curve ("f" or "order k").
    """
    import torch
    from cnnbench.analysis.activations.registry import get_activation
    from cnnbench.analysis.activations.taylor import expansion

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


def maxdepth_frame(kernel: int = 3, m: int = 5, ts=None) -> pd.DataFrame:
    """Optimal total depth over t: LP / integer optima vs the printed and derived closed forms.

    The image size for each t is ``z = 2**(m-1) * k / t``, the size at which the
    text's closed form has ``m`` stages (the same convention as the maxdepth claims).
    """
    from cnnbench.analysis.maxdepth.problem import solve_max_depth
    from cnnbench.analysis.maxdepth.theory import derive_closed_form, text_closed_form

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


def history_figure(history: pd.DataFrame, units: dict[str, str] | None = None) -> Figure:
    """One panel per benchmark: each parameter combination's value over commits (date order).

    ``units``: benchmark name -> unit (asv's ``benchmarks.json``), shown in the titles.
    """
    d = history.sort_values("date").copy()
    order = list(dict.fromkeys(d["commit"]))
    d["commit #"] = d["commit"].map({c: i for i, c in enumerate(order)})
    units = units or {}
    d["panel"] = [f"{b} [{units[b]}]" if b in units else b for b in d["benchmark"]]
    g = sns.relplot(
        data=d, x="commit #", y="value", hue="params", col="panel", col_wrap=2,
        kind="line", marker="o", height=2.6, aspect=1.8, facet_kws={"sharey": False},
        legend=len(d["params"].unique()) <= 12,
    )  # fmt: skip
    g.set_titles("{col_name}", size=7)
    for ax in g.axes.flat:
        ax.set_yscale("log")
        ax.set_xticks(range(len(order)), order, rotation=90, fontsize=6)
    g.set_axis_labels("commit (oldest first)", "value")
    return g.figure


# (activation, initialisation) pairs drawn theory-vs-Monte-Carlo in the report:
# the texts' contrast (sigmoid vs Sigmoid*/tanh under Xavier) and ReLU's two inits.
VARIANCE_PAIRS = (("sigmoid", "xavier_normal"), ("sigmoid_star", "xavier_normal"),
                  ("tanh", "xavier_normal"), ("relu", "xavier_normal"),
                  ("relu", "kaiming_fan_in"))  # fmt: skip


def variance_frame(pairs=VARIANCE_PAIRS, depth: int = 30, width: int = 128) -> pd.DataFrame:
    """Per layer: forward E[h²] and backward gradient variance, theory and Monte Carlo."""
    from cnnbench.analysis.variance.monte_carlo import monte_carlo

    rows = []
    for act, init in pairs:
        r = monte_carlo(act, init, depth, width)
        label = f"{act} / {init}" + ("" if r.informative else " (MC uninformative)")
        for lay in r.layers:
            for qty, th, mc, tol in (
                ("forward E[h_l²]", lay.q_theory, lay.q_mc, lay.q_tol),
                ("backward E[(∂ε/∂h_l)²]", lay.grad_theory, lay.grad_mc, lay.grad_tol),
            ):
                rows.append({"config": label, "layer": lay.layer, "quantity": qty,
                             "theory": th, "monte carlo": mc, "tol": tol})  # fmt: skip
    return pd.DataFrame(rows)


def variance_figure(frame: pd.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    configs = list(dict.fromkeys(frame.config))
    qtys = list(dict.fromkeys(frame.quantity))
    fig, axes = plt.subplots(len(qtys), len(configs), figsize=(3.0 * len(configs), 5.2),
                             squeeze=False, sharex=True)  # fmt: skip
    for i, q in enumerate(qtys):
        for j, c in enumerate(configs):
            ax = axes[i][j]
            d = frame[(frame.quantity == q) & (frame.config == c)]
            ax.plot(d.layer, d.theory, color="C0", label="theory (quadrature)")
            ax.errorbar(d.layer, d["monte carlo"], yerr=d.tol, fmt="o", ms=2.5, color="C1",
                        elinewidth=0.8, label="Monte Carlo ± derived tolerance")  # fmt: skip
            ax.set_yscale("log")
            if i == 0:
                ax.set_title(c, fontsize=8)
            if j == 0:
                ax.set_ylabel(q, fontsize=8)
            if i == len(qtys) - 1:
                ax.set_xlabel("layer")
    axes[0][0].legend(fontsize=6, loc="best")
    fig.tight_layout()
    return fig


def training_frame(evidence: dict) -> pd.DataFrame:
    """Tidy per-epoch mean and interval of each arm from the training claim's evidence."""
    rows = []
    for arm, fields in (evidence.get("curves") or {}).items():
        for field, points in fields.items():
            for epoch, p in enumerate(points, start=1):
                rows.append({"arm": arm, "metric": field, "epoch": epoch, **p})
    return pd.DataFrame(rows)


def training_figure(frame: pd.DataFrame, grad_profiles: dict) -> Figure:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    palette = dict(zip(sorted(frame.arm.unique()), sns.color_palette("tab10", 10), strict=False))
    for ax, metric, label in ((axes[0], "test_acc", "test accuracy"),
                              (axes[1], "train_loss", "training loss")):  # fmt: skip
        for arm, d in frame[frame.metric == metric].groupby("arm"):
            ax.plot(d.epoch, d["mean"], color=palette[arm], label=arm)
            ax.fill_between(d.epoch, d["low"].astype(float), d["high"].astype(float),
                            color=palette[arm], alpha=0.2)  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{label} (mean, 95% CI over seeds)")
    axes[1].set_yscale("log")
    for arm, prof in grad_profiles.items():
        ys = [np.nan if v is None else v for v in prof]
        axes[2].plot(range(1, len(ys) + 1), ys, marker=".", color=palette.get(arm), label=arm)
    axes[2].set_xlabel("layer (input to output)")
    axes[2].set_ylabel("log10 ‖∂L/∂W_l‖ at init")
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
