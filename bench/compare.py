"""Derived comparisons over sweep records (plain data; the CLI renders them).

* :func:`layout_ratios` — NCHW time / channels_last time per conv layer,
  dtype and direction (> 1: channels_last is faster);
* :func:`fused_vs_builtin` — a fused custom activation's time over the
  fastest built-in of its cost class (Sigmoid* vs tanh, regularized ReLU and
  RReLU-eval vs relu), preallocated outputs, same size and dtype;
* :func:`copy_fractions` — achieved bytes/s of chosen preallocated-output
  activations over the measured copy bandwidth, on working sets >= 4x LLC.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

# The cost classes of the issue: each custom op is compared with this built-in.
BUILTIN_OF = {"sigmoid_star": "tanh", "regularized_relu": "relu", "rrelu": "relu"}
FUSED_IMPLS = ("aten_out", "compiled_out", "triton_out")
MIN_LLC_MULTIPLE = 4


def best_ceilings(records: list[dict]) -> dict | None:
    """Per limit, the best value any ceilings measurement in the file reached.

    A sweep measures the ceilings at its start and again at its end; on a
    shared machine either can be depressed by other tenants, and a ceiling is
    the best the machine did.
    """
    found = [r["ceilings"] for r in records if r.get("type") in ("header", "ceilings")]
    if not found:
        return None
    best = {"device": found[-1]["device"], "bandwidth": {}, "flops": {}, "probes": {}}
    for c in found:
        for part in ("bandwidth", "flops"):
            for k, v in c[part].items():
                best[part][k] = max(best[part].get(k, 0.0), float(v))
    return best


def latest_results(records: list[dict]) -> dict[str, dict]:
    """The last result per workload key (a resumed file may hold several)."""
    out: dict[str, dict] = {}
    for r in records:
        if r.get("type") == "result":
            out[r["workload"]["key"]] = r
    return out


def _median(r: dict) -> float:
    return float(r["measurement"]["median"])


@dataclass(frozen=True)
class LayoutRatio:
    layer: str  # "alexnet/conv2"
    dtype: str
    direction: str  # forward | backward_data | backward_weight | backward (sum of both)
    nchw_s: float
    channels_last_s: float

    @property
    def ratio(self) -> float:
        return self.nchw_s / self.channels_last_s


def layout_ratios(records: list[dict]) -> list[LayoutRatio]:
    """NCHW over channels_last per layer/dtype/direction, plus backward = data + weight."""
    cell: dict[tuple, dict[str, float]] = defaultdict(dict)
    for r in latest_results(records).values():
        w = r["workload"]
        if w["group"] != "conv":
            continue
        cell[(w["case"], w["dtype"], w["device"], w["direction"])][w["layout"]] = _median(r)
    out = []
    for (case, dtype, _dev, direction), t in sorted(cell.items()):
        if {"nchw", "channels_last"} <= set(t):
            out.append(LayoutRatio(case, dtype, direction, t["nchw"], t["channels_last"]))
    by = {(x.layer, x.dtype, x.direction): x for x in out}
    for (layer, dtype, direction), x in list(by.items()):
        if direction != "backward_data":
            continue
        wt = by.get((layer, dtype, "backward_weight"))
        if wt is not None:
            out.append(LayoutRatio(layer, dtype, "backward", x.nchw_s + wt.nchw_s,
                                   x.channels_last_s + wt.channels_last_s))  # fmt: skip
    return out


@dataclass(frozen=True)
class FusedRatio:
    op: str
    impl: str
    builtin: str
    builtin_impl: str
    case: str
    dtype: str
    fused_s: float
    builtin_s: float

    @property
    def ratio(self) -> float:
        return self.fused_s / self.builtin_s


def fused_vs_builtin(records: list[dict]) -> list[FusedRatio]:
    """Each fused custom activation (out mode) over the fastest built-in of its class."""
    res = latest_results(records).values()
    fwd_out = [r for r in res if r["workload"]["group"] == "activation"
               and r["workload"]["direction"] == "forward"
               and r["workload"]["alloc"] == "out"]  # fmt: skip
    best: dict[tuple, tuple[float, str]] = {}
    for r in fwd_out:
        w = r["workload"]
        k = (w["op"], w["case"], w["dtype"], w["device"])
        if k not in best or _median(r) < best[k][0]:
            best[k] = (_median(r), w["impl"])
    out = []
    for r in fwd_out:
        w = r["workload"]
        if w["op"] not in BUILTIN_OF or w["impl"] not in FUSED_IMPLS:
            continue
        b = best.get((BUILTIN_OF[w["op"]], w["case"], w["dtype"], w["device"]))
        if b is not None:
            out.append(FusedRatio(w["op"], w["impl"], BUILTIN_OF[w["op"]], b[1], w["case"],
                                  w["dtype"], _median(r), b[0]))  # fmt: skip
    return out


@dataclass(frozen=True)
class CopyFraction:
    op: str
    impl: str
    case: str
    dtype: str
    achieved_bytes_per_s: float
    copy_bytes_per_s: float
    llc_multiple: float

    @property
    def fraction(self) -> float:
        return self.achieved_bytes_per_s / self.copy_bytes_per_s


def copy_fractions(records: list[dict], llc: int) -> list[CopyFraction]:
    """Preallocated-output activations on working sets >= 4x LLC vs the DRAM copy bandwidth."""
    best = best_ceilings(records)
    if best is None:
        return []
    copy = best["bandwidth"]["dram"]
    out = []
    for r in latest_results(records).values():
        w = r["workload"]
        if w["group"] != "activation" or w["alloc"] != "out" or w["direction"] != "forward":
            continue
        mult = w["working_set"] / llc
        if mult >= MIN_LLC_MULTIPLE:
            out.append(CopyFraction(w["op"], w["impl"], w["case"], w["dtype"],
                                    w["bytes"] / _median(r), copy, mult))  # fmt: skip
    return out
