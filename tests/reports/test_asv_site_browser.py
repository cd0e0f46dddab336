"""The published asv site, made offline, in a real browser on 127.0.0.1.

A throwaway git repository with a two-benchmark suite gets two commits
measured by asv (``-E existing``, no env build), ``asv publish`` writes the
site, :func:`cnnbench.bench.asv_site.make_offline` vendors the CDN libraries, and
headless Chromium opens the grid, the list (stupidtable), a graph (flot) and
the regressions page: no console errors, no failed requests. The same site
with its CDN URLs pointed at a closed local port is the negative control: the
check must see it fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from cnnbench.bench.asv_site import _REMOTE_TAG, make_offline

REQUIRE_BROWSER = os.environ.get("CI") == "true"

SUITE = '''
class TimeTiny:
    params = ([10, 100],)
    param_names = ["n"]

    def setup(self, n):
        self.data = list(range(n))

    def time_sum(self, n):
        sum(self.data)

    def track_len(self, n):
        return len(self.data)

    track_len.unit = "items"
'''

CONF = """{"version": 1, "project": "tiny", "project_url": "https://example.invalid/tiny",
 "repo": ".", "dvcs": "git", "branches": ["main"], "environment_type": "existing",
 "benchmark_dir": "benchmarks", "env_dir": ".asv/env", "results_dir": ".asv/results",
 "html_dir": ".asv/html"}
"""


@pytest.fixture(scope="module")
def browser():
    try:
        from cnnbench.reports.browser import chromium_path, inspect_page
    except ImportError as exc:  # playwright missing
        pytest.skip(f"browser driver unavailable: {exc}")
    if chromium_path() is None:
        if REQUIRE_BROWSER:
            pytest.fail("chromium is missing in CI: the test command should have installed it")
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    return inspect_page


@pytest.fixture(scope="module")
def published(tmp_path_factory, asv_repo) -> Path:
    """A real ``asv publish`` output with two commits of results."""
    r = asv_repo(tmp_path_factory.mktemp("asvsite"), SUITE, CONF, "fixture")
    for i in range(2):
        sha = r.commit(f"step {i}")
        r.asv("run", "-E", "existing", "--set-commit-hash", sha, "--quick")
    r.asv("publish")
    return r.repo / ".asv" / "html"


@pytest.fixture(scope="module")
def served(published, tmp_path_factory):
    """The offline site and, as negative control, the original with dead CDN hosts."""
    offline = tmp_path_factory.mktemp("offline") / "html"
    dead = tmp_path_factory.mktemp("dead") / "html"
    shutil.copytree(published, offline)
    shutil.copytree(published, dead)
    make_offline(offline)
    index = dead / "index.html"
    # port 9 (discard) on loopback is closed here: every library load fails fast
    index.write_text(re.sub(r"https://[^/\"]+/", "http://127.0.0.1:9/", index.read_text()))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    servers = {}
    for name, folder in (("offline", offline), ("dead", dead)):
        srv = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
        )
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers[name] = srv
    yield {k: f"http://127.0.0.1:{s.server_address[1]}/index.html" for k, s in servers.items()}
    for s in servers.values():
        s.shutdown()


def test_offline_site_has_no_network_tags(published, tmp_path):
    site = tmp_path / "html"
    shutil.copytree(published, site)
    original = (site / "index.html").read_text()
    assert len(_REMOTE_TAG.findall(original)) == 10  # asv 0.6.6 loads 10 libraries from CDNs
    rewritten = make_offline(site).read_text()
    assert _REMOTE_TAG.findall(rewritten) == []
    assert rewritten.count('src="vendor/') == 9 and rewritten.count('href="vendor/') == 1
    for ref in re.findall(r'(?:src|href)="(vendor/[^"]+)"', rewritten):
        assert (site / ref).is_file(), ref


# (page fragment, element that exists only once the page's JavaScript ran)
PAGES = (
    ("", "#summarygrid-display .benchmark-container"),  # grid: jQuery + index.json
    ("#summarylist", "#summarylist-display table tbody tr"),  # list: stupidtable
    ("#bench_tiny.TimeTiny.time_sum", "#main-graph canvas.flot-base"),  # graph: flot
    ("#regressions", "#regressions-display"),
)


@pytest.mark.parametrize(("fragment", "selector"), PAGES)
def test_offline_site_renders_without_errors(browser, served, fragment, selector, tmp_path):
    shot_dir = Path(os.environ.get("CNNBENCH_SCREENSHOT_DIR", tmp_path))
    name = fragment.strip("#").split(".")[0] or "grid"
    seen = browser(served["offline"] + fragment, screenshot=shot_dir / f"asv-site-{name}.png",
                   wait_selector=selector)
    assert seen.console_errors == ()
    assert seen.failed_requests == ()
    assert seen.broken_images == ()


def test_site_with_unreachable_cdn_is_seen_failing(browser, served):
    # negative control: the same check on asv's own page with the CDNs unreachable
    seen = browser(served["dead"])
    assert seen.console_errors or seen.failed_requests
