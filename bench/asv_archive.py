"""The committed archive of asv results: history that a fresh clone still has.

asv keeps its results in ``results_dir`` (``.asv/results``, git-ignored). That
folder is scratch space: every ``asv run`` rewrites ``benchmarks.json`` and
``machine.json`` there (``--dry-run`` included), and ``asv continuous`` (the
commit-vs-commit gate) saves the two commits it compares. So it cannot be
tracked, and a fresh clone starts with no history at all.

Projects with a long asv history keep the results apart from the scratch
folder (pandas publishes them from a separate results repository). Here the
archive is a committed folder with asv's own layout::

    bench/asv_history/<machine>/machine.json
    bench/asv_history/<machine>/<commit>-<env>.json

* :func:`archive` copies finished results (at least one value) of commits on
  the ``main`` branch from ``results_dir`` into the archive, to be committed;
  results of commits that are not on ``main`` (amended, rebased, a feature
  branch) are left out, since a clone of ``main`` could not place them.
* :func:`restore` copies archived results that ``results_dir`` lacks back
  into it, never overwriting a local file, so that ``asv publish`` and
  ``asv compare`` see the whole history.

The report's history section reads both folders directly
(:func:`cnnbench.reports.history.asv_history`). Command line: ``cnnbench asv-site
archive`` and ``cnnbench asv-site publish`` (which restores first).
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.loaders_bench import load_asv_result

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "bench" / "asv_history"
MACHINE_FILE = "machine.json"


@dataclass(frozen=True)
class Archived:
    """What :func:`archive` did with one result file."""

    path: Path  # the file in results_dir
    status: str  # "new", "updated", "unchanged", or why it was left out


def result_files(results_dir: Path) -> list[Path]:
    """asv result files (``<machine>/<commit>-<env>.json``) under ``results_dir``."""
    return sorted(
        p
        for p in Path(results_dir).glob("*/*.json")
        if p.name != MACHINE_FILE and (p.parent / MACHINE_FILE).is_file()
    )


def has_values(path: Path) -> bool:
    """True when the result file holds at least one measured value."""
    return _holds_values(load_asv_result(path))


def _holds_values(data: dict) -> bool:
    columns = data.get("result_columns") or []
    if "result" not in columns:
        return False
    ri = columns.index("result")
    for entry in data.get("results", {}).values():
        values = entry[ri] if isinstance(entry[ri], list) else [entry[ri]]
        if any(v is not None and v == v for v in values):  # v == v: not NaN
            return True
    return False


def on_branch(commit: str, branch: str = "main", repo: Path = ROOT) -> bool:
    """Whether ``commit`` is ``branch`` or one of its ancestors in ``repo``."""
    done = subprocess.run(
        ["git", "merge-base", "--is-ancestor", commit, branch],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode not in (0, 1):  # 128: unknown commit or branch
        return False
    return done.returncode == 0


def archive(
    results_dir: Path, archive_dir: Path = ARCHIVE, branch: str = "main", repo: Path = ROOT
) -> list[Archived]:
    """Copy finished results of commits on ``branch`` into ``archive_dir``.

    A result already archived is replaced when the local file differs (asv
    adds benchmarks to a commit's file as they are run).
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ParameterError("results_dir", str(results_dir), "must be an asv results folder "
                             "(`asv run` writes it; asv.conf.json names it)")  # fmt: skip
    done = []
    for path in result_files(results_dir):
        data = load_asv_result(path)  # a damaged file: ResultsFileError naming it
        commit = data.get("commit_hash", "")
        if not _holds_values(data):
            done.append(Archived(path, "left out: no values"))
            continue
        if not commit or not on_branch(commit, branch, repo):
            done.append(Archived(path, f"left out: {commit[:8] or '?'} is not on {branch}"))
            continue
        dest = Path(archive_dir) / path.parent.name / path.name
        status = "unchanged" if dest.exists() and filecmp.cmp(path, dest, shallow=False) else (
            "updated" if dest.exists() else "new")  # fmt: skip
        if status != "unchanged":
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            shutil.copyfile(path.parent / MACHINE_FILE, dest.parent / MACHINE_FILE)
        done.append(Archived(path, status))
    return done


def restore(archive_dir: Path, results_dir: Path) -> list[Path]:
    """Copy archived results missing from ``results_dir`` into it; returns the copies."""
    copied = []
    for path in result_files(archive_dir):
        dest = Path(results_dir) / path.parent.name / path.name
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not (dest.parent / MACHINE_FILE).exists():
            shutil.copyfile(path.parent / MACHINE_FILE, dest.parent / MACHINE_FILE)
        shutil.copyfile(path, dest)
        copied.append(dest)
    return copied
