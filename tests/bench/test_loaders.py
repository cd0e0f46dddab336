"""bench.loaders / bench.loaders_bench: each file kind's schema, kept in step with its writer."""

from __future__ import annotations

import json

import pytest

from bench.loaders import (
    TRAIN_SCHEMA,
    load_asv_result,
    load_check_results,
    load_expectations,
    load_training_results,
)
from bench.loaders_bench import WORKLOAD, load_bench_results
from bench.results_io import ResultsFileError


def test_workload_schema_is_workload_to_json():
    from bench.workloads import all_workloads

    assert set(WORKLOAD) == set(all_workloads("short", "cpu")[0].to_json())


def test_train_schema_and_settings_match_the_command():
    from analysis.training import SETTINGS
    from reports.cli import train

    assert train.TRAIN_SCHEMA == TRAIN_SCHEMA and train.SETTING_NAMES == tuple(SETTINGS)


def test_committed_files_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert len(load_check_results(root / "tests/reports/fixtures/check.json")) == 3
    assert len(load_expectations(root / "tests/expected_verdicts.json")) > 100
    history = sorted((root / "bench/asv_history").glob("*/*-*.json"))
    assert history and all(load_asv_result(p)["version"] == 2 for p in history)


def test_error_names_file_line_key_and_expectation(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"type": "result", "run_id": "x", "workload": {}}\n')
    with pytest.raises(ResultsFileError) as err:
        load_bench_results(path)
    e = err.value
    assert (e.path, e.line, e.key) == (path, 1, "workload.key")
    assert str(e) == f"{path}, line 1, key 'workload.key': is missing; expected a non-empty string"


def test_check_results_refuse_a_repeated_claim(tmp_path):
    row = {"id": "a.b", "source": "s", "seed": "s", "locator": "l", "statement": "x",
           "verdict": "confirmed", "method": "symbolic", "evidence": {"summary": "y"},
           "correction": None}  # fmt: skip
    path = tmp_path / "c.json"
    path.write_text(json.dumps([row, row]))
    with pytest.raises(ResultsFileError, match=r"key '\[1\].id': repeats claim 'a.b'"):
        load_check_results(path)


def test_training_results_need_a_summary_per_arm(tmp_path):
    data = {"config": {"activations": ["relu"], "depth": 2, "epochs": 1, "seeds": 1},
            "chance": 0.1, "runs": [{"activation": "relu", "seed": 0, "test_acc": [0.5],
                                     "grad_norms_init": [1.0]}],
            "summaries": {}, "curves": {}, "setting": "deep"}  # fmt: skip
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsFileError, match=r"key 'summaries\.relu': is missing"):
        load_training_results(path)
