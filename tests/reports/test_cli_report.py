"""`cnnbench report`: every file given is read, validated and used; bad ones are exit 2.

issue 15: `report --train` was never read (the page was identical with a valid,
corrupt or missing file); corrupt --check/--bench files and one corrupt asv
result file crashed the report; an --out that could not be written failed
after all the work.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnnbench.reports.cli import app
from cnnbench.reports.render import Section
from typer.testing import CliRunner

runner = CliRunner()
HERE = Path(__file__).parent


@pytest.fixture
def cheap_sections(monkeypatch):
    """The theory figures and the asv history take ~40 s; they are not what is tested here."""
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "theory_section", lambda i: Section("theory", "Theory", "x"))
    monkeypatch.setattr(sections, "history_section", lambda i: Section("history", "History", "x"))


@pytest.fixture(scope="module")
def train_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "train.json"
    r = runner.invoke(app, ["train", "--activations", "relu,tanh", "--seeds", "2", "--epochs",
                            "2", "--depth", "2", "--json", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    return out


def _report(tmp_path, *extra):
    args = ["report", "--check", str(HERE / "fixtures" / "check.json"), "--bench",
            str(tmp_path / "none.jsonl"), "--train", str(tmp_path / "none.json"),
            "--asv-results", str(tmp_path / "asv"), "--asv-history", str(tmp_path / "hist"),
            "--expect", str(tmp_path / "none-expect.json"), "--out",
            str(tmp_path / "out" / "report.html"), *extra]  # fmt: skip
    return runner.invoke(app, args)


def test_report_shows_the_training_results_it_is_given(tmp_path, cheap_sections, train_json):
    r = _report(tmp_path, "--train", str(train_json))
    assert r.exit_code == 0, r.output
    html = (tmp_path / "out" / "report.html").read_text()
    data = json.loads(train_json.read_text())
    assert 'id="training"' in html and "Training experiment" in html
    mean = data["summaries"]["tanh"]["final_acc"]["mean"]
    assert f"{mean:.3f}" in html and "written by `cnnbench train --setting deep" in html
    assert html.count("data:image/png;base64") >= 1


def test_report_says_which_command_makes_missing_training_results(tmp_path, cheap_sections):
    r = _report(tmp_path)
    assert r.exit_code == 0, r.output
    assert "no training results in" in " ".join(r.output.split())
    assert "cnnbench train --json" in (tmp_path / "out" / "report.html").read_text()


DAMAGED = {
    "--check": [(b"", "is empty"), (b"[{\"id\": ", "is not valid JSON"),
                (b"{}", "holds an object"), (b"[{\"id\": \"a.b\"}]", "key '[0].source'")],
    "--bench": [(b"\xff\xfe\x00\n", "is not UTF-8 text"),
                (b'{"type": "result", "run_id": "r"}\n', "key 'workload'")],
    "--train": [(b"", "is empty"), (b'{"runs": NaN}', "NaN is not JSON"),
                (b'{"config": {}}', "key 'chance': is missing")],
    "--expect": [(b"[]", "holds a list"), (b'{"a.b": "maybe"}', "key 'a.b'")],
}  # fmt: skip
CASES = [(opt, c, m) for opt, cases in DAMAGED.items() for c, m in cases]


@pytest.mark.parametrize(("option", "content", "message"), CASES,
                         ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(CASES)])  # fmt: skip
def test_a_damaged_input_is_exit_2_before_anything_is_drawn(tmp_path, monkeypatch, option,
                                                            content, message):  # fmt: skip
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    bad = tmp_path / "bad"
    bad.write_bytes(content)
    r = _report(tmp_path, option, str(bad))
    text = " ".join(r.output.split())
    assert r.exit_code == 2, text
    assert f"`{option}`:" in text and str(bad) in text and message in text
    assert "Traceback" not in text and not (tmp_path / "out" / "report.html").exists()


def test_one_corrupt_asv_result_file_is_named(tmp_path, monkeypatch):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    box = tmp_path / "asv" / "box"
    box.mkdir(parents=True)
    (box / "machine.json").write_text("{}")
    (box / "abcd1234-env.json").write_text('{"commit_hash": "abcd", "results": ')
    r = _report(tmp_path)
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "`--asv-results`:" in text and "abcd1234-env.json" in text


@pytest.mark.parametrize("where", ["directory", "unwritable-folder", "is-the-check-input"])
def test_an_out_that_cannot_be_written_is_refused_before_the_work(tmp_path, monkeypatch, where):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    out = {"directory": str(tmp_path), "unwritable-folder": "/proc/cnnbench/report.html",
           "is-the-check-input": str(HERE / "fixtures" / "check.json")}[where]  # fmt: skip
    before = (HERE / "fixtures" / "check.json").read_bytes()
    r = _report(tmp_path, "--out", out)
    assert r.exit_code == 2, r.output
    assert "`--out`=" in " ".join(r.output.split())
    assert (HERE / "fixtures" / "check.json").read_bytes() == before


def test_screenshot_path_is_checked_before_the_work(tmp_path, monkeypatch):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    r = _report(tmp_path, "--screenshot", str(tmp_path))
    assert r.exit_code == 2 and "`--screenshot`=" in " ".join(r.output.split())


def test_an_asv_folder_option_that_is_a_file_is_refused(tmp_path, monkeypatch):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    (tmp_path / "asv").write_text("x")
    r = _report(tmp_path)
    assert r.exit_code == 2 and "`--asv-results`=" in r.output and "is not a folder" in r.output


def test_a_torn_bench_line_is_left_out_with_a_warning(tmp_path, cheap_sections):
    # issue 15: report --bench on a file with a torn last line crashed
    bench = tmp_path / "bench.jsonl"
    header = json.loads(json.dumps({"type": "header", "schema": 1, "run_id": "r", "profile":
        "short", "device": "cpu", "threads": 1, "workloads": 1, "harness": {},
        "machine": {"cpu": "x", "flags": {"num_threads": 1}},
        "ceilings": {"device": "cpu", "bandwidth": {"dram": 1e10, "cache": 5e10},
                     "flops": {"float32": 1e11}}}))  # fmt: skip
    bench.write_text(json.dumps(header) + '\n{"type": "result", "run_')
    r = _report(tmp_path, "--bench", str(bench))
    assert r.exit_code == 0, r.output
    assert "line 2 is torn (an interrupted write) and left out" in " ".join(r.output.split())
