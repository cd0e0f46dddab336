"""Open a report in headless Chromium and say what a person would see.

Used by the browser test (on fixture results) and by ``make report`` (on the
real report, writing a screenshot for the reviewer). Debian's ``chromium`` is
driven through Playwright's protocol client; no browser is downloaded.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

# Flags for a closed network: without the background-networking ones Chromium
# keeps trying (and failing) to reach update and sync hosts.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class PageReport:
    """What the page showed: errors, images, sections, and whether filtering works."""

    console_errors: tuple[str, ...]
    failed_requests: tuple[str, ...]
    images: int
    broken_images: tuple[str, ...]
    sections: tuple[str, ...]  # ids of <section> elements with visible content
    verdict_rows: int
    filter_works: bool | None  # None: no verdict table to filter
    sort_works: bool | None = None  # None: no sortable table with two rows or more

    @property
    def ok(self) -> bool:
        return not (self.console_errors or self.failed_requests or self.broken_images) and (
            self.filter_works is not False and self.sort_works is not False
        )


def inspect_page(
    url: str, *, screenshot: Path | None = None, wait_selector: str | None = None
) -> PageReport:
    """Load ``url`` (``file://`` or ``http://127.0.0.1``) and inspect it."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    errors: list[str] = []
    failed: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(url, wait_until="load")
            if wait_selector:
                page.wait_for_selector(wait_selector, timeout=15_000)
            broken = page.evaluate(
                "() => Array.from(document.images)"
                ".filter(i => !(i.complete && i.naturalWidth > 0))"
                ".map(i => i.alt || i.src.slice(0, 60))"
            )
            images = page.evaluate("() => document.images.length")
            sections = page.evaluate(
                "() => Array.from(document.querySelectorAll('section'))"
                ".filter(s => s.innerText.trim().length > 0).map(s => s.id)"
            )
            rows = page.locator("#verdict-table tbody tr").count()
            filter_works = _try_filter(page) if rows else None
            sort_works = _try_sort(page)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return PageReport(
        tuple(errors), tuple(failed), images, tuple(broken), tuple(sections), rows, filter_works,
        sort_works,
    )


def _try_filter(page) -> bool:
    """Pick each verdict in the filter; the visible rows must be exactly that verdict's."""
    options = page.eval_on_selector_all("#verdict-filter option", "os => os.map(o => o.value)")
    ok = True
    for value in [o for o in options if o]:
        page.select_option("#verdict-filter", value)
        shown = page.eval_on_selector_all(
            "#verdict-table tbody tr",
            "rs => rs.filter(r => r.style.display !== 'none').map(r => r.dataset.verdict)",
        )
        ok &= bool(shown) and all(v == value for v in shown)
    page.select_option("#verdict-filter", "")
    return ok


_CELLS = ("t => Array.from(t.tBodies[0].rows).map(r => r.cells[{col}].textContent.trim())")


def _try_sort(page) -> bool | None:
    """Click each column header of the first sortable table twice: its cells must come out
    ascending, then descending (numbers as numbers, "∞" as infinity)."""
    table = page.locator("table.sortable").filter(has=page.locator("tbody tr:nth-child(2)"))
    if table.count() == 0:
        return None
    table = table.first
    ok = True
    for col in range(table.locator("thead th").count()):
        for order in (1, -1):
            table.locator("thead th").nth(col).click()
            cells = table.evaluate(_CELLS.format(col=col))
            keys = [_sort_key(c) for c in cells]
            if len({type(k) for k in keys}) == 1:
                ok &= keys == sorted(keys, reverse=order < 0)
    return ok


def _sort_key(text: str) -> float | str:
    """What the page's sorter compares: the leading number (parseFloat), else the text."""
    import re

    m = re.match(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text.replace("∞", "inf"))
    if text.strip().startswith("∞"):
        return float("inf")
    return float(m.group(0)) if m else text.lower()
