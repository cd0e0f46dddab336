"""The committed asv history: archive, restore, publish, and the report reading it.

Real git repositories and real ``asv`` runs (``-E existing``, nothing built)
in temporary folders; nothing here touches this checkout's ``.asv``.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_archive import archive, has_values, on_branch, restore
from cnnbench.reports.history import asv_history, benchmark_descriptions, current_only

SUITE = """
class TimeTiny:
    def time_sum(self):
        sum(range(100))

    def track_answer(self):
        return 42
"""

CONF = """{"version": 1, "project": "tiny", "repo": ".", "dvcs": "git", "branches": ["main"],
 "environment_type": "existing", "benchmark_dir": "benchmarks", "env_dir": ".asv/env",
 "results_dir": ".asv/results", "html_dir": ".asv/html"}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, asv_repo) -> dict:
    """Two commits on main measured by asv, and one on a side branch."""
    r = asv_repo(tmp_path_factory.mktemp("tiny"), SUITE, CONF, "box")
    shas = []
    for name in ("one", "two", "side"):
        if name == "side":
            r.run("git", "checkout", "-q", "-b", "side")
        shas.append(r.commit(name))
        r.asv("run", "-E", "existing", "--set-commit-hash", shas[-1], "--quick")
    r.run("git", "checkout", "-q", "main")
    return {"repo": r.repo, "home": r.home, "shas": shas, "results": r.repo / ".asv" / "results"}


def test_on_branch_follows_git(tiny):
    one, two, side = tiny["shas"]
    assert on_branch(one, "main", tiny["repo"]) and on_branch(two, "main", tiny["repo"])
    assert not on_branch(side, "main", tiny["repo"])
    assert not on_branch("0" * 40, "main", tiny["repo"])  # unknown commit: not archived


def test_archive_keeps_main_only_and_reports_each_file(tiny, tmp_path):
    dest = tmp_path / "history"
    done = {a.path.name[:8]: a.status for a in archive(tiny["results"], dest, "main", tiny["repo"])}
    one, two, side = (s[:8] for s in tiny["shas"])
    assert done[one] == done[two] == "new"
    assert done[side] == f"left out: {side} is not on main"
    assert sorted(p.name[:8] for p in (dest / "box").glob("*-*.json")) == sorted([one, two])
    assert (dest / "box" / "machine.json").is_file()
    again = {a.status for a in archive(tiny["results"], dest, "main", tiny["repo"])}
    assert "new" not in again and "updated" not in again and "unchanged" in again


def test_archive_replaces_a_file_asv_has_added_to(tiny, tmp_path):
    dest = tmp_path / "history"
    archive(tiny["results"], dest, "main", tiny["repo"])
    local = tmp_path / "results"
    subprocess.run(["cp", "-r", str(tiny["results"]), str(local)], check=True)
    one = next(local.glob(f"box/{tiny['shas'][0][:8]}-*.json"))
    data = json.loads(one.read_text())
    data["results"]["bench_tiny.TimeTiny.track_answer"][0] = 43
    one.write_text(json.dumps(data))
    status = {a.path.name: a.status for a in archive(local, dest, "main", tiny["repo"])}
    assert status[one.name] == "updated"
    assert json.loads((dest / "box" / one.name).read_text()) == data


def test_archive_leaves_out_files_without_values(tmp_path):
    box = tmp_path / "results" / "box"
    box.mkdir(parents=True)
    (box / "machine.json").write_text("{}")
    results = {"b.time_x": [None, []], "b.time_y": [[float("nan")], [["1"]]]}
    empty = {"commit_hash": "a" * 40, "result_columns": ["result", "params"], "results": results,
             "version": 2}
    (box / "aaaaaaaa-env.json").write_text(json.dumps(empty))
    assert not has_values(box / "aaaaaaaa-env.json")
    (done,) = archive(tmp_path / "results", tmp_path / "history")
    assert done.status == "left out: no values"


def test_archive_names_a_missing_results_folder(tmp_path):
    with pytest.raises(ParameterError, match="results_dir"):
        archive(tmp_path / "nope", tmp_path / "history")


def test_restore_fills_gaps_and_never_overwrites(tiny, tmp_path):
    dest = tmp_path / "history"
    archive(tiny["results"], dest, "main", tiny["repo"])
    local = tmp_path / "results" / "box"
    local.mkdir(parents=True)
    two = next((dest / "box").glob(f"{tiny['shas'][1][:8]}-*.json"))
    (local / two.name).write_text("local copy")
    copied = restore(dest, tmp_path / "results")
    assert [p.name[:8] for p in copied] == [tiny["shas"][0][:8]]
    assert (local / two.name).read_text() == "local copy"
    assert (local / "machine.json").is_file()
    assert restore(dest, tmp_path / "results") == []


