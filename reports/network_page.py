"""``cnnbench network``'s profile as text lines and as one self-contained HTML page."""

from __future__ import annotations

from html import escape
from typing import Any


def _axes(v) -> str:
    return "-" if v is None else "x".join(f"{x:g}" for x in v)


def extra_lines(out: dict[str, Any]) -> list[str]:
    """What --verify, --variance and --layouts found, one line each (for the terminal)."""
    lines = []
    v = out.get("verify")
    if v is not None:
        if v.get("skipped"):
            lines.append(f"gradient support: not measured ({v['skipped']})")
        else:
            n_bad = len(v["mismatches"])
            lines.append(f"gradient support at input {_axes(v['input'])}: {v['units']} units of "
                         f"{len(v['nodes'])} layers measured, "
                         + ("every window agrees" if v["agrees"] else f"{n_bad} windows DIFFER"))
            for m in v["mismatches"][:10]:
                lines.append(f"  {m['layer']} unit {m['unit']} axis {m['axis']}: computed "
                             f"{m['computed']}, measured {m['measured']}")
    var = out.get("variance")
    if var is not None:
        if var.get("skipped"):
            lines.append(f"variance: not measured ({var['skipped']})")
        else:
            lines.append(f"variance at initialisation ({var['samples']} samples): "
                         f"{len(var['flagged'])} of {len(var['rows'])} layers flagged "
                         f"(forward: ratio to the input's moment, backward: to the gradient's at "
                         f"{var.get('backward_reference') or 'the output'}; > {var['explode']:g}"
                         f" or < {var['vanish']:g})")  # fmt: skip
            for r in var["rows"]:
                if r["flag"]:
                    lines.append(f"  {r['name']}: {r['flag']} (forward x{r['forward_ratio']:.3g},"
                                 f" backward x{r['backward_ratio'] or 0:.3g})")
    lay = out.get("layouts")
    if lay is not None:
        if lay.get("skipped"):
            lines.append(f"layouts: not timed ({lay['skipped']})")
        else:
            lines.append(f"layouts (batch {lay['batch']}, forward+backward, median ms): layer  "
                         "NCHW  channels_last  faster")
            for r in lay["rows"]:
                lines.append(f"  {r['name']}  {1e3 * r['nchw_s']:.3f}  "
                             f"{1e3 * r['channels_last_s']:.3f}  {r['faster']}")
            m = lay["model"]
            lines.append(f"whole model: NCHW {1e3 * m['nchw_s']:.2f} ms, channels_last "
                         f"{1e3 * m['channels_last_s']:.2f} ms including "
                         f"{1e3 * m['conversion_s']:.3f} ms of conversion: use "
                         f"{m['recommendation']}")  # fmt: skip
    return lines


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}
td:first-child,td:nth-child(2){{text-align:left}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)  # fmt: skip
    return f"<table><tr>{head}</tr>{body}</table>"


def layer_table(out: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The per-layer table's columns and rows (the page and the report share it)."""
    cols = ["layer", "op", "output", "params", "MACs", "activation bytes", "rf", "jump"]
    rows = [[r["name"], r["op"], _axes(r["shape"]), f"{r['params']:,}", f"{r['macs']:,}",
             f"{r['activation_bytes']:,}",
             _axes(r["rf"]) if r["rf_state"] == "window" else r["rf_state"], _axes(r["jump"])]
            for r in out["layers"]]  # fmt: skip
    return cols, rows


def totals_line(out: dict[str, Any]) -> str:
    t = out["totals"]
    rf = "" if t["rf"] is None else (f"; receptive field {_axes(t['rf'])}, jump "
                                     f"{_axes(t['jump'])} at {t['rf_layer']}")  # fmt: skip
    return (f"{t['params']:,} parameters, {t['macs']:,} MACs (FlopCounterMode: "
            f"{t['torch_macs']:,}), {t['activation_bytes']:,} bytes of activations per "
            f"sample{rf}")  # fmt: skip


def network_html(out: dict[str, Any]) -> str:
    """The whole profile as one HTML page (no script, no network)."""
    title = f"{out['label']}, input {_axes(out['input'])}"
    parts = [f"<p>{escape(totals_line(out))}</p>"]
    parts += [f"<p>note: {escape(n)}</p>" for n in out["notes"]]
    parts.append(_table(*layer_table(out)))
    extra = extra_lines(out)
    if extra:
        parts.append("<h2>cross-checks and measurements</h2><pre>"
                     + escape("\n".join(extra)) + "</pre>")  # fmt: skip
    return _PAGE.format(title=escape(title), body="\n".join(parts))
