"""``cnnbench asv-site``: publish asv's site so that it works with no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analysis._validation import ParameterError
from bench.asv_site import (
    ROOT,
    VENDOR_DIR,
    SiteError,
    fetch_from_npm,
    html_dir_of,
    load_manifest,
    make_offline,
    publish,
    serve,
)
from reports.cli._app import app, console, usage_error

site_app = typer.Typer(help="The asv site, offline (vendored libraries).", no_args_is_help=True)
app.add_typer(site_app, name="asv-site")

ConfigOpt = Annotated[Path, typer.Option("--config", help="asv.conf.json")]


def _run(fn, *args):
    try:
        return fn(*args)
    except (SiteError, ParameterError) as exc:
        raise usage_error(str(exc)) from None


@site_app.command("publish")
def site_publish(config: ConfigOpt = ROOT / "asv.conf.json") -> None:
    """`asv publish`, then rewrite the site to load the vendored libraries."""
    console.print(_run(publish, config))


@site_app.command("offline")
def site_offline(html_dir: Path) -> None:
    """Make an already published site work offline."""
    console.print(_run(make_offline, html_dir))


@site_app.command("vendor")
def site_vendor(
    dest: Annotated[Path, typer.Option("--dest", help="Where the files go.")] = VENDOR_DIR,
) -> None:
    """Re-fetch the vendored libraries with `npm pack` and verify their sha256."""
    _run(fetch_from_npm, load_manifest(), dest)
    console.print(f"vendored files re-fetched into {dest} and verified")


@site_app.command("serve")
def site_serve(
    config: ConfigOpt = ROOT / "asv.conf.json",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8080,
) -> None:
    """Serve the site on 127.0.0.1 only (asv's pages load their data with XHR)."""
    site = _run(html_dir_of, config)
    console.print(f"serving {site} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
    serve(site, port)
