"""The layout's rules (docs/DEVELOPING.md): small modules, no import cycles in analysis/,
claims import checks and never the reverse."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 320  # "a module past ~300 lines is two modules" (STYLE.md); 20 lines of slack


def _modules(package: str) -> dict[str, Path]:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                            f"{package}/*.py"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    out = {}
    for f in files:
        parts = Path(f).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[f"cnnbench.{name}"] = ROOT / f  # the folder analysis/ is cnnbench.analysis
    return out


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def import_graph(package: str, top_level_only: bool = True) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from a import b`` counts a.b if a module)."""
    mods = _modules(package)
    return {m: {i for i in _imports(p, top_level_only) if i in mods and i != m}
            for m, p in mods.items()}  # fmt: skip


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules, or None.

    >>> find_cycle({"a": {"b"}, "b": {"a"}})
    ['a', 'b', 'a']
    >>> find_cycle({"a": {"b"}, "b": set()}) is None
    True
    """
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for pkg in ("analysis", "bench", "reports")
           for p in _modules(pkg).values() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_no_import_cycles_in_analysis():
    # module-level imports: what Python executes on import
    assert find_cycle(import_graph("analysis")) is None
    # and between family packages, counting imports inside functions too
    families = {}
    for mod, deps in import_graph("analysis", top_level_only=False).items():
        fam = ".".join(mod.split(".")[:3])
        families.setdefault(fam, set()).update(".".join(d.split(".")[:3]) for d in deps)
    families = {f: d - {f, "cnnbench.analysis.claims"} for f, d in families.items()}
    assert find_cycle(families) is None


def test_checks_never_import_claims_modules():
    graph = import_graph("analysis", top_level_only=False)
    claims_modules = {m for m in graph if m.rsplit(".", 1)[-1].endswith("claims")
                      and m != "cnnbench.analysis.claims"}  # fmt: skip
    registry = "cnnbench.analysis.claims"
    offenders = {m: deps & claims_modules for m, deps in graph.items()
                 if m not in claims_modules and m != registry and deps & claims_modules}
    assert not offenders, offenders
