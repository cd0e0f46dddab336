"""`cnnbench gate`: its usage errors, and a pass/fail round on a synthetic baseline."""

from __future__ import annotations

import json
import math

import pytest
from cnnbench.bench.fingerprint import machine_fingerprint
from cnnbench.bench.gate import BaselineEntry
from cnnbench.bench.gate_aa import Baseline
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


HERE = machine_fingerprint()


def _baseline(tmp_path, ratio_log=0.0, fingerprint=HERE):
    path = tmp_path / "b.json"
    Baseline((BaselineEntry("relu.out", (ratio_log,) * 5),), "test", "t", {}, 7,
             fingerprint).save(path)  # fmt: skip
    return path


def test_gate_on_a_machine_without_a_baseline_exits_2_with_the_command(tmp_path, monkeypatch):
    import cnnbench.bench.gate_spec as spec
    import cnnbench.reports.cli.gate as cli

    monkeypatch.setattr(cli, "baseline_path", lambda fp: tmp_path / f"{fp}.json")
    (tmp_path / "x86_64-avx512-64c-l2_1m-l3_256m-0000beef.json").write_text("{}")
    for cmd in (["gate", "check"], ["gate", "trials", "--trials", "1"]):
        r = runner.invoke(app, cmd)
        text = " ".join(r.output.split())
        assert r.exit_code == 2, text
        assert f"no timing baseline for this machine: its fingerprint {HERE['id']}" in text
        assert "x86_64-avx512-64c-l2_1m-l3_256m-0000beef" in text  # the ones there are
        assert "never compared across fingerprints" in text
        assert "Make one with `cnnbench gate baseline`" in text
    assert spec.BASELINES_DIR.name == "gate_baselines"


def test_gate_refuses_a_baseline_of_another_fingerprint(tmp_path, monkeypatch):
    import cnnbench.bench.gate_suite as suite

    monkeypatch.setattr(suite, "measure_workload", lambda *a, **k: pytest.fail("measured"))
    other = {"id": "x86_64-avx512-64c-l2_1m-l3_256m-0000beef", "facts": {"cores": 64}}
    r = runner.invoke(app, ["gate", "check", "--baseline", str(_baseline(tmp_path,
                                                                         fingerprint=other))])
    text = " ".join(r.output.split())
    assert r.exit_code == 2, text
    assert f"was measured on fingerprint {other['id']}, this machine is {HERE['id']}" in text


def test_gate_missing_baseline_exits_2(tmp_path):
    r = runner.invoke(app, ["gate", "check", "--baseline", str(tmp_path / "none.json")])
    assert r.exit_code == 2
    assert "does not exist; create it with `cnnbench gate baseline`" in " ".join(r.output.split())


def test_gate_bad_inject_exits_2(tmp_path):
    r = runner.invoke(
        app, ["gate", "check", "--baseline", str(_baseline(tmp_path)), "--inject", "relu.out=lots"]
    )
    assert r.exit_code == 2
    assert "`--inject`='relu.out=lots' must be NAME=FRACTION" in r.output


def test_gate_unknown_workload_exits_2(tmp_path):
    r = runner.invoke(
        app, ["gate", "check", "--baseline", str(_baseline(tmp_path)), "--only", "nope"]
    )
    assert r.exit_code == 2
    assert "`--only`='nope' is not in the baseline" in r.output


def _fake_measure(monkeypatch, log_ratio):
    import cnnbench.bench.gate_suite as suite

    values = [log_ratio + 0.01 * (i % 3) for i in range(7)]
    monkeypatch.setattr(suite, "measure_workload", lambda w, extra=0.0, rounds=7: values)


def test_gate_confirmed_regression_exits_1_with_reproduce_command(tmp_path, monkeypatch):
    _fake_measure(monkeypatch, math.log(3.0))  # today relu costs 3x a copy; baseline: 1x
    out = tmp_path / "v.json"
    r = runner.invoke(
        app, ["gate", "check", "--baseline", str(_baseline(tmp_path)), "--json", str(out)]
    )
    assert r.exit_code == 1, r.output
    (v,) = json.loads(out.read_text())
    assert v["status"] == "regression" and v["change"] == pytest.approx(3.0, rel=0.03)
    assert v["confirm_change"] == pytest.approx(3.0, rel=0.03)
    assert "reproduce: cnnbench gate check --only relu.out" in r.output


def test_gate_unchanged_ratio_exits_0(tmp_path, monkeypatch):
    _fake_measure(monkeypatch, 0.0)
    r = runner.invoke(app, ["gate", "check", "--baseline", str(_baseline(tmp_path))])
    assert r.exit_code == 0, r.output
    assert "gate passed" in r.output


def test_asv_site_offline_on_a_folder_without_a_site_exits_2(tmp_path):
    r = runner.invoke(app, ["asv-site", "offline", str(tmp_path)])
    assert r.exit_code == 2
    assert "must hold asv's index.html" in r.output


def test_gate_asv_exit_code_is_the_gates(monkeypatch):
    import cnnbench.bench.asv_gate as asv_gate
    import cnnbench.bench.asv_gate_cli as asv_gate_cli

    class Result:
        exit_code = 1

    monkeypatch.setattr(asv_gate, "run_gate", lambda *a, **k: Result())
    monkeypatch.setattr(asv_gate_cli, "format_result", lambda r, s: "REGRESSION (fake)")
    r = runner.invoke(app, ["gate", "asv", "A", "B", "--factor", "1.5"])
    assert r.exit_code == 1 and "REGRESSION (fake)" in r.output


