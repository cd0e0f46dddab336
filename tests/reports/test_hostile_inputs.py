"""A hostile user's corpus: every command, every file option, every kind of bad input.

issue 15 found ~30 defects in ~300 bad inputs (tracebacks, silent success,
unbounded work, data lost). Each case here must end in exit 2 with a message
that names the option (and for files the file), no traceback, no work started
(the expensive entry points fail the test if reached), and every input file
byte-identical afterwards. The corpus size is printed and asserted (> 200).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ONE = r"^activation/relu/eager/forward/alloc/float32/cpu/contiguous/1M/"


# --- valid samples of each file kind (the bad ones are made from them) ----------------------

def _bench_sample() -> bytes:
    header = {"type": "header", "schema": 1, "run_id": "r1", "profile": "short", "device": "cpu",
              "threads": 1, "workloads": 1, "harness": {"budget_s": 0.5},
              "machine": {"cpu": "x", "flags": {"num_threads": 1}},
              "ceilings": {"device": "cpu", "bandwidth": {"dram": 1e10, "cache": 5e10},
                           "flops": {"float32": 1e11}}}  # fmt: skip
    return (json.dumps(header) + "\n").encode()


def _train_sample() -> bytes:
    return json.dumps({
        "schema": 1, "config": {"activations": ["relu"], "depth": 2, "epochs": 1, "seeds": 1},
        "chance": 0.1, "runs": [{"activation": "relu", "seed": 0, "test_acc": [0.5],
                                 "grad_norms_init": [1.0, 2.0]}],
        "summaries": {"relu": {"status": "converges",
                               "final_acc": {"mean": 0.5, "low": 0.5, "high": 0.5}}},
        "curves": {"relu": {"test_acc": [{"mean": 0.5, "low": 0.5, "high": 0.5}]}},
        "setting": "deep"}).encode()  # fmt: skip


SAMPLES: dict[str, Callable[[], bytes]] = {
    "check": lambda: (ROOT / "tests/reports/fixtures/check.json").read_bytes(),
    "expect": lambda: b'{"shapes.x": "confirmed", "shapes.y": "refuted"}\n',
    "bench": _bench_sample,
    "baseline": lambda: next((ROOT / "bench/gate_baselines").glob("*.json")).read_bytes(),
    "counts-baseline": lambda: (ROOT / "bench/gate_counts_baseline.json").read_bytes(),
    "train": _train_sample,
    "asv-result": lambda: next((ROOT / "bench/asv_history").glob("*/*-*.json")).read_bytes(),
    "asv-config": lambda: (ROOT / "asv.conf.json").read_bytes(),
    "claims": lambda: (ROOT / "docs/examples/claims.toml").read_bytes(),
}


def _nan(sample: bytes) -> bytes:
    """The first number value of ``sample`` (JSON, or the first line of JSON Lines) replaced by
    NaN; a NaN value added where it holds none."""
    text = sample.decode()
    first, _, rest = text.partition("\n") if text.lstrip().startswith('{"type"') else (text, "",
                                                                                        "")
    try:
        data = json.loads(first)
    except ValueError:  # JSON with comments (asv.conf.json)
        return text.replace("{", '{"n": NaN, ', 1).encode()

    def swap(x, done=[]):  # noqa: B006 - one flag shared by the recursion
        if isinstance(x, dict):
            return {k: swap(v) for k, v in x.items()}
        if isinstance(x, list):
            return [swap(v) for v in x]
        if isinstance(x, int | float) and not isinstance(x, bool) and not done:
            done.append(1)
            return "__NAN__"
        return x

    out = json.dumps(swap(data))
    if "__NAN__" not in out:
        out = out.replace("{", '{"n": "__NAN__", ', 1)
    out = out.replace('"__NAN__"', "NaN")
    return (out + ("\n" + rest if rest or first is not text else "")).encode()


# Bad contents, made from the option's own kind; "other:<kind>" is a valid file of another kind.
CONTENTS: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda s: b"",
    "blank": lambda s: b"\n  \n\t\n",
    "null": lambda s: b"null\n",
    "a-string": lambda s: b'"hello"\n',
    "a-number": lambda s: b"42\n",
    "truncated": lambda s: s[: max(1, len(s) // 2)],
    "binary": lambda s: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00",
    "nan": _nan,
    "infinity": lambda s: _nan(s).replace(b"NaN", b"Infinity"),
    "huge-number": lambda s: _nan(s).replace(b"NaN", b"1e999"),
    "deep-nesting": lambda s: b"[" * 100_000,
    "utf16": lambda s: s.decode().encode("utf-16"),
    "list-of-junk": lambda s: b"[1, 2, 3]\n",
    "object-of-junk": lambda s: b'{"a": {"b": []}}\n',
    **{f"other:{k}": (lambda s, k=k: SAMPLES[k]()) for k in SAMPLES},
}
PATHS = ("missing", "directory", "symlink-loop")  # bad paths rather than bad contents


@dataclass(frozen=True)
class FileOption:
    """A file a command reads: how to call it with ``{f}`` for the file, its kind, and which
    bad forms are not errors for it (e.g. a missing --check only leaves a section empty)."""

    name: str
    args: tuple[str, ...]
    option: str
    kind: str
    fine: frozenset[str] = field(default_factory=frozenset)


def _report(option: str) -> tuple[str, ...]:
    base = {"--check": "none-check.json", "--bench": "none.jsonl", "--train": "none-train.json",
            "--expect": "none-expect.json", "--user-check": "none-user.json",
            "--networks": "none-networks"}  # fmt: skip
    base[option] = "{f}"
    out = [x for k, v in base.items() for x in (k, v)]
    return ("report", *out, "--asv-results", "asv", "--asv-history", "hist",
            "--out", "out/report.html")  # fmt: skip


REPORT_PLAIN = tuple(a if a != "{f}" else "none-check.json" for a in _report("--check"))
# what asv itself accepts in a result file (it writes NaN, and Infinity reads as a float)
ASV_FINE = frozenset({"nan", "infinity", "huge-number"})
JSON5_FINE = frozenset({"nan", "infinity", "huge-number"})
MISSING_FINE = frozenset({"missing"})
# a TOML claims file holds no JSON number to turn into NaN (test_user_claims tests `nan`)
TOML_FINE = frozenset({"nan", "infinity", "huge-number"})
FILE_OPTIONS = (
    FileOption("check --expect", ("check", "--expect", "{f}"), "--expect", "expect"),
    FileOption("check --claims", ("check", "--claims", "{f}"), "--claims", "claims", TOML_FINE),
    FileOption("check --write-expect", ("check", "--write-expect", "{f}"), "--write-expect",
               "expect", MISSING_FINE),
    FileOption("bench --show", ("bench", "--show", "--out", "{f}"), "--out", "bench"),
    FileOption("bench --resume", ("bench", "--resume", "--filter", ONE, "--out", "{f}"), "--out",
               "bench", frozenset({"missing", "empty", "blank", "truncated"})),
    FileOption("report --check", _report("--check"), "--check", "check", MISSING_FINE),
    FileOption("report --bench", _report("--bench"), "--bench", "bench", MISSING_FINE),
    FileOption("report --train", _report("--train"), "--train", "train", MISSING_FINE),
    FileOption("report --expect", _report("--expect"), "--expect", "expect", MISSING_FINE),
    FileOption("report --user-check", _report("--user-check"), "--user-check", "check",
               MISSING_FINE),
    FileOption("merge --check", ("merge", "--check", "{f}", "--out", "out/m.json"), "--check",
               "check"),
    FileOption("merge --bench", ("merge", "--bench", "{f}", "--out", "out/m.jsonl"), "--bench",
               "bench"),
    FileOption("gate check --baseline", ("gate", "check", "--baseline", "{f}"), "--baseline",
               "baseline"),
    FileOption("gate trials --baseline", ("gate", "trials", "--trials", "1", "--baseline", "{f}"),
               "--baseline", "baseline"),
    FileOption("gate counts --baseline", ("gate", "counts", "--baseline", "{f}"), "--baseline",
               "counts-baseline"),
    FileOption("gate trials --counts --baseline", ("gate", "trials", "--counts", "--trials", "1",
                                                   "--baseline", "{f}"), "--baseline",
               "counts-baseline"),
    FileOption("asv-site restore --config", ("asv-site", "restore", "--config", "{f}"),
               "--config", "asv-config", JSON5_FINE),
    FileOption("asv-site serve --config", ("asv-site", "serve", "--config", "{f}"), "--config",
               "asv-config", JSON5_FINE),
    FileOption("gate asv --config", ("gate", "asv", "A", "B", "--config", "{f}"), "--config",
               "asv-config", JSON5_FINE),
)


# asv result folders: the bad file sits inside the folder the option names
ASV_FOLDERS = {"report --asv-results": "asv", "report --asv-history": "hist"}


def _file_cases():
    cases = []
    for fo in FILE_OPTIONS:
        for form in (*CONTENTS, *PATHS):
            if form in fo.fine or form == f"other:{fo.kind}":
                continue
            cases.append(pytest.param(fo, form, id=f"{fo.name}:{form}"))
    for name in ASV_FOLDERS:
        option = name.split()[1]
        fo = FileOption(name, REPORT_PLAIN, option, "asv-result")
        for form in CONTENTS:
            if form in ASV_FINE or form == "other:asv-result":
                continue
            cases.append(pytest.param(fo, form, id=f"{name}:{form}", marks=()))
    return cases


FILE_CASES = _file_cases()


@pytest.fixture
def no_work(monkeypatch):
    """Every expensive entry point fails the test if a bad input lets the work start."""
    import cnnbench.bench.asv_gate
    import cnnbench.bench.asv_site
    import cnnbench.bench.counts
    import cnnbench.bench.gate_aa
    import cnnbench.bench.gate_suite
    import cnnbench.bench.sweep
    import cnnbench.reports.cli.check
    import cnnbench.reports.sections

    def fail(*a, **k):
        raise AssertionError("the work started despite a bad input")

    monkeypatch.setattr(cnnbench.reports.cli.check, "run_checks", fail)
    monkeypatch.setattr(cnnbench.bench.sweep, "measure_ceilings", fail)
    monkeypatch.setattr(cnnbench.bench.gate_suite, "run_gate", fail)
    monkeypatch.setattr(cnnbench.bench.gate_aa, "build_baseline", fail)
    monkeypatch.setattr(cnnbench.bench.counts, "count", fail)
    monkeypatch.setattr(cnnbench.reports.sections, "build_sections", fail)
    monkeypatch.setattr(cnnbench.bench.asv_site, "restore", fail)
    monkeypatch.setattr(cnnbench.bench.asv_site, "fetch_from_npm", fail)
    import cnnbench.reports.cli.asv_site

    monkeypatch.setattr(cnnbench.reports.cli.asv_site, "archive", fail)
    monkeypatch.setattr(cnnbench.reports.cli.asv_site, "fetch_from_npm", fail)
    monkeypatch.setattr(cnnbench.bench.asv_gate, "run_gate", fail)
    import cnnbench.analysis.training.experiment

    monkeypatch.setattr(cnnbench.analysis.training.experiment, "run_experiment", fail)
    import cnnbench.bench.crosscheck

    monkeypatch.setattr(cnnbench.bench.crosscheck, "crosscheck", fail)
    import cnnbench.analysis.profile.profile

    monkeypatch.setattr(cnnbench.analysis.profile.profile, "profile_network", fail)


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}  # fmt: skip


def _run(tmp_path: Path, args: list[str]) -> tuple[int, str, object]:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = runner.invoke(app, args)
    finally:
        os.chdir(cwd)
    return r.exit_code, " ".join(r.output.split()), r.exception


def _assert_refused(code, text, exc, *, option: str, names: str | None = None) -> None:
    assert exc is None or isinstance(exc, SystemExit), f"{type(exc).__name__}: {exc}\n{text}"
    assert code == 2, text
    assert "Traceback" not in text
    assert option in text, f"{option!r} not named in: {text}"
    if names is not None:
        assert names in text, f"{names!r} not named in: {text}"


@pytest.mark.parametrize(("fo", "form"), FILE_CASES)
def test_a_bad_input_file_is_exit_2_naming_it(tmp_path, no_work, fo, form):
    sample = SAMPLES[fo.kind]()
    target = tmp_path / "input.json"
    if fo.name in ASV_FOLDERS:
        box = tmp_path / ASV_FOLDERS[fo.name] / "box"
        box.mkdir(parents=True)
        (box / "machine.json").write_text("{}")
        target = box / "abcd1234-env.json"
        target.write_bytes(CONTENTS[form](sample))
    elif form == "missing":
        pass
    elif form == "directory":
        target.mkdir()
    elif form == "symlink-loop":
        target.symlink_to(target)
    else:
        target.write_bytes(CONTENTS[form](sample))
    before = _hashes(tmp_path)
    args = [a.replace("{f}", str(target)) for a in fo.args]
    code, text, exc = _run(tmp_path, args)
    _assert_refused(code, text, exc, option=fo.option, names=target.name)
    assert _hashes(tmp_path) == before, "an input file changed"
    assert not (tmp_path / "out").exists(), "an output was written"


# --- output paths ---------------------------------------------------------------------------

OUTPUT_OPTIONS = (
    ("check --json", ("check", "--json", "{f}"), "--json"),
    ("check --write-expect", ("check", "--write-expect", "{f}"), "--write-expect"),
    ("bench --out", ("bench", "--filter", ONE, "--out", "{f}"), "--out"),
    ("bench --crosscheck --out", ("bench", "--crosscheck", "--out", "{f}"), "--out"),
    ("report --out", ("report", "--check", "none.json", "--out", "{f}"), "--out"),
    ("report --screenshot", ("report", "--check", "none.json", "--screenshot", "{f}"),
     "--screenshot"),
    ("gate check --json", ("gate", "check", "--json", "{f}"), "--json"),
    ("merge --out", ("merge", "--check", str(ROOT / "tests/reports/fixtures/check.json"),
                     "--out", "{f}"), "--out"),
    ("gate trials --json", ("gate", "trials", "--trials", "1", "--json", "{f}"), "--json"),
    ("gate baseline --out", ("gate", "baseline", "--out", "{f}"), "--out"),
    ("gate counts --json", ("gate", "counts", "--json", "{f}"), "--json"),
    ("train --json", ("train", "--epochs", "1", "--json", "{f}"), "--json"),
    ("network --html", ("network", "lenet5", "--html", "{f}"), "--html"),
    ("network --out", ("network", "lenet5", "--out", "{f}"), "--out"),
)
BAD_OUTPUTS = {
    "directory": lambda t: str(t),
    "empty-string": lambda t: "",
    "folder-takes-no-files": lambda t: "/proc/cnnbench/out.json",
    "under-a-file": lambda t: str(t / "afile" / "out.json"),
    "under-a-file-deeper": lambda t: str(t / "afile" / "sub" / "out.json"),
    "sys-readonly": lambda t: "/sys/cnnbench-out.json",
}
OUTPUT_CASES = [pytest.param(args, option, bad, id=f"{name}:{bad}")
                for name, args, option in OUTPUT_OPTIONS for bad in BAD_OUTPUTS]  # fmt: skip


@pytest.mark.parametrize(("args", "option", "bad"), OUTPUT_CASES)
def test_an_output_that_cannot_be_written_is_refused_before_the_work(tmp_path, no_work, args,
                                                                     option, bad):  # fmt: skip
    (tmp_path / "afile").write_text("not a folder")
    before = _hashes(tmp_path)
    path = BAD_OUTPUTS[bad](tmp_path)
    code, text, exc = _run(tmp_path, [a.replace("{f}", path) for a in args])
    _assert_refused(code, text, exc, option=option)
    assert _hashes(tmp_path) == before


OUTPUT_DIRS = (("asv-site archive --dest", ("asv-site", "archive", "--dest", "{f}")),
               ("asv-site vendor --dest", ("asv-site", "vendor", "--dest", "{f}")))
BAD_DIRS = {
    "a-file": lambda t: str(t / "afile"),
    "under-a-file": lambda t: str(t / "afile" / "sub"),
    "folder-takes-no-files": lambda t: "/proc/cnnbench-dest",
    "sys-readonly": lambda t: "/sys/cnnbench-dest",
}
DIR_CASES = [pytest.param(args, bad, id=f"{name}:{bad}")
             for name, args in OUTPUT_DIRS for bad in BAD_DIRS]  # fmt: skip


@pytest.mark.parametrize(("args", "bad"), DIR_CASES)
def test_an_output_folder_that_cannot_be_written_is_refused(tmp_path, no_work, args, bad):
    (tmp_path / "afile").write_text("not a folder")
    before = _hashes(tmp_path)
    code, text, exc = _run(tmp_path, [a.replace("{f}", BAD_DIRS[bad](tmp_path)) for a in args])
    _assert_refused(code, text, exc, option="--dest")
    assert _hashes(tmp_path) == before


# --- numbers --------------------------------------------------------------------------------

NUMERIC = (  # (command args, option, values that must be refused)
    (("variance", "-a", "relu"), "--depth", ("0", "-1", "1001", "1e3", "nan", "", "9" * 40)),
    (("variance", "-a", "relu"), "--width", ("0", "-5", "4097", "1.5", "inf", "9" * 40)),
    (("variance", "-a", "relu", "--mc"), "--draws", ("0", "11", "1001", "-1", "x")),
    (("variance", "-a", "relu", "--mc"), "--batch", ("0", "4097", "-2", "2.5")),
    (("variance", "-a", "relu", "--mc"), "--seed", ("-1", str(2**32), "9" * 40, "1e3")),
    (("train",), "--depth", ("0", "-3", "201", "9" * 40, "nan")),
    (("train",), "--epochs", ("0", "1001", "-1", "9" * 40, "1.5")),
    (("train",), "--seeds", ("0", "101", "-1", "9" * 40)),
    (("series", "sigmoid"), "--order", ("-1", "41", "9" * 40, "nan", "2.5")),
    (("maxdepth", "--image", "60"), "--t", ("0", "-1", "1e-320", "5e-324", "nan", "inf", "-inf",
                                            "")),
    (("maxdepth", "--t", "0.5"), "--image", ("0", "-1", str(2**31), "9" * 40, "x")),
    (("maxdepth", "--image", "60", "--t", "0.5"), "--kernel", ("1", "0", "-2", "9" * 40)),
    (("maxdepth", "--image", "60", "--t", "0.5"), "--pool-kernel", ("0", "-1", "9" * 40)),
    (("shape", "conv", "--kernel", "3"), "--size", ("0", "-1", "x", "1.5")),
    (("shape", "conv", "--size", "9"), "--kernel", ("0", "-4", "10", "9" * 40)),
    (("shape", "conv", "--size", "9", "--kernel", "3"), "--stride", ("0", "-1")),
    (("shape", "conv", "--size", "9", "--kernel", "3"), "--dilation", ("0", "-1", "9" * 40)),
    (("shape", "conv", "--size", "9", "--kernel", "3"), "--padding", ("-1",)),
    (("bench", "--list"), "--budget", ("0", "-1", "61", "nan", "inf", "1e400")),
    (("bench", "--list"), "--threads", ("0", "-1", "100000", "9" * 40)),
    (("gate", "trials"), "--trials", ("0", "1001", "-5")),
    (("gate", "baseline"), "--aa-runs", ("2", "101", "-1")),
    (("gate", "baseline"), "--rounds", ("5", "1002", "0")),
    (("gate", "check"), "--inject", ("relu.out=0", "relu.out=nan", "relu.out=inf", "relu.out=5",
                                     "nope=0.5", "relu.out")),
    (("gate", "asv", "A", "B"), "--factor", ("1", "0.5", "-1", "nan", "inf")),
    (("asv-site", "serve"), "--port", ("0", "-1", "65536", "x")),
    (("network", "lenet5"), "--samples", ("0", "1", "257", "x", "nan")),
    (("network", "lenet5"), "--batch", ("0", "65", "-1", "1.5")),
    (("network", "lenet5"), "--budget", ("0", "0.5", "3601", "nan", "inf", "-1")),
    (("check",), "--workers", ("0", "-1", "257", "9" * 40, "x")),
    (("check",), "--scheduler", ("localhost:8786", "tcp://", "http://a:1", "tcp://a b:1")),
    (("check", "--workers", "2"), "--scheduler", ("tcp://127.0.0.1:8786",)),
    (("check",), "--shard", ("0/3", "4/3", "1/0", "x", "1/1001")),
    (("bench", "--list"), "--workers", ("2", "0")),
    (("bench", "--list"), "--shard", ("2/1", "")),
    (("bench", "--list"), "--scheduler", ("8786",)),
    (("check", "--claims", str(ROOT / "docs/examples/claims.toml")), "--workers", ("2",)),
)
NUMERIC_CASES = [pytest.param(cmd, opt, v, id=f"{cmd[0]} {opt}={v[:12]}")
                 for cmd, opt, values in NUMERIC for v in values]  # fmt: skip


@pytest.mark.parametrize(("cmd", "option", "value"), NUMERIC_CASES)
def test_a_bad_number_is_exit_2_naming_the_option(tmp_path, no_work, cmd, option, value):
    code, text, exc = _run(tmp_path, [*cmd, option, value])
    _assert_refused(code, text, exc, option=option)


def test_corpus_size():
    n = len(FILE_CASES) + len(OUTPUT_CASES) + len(DIR_CASES) + len(NUMERIC_CASES)
    print(f"hostile-input corpus: {len(FILE_CASES)} bad files, "
          f"{len(OUTPUT_CASES) + len(DIR_CASES)} bad outputs, {len(NUMERIC_CASES)} bad numbers: "
          f"{n} cases")
    assert n > 200
