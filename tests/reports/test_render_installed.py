"""The report renders from the installed package, not only from the repository root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def test_render_html_outside_the_checkout(tmp_path):
    # pytest puts the repository root on sys.path; a console script (`make report`) has
    # no such luck, so the templates must be found through the package name cnnbench.
    code = ("from pathlib import Path; "
            "from cnnbench.reports.render import render_html, load_check_rows; "
            f"print(len(render_html(load_check_rows(Path({str(FIXTURES / 'check.json')!r})), [], "
            "generated='t')))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) > 1000
