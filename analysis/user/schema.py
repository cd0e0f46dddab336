"""The claims file: read, validated whole before anything runs.

A file holds ``[[claim]]`` tables. Every claim has ``id`` (lowercase, ``[a-z0-9_-]``,
unique in the file), ``kind`` (one of :data:`KINDS`), ``source`` (where the claim
stands: paper and locator) and ``statement`` (what it says), plus the keys of its kind
(:data:`SCHEMA`: required and optional keys with their types). Anything else is
refused: an unknown key, a missing one, a wrong type, an expression sympy cannot
parse, a network SPEC that cannot be resolved, an unregistered activation. The error
names the file, the claim (id, else its index) and the key, echoes the value and says
what is allowed.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnbench.analysis._validation import ParameterError

COMMON = ("id", "kind", "source", "statement")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_CLAIMS = 1000  # a file is read whole and every claim validated before one runs
MAX_ORDER = 30  # series: sympy's expansion grows quickly with the order
_STR, _NUM, _INT, _BOOL, _LIST = "a string", "a finite number", "an integer", "true or false", \
    "a list"  # fmt: skip
# kind -> {key: (type, required)}
SCHEMA: dict[str, dict[str, tuple[str, bool]]] = {
    "identity": {"lhs": (_STR, True), "rhs": (_STR, True), "assume": (_LIST, False)},
    "value": {"expr": (_STR, True), "value": (_NUM, True), "tolerance": (_NUM, False),
              "digits": (_INT, False)},
    "series": {"expr": (_STR, True), "variable": (_STR, False), "order": (_INT, True),
               "coefficients": (_LIST, True)},
    "output-size": {"op": (_STR, True), "input": (_INT, True), "kernel": (_INT, True),
                    "stride": (_INT, False), "padding": (_INT, False),
                    "dilation": (_INT, False), "ceil_mode": (_BOOL, False),
                    "output_padding": (_INT, False), "size": (_INT, True)},
    "params": {"network": (_STR, True), "input": (_STR, True), "value": (_NUM, True),
               "biases": (_BOOL, False), "rel_tolerance": (_NUM, False)},
    "macs": {"network": (_STR, True), "input": (_STR, True), "value": (_NUM, True),
             "unit": (_STR, False), "rel_tolerance": (_NUM, False)},
    "gain": {"activation": (_STR, True), "quantity": (_STR, True), "sigma_w": (_NUM, False),
             "sigma_b": (_NUM, False), "value": (_NUM, True), "tolerance": (_NUM, False)},
    "fixed-point": {"activation": (_STR, True), "sigma_w": (_NUM, True),
                    "sigma_b": (_NUM, False), "q": (_NUM, False), "regime": (_STR, False),
                    "tolerance": (_NUM, False)},
}  # fmt: skip
KINDS = tuple(SCHEMA)
OPS = ("conv", "conv_transpose", "max_pool", "avg_pool")
UNITS = ("mac", "flop")
GAIN_QUANTITIES = ("chi", "critical", "forward", "backward", "torch")
REGIMES = ("zero", "finite", "marginal", "divergent")
_ASSUME = re.compile(r"^\s*([A-Za-z_]\w*)\s*(>=|<=|>|<|!=)\s*0\s*$")


class ClaimsFileError(ParameterError):
    """The claims file is malformed: where (file, claim, key), what, and what is allowed."""

    def __init__(self, path: Path, where: str, key: str, value: Any, allowed: str) -> None:
        super().__init__(key, value, allowed)
        self.path, self.where = path, where
        Exception.__init__(self, f"{path}: {where}: `{key}`={value!r} {allowed}")


@dataclass(frozen=True)
class UserClaim:
    id: str
    kind: str
    source: str
    statement: str
    fields: dict[str, Any]
    path: str  # the file, for the evidence


def read_claims(path: Path) -> tuple[UserClaim, ...]:
    """Every claim of ``path``, validated (raises :class:`ClaimsFileError`)."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ClaimsFileError(path, "the file", "--claims", str(path), f"{what}; give a .toml "
                              "file of [[claim]] tables")  # fmt: skip
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ClaimsFileError(path, "the file", "--claims", str(path),
                              f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsFileError(path, "the file", "--claims", str(path),
                              f"is not valid TOML: {exc}") from None  # fmt: skip
    extra = sorted(set(data) - {"claim"})
    if extra:
        raise ClaimsFileError(path, "the file", extra[0], data[extra[0]],
                              "is not allowed at the top level: only [[claim]] tables")
    claims = data.get("claim")
    if not isinstance(claims, list) or not claims:
        raise ClaimsFileError(path, "the file", "claim", claims, "must be one or more "
                              "[[claim]] tables")  # fmt: skip
    if len(claims) > MAX_CLAIMS:
        raise ClaimsFileError(path, "the file", "claim", f"{len(claims)} tables",
                              f"must be at most {MAX_CLAIMS} claims")  # fmt: skip
    out, seen = [], set()
    for i, raw in enumerate(claims, start=1):
        c = _claim(path, i, raw)
        if c.id in seen:
            raise ClaimsFileError(path, f"claim #{i}", "id", c.id, "is used by an earlier "
                                  "claim; ids must be unique in the file")  # fmt: skip
        seen.add(c.id)
        out.append(c)
    return tuple(out)


def _claim(path: Path, index: int, raw: Any) -> UserClaim:
    where = f"claim #{index}"
    cid = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(cid, str) and _ID.match(cid):
        where = f"claim {cid!r} (#{index})"

    def bad(key: str, value: Any, allowed: str) -> ClaimsFileError:
        return ClaimsFileError(path, where, key, value, allowed)

    for key in COMMON:
        if key not in raw:
            raise bad(key, None, "is required (every claim has id, kind, source, statement)")
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise bad(key, raw[key], "must be a non-empty string")
    if not _ID.match(raw["id"]):
        raise bad("id", raw["id"], "must be lowercase letters, digits, '_' and '-', starting "
                  "with a letter or digit")  # fmt: skip
    kind = raw["kind"]
    if kind not in SCHEMA:
        raise bad("kind", kind, f"must be one of {', '.join(KINDS)}")
    schema = SCHEMA[kind]
    for key in raw:
        if key not in COMMON and key not in schema:
            raise bad(key, raw[key], f"is not a key of a {kind} claim; its keys: "
                      f"{', '.join(schema)}")  # fmt: skip
    fields = {}
    for key, (kind_of, required) in schema.items():
        if key not in raw:
            if required:
                raise bad(key, None, f"is required in a {kind} claim ({kind_of})")
            continue
        fields[key] = _typed(bad, key, raw[key], kind_of)
    _semantics(bad, kind, fields, path)
    return UserClaim(raw["id"], kind, raw["source"], raw["statement"], fields, str(path))


def _typed(bad, key: str, value: Any, kind_of: str) -> Any:
    ok = {_STR: isinstance(value, str) and value.strip() != "",
          _NUM: isinstance(value, int | float) and not isinstance(value, bool)
          and math.isfinite(value),
          _INT: isinstance(value, int) and not isinstance(value, bool),
          _BOOL: isinstance(value, bool), _LIST: isinstance(value, list)}[kind_of]  # fmt: skip
    if not ok:
        raise bad(key, value, f"must be {kind_of}")
    return value


def _semantics(bad, kind: str, f: dict[str, Any], path: Path) -> None:
    """What types alone do not say: expressions parse, names exist, sizes make sense."""
    from cnnbench.analysis.user.checks import parse_expr

    for key in ("lhs", "rhs", "expr"):
        if key in f:
            try:
                parse_expr(f[key])
            except ValueError as exc:
                raise bad(key, f[key], f"must be an expression sympy can parse ({exc})") from None
    for key in ("tolerance", "rel_tolerance"):
        if key in f and f[key] < 0:
            raise bad(key, f[key], "must be >= 0")
    if "tolerance" in f and "digits" in f:
        raise bad("digits", f["digits"], "cannot be given with `tolerance`: choose one")
    if "digits" in f and not 1 <= f["digits"] <= 30:
        raise bad("digits", f["digits"], "must be in [1, 30] significant digits")
    for i, a in enumerate(f.get("assume", [])):
        if not isinstance(a, str) or not _ASSUME.match(a):
            raise bad(f"assume[{i}]", a, "must be 'SYMBOL > 0' (or >=, <, <=, != 0)")
    if kind == "series":
        if not 0 <= f["order"] <= MAX_ORDER:
            raise bad("order", f["order"], f"must be in [0, {MAX_ORDER}]")
        if len(f["coefficients"]) != f["order"] + 1:
            raise bad("coefficients", f["coefficients"], f"must list order + 1 = "
                      f"{f['order'] + 1} coefficients (x^0 .. x^{f['order']})")  # fmt: skip
        for i, c in enumerate(f["coefficients"]):
            if isinstance(c, bool) or not isinstance(c, int | float | str):
                raise bad(f"coefficients[{i}]", c, "must be a number or an exact expression "
                          "string such as '1/3'")  # fmt: skip
            if isinstance(c, str):
                try:
                    parse_expr(c)
                except ValueError as exc:
                    raise bad(f"coefficients[{i}]", c, f"must parse ({exc})") from None
    if kind == "output-size":
        _output_size(bad, f)
    if kind in ("params", "macs"):
        _network(bad, f, path)
    if kind in ("gain", "fixed-point"):
        _activation(bad, kind, f)


def _output_size(bad, f: dict[str, Any]) -> None:
    if f["op"] not in OPS:
        raise bad("op", f["op"], f"must be one of {', '.join(OPS)}")
    for key, low in (("input", 1), ("kernel", 1), ("stride", 1), ("padding", 0),
                     ("dilation", 1), ("output_padding", 0), ("size", 0)):  # fmt: skip
        if key in f and not low <= f[key] <= 10**6:
            raise bad(key, f[key], f"must be in [{low}, 1000000]")
    if "output_padding" in f and f["op"] != "conv_transpose":
        raise bad("output_padding", f["output_padding"], "is a conv_transpose key only")
    if "ceil_mode" in f and not f["op"].endswith("pool"):
        raise bad("ceil_mode", f["ceil_mode"], "is a pooling key only (max_pool, avg_pool)")
    if "dilation" in f and f["op"] == "avg_pool":
        raise bad("dilation", f["dilation"], "is not a key of avg_pool (torch has none)")


def _network(bad, f: dict[str, Any], path: Path) -> None:
    from cnnbench.analysis.profile.source import parse_input, resolve

    where, _, attr = f["network"].rpartition(":")
    beside = path.parent / where
    if where and not Path(where).is_absolute() and beside.is_file():  # next to the claims file
        f["network"] = f"{beside}:{attr}"
    try:
        resolve(f["network"], "network")
        parse_input(f["input"], "input")
    except ParameterError as exc:
        raise bad(exc.name, exc.value, exc.allowed) from None
    if f.get("unit", "mac") not in UNITS:
        raise bad("unit", f["unit"], f"must be one of {', '.join(UNITS)}")


def _activation(bad, kind: str, f: dict[str, Any]) -> None:
    from cnnbench.analysis.activations.spec import activation

    try:  # a registered name, an expression in x, module:attr (registered now, checked later)
        f["activation"] = activation(f["activation"]).name
    except ParameterError as exc:
        raise bad("activation", f["activation"], exc.allowed) from None
    for key in ("sigma_w", "sigma_b"):
        if key in f and f[key] < (0 if key == "sigma_b" else 1e-300):
            raise bad(key, f[key], "must be > 0" if key == "sigma_w" else "must be >= 0")
    if kind == "gain":
        if f["quantity"] not in GAIN_QUANTITIES:
            raise bad("quantity", f["quantity"], f"must be one of {', '.join(GAIN_QUANTITIES)}")
        if f["quantity"] == "chi" and "sigma_w" not in f:
            raise bad("sigma_w", None, "is required for quantity 'chi'")
    elif "q" not in f and "regime" not in f:
        raise bad("q", None, "or `regime` is required in a fixed-point claim")
    elif f.get("regime", "finite") not in REGIMES:
        raise bad("regime", f["regime"], f"must be one of {', '.join(REGIMES)}")
