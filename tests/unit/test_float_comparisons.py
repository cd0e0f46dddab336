"""Floats are compared as floats: no doctest or assert pins a computed float exactly.

A float that went through a SIMD reduction, a transcendental kernel or a
quadrature can differ in its last bits between machines (AVX2 vs AVX-512
code paths of numpy and torch): four tests failed that way on a fresh clone
(issue 9). So a doctest whose output shows a float rounds it (``round(x, 12)``
or a format spec), and an ``assert a == <float literal>`` compares with
``pytest.approx``/``round`` — unless the value is bit-exact on every IEEE-754
machine (Python float arithmetic, a parsed or stored number, dyadic results
of exact inputs) and the line (or a comment line just above it) says so with
``# bit-exact: <why>``.
"""

from __future__ import annotations

import ast
import doctest
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d*(?:e[-+]?\d+)?|(?<![\w.])-?\d+e[-+]?\d+")
ROUNDED = ("round(", ":.", "bit-exact", "Fraction")
# Calls whose result is a tolerance-aware comparison or an exact type.
SAFE_CALLS = {"round", "approx", "isclose", "allclose", "int", "str", "Fraction"}


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()  # fmt: skip
    return [ROOT / p for p in out]


def unrounded_doctest_floats(source: str) -> list[str]:
    """Doctest examples whose expected output shows a float the example does not round.

    >>> q = "'" * 3
    >>> unrounded_doctest_floats(f"def f():\\n    {q}\\n    >>> x / 3\\n    0.5\\n    {q}")
    ['x / 3']
    >>> unrounded_doctest_floats(f"def f():\\n    {q}\\n    >>> round(x / 3)\\n    0.5\\n    {q}")
    []
    """
    parser, bad = doctest.DocTestParser(), []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef | ast.Module):
            continue
        doc = ast.get_docstring(node, clean=True)
        if not doc:
            continue
        try:
            examples = parser.get_examples(doc)
        except ValueError:  # not a doctest block (e.g. an indented signature)
            continue
        for ex in examples:
            if FLOAT.search(ex.want) and not any(r in ex.source for r in ROUNDED):
                bad.append(ex.source.strip())
    return bad


def _floaty(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, float)
    if isinstance(node, ast.UnaryOp):
        return _floaty(node.operand)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_floaty(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(_floaty(v) for v in node.values)
    return False


def _safe(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        f = node.func
        return (f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")) in SAFE_CALLS
    if isinstance(node, ast.ListComp):
        return _safe(node.elt)
    return False


def exact_float_asserts(source: str) -> list[int]:
    """Lines comparing with ``==`` against a float literal, neither rounded nor marked.

    >>> exact_float_asserts("assert f(x) == 0.5\\nassert f(x) == pytest.approx(0.5)\\n")
    [1]
    >>> exact_float_asserts("assert g() == 0.5  # bit-exact: a half\\n")
    []
    """
    lines = source.splitlines()
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare) or not any(isinstance(o, ast.Eq) for o in node.ops):
            continue
        sides = [node.left, *node.comparators]
        if any(_floaty(s) for s in sides) and not any(_safe(s) for s in sides):
            # the statement's own lines, or a comment line just above it
            span = lines[max(node.lineno - 2, 0) : (node.end_lineno or node.lineno)]
            if not any("bit-exact" in line for line in span):
                bad.append(node.lineno)
    return bad


def test_doctests_round_computed_floats():
    bad = [f"{p.relative_to(ROOT)}: {src}"
           for p in _tracked("analysis/*.py", "bench/*.py", "reports/*.py", "tests/*.py")
           for src in unrounded_doctest_floats(p.read_text())]  # fmt: skip
    assert not bad, "doctests showing unrounded floats:\n" + "\n".join(bad)


def test_asserts_compare_floats_with_tolerance():
    bad = [f"{p.relative_to(ROOT)}:{line}" for p in _tracked("tests/*.py")
           for line in exact_float_asserts(p.read_text())]  # fmt: skip
    assert not bad, "exact float comparisons without `# bit-exact:`:\n" + "\n".join(bad)
