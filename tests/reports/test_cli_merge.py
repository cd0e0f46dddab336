"""`cnnbench merge`: shards' check files and several machines' bench files joined, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnnbench.bench.loaders_bench import load_bench_results
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
CHECK = FIXTURES / "check.json"
# Two recorded runs of the same workloads: this VM (ci-2core) and a second machine
# (fixtures/README.md says how each was recorded).
MACHINE_A = FIXTURES / "bench-ci-2core.jsonl"
MACHINE_B = FIXTURES / "bench-second-machine.jsonl"


def _split(tmp_path: Path) -> list[Path]:
    rows = json.loads(CHECK.read_text())
    parts = [rows[:2], rows[2:3], rows[3:]]
    files = []
    for i, part in enumerate(parts):
        f = tmp_path / f"shard{i}.json"
        f.write_text(json.dumps(part[::-1]))  # each shard in its own order
        files.append(f)
    return files


def _merge(*args: str):
    return runner.invoke(app, ["merge", *args])


def _says(r, text: str) -> bool:
    """``text`` in the output, however rich wrapped it (long paths break anywhere)."""
    return "".join(text.split()) in "".join(r.output.split())


def test_merge_check_shards_is_the_union(tmp_path):
    files = _split(tmp_path)
    out = tmp_path / "merged.json"
    r = _merge(*(a for f in files[::-1] for a in ("--check", str(f))), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert _says(r, "merged 5 claims from 3 files")
    got = json.loads(out.read_text())
    assert sorted(json.dumps(x, sort_keys=True) for x in got) == sorted(
        json.dumps(x, sort_keys=True) for x in json.loads(CHECK.read_text()))


def test_merge_check_same_claim_same_verdict_kept_once(tmp_path):
    files = _split(tmp_path)
    out = tmp_path / "merged.json"
    r = _merge("--check", str(files[0]), "--check", str(CHECK), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert _says(r, "(same verdict): kept once")
    assert len(json.loads(out.read_text())) == 5


def test_merge_check_conflicting_verdicts_refused(tmp_path):
    rows = json.loads(CHECK.read_text())
    other = [dict(rows[0], verdict="refuted")]
    f = tmp_path / "other.json"
    f.write_text(json.dumps(other))
    r = _merge("--check", str(CHECK), "--check", str(f), "--out", str(tmp_path / "m.json"))
    assert r.exit_code == 2
    assert _says(r, "gives claim 'shapes.demo-equivalence' the verdict 'refuted'")
    assert not (tmp_path / "m.json").exists()


def test_merge_bench_two_machines(tmp_path):
    out = tmp_path / "bench.jsonl"
    r = _merge("--bench", str(MACHINE_A), "--bench", str(MACHINE_B), "--out", str(out))
    assert r.exit_code == 0, r.output
    merged = load_bench_results(out)
    a, b = load_bench_results(MACHINE_A), load_bench_results(MACHINE_B)
    assert merged.records == a.records + b.records
    assert len(merged.headers) == 2
    assert _says(r, f"merged 10 results of 2 runs from 2 files into {out}")


def test_merge_bench_same_file_twice_refused(tmp_path):
    r = _merge("--bench", str(MACHINE_A), "--bench", str(MACHINE_A), "--out",
               str(tmp_path / "m.jsonl"))  # fmt: skip
    assert r.exit_code == 2
    assert _says(r, "which") and _says(r, "holds too")


@pytest.mark.parametrize(("args", "message"), [
    ([], "`--check`=0 or --bench: give files of one kind (here 0 --check and 0 --bench)"),
    (["--check", str(CHECK), "--bench", str(MACHINE_A)],
     "`--check`=1 or --bench: give files of one kind (here 1 --check and 1 --bench)"),
    (["--check", str(CHECK)], "`--out`=None is required: the merged file"),
    (["--check", str(CHECK), "--out", str(CHECK)],
     "is one of the --check inputs; write the merged file elsewhere"),
])  # fmt: skip
def test_merge_usage_errors(args, message):
    r = _merge(*args)
    assert r.exit_code == 2
    assert _says(r, message)


def test_merge_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "m.json"
    out.write_text("[]")
    r = _merge("--check", str(CHECK), "--out", str(out))
    assert r.exit_code == 2
    assert _says(r, "already exists: pass --force to replace it")
    assert out.read_text() == "[]"
    r = _merge("--check", str(CHECK), "--out", str(out), "--force")
    assert r.exit_code == 0 and len(json.loads(out.read_text())) == 5


def test_merge_damaged_input_exits_2_naming_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = _merge("--check", str(bad), "--out", str(tmp_path / "m.json"))
    assert r.exit_code == 2
    assert _says(r, "bad.json")
