"""The report's sections for the user's own work: claims from a claims file
(``cnnbench check --claims FILE --json``) and profiles of their networks
(``cnnbench network SPEC --out``)."""

from __future__ import annotations

from pathlib import Path

from cnnbench.reports.render import Section, Table, display_path

USER_CHECK_COMMAND = ("cnnbench check --claims docs/examples/claims.toml "
                      "--json reports/out/user-claims.json")  # fmt: skip
NETWORK_COMMAND = ("cnnbench network tests/fixtures/resnet50.py:resnet50 --input 3x224x224 "
                   "--out reports/out/networks/resnet50.json")  # fmt: skip


def user_claims_section(path: Path) -> Section:
    """Every claim of the user's file: verdict, method, evidence, where the claim stands."""
    from cnnbench.reports.render import load_check_rows

    rows = load_check_rows(path)
    if not rows:
        return Section("user-claims", "Your claims", USER_CHECK_COMMAND,
                       missing=(f"{display_path(path)} is missing: run `{USER_CHECK_COMMAND}` "
                                "(your own TOML file in place of the example)",))  # fmt: skip
    table = Table(f"{len(rows)} claims from {display_path(path)}",
                  ("claim", "source", "statement", "verdict", "method", "evidence"),
                  tuple((r["id"], r["locator"], r["statement"], r["verdict"], r["method"],
                         r["evidence"]["summary"]) for r in rows))  # fmt: skip
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("confirmed", "refuted",
                                                                "inconclusive", "error")}
    note = ", ".join(f"{n} {v}" for v, n in counts.items() if n) + (
        ". The claims come from a TOML file (docs/commands/check.md describes its kinds); "
        "each is decided by the same checks as the texts' claims.")  # fmt: skip
    return Section("user-claims", "Your claims", USER_CHECK_COMMAND, tables=(table,), note=note)


def _axes(v) -> str:
    return "-" if v is None else "x".join(f"{x:g}" for x in v)


def networks_section(folder: Path) -> Section:
    """One summary row per profiled network, then each network's layers."""
    from cnnbench.bench.loaders_network import load_network_profile, network_paths
    from cnnbench.reports.network_page import layer_table

    profiles = [load_network_profile(p) for p in network_paths(folder)]
    if not profiles:
        return Section("networks", "Your networks", NETWORK_COMMAND,
                       missing=(f"no profile in {display_path(folder)}: run `{NETWORK_COMMAND}` "
                                "(any SPEC: module:factory or file.py:factory)",))  # fmt: skip
    summary = []
    for d in profiles:
        t, v = d["totals"], d.get("verify") or {}
        checked = ("-" if not v or v.get("skipped") else
                   "agrees" if not v["mismatches"] else f"{len(v['mismatches'])} DIFFER")
        summary.append((d["label"], _axes(d["input"]), f"{t['params']:,}", f"{t['macs']:,}",
                        "yes" if t["macs"] == t["torch_macs"] else "NO",
                        f"{t['activation_bytes'] / 1e6:.2f}", _axes(t["rf"]), _axes(t["jump"]),
                        checked))  # fmt: skip
    tables = [Table("profiled networks (one sample, one forward pass)",
                    ("network", "input", "params", "MACs", "= FlopCounterMode/2",
                     "activations MB", "receptive field", "jump", "gradient support"),
                    tuple(summary))]  # fmt: skip
    for d in profiles:
        cols, rows = layer_table(d)
        tables.append(Table(f"{d['label']}, input {_axes(d['input'])}", tuple(cols),
                            tuple(tuple(r) for r in rows)))  # fmt: skip
    note = ("Shapes from a pass on the meta device; MACs from each layer's shapes, compared "
            "with torch's FlopCounterMode; receptive fields followed through the traced graph "
            "(the maximum over paths), checked against autograd's gradient support where "
            "the model is small enough (docs/commands/network.md).")  # fmt: skip
    return Section("networks", "Your networks", NETWORK_COMMAND, tables=tuple(tables), note=note)
