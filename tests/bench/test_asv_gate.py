"""The asv gate's parsing and exit codes, on real captured asv outputs.

Fixtures (tests/bench/fixtures/asv_gate/README.md) are `asv compare` tables
captured from a throwaway repository with an A/A commit, a 3x slowdown and a
raising benchmark; a fake runner replays them with asv's real exit codes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_gate import (
    DEFAULT_FACTOR,
    EXIT_BROKEN,
    EXIT_PASS,
    EXIT_REGRESSION,
    aa_factor,
    decide,
    load_factor,
    parse_compare,
    run_gate,
    suspects,
)
from cnnbench.bench.asv_gate_cli import format_result, record_aa

FIX = Path(__file__).parent / "fixtures" / "asv_gate"
FACTOR = 1.5


def table(name: str) -> str:
    return (FIX / f"compare_{name}.txt").read_text()


def fake_runner(script):
    """Replay ``script``: a list of (exit code, output) per asv call, in order."""
    calls = []

    def run(argv, cwd):
        calls.append(list(argv))
        return script[len(calls) - 1]

    run.calls = calls
    return run


def test_parse_aa_table():
    rows = parse_compare(table("aa"))
    assert len(rows) == 4
    assert all(r.mark == "" and not r.failed for r in rows)
    fwd = next(r for r in rows if r.benchmark == "bench_work.TimeWork.time_forward(20000)")
    assert (fwd.before, fwd.after, fwd.ratio) == (  # bit-exact: parsed
        "1.07±0.03ms", "1.05±0.01ms", 0.98)
    assert fwd.name == "bench_work.TimeWork.time_forward"


def test_parse_marks_tilde_and_failures():
    slow = {r.benchmark: r for r in parse_compare(table("slow_tilde"))}
    tilde = slow["bench_work.TimeWork.time_forward(20000)"]
    assert tilde.insignificant and tilde.ratio == 10.99 and tilde.mark == ""  # bit-exact: parsed
    assert slow["bench_work.TimeWork.time_forward(40000)"].mark == "+"
    broken = parse_compare(table("broken"))
    failed = [r for r in broken if r.failed]
    assert [r.mark for r in failed] == ["!", "!"] and all(r.ratio is None for r in failed)
    assert parse_compare(table("badref")) == ()


def test_improved_rows_are_not_mistaken_for_table_rules():
    text = table("slow").replace("| +  ", "| -  ")
    assert [r.mark for r in parse_compare(text)].count("-") == 2


def test_suspects_include_insignificant_beyond_factor_only():
    rows = parse_compare(table("slow_tilde"))
    assert {r.benchmark for r in suspects(rows, FACTOR)} == {
        "bench_work.TimeWork.time_forward(20000)", "bench_work.TimeWork.time_forward(40000)"}
    assert suspects(rows, 20.0) == tuple(r for r in rows if r.mark == "+")


def test_decide_aa_passes():
    d = decide(0, parse_compare(table("aa")), FACTOR)
    assert (d.exit_code, d.outcome) == (EXIT_PASS, "pass")


def test_decide_broken_from_rc_and_table():
    d = decide(2, parse_compare(table("broken")), FACTOR)
    assert d.exit_code == EXIT_BROKEN and "time_backward(20000)" in d.reason
    # a failed row is broken even if asv's exit code said otherwise
    assert decide(0, parse_compare(table("broken")), FACTOR).exit_code == EXIT_BROKEN


def test_decide_tool_error_is_broken_not_regression():
    # unknown commit: asv continuous exits 1 (as for a regression), compare prints nothing
    d = decide(1, parse_compare(table("badref")), FACTOR)
    assert d.exit_code == EXIT_BROKEN and "compared nothing" in d.reason
    d = decide(1, parse_compare(table("aa")), FACTOR)
    assert d.exit_code == EXIT_BROKEN and "without a slower benchmark" in d.reason


def test_decide_confirmed_and_unconfirmed():
    first = parse_compare(table("slow"))
    assert decide(1, first, FACTOR, 1, first).exit_code == EXIT_REGRESSION
    noise = decide(1, first, FACTOR, 0, parse_compare(table("aa")))
    assert noise.exit_code == EXIT_PASS and "not confirmed" in noise.reason
    assert decide(1, first, FACTOR, 2, parse_compare(table("broken"))).exit_code == EXIT_BROKEN


def test_decide_needs_rerun_when_flagged():
    with pytest.raises(ParameterError, match="`confirm_rows`=None must be given"):
        decide(1, parse_compare(table("slow")), FACTOR)


def test_gate_regression_reruns_only_flagged():
    run = fake_runner([(1, ""), (0, table("slow")), (1, ""), (0, table("slow"))])
    r = run_gate("base", "slow", factor=FACTOR, runner=run)
    assert r.exit_code == EXIT_REGRESSION and len(r.confirmed) == 2
    rerun = run.calls[2]
    assert "--append-samples" in rerun and "continuous" in rerun
    regex = rerun[rerun.index("-b") + 1]
    assert regex == (r"^(?:bench_work\.TimeWork\.time_forward\(20000\)|"
                     r"bench_work\.TimeWork\.time_forward\(40000\))$")
    assert len(r.commands) == 4 and r.commands[0].startswith("asv continuous")


def test_gate_noise_passes_after_rerun():
    run = fake_runner([(0, ""), (0, table("slow_tilde")), (0, ""), (0, table("aa"))])
    r = run_gate("base", "slow", factor=FACTOR, runner=run)
    assert r.exit_code == EXIT_PASS and len(r.flagged) == 2 and r.confirmed == ()
    assert r.table == table("aa")  # the table printed is the latest comparison


def test_gate_broken_prints_table_and_skips_rerun():
    run = fake_runner([(2, "Traceback ..."), (0, table("broken"))])
    r = run_gate("base", "broken", factor=FACTOR, runner=run)
    assert r.exit_code == EXIT_BROKEN and len(run.calls) == 2
    assert "Benchmarks that have got worse" in format_result(r, "test")
    assert {b.benchmark for b in r.broken} == {"bench_work.TimeWork.time_backward(20000)",
                                               "bench_work.TimeWork.time_backward(40000)"}
    assert json.loads(json.dumps(r.to_json()))["exit_code"] == EXIT_BROKEN


def test_gate_aa_passes_without_rerun():
    run = fake_runner([(0, ""), (0, table("aa"))])
    assert run_gate("base", "aa", factor=FACTOR, runner=run).exit_code == EXIT_PASS
    assert len(run.calls) == 2


def test_gate_rejects_factor_at_most_one():
    with pytest.raises(ParameterError, match=r"`factor`=1\.0"):
        run_gate("a", "b", factor=1.0, runner=fake_runner([]))


def test_aa_factor_from_ratios():
    assert aa_factor([0.75, 1.2, 1.05]) == 1.47  # bit-exact: rounded; 1/0.75 = 1.333 x 1.1 margin
    assert aa_factor([1.0, 1.02]) == 1.12  # bit-exact: rounded; floor 1.1 not binding
    assert aa_factor([1.0]) == 1.1  # bit-exact: the floor constant
    with pytest.raises(ParameterError, match=r"`ratios`=.* must be a non-empty list"):
        aa_factor([])
    with pytest.raises(ParameterError, match=r"`ratios`=.* positive finite"):
        aa_factor([0.0])


def test_record_aa_then_factor(tmp_path):
    path = tmp_path / "aa.json"
    assert load_factor(path)[0] == DEFAULT_FACTOR
    run = fake_runner([(0, ""), (0, table("aa"))])
    rec = record_aa("base", "aa", path=path, runner=run)
    assert rec["ratios"]["bench_work.TimeWork.time_backward(20000)"] == 1.08  # bit-exact: parsed
    factor, source = load_factor(path)
    assert factor == round(max(1.1, 1.08 * 1.1), 2) and "1 run(s)" in source


def test_record_aa_refuses_broken_pair(tmp_path):
    run = fake_runner([(2, ""), (0, table("broken"))])
    with pytest.raises(ParameterError, match="must both run every benchmark"):
        record_aa("base", "broken", path=tmp_path / "aa.json", runner=run)


@pytest.mark.parametrize("name", [
    "bench_activations.TimeActivation.time_forward('relu', '1M', 'float32', 'cpu', 1)",
    "a.b(x|y)[1]*+?^$\\{2}",
])
def test_rerun_regex_matches_exactly_the_flagged_name(name):
    import re

    from cnnbench.bench.asv_gate import _regex_literal

    rx = _regex_literal(name)
    assert re.fullmatch(rx, name)
    assert not re.fullmatch(rx, name + "x") and not re.fullmatch(rx, "x" + name)


def test_record_aa_keeps_only_gated_rows_that_ran(tmp_path):
    extra = (
        "|          | n/a                        | n/a                     | n/a     |"
        " bench_work.TimeWork.time_forward(80000)  |\n"
        "|          | 1.00                       | 2.00                    |    2.00 |"
        " bench_work.TimeWork.track_len(10)        |\n"
    )
    run = fake_runner([(0, ""), (0, table("aa") + extra)])
    rec = record_aa("base", "aa", path=tmp_path / "aa.json", runner=run)
    assert len(rec["ratios"]) == 4  # the n/a row and the track_ row are left out
    assert "bench_work.TimeWork.track_len(10)" not in rec["ratios"]


def test_gate_judges_only_the_selected_benchmarks():
    # a stale "+" row of a benchmark outside -b (results from another run) is ignored
    stale = ("| +        | 1.00±0ms                   | 3.00±0ms                |    3.00 |"
             " bench_work.TimeWork.time_convert(10)     |\n")
    run = fake_runner([(0, ""), (0, table("aa") + stale)])
    r = run_gate("base", "aa", factor=FACTOR, bench=r"\.time_(forward|backward)\(", runner=run)
    assert r.exit_code == EXIT_PASS and r.flagged == () and len(run.calls) == 2
    assert "time_convert" in r.table  # still printed: asv's whole table is shown


def test_gate_with_nothing_selected_is_broken():
    run = fake_runner([(0, ""), (0, table("aa"))])
    r = run_gate("base", "aa", factor=FACTOR, bench="no_such_benchmark", runner=run)
    assert r.exit_code == EXIT_BROKEN and "compared nothing" in r.decision.reason
