"""asv results -> tidy history -> the steps asv's own detector flags."""

from __future__ import annotations

import json

from reports.history import asv_history, conf_threshold, regressions

COLUMNS = ["result", "params", "version", "started_at", "duration"]


def _write(tmp_path, i, relu, gelu):
    d = tmp_path / "results" / "box"
    d.mkdir(parents=True, exist_ok=True)
    (d / "machine.json").write_text("{}")
    data = {
        "commit_hash": f"{i:08x}" + "0" * 32, "date": 1000 * i, "result_columns": COLUMNS,
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
