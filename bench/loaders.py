"""One loader per kind of results file, each validating what it reads.

Kinds: check results (``cnnbench check --json``), verdict expectations
(``--expect``), training results (``cnnbench train --json``) here; the timing files -- bench
results (``cnnbench bench --out``, JSON Lines), the gates' baselines
(``bench/gate_baselines/<fingerprint>.json``, ``bench/gate_counts_baseline.json``)
and asv result files -- in :mod:`cnnbench.bench.loaders_bench`.

Every problem raises :class:`~cnnbench.bench.results_io.ResultsFileError` naming the
file, and where it applies the line, the key and what was expected; commands
turn it into exit 2 with the message. Our own files are strict JSON (NaN and
infinities are not JSON and are refused); asv writes NaN for a missing value,
so asv's files are read as asv reads them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnbench.bench.results_io import ResultsFileError

VERDICTS = ("confirmed", "refuted", "inconclusive", "error")
TRAIN_SCHEMA = 1  # "schema" of `cnnbench train --json` (files without one are version 1)


# --- reading ---------------------------------------------------------------------------------


def read_bytes(path: Path, *, what: str) -> bytes:
    """The file's bytes; a clear error if it is missing, a folder or unreadable."""
    path = Path(path)
    if path.is_dir():
        raise ResultsFileError(path, "is a directory", expected=f"a file: {what}")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ResultsFileError(path, "does not exist", expected=what) from None
    except OSError as exc:
        raise ResultsFileError(path, f"cannot be read ({exc.strerror or exc})") from None


def decode(data: bytes, path: Path, *, what: str, line: int | None = None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultsFileError(path, f"is not UTF-8 text (byte {exc.start}: binary data?)",
                               line=line, expected=what) from None  # fmt: skip


def read_text(path: Path, *, what: str) -> str:
    """The file's text; a clear error if it is missing, a folder, unreadable, not UTF-8
    or empty."""
    text = decode(read_bytes(path, what=what), Path(path), what=what)
    if not text.strip():
        raise ResultsFileError(path, "is empty", expected=what)
    return text


def _no_constants(token: str) -> float:
    raise ValueError(f"{token} is not JSON (a NaN or infinite number)")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{token} is too large for a float (it reads as infinity)")
    return value


def parse_json(text: str, path: Path, *, line: int | None = None, what: str,
               allow_nan: bool = False) -> Any:  # fmt: skip
    """Strict JSON (no NaN/Infinity unless ``allow_nan``), or a ResultsFileError saying where."""
    try:
        if allow_nan:
            return json.loads(text)
        return json.loads(text, parse_constant=_no_constants, parse_float=_finite_float)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        at = getattr(exc, "lineno", None)
        where = line if line is not None else at
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        col = f" (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ResultsFileError(path, f"is not valid JSON: {msg}{col}", line=where,
                               expected=what) from None  # fmt: skip
    except RecursionError:
        raise ResultsFileError(path, "nests too deeply to be a results file", line=line,
                               expected=what) from None  # fmt: skip


# --- checking shapes -------------------------------------------------------------------------

Check = Callable[[Any], str | None]  # None when the value is fine, else what was expected


