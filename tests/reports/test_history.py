"""asv results -> tidy history -> the steps asv's own detector flags."""

from __future__ import annotations

import json

from cnnbench.reports.history import (
    asv_history,
    benchmark_descriptions,
    conf_threshold,
    regressions,
    units,
)

COLUMNS = ["result", "params", "version", "started_at", "duration"]


def _write(tmp_path, i, relu, gelu):
    d = tmp_path / "results" / "box"
    d.mkdir(parents=True, exist_ok=True)
    (d / "machine.json").write_text("{}")
    data = {
        "commit_hash": f"{i:08x}" + "0" * 32, "date": 1000 * i, "result_columns": COLUMNS,
        "version": 2,
        "results": {"bench_act.TimeAct.time_forward": [
            [relu, gelu, float("nan")], [["'relu'", "'gelu'", "'softmax'"]], "v", 0, 1.0]},
    }  # fmt: skip
    (d / f"{i:08x}-env.json").write_text(json.dumps(data))


def test_history_reads_params_and_skips_failed(tmp_path):
    for i in range(3):
        _write(tmp_path, i, 1.0e-3, 2.0e-3)
    h = asv_history(tmp_path / "results")
    assert sorted(h["params"].unique()) == ["gelu", "relu"]  # NaN (failed/n-a) dropped
    assert len(h) == 6 and set(h["machine"]) == {"box"}


def test_asv_step_detection_flags_a_2x_step_only_where_it_is(tmp_path):
    for i in range(10):
        relu = 1.0e-3 * (1 + 0.01 * (i % 2)) * (2 if i >= 5 else 1)  # 2x slower from commit 5
        _write(tmp_path, i, relu, 2.0e-3 * (1 + 0.01 * (i % 3)))
    steps = regressions(asv_history(tmp_path / "results"), threshold=0.1)
    assert list(steps["params"]) == ["relu"]
    (row,) = steps.itertuples()
    assert row.factor > 1.8
    assert steps.iloc[0]["first bad"] == f"{5:08x}"


def test_conf_threshold_reads_the_project_config():
    assert conf_threshold() > 0


def _inputs(tmp_path, archive, local):
    from cnnbench.reports.sections import ReportInputs

    none = tmp_path / "none.json"
    return ReportInputs(none, none, none, local, asv_archive=archive, report_dir=tmp_path)


def test_history_section_says_where_its_points_come_from(tmp_path):
    from cnnbench.reports.history_section import history_section

    for i in range(3):
        _write(tmp_path, i, 1.0e-3, 2.0e-3)
    local = tmp_path / "local"
    local.mkdir()
    described = {"version": "v", "unit": "seconds"}
    (local / "benchmarks.json").write_text(
        json.dumps({"bench_act.TimeAct.time_forward": described, "version": 2})
    )
    section = history_section(_inputs(tmp_path, tmp_path / "results", local))
    assert not section.missing and len(section.figures) == 1
    caption = section.figures[0].caption
    assert "1 benchmarks over 3 commits" in caption
    assert "3 commits read from the committed history" in caption and "machine box" in caption
    assert section.command == "make history"
    described = benchmark_descriptions(local / "benchmarks.json")
    assert units(described) == {"bench_act.TimeAct.time_forward": "seconds"}


def test_history_section_leaves_out_results_of_edited_benchmarks(tmp_path):
    from cnnbench.reports.history_section import history_section

    for i in range(3):
        _write(tmp_path, i, 1.0e-3, 2.0e-3)
    local = tmp_path / "local"
    local.mkdir()
    (local / "benchmarks.json").write_text(json.dumps(
        {"bench_act.TimeAct.time_forward": {"version": "edited"}}))  # fmt: skip
    section = history_section(_inputs(tmp_path, tmp_path / "results", local))
    assert section.figures == ()
    assert section.missing[0].startswith("all 6 asv results under")
    assert section.missing[0].endswith("are of since-edited benchmarks: run `make history`")
    unchecked = history_section(_inputs(tmp_path, tmp_path / "results", tmp_path / "nowhere"))
    assert "versions were not checked" in unchecked.note


def test_history_section_without_any_results_names_the_command(tmp_path):
    from cnnbench.reports.history_section import history_section

    section = history_section(_inputs(tmp_path, tmp_path / "a", tmp_path / "b"))
    assert section.figures == () and section.missing == (
        "no asv results with values under any folder: run `make history`",
    )


def test_conf_threshold_reads_a_commented_config_and_falls_back(tmp_path):
    conf = tmp_path / "asv.conf.json"
    conf.write_text('{\n  // asv allows comments\n  "version": 1, "repo": ".",\n'
                    '  "regressions_thresholds": {".*": 0.2},\n}\n')  # fmt: skip
    assert conf_threshold(conf) == 0.2  # bit-exact: read back
    assert conf_threshold(tmp_path / "missing.json") == 0.05  # bit-exact: asv's default