def test_history_reads_both_folders_and_drops_stale_versions(tiny, tmp_path):
    dest = tmp_path / "history"
    archive(tiny["results"], dest, "main", tiny["repo"])
    h = asv_history([dest, tiny["results"]])
    # identical copies in both folders are read once and credited to the archive
    assert sorted(h["commit"].unique()) == sorted(s[:8] for s in tiny["shas"])
    side = tiny["shas"][2][:8]
    assert set(h[h["commit"] != side]["source"]) == {str(dest)}
    assert set(h[h["commit"] == side]["source"]) == {str(tiny["results"])}
    assert len(asv_history([dest])) == 4  # two benchmarks x two commits of main
    versions = json.loads((tiny["results"] / "benchmarks.json").read_text())
    versions["bench_tiny.TimeTiny.time_sum"]["version"] = "edited since"
    edited = tmp_path / "benchmarks.json"
    edited.write_text(json.dumps(versions))
    kept, stale = current_only(asv_history([dest]), benchmark_descriptions(edited))
    assert stale == 2 and set(kept["benchmark"]) == {"bench_tiny.TimeTiny.track_answer"}


def test_publish_restores_discovers_and_publishes(tiny, tmp_path, monkeypatch):
    """A fresh clone: no .asv at all, only the committed history."""
    from cnnbench.bench.asv_site import publish

    dest = tmp_path / "history"
    archive(tiny["results"], dest, "main", tiny["repo"])
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(tiny["repo"]), str(clone)], check=True)
    assert not (clone / ".asv").exists()
    monkeypatch.setenv("HOME", str(tiny["home"]))  # asv's machine file of the fixture
    done = publish(clone / "asv.conf.json", dest)
    assert done.restored == 2
    assert (clone / ".asv" / "results" / "benchmarks.json").is_file()  # discovery ran
    index = json.loads((clone / ".asv" / "html" / "index.json").read_text())
    assert set(index["revision_to_hash"].values()) == set(tiny["shas"][:2])
    assert done.index.read_text().count('src="vendor/') == 9


def test_cli_archive_and_restore(tiny, tmp_path):
    from cnnbench.reports.cli import app
    from typer.testing import CliRunner

    config, dest = str(tiny["repo"] / "asv.conf.json"), tmp_path / "history"
    runner = CliRunner()
    r = runner.invoke(app, ["asv-site", "archive", "--config", config, "--dest", str(dest)])
    assert r.exit_code == 0, r.output
    side = tiny["shas"][2][:8]
    text = " ".join(r.output.split())  # rich wraps long temporary paths at the console width
    assert f"box/{side}: left out: {side} is not on main" in text
    assert "1 left out" in text and "2 new" in text and "commit them" in text
    r = runner.invoke(app, ["asv-site", "archive", "--config", config, "--dest", str(dest)])
    assert "2 unchanged" in r.output and "commit them" not in r.output


def test_cli_archive_without_results_exits_2(tmp_path):
    from cnnbench.reports.cli import app
    from typer.testing import CliRunner

    config = tmp_path / "asv.conf.json"
    config.write_text(CONF)
    r = CliRunner().invoke(app, ["asv-site", "archive", "--config", str(config)])
    assert r.exit_code == 2
    assert "results_dir" in r.output and "asv results folder" in r.output


def test_a_second_machine_is_archived_restored_and_read_beside_the_first(tiny, tmp_path):
    import shutil

    results = tmp_path / "results"
    shutil.copytree(tiny["results"], results)
    # machine B's results, as `asv run` there writes them: results/<machine>/ of its own
    shutil.copytree(results / "box", results / "box-b")
    meta = json.loads((results / "box-b" / "machine.json").read_text())
    (results / "box-b" / "machine.json").write_text(json.dumps({**meta, "machine": "box-b"}))
    dest = tmp_path / "history"
    archive(results, dest, "main", tiny["repo"])
    assert sorted(p.name for p in dest.iterdir()) == ["box", "box-b"]
    fresh = tmp_path / "fresh"
    restored = restore(dest, fresh)
    assert sorted({p.parent.name for p in restored}) == ["box", "box-b"]
    h = asv_history([dest])
    assert sorted(h["machine"].unique()) == ["box", "box-b"]
    a, b = (h[h["machine"] == m].drop(columns=["machine", "source"]) for m in ("box", "box-b"))
    assert len(a) == len(b) == 4
