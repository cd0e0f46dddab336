"""Installed, the suite adds one import name, cnnbench, and shadows nobody's own packages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def test_wheel_installs_cnnbench_only_beside_a_users_analysis_package(tmp_path):
    # issue 11: a user's own top-level `analysis` package and cnnbench.analysis coexist
    built = _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                 "-w", str(tmp_path / "dist"), str(ROOT))  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("cnnbench-*.whl")
    tops = {n.split("/")[0] for n in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"cnnbench", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1]
                    + ".dist-info"}  # fmt: skip
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", "--without-pip", str(venv)).returncode == 0
    python = venv / "bin" / "python"
    installed = _run(sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                     "--no-deps", str(wheel))  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    user = tmp_path / "user"
    (user / "analysis").mkdir(parents=True)
    (user / "analysis" / "__init__.py").write_text("WHO = 'the user'\n")
    probe = ("import analysis, cnnbench.analysis.seeds as s, cnnbench.analysis.printed as p;"
             "print(analysis.WHO, s.XU_THESIS, p.rounds_to(22.61, '22.6'));"
             "print(s.__file__)")  # fmt: skip
    out = _run(str(python), "-c", probe, cwd=user)
    assert out.returncode == 0, out.stderr
    first, where = out.stdout.splitlines()
    assert first == "the user 003_6ff731d493f5c8c8.txt True"
    assert str(venv) in where and "site-packages/cnnbench/analysis/seeds.py" in where


def test_the_suite_never_imports_the_folders_as_top_level_packages():
    # with the repository on sys.path, `analysis` would import as a second copy of the code
    probe = ("import sys; from cnnbench.analysis.claims import all_claims; all_claims();"
             "import cnnbench.reports.cli, cnnbench.bench.sweep;"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('analysis', 'bench', 'reports')))")  # fmt: skip
    out = _run(sys.executable, "-c", probe, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_report_renders_from_outside_the_repository(tmp_path):
    # the page template is package data of cnnbench.reports: found by that name, from any
    # folder (a loader naming the folder `reports` worked only from the repository root)
    probe = ("import sys; from cnnbench.reports.render import render_html;"
             "html = render_html((), [], generated='t'); print('<html' in html, sorted(m for m "
             "in sys.modules if m.split('.')[0] in ('analysis', 'bench', 'reports')))")
    out = _run(sys.executable, "-c", probe, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True []"
