"""Shared test configuration: GPU tests skip with a reason when CUDA is absent; the
``gpu_path`` tests (the GPU code run on CPU) fail instead of skipping there."""

from __future__ import annotations

import pytest


def _has_cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and "gpu_path" in item.keywords and not _has_cuda():
        reason = rep.longrepr[-1] if isinstance(rep.longrepr, tuple) else rep.longrepr
        rep.outcome = "failed"
        rep.longrepr = (f"a gpu_path test skipped ({reason}); without CUDA these are the only "
                        "run the GPU code gets, so they must run (install the dev extra)")


_GPU_PATH: dict[str, str] = {}  # nodeid -> outcome, as the controlling process sees it


def pytest_runtest_logreport(report):
    if "gpu_path" in report.keywords and (report.when == "call" or report.outcome != "passed"):
        _GPU_PATH[report.nodeid] = report.outcome  # a setup failure or skip is final


def pytest_terminal_summary(terminalreporter):
    """Each gpu_path test by name with its outcome, so a CI log shows the GPU code ran
    on CPU (passed, not skipped) without a second, verbose pytest pass."""
    if not _GPU_PATH:
        return
    tr = terminalreporter
    counts = {o: sum(v == o for v in _GPU_PATH.values()) for o in set(_GPU_PATH.values())}
    tr.section("gpu_path tests: the GPU code run on CPU (Triton interpreter, Inductor, "
               "fake CUDA clock)")
    for nodeid, outcome in sorted(_GPU_PATH.items()):
        tr.write_line(f"{outcome.upper():7} {nodeid}")
    tr.write_line(", ".join(f"{n} {o}" for o, n in sorted(counts.items())))


def pytest_collection_modifyitems(config, items):
    if _has_cuda():
        return
    skip = pytest.mark.skip(reason="needs CUDA: torch.cuda.is_available() is False here")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


class AsvRepo:
    """A throwaway git repository with an asv suite, its own HOME and git identity."""

    def __init__(self, root, suite: str, conf: str, machine: str):
        import os

        self.repo, self.home = root / "repo", root / "home"
        (self.repo / "benchmarks").mkdir(parents=True)
        self.home.mkdir()
        (self.repo / "benchmarks" / "__init__.py").write_text("")
        (self.repo / "benchmarks" / "bench_tiny.py").write_text(suite)
        (self.repo / "asv.conf.json").write_text(conf)
        (self.repo / ".gitignore").write_text(".asv/\n")
        # HOME keeps asv's machine file out of the user's; git needs an identity.
        self.env = dict(os.environ, HOME=str(self.home), GIT_AUTHOR_NAME="t",
                        GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                        GIT_COMMITTER_EMAIL="t@t")  # fmt: skip
        self.run("git", "init", "-q", "-b", "main")
        self.asv("machine", "--yes", "--machine", machine)

    def run(self, *args: str) -> str:
        import subprocess

        done = subprocess.run(args, cwd=self.repo, env=self.env, check=True,
                              capture_output=True, text=True)  # fmt: skip
        return done.stdout.strip()

    def asv(self, *args: str) -> str:
        import sys

        return self.run(sys.executable, "-m", "asv", *args)

    def commit(self, message: str) -> str:
        """Commit a one-line change; returns the new commit's hash."""
        (self.repo / "step.txt").write_text(message)
        self.run("git", "add", "-A")
        self.run("git", "commit", "-qm", message)
        return self.run("git", "rev-parse", "HEAD")


@pytest.fixture(scope="session")
def asv_repo():
    """Factory: ``asv_repo(root, suite, conf, machine)`` -> :class:`AsvRepo`."""
    return AsvRepo


@pytest.fixture(autouse=True)
def _registry_restored():
    """Activations a test registers (specs, plugins, entry points) are removed after it, so
    no other test sees them (tests share processes under pytest-xdist). Each test uses
    names of its own (``t_...``): caches keyed by name never meet another function."""
    from cnnbench.analysis.activations.registry import _REGISTRY

    before = dict(_REGISTRY)
    yield
    _REGISTRY.clear()
    _REGISTRY.update(before)
