"""``cnnbench asv-site``: publish asv's site so that it works with no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_archive import ARCHIVE, archive, restore
from cnnbench.bench.asv_site import (
    ROOT,
    VENDOR_DIR,
    SiteError,
    fetch_from_npm,
    html_dir_of,
    load_config,
    load_manifest,
    make_offline,
    publish,
    repo_of,
    results_dir_of,
    serve,
)
from cnnbench.bench.results_io import ResultsFileError, check_output_dir
from cnnbench.reports.cli._app import app, console, parameter_error, usage_error

site_app = typer.Typer(
    help="asv's results and site: the committed history, the site offline (vendored libraries).",
    no_args_is_help=True,
)
app.add_typer(site_app, name="asv-site")

ConfigOpt = Annotated[Path, typer.Option("--config", help="asv.conf.json")]


NAMES = {"results_dir": "results_dir", "html_dir": "HTML_DIR", "dest": "--dest"}


def _run(fn, *args):
    try:
        return fn(*args)
    except (SiteError, ResultsFileError) as exc:
        raise usage_error(str(exc)) from None
    except ParameterError as exc:
        raise parameter_error(exc, NAMES) from None


def _config(config: Path) -> Path:
    """``--config`` read with asv's own loader first, so a bad one is exit 2 naming it."""
    try:
        load_config(config)
    except SiteError as exc:
        raise usage_error(f"`--config`: {exc}") from None
    return config


def display_path(path: Path) -> str:
    from cnnbench.reports.render import display_path as shown

    return shown(path)


@site_app.command("publish")
def site_publish(config: ConfigOpt = ROOT / "asv.conf.json") -> None:
    """Restore the committed history, `asv publish`, rewrite the site to load vendored files."""
    done = _run(publish, _config(config))
    console.print(
        f"{done.restored} result files restored from {display_path(ARCHIVE)} "
        f"into {display_path(done.results_dir)}"
    )
    console.print(
        f"asv site (works offline): {display_path(done.index)}; "
        "view it with `cnnbench asv-site serve`"
    )


@site_app.command("restore")
def site_restore(config: ConfigOpt = ROOT / "asv.conf.json") -> None:
    """Copy the committed history into asv's results folder (local files are kept)."""
    results = _run(results_dir_of, _config(config))
    copied = restore(ARCHIVE, results)
    console.print(
        f"{len(copied)} result files restored from {display_path(ARCHIVE)} "
        f"into {display_path(results)}"
    )


@site_app.command("archive")
def site_archive(
    config: ConfigOpt = ROOT / "asv.conf.json",
    dest: Annotated[Path, typer.Option("--dest", help="The committed archive.")] = ARCHIVE,
    branch: Annotated[str, typer.Option("--branch", help="Only commits on this branch.")] = "main",
) -> None:
    """Copy this checkout's finished asv results into the committed history (then commit it)."""
    results = _run(results_dir_of, _config(config))
    _run(check_output_dir, "--dest", dest)
    done = _run(archive, results, dest, branch, _run(repo_of, config))
    counts: dict[str, int] = {}
    for a in done:
        counts[a.status] = counts.get(a.status, 0) + 1
        if a.status.startswith("left out"):
            console.print(f"  {a.path.parent.name}/{a.path.name[:8]}: {a.status}")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no results"
    console.print(f"{display_path(results)} -> {display_path(dest)}: {summary}")
    if counts.get("new") or counts.get("updated"):
        console.print(f"commit them: git add {display_path(dest)} && git commit")


@site_app.command("offline")
def site_offline(html_dir: Path) -> None:
    """Make an already published site work offline."""
    console.print(_run(make_offline, html_dir))


@site_app.command("vendor")
def site_vendor(
    dest: Annotated[Path, typer.Option("--dest", help="Where the files go.")] = VENDOR_DIR,
) -> None:
    """Re-fetch the vendored libraries with `npm pack` and verify their sha256."""
    _run(check_output_dir, "--dest", dest)
    _run(fetch_from_npm, load_manifest(), dest)
    console.print(f"vendored files re-fetched into {dest} and verified")


@site_app.command("serve")
def site_serve(
    config: ConfigOpt = ROOT / "asv.conf.json",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8080,
) -> None:
    """Serve the site on 127.0.0.1 only (asv's pages load their data with XHR).

    Exit 2 when the site has not been published yet or the port is in use.
    """
    site = _run(html_dir_of, _config(config))
    _run(serve, site, port, lambda url: console.print(f"serving {site} on {url} (Ctrl-C stops)"))