def _good() -> dict:
    return {"schema": 2, "command": "t", "created": "t", "machine": {}, "rounds": 7,
            "threads": 1, "fingerprint": json.loads(json.dumps(HERE)),
            "entries": [{"name": "relu.out", "aa_medians": [0.01, 0.02, 0.03, 0.02, 0.01],
                         "ratio": 1.02, "tolerance_factor": 1.1}]}  # fmt: skip


def _with(path: list, value) -> bytes:
    d = _good()
    target = d
    for k in path[:-1]:
        target = target[k]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(d).encode()


DAMAGED = {
    "empty": (b"", "is empty"),
    "blank": (b"  \n", "is empty"),
    "truncated": (json.dumps(_good()).encode()[:40], "is not valid JSON"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", "is not UTF-8 text"),
    "a-list": (b"[]", "holds a list"),
    "no-entries": (_with(["entries"], []), "key 'entries': is []; expected a non-empty list"),
    "entries-missing": (_with(["entries"], KeyError), "key 'entries': is missing"),
    "entries-not-objects": (_with(["entries"], [1]), "key 'entries'"),
    "nan-median": (_with(["entries"], [{"name": "relu.out", "aa_medians": [0.0, 0.1]}])
                   .replace(b"0.1", b"NaN"), "NaN is not JSON"),
    "huge-median": (_with(["entries", 0, "aa_medians"], [0.0, 1e400, 0.0]).replace(
        b"Infinity", b"1e400"), "1e400 is too large for a float (it reads as infinity)"),
    "empty-medians": (_with(["entries", 0, "aa_medians"], []), "aa_medians': is []"),
    "two-medians": (_with(["entries", 0, "aa_medians"], [0.0, 0.1]), "at least 3 A/A"),
    "string-medians": (_with(["entries", 0, "aa_medians"], ["a", "b", "c"]), "aa_medians"),
    "zero-tolerance": (_with(["entries", 0, "tolerance_factor"], 0), "a finite factor >= 1"),
    "negative-ratio": (_with(["entries", 0, "ratio"], -1.0), "a finite number > 0"),
    "rounds-zero": (_with(["rounds"], 0), "key 'rounds': is 0; expected at least 6"),
    "unknown-workload": (_with(["entries", 0, "name"], "gelu.out"), "one of the gate's"),
    "duplicate": (json.dumps({**_good(), "entries": _good()["entries"] * 2}).encode(),
                  "repeats 'relu.out'"),
    "future-schema": (_with(["schema"], 3), "key 'schema': is version 3"),
    "v1-no-schema": (_with(["schema"], KeyError), "version 1 had no machine fingerprint"),
    "no-fingerprint-id": (_with(["fingerprint", "id"], KeyError), "key 'fingerprint"),
}


@pytest.mark.parametrize("form", list(DAMAGED))
def test_gate_damaged_baseline_fails_closed_with_exit_2(tmp_path, monkeypatch, form):
    # issue 15: `"entries": []` printed "gate passed" (exit 0), NaN medians showed "ok",
    # and a corrupt/empty baseline crashed with exit 1, the code of a confirmed regression
    import cnnbench.bench.gate_suite as suite

    monkeypatch.setattr(suite, "measure_workload", lambda *a, **k: pytest.fail("measured"))
    content, message = DAMAGED[form]
    path = tmp_path / "b.json"
    path.write_bytes(content)
    for cmd in (["gate", "check"], ["gate", "trials", "--trials", "1"]):
        r = runner.invoke(app, [*cmd, "--baseline", str(path)])
        text = " ".join(r.output.split())
        assert r.exit_code == 2, (cmd, text)
        assert "`--baseline`:" in text and str(path) in text and message in text, text
        assert "passed" not in text and "Traceback" not in text
    assert path.read_bytes() == content


def test_gate_baseline_that_is_a_directory_exits_2(tmp_path):
    r = runner.invoke(app, ["gate", "check", "--baseline", str(tmp_path)])
    assert r.exit_code == 2 and "is a directory" in r.output


def test_the_committed_baselines_are_valid_and_named_by_their_fingerprint():
    from cnnbench.bench.fingerprint import fingerprint_id
    from cnnbench.bench.gate_spec import BASELINES_DIR, GATE_NAMES
    from cnnbench.bench.loaders_bench import load_gate_baseline

    paths = sorted(BASELINES_DIR.glob("*.json"))
    assert paths
    for path in paths:
        data = load_gate_baseline(path)
        assert [e["name"] for e in data["entries"]] == list(GATE_NAMES)
        fp = data["fingerprint"]
        assert path.stem == fp["id"] == fingerprint_id(fp["facts"])


def test_ci_fails_when_the_gate_exits_2(tmp_path):
    # .ci/run is `set -euo pipefail; ...; make gate`: exit 2 (a damaged baseline) must stop
    # it like exit 1 (a confirmed regression) does
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    ci = (root / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and ci.rstrip().splitlines()[-1].startswith("make gate ")
    bad = tmp_path / "b.json"
    bad.write_text('{"entries": []}')
    venv = Path(sys.prefix)
    script = (f"set -euo pipefail\nmake -s -o {venv}/.cnnbench-installed VENV={venv} gate "
              f"GATE_FLAGS='--baseline {bad}'\necho CI-PASSED")  # fmt: skip
    done = subprocess.run(["bash", "-c", script], cwd=root, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode != 0 and "CI-PASSED" not in done.stdout, done.stdout + done.stderr
    assert "`--baseline`:" in " ".join(done.stderr.split())