def _finite(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an integer too large for a float
        return False


def is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "a string"


def is_nonempty_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "a non-empty string"


def is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def is_int(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and _finite(v) else "an integer"


def is_number(v: Any) -> str | None:
    return None if _finite(v) else "a finite number"


def is_positive(v: Any) -> str | None:
    return None if _finite(v) and v > 0 else "a finite number > 0"


def is_nonnegative(v: Any) -> str | None:
    return None if _finite(v) and v >= 0 else "a finite number >= 0"


def is_dict(v: Any) -> str | None:
    return None if isinstance(v, dict) else "an object"


def is_list(v: Any) -> str | None:
    return None if isinstance(v, list) else "a list"


def optional(check: Check) -> Check:
    def run(v: Any) -> str | None:
        return None if v is None else (None if check(v) is None else f"null or {check(v)}")

    return run


def one_of(*choices: str) -> Check:
    return lambda v: None if v in choices else "one of " + ", ".join(map(repr, choices))


def list_of(check: Check, *, nonempty: bool = False) -> Check:
    def run(v: Any) -> str | None:
        if not isinstance(v, list) or (nonempty and not v):
            return "a non-empty list" if nonempty else "a list"
        problems = [check(x) for x in v]
        bad = next((p for p in problems if p is not None), None)
        return None if bad is None else f"a list of {bad}"

    return run


def dict_of(check: Check) -> Check:
    def run(v: Any) -> str | None:
        if not isinstance(v, dict):
            return "an object"
        bad = [x for x in v.values() if check(x) is not None]
        return f"an object whose values are {check(bad[0])}" if bad else None

    return run


Spec = dict[str, Any]  # key -> Check, or a nested Spec for an object-valued key


def require(obj: Any, spec: Spec, path: Path, *, line: int | None = None,
            prefix: str = "", what: str = "") -> None:  # fmt: skip
    """Raise unless ``obj`` is an object with every key of ``spec``, each passing its check."""
    if not isinstance(obj, dict):
        raise ResultsFileError(path, f"holds {_kind(obj)}", line=line, key=prefix or None,
                               expected=f"an object{what}")  # fmt: skip
    for key, check in spec.items():
        name = f"{prefix}.{key}" if prefix else key
        if key not in obj:
            expected = "an object" if isinstance(check, dict) else check(object())
            raise ResultsFileError(path, "is missing", line=line, key=name,
                                   expected=expected or "present")  # fmt: skip
        if isinstance(check, dict):  # a nested object with its own keys
            require(obj[key], check, path, line=line, prefix=name)
            continue
        problem = check(obj[key])
        if problem is not None:
            raise ResultsFileError(path, f"is {_shown(obj[key])}", line=line, key=name,
                                   expected=problem)  # fmt: skip


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(v), "a number")  # fmt: skip


def _shown(v: Any) -> str:
    text = json.dumps(v, default=str) if not isinstance(v, float) or math.isfinite(v) else str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema(data: dict, path: Path, expected: int, key: str = "schema") -> None:
    version = data.get(key, expected)  # files written before the field existed are version 1
    if version != expected:
        raise ResultsFileError(path, f"is version {_shown(version)}", key=key,
                               expected=f"{expected} (written by another cnnbench?)")  # fmt: skip


# --- check results and expectations ----------------------------------------------------------

CHECK_ROW = {
    "id": is_nonempty_str, "source": is_str, "seed": is_str, "locator": is_str,
    "statement": is_str, "verdict": one_of(*VERDICTS), "method": is_str, "evidence": is_dict,
    "correction": optional(is_dict), "seconds": is_nonnegative,
}  # fmt: skip
CHECK_WHAT = "the JSON list that `cnnbench check --json` writes"
# cnnbench.analysis.claims.SEVERITIES (a test checks)
SEVERITIES = ("substantive", "slip", "transcription")
CHECK_OPTIONAL = {"severity": optional(one_of(*SEVERITIES)), "same_as": optional(is_str),
                  "caveat": optional(is_str), "severity_reason": optional(is_str)}  # fmt: skip


def load_check_results(path: Path) -> list[dict]:
    """Rows of ``cnnbench check --json``: a list of claim objects (see CHECK_ROW)."""
    data = parse_json(read_text(path, what=CHECK_WHAT), path, what=CHECK_WHAT)
    if not isinstance(data, list):
        raise ResultsFileError(path, f"holds {_kind(data)}", expected=CHECK_WHAT)
    seen: set[str] = set()
    for i, row in enumerate(data):
        require(row, CHECK_ROW, path, prefix=f"[{i}]", what=" per claim")
        if not isinstance(row["evidence"].get("summary"), str):
            raise ResultsFileError(path, "is missing", key=f"[{i}].evidence.summary",
                                   expected="a string")  # fmt: skip
        if row["correction"] is not None:
            require(row["correction"], {"statement": is_str, "verification": is_str}, path,
                    prefix=f"[{i}].correction")  # fmt: skip
        for key, check in CHECK_OPTIONAL.items():  # keys added later; absent in older files
            if key in row and check(row[key]) is not None:
                raise ResultsFileError(path, f"is {_shown(row[key])}", key=f"[{i}].{key}",
                                       expected=check(row[key]))  # fmt: skip
        if row["id"] in seen:
            raise ResultsFileError(path, f"repeats claim {row['id']!r}", key=f"[{i}].id",
                                   expected="each claim once")  # fmt: skip
        seen.add(row["id"])
    return data


EXPECT_WHAT = "a JSON object mapping claim ids to verdicts (tests/expected_verdicts.json)"


def load_expectations(path: Path) -> dict[str, str]:
    """``{claim id: verdict}`` of an expectations file."""
    data = parse_json(read_text(path, what=EXPECT_WHAT), path, what=EXPECT_WHAT)
    if not isinstance(data, dict):
        raise ResultsFileError(path, f"holds {_kind(data)}", expected=EXPECT_WHAT)
    for key, value in data.items():
        if value not in VERDICTS:
            raise ResultsFileError(path, f"is {_shown(value)}", key=key,
                                   expected="one of " + ", ".join(VERDICTS))  # fmt: skip
    return data


# --- training results ------------------------------------------------------------------------

TRAIN_WHAT = "the JSON that `cnnbench train --json` writes"
TRAIN_SPEC = {
    "config": is_dict, "chance": is_number, "runs": list_of(is_dict, nonempty=True),
    "summaries": dict_of(is_dict), "curves": dict_of(is_dict), "setting": is_str,
}  # fmt: skip
SUMMARY_SPEC = {"status": is_str, "final_acc": is_dict}
RUN_SPEC = {"activation": is_str, "seed": is_int, "test_acc": list_of(optional(is_number)),
            "grad_norms_init": list_of(is_nonnegative)}  # fmt: skip


def load_training_results(path: Path) -> dict:
    """``cnnbench train --json``: config, runs, per-activation summaries and curves."""
    data = parse_json(read_text(path, what=TRAIN_WHAT), path, what=TRAIN_WHAT)
    require(data, TRAIN_SPEC, path, what=f" ({TRAIN_WHAT})")
    _schema(data, path, TRAIN_SCHEMA)
    require(data["config"], {"activations": list_of(is_str, nonempty=True), "depth": is_int,
                             "epochs": is_int, "seeds": is_int}, path,
            prefix="config")  # fmt: skip
    for i, run in enumerate(data["runs"]):
        require(run, RUN_SPEC, path, prefix=f"runs[{i}]")
    for name in data["config"]["activations"]:
        if name not in data["summaries"]:
            raise ResultsFileError(path, "is missing", key=f"summaries.{name}",
                                   expected="a summary per trained activation")  # fmt: skip
        require(data["summaries"][name], SUMMARY_SPEC, path, prefix=f"summaries.{name}")
        require(data["summaries"][name]["final_acc"], {"mean": is_number, "low": is_number,
                "high": is_number}, path, prefix=f"summaries.{name}.final_acc")  # fmt: skip
    return data
