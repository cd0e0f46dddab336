"""cnnbench.bench.loaders and loaders_bench: each file kind's schema, in step with its writer."""

from __future__ import annotations

import json

import pytest
from cnnbench.bench.loaders import (
    TRAIN_SCHEMA,
    load_check_results,
    load_expectations,
    load_training_results,
)
from cnnbench.bench.loaders_bench import WORKLOAD, load_asv_result, load_bench_results
from cnnbench.bench.results_io import ResultsFileError


def test_workload_schema_is_workload_to_json():
    from cnnbench.bench.workloads import all_workloads

    assert set(WORKLOAD) == set(all_workloads("short", "cpu")[0].to_json())


def test_train_schema_and_settings_match_the_command():
    from cnnbench.analysis.training.experiment import SETTINGS
    from cnnbench.reports.cli import train

    assert train.TRAIN_SCHEMA == TRAIN_SCHEMA and train.SETTING_NAMES == tuple(SETTINGS)


def test_severities_are_the_registrys():
    from cnnbench.analysis.claims import SEVERITIES as REGISTRY
    from cnnbench.bench.loaders import SEVERITIES

    assert SEVERITIES == tuple(REGISTRY)


def test_check_results_refuse_an_unknown_severity(tmp_path):
    from pathlib import Path

    rows = json.loads((Path(__file__).resolve().parents[2] / "tests/reports/fixtures/check.json")
                      .read_text())  # fmt: skip
    rows[0]["severity"] = "catastrophic"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(ResultsFileError, match=r"key '\[0\]\.severity': is \"catastrophic\""):
        load_check_results(path)


def test_committed_files_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert len(load_check_results(root / "tests/reports/fixtures/check.json")) >= 3
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
           "correction": None, "seconds": 0.1}  # fmt: skip
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


HEADER = ('{"type": "header", "schema": 1, "run_id": "r1", "profile": "short", "device": "cpu", '
          '"threads": 1, "workloads": 1, "harness": {}, "machine": {"cpu": "x", "flags": '
          '{"num_threads": 1}}, "ceilings": {"device": "cpu", "bandwidth": {"dram": 1, '
          '"cache": 2}, "flops": {}}}\n')  # fmt: skip
ERROR_ROW = '{"type": "error", "run_id": "%s", "workload": {"key": "k"}, "error": "e"}\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER.replace('"schema": 1', '"schema": 2'),
         "line 1, key 'schema': is schema 2; expected 1 (written by another cnnbench?)"),
        (ERROR_ROW % "r1", "line 1: starts with a 'error' record; expected a header record first"),
        (HEADER + ERROR_ROW % "r9", "line 2, key 'run_id': belongs to run 'r9', which has no "
                                    "header above it"),
        ('{"type": "head', "holds no complete record (line 1 is torn: an interrupted write)"),
        (HEADER + "[1, 2", "line 2: does not end in a newline and is not the start of a record"),
    ],
    ids=["future-schema", "no-header-first", "orphan-record", "only-torn", "foreign-tail"],
)
def test_bench_results_messages(tmp_path, text, message):
    path = tmp_path / "r.jsonl"
    path.write_text(text)
    with pytest.raises(ResultsFileError) as err:
        load_bench_results(path)
    assert message in str(err.value)


def test_a_torn_record_start_is_left_out_and_reported(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(HEADER + '{"type": "res')
    found = load_bench_results(path)
    assert len(found.records) == 1 and found.torn_line == 2
    assert found.complete_bytes == len(HEADER.encode())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 1}, "key 'version': is version 1; expected 2 (asv 0.6)"),
        ({"result_columns": ["params"]}, "key 'result_columns': lacks 'result'"),
        ({"results": {"b.t": [1.0]}}, "key 'results.b.t': has 1 columns; expected one per "
                                      "result_columns (2)"),
    ],
    ids=["version", "columns", "short-entry"],
)
def test_asv_result_messages(tmp_path, change, message):
    data = {"commit_hash": "a" * 40, "result_columns": ["result", "params"],
            "results": {"b.t": [[1.0], []]}, "version": 2, **change}  # fmt: skip
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsFileError) as err:
        load_asv_result(path)
    assert message in str(err.value)


def test_benchmarks_json_must_be_an_object(tmp_path):
    from cnnbench.reports.history import benchmark_descriptions

    path = tmp_path / "benchmarks.json"
    path.write_text("[1]")
    with pytest.raises(ResultsFileError, match="is not a JSON object"):
        benchmark_descriptions(path)
