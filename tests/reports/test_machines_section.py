"""The report's "Across machines" section, from two recorded machines' results files."""

from __future__ import annotations

from pathlib import Path

from cnnbench.bench.loaders_bench import load_bench_results
from cnnbench.reports.machines_section import machines_section, run_machines, side_by_side
from cnnbench.reports.sections import one_machine

FIXTURES = Path(__file__).parent / "fixtures"
A = FIXTURES / "bench-ci-2core.jsonl"
B = FIXTURES / "bench-second-machine.jsonl"


def _records(*paths: Path) -> list[dict]:
    return [r for p in paths for r in load_bench_results(p).records]


def test_two_machines_side_by_side():
    records = _records(A, B)
    machines, shared = side_by_side(records)
    assert machines == ["ci-2core", "second-machine"]
    a_keys = {r["workload"]["key"] for r in _records(A) if r["type"] == "result"}
    assert set(shared) == a_keys and len(a_keys) == 5
    section = machines_section(records, "merged.jsonl")
    assert section.missing == () and len(section.figures) == 1
    (table,) = section.tables
    assert table.columns == ("workload", "ci-2core", "second-machine",
                             "time second-machine / ci-2core")  # fmt: skip
    assert len(table.rows) == 5
    by_key = {row[0]: row for row in table.rows}
    for key, cells in shared.items():  # each cell from that machine's own record
        a, b = cells["ci-2core"], cells["second-machine"]
        ratio = b["measurement"]["median"] / a["measurement"]["median"]
        assert by_key[key][3] == f"{ratio:.2f}"
        pct = f"({100 * a['roofline']['fraction']:.0f}% of its limit)"
        assert by_key[key][1].endswith(pct)
        assert a["run_id"] != b["run_id"]  # each machine against its own ceilings


def test_one_machine_says_how_to_get_another():
    section = machines_section(_records(A), "a.jsonl")
    assert section.figures == () and section.tables == ()
    (msg,) = section.missing
    assert "results from 1 machine(s) in a.jsonl" in msg
    assert "cnnbench merge --bench a.jsonl --bench b.jsonl" in msg


def test_machine_names_fall_back_to_the_header_host():
    records = [dict(r) for r in _records(A)]
    for r in records:
        r.pop("where", None)
    (name,) = set(run_machines(records).values())
    assert name == records[0]["machine"]["hostname"]


def test_timing_section_of_a_merged_file_keeps_one_machine():
    records = _records(A, B)
    header = [r for r in records if r["type"] == "header"][-1]
    kept, note = one_machine(header, records)
    assert {r["run_id"] for r in kept} == {header["run_id"]}
    assert "Machine second-machine only; 1 other(s) under Across machines." in note
    alone = _records(A)
    assert one_machine(alone[0], alone) == (alone, "")
