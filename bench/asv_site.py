"""Make the site that ``asv publish`` writes work with no network.

asv 0.6.6's ``index.html`` loads jQuery, flot, flot-orderbars, stupidtable,
blueimp-md5 and Bootstrap from public CDNs (with SRI hashes and
``onerror="js_load_failure()"``), so offline the page shows asv's "failed to
load" screen. This module:

* keeps copies of those libraries, taken from the npm registry with
  ``npm pack``, under ``reports/vendor/asv/`` (committed with their licenses;
  ``MANIFEST.json`` there records, per file, the npm package, the path inside
  the tarball, its sha256 and the CDN URL it replaces);
* after ``asv publish``, copies them into ``<html_dir>/vendor/`` and rewrites
  the CDN ``<script>``/``<link>`` tags of ``index.html`` to those files,
  dropping ``integrity``/``crossorigin``/``referrerpolicy`` (the bytes are
  checked here instead: against the manifest, and against asv's own SRI hash
  wherever the vendored file is the very file the CDN serves);
* refuses to finish if any CDN tag is left, or if the vendored bytes changed.

Command line (``cnnbench asv-site``, in reports/cli/asv_site.py):

* ``publish``: the committed history restored into ``results_dir`` (see
  :mod:`cnnbench.bench.asv_archive`), then ``asv publish`` and the rewrite;
* ``archive``: this checkout's results into the committed history;
* ``offline DIR``: the rewrite only;
* ``vendor``: re-fetch the libraries from npm and verify them against the manifest;
* ``serve``: the site on 127.0.0.1 (asv's page reads its JSON with XHR, which
  browsers refuse on ``file://``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_archive import ARCHIVE, restore

ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = ROOT / "reports" / "vendor" / "asv"
MANIFEST = VENDOR_DIR / "MANIFEST.json"
SITE_VENDOR = "vendor"  # folder inside html_dir that receives the copies
# Tags asv's index.html may use to reach the network; none may survive.
_REMOTE_TAG = re.compile(
    r"<(script|link)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]*\"[^>]*>", re.IGNORECASE
)
_SRI = re.compile(r"\bintegrity=\"([^\"]+)\"")


@dataclass(frozen=True)
class Published:
    """What :func:`publish` did."""

    index: Path  # the offline site's index.html
    restored: int  # result files copied from the committed archive into results_dir
    results_dir: Path


class SiteError(RuntimeError):
    """The published site could not be made offline (asv changed, bytes changed)."""


@dataclass(frozen=True)
class VendoredFile:
    """One file of the manifest: where it came from and what it replaces."""

    path: str  # relative to VENDOR_DIR
    npm: str  # "name@version" as given to `npm pack`
    member: str  # path inside the npm tarball
    sha256: str
    cdn_url: str | None  # the URL in asv's index.html it replaces; None for licenses
    same_bytes_as_cdn: bool  # True: asv's SRI hash must match these bytes


def load_manifest(path: Path = MANIFEST) -> tuple[VendoredFile, ...]:
    """The committed manifest of vendored files."""
    data = json.loads(Path(path).read_text())
    return tuple(VendoredFile(**entry) for entry in data["files"])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sri_of(data: bytes, algorithm: str) -> str:
    """Subresource-integrity string of ``data``, e.g. ``sha256-<base64>``."""
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def verify_vendored(files: tuple[VendoredFile, ...], vendor_dir: Path = VENDOR_DIR) -> None:
    """Raise :class:`SiteError` if a vendored file is missing or its bytes changed."""
    for f in files:
        p = Path(vendor_dir) / f.path
        if not p.is_file():
            raise SiteError(f"vendored file missing: {p} (run `cnnbench asv-site vendor`)")
        got = sha256_of(p)
        if got != f.sha256:
            raise SiteError(f"{f.path}: sha256 {got} differs from the manifest's {f.sha256}")


def _tag_for(url: str, html: str) -> re.Match:
    for m in _REMOTE_TAG.finditer(html):
        if f'"{url}"' in m.group(0):
            return m
    raise SiteError(
        f"asv's index.html no longer references {url}; the asv version changed "
        "(this module matches asv 0.6.6): update reports/vendor/asv/MANIFEST.json"
    )


def rewrite_index(html: str, files: tuple[VendoredFile, ...], vendor_dir: Path = VENDOR_DIR) -> str:
    """``index.html`` with every CDN tag pointing at ``vendor/<path>``.

    Where the manifest says the vendored file is the CDN's own file, the SRI
    hash asv wrote next to the URL is checked against the vendored bytes.
    """
    out = html
    for f in files:
        if f.cdn_url is None:
            continue
        tag = _tag_for(f.cdn_url, out).group(0)
        if f.same_bytes_as_cdn:
            sri = _SRI.search(tag)
            if sri is None:
                raise SiteError(f"no integrity attribute next to {f.cdn_url}")
            algorithm = sri.group(1).split("-", 1)[0]
            got = sri_of((Path(vendor_dir) / f.path).read_bytes(), algorithm)
            if got != sri.group(1):
                raise SiteError(f"{f.path}: {got} differs from asv's pinned {sri.group(1)}")
        local = f"{SITE_VENDOR}/{f.path}"
        if tag.lower().startswith("<script"):
            new = f'<script src="{local}" onerror="js_load_failure()"></script>'
            # the closing tag follows the opening one directly in asv's page
            out = out.replace(tag + "</script>", new, 1)
        else:
            new = f'<link rel="stylesheet" href="{local}">'
            out = out.replace(tag, new, 1)
    left = [m.group(0) for m in _REMOTE_TAG.finditer(out)]
    if left:
        raise SiteError(f"network tags left in index.html: {left}")
    return out


def make_offline(html_dir: Path, vendor_dir: Path = VENDOR_DIR) -> Path:
    """Copy the vendored libraries into ``html_dir`` and rewrite its index.html.

    Idempotent: a second call on an already rewritten site only re-copies.
    Returns the path of the rewritten ``index.html``.
    """
    html_dir = Path(html_dir)
    index = html_dir / "index.html"
    if not index.is_file():
        raise ParameterError(
            "html_dir", str(html_dir), "must hold asv's index.html (run asv publish)"
        )
    files = load_manifest(Path(vendor_dir) / "MANIFEST.json")
    verify_vendored(files, vendor_dir)
    dest = html_dir / SITE_VENDOR
    for f in files:
        (dest / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(vendor_dir) / f.path, dest / f.path)
    html = index.read_text(encoding="utf-8")
    if f'src="{SITE_VENDOR}/' not in html:
        html = rewrite_index(html, files, vendor_dir)
        index.write_text(html, encoding="utf-8")
    return index


def load_config(config: Path):
    """asv's own reading of an ``asv.conf.json``; :class:`SiteError` naming the file when it
    is missing, a folder, unreadable or not a valid asv config."""
    from asv.config import Config  # the dev venv has asv; the bench package does not need it
    from asv.util import UserError

    path = Path(config)
    if path.is_dir():
        raise SiteError(f"{path} is a directory; expected an asv.conf.json file")
    if not path.is_file():
        raise SiteError(f"{path} does not exist; expected an asv.conf.json file")
    try:
        return Config.load(str(path))
    except (UserError, OSError, ValueError, TypeError, KeyError, AttributeError,
            RecursionError) as exc:  # fmt: skip
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise SiteError(f"{path} is not a valid asv config: {text}") from None


def _conf_dir(config: Path, key: str) -> Path:
    """A folder setting of an asv config, resolved against the config's folder."""
    conf = load_config(config)
    return (Path(config).resolve().parent / getattr(conf, key)).resolve()


def html_dir_of(config: Path) -> Path:
    """``html_dir`` of an asv config."""
    return _conf_dir(config, "html_dir")


def results_dir_of(config: Path) -> Path:
    """``results_dir`` of an asv config."""
    return _conf_dir(config, "results_dir")


def repo_of(config: Path) -> Path:
    """The repository an asv config benchmarks (its ``repo``, a local path here)."""
    return _conf_dir(config, "repo")


def _asv(config: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "asv", *args, "--config", str(config)],
                          cwd=Path(config).resolve().parent, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SiteError(f"`asv {' '.join(args)}` failed (exit {done.returncode}); its output "
                        "is above")  # fmt: skip


def publish(config: Path = ROOT / "asv.conf.json", archive_dir: Path = ARCHIVE) -> Published:
    """Restore the committed history, ``asv publish``, then :func:`make_offline`.

    ``asv publish`` needs ``benchmarks.json``, which only benchmark discovery
    writes; a fresh clone has none, so discovery runs first in that case
    (``asv run -E existing --bench just-discover``, which measures nothing).
    """
    results = results_dir_of(config)
    restored = restore(archive_dir, results)
    if not (results / "benchmarks.json").is_file():
        _asv(config, "run", "-E", "existing", "--bench", "just-discover")
    _asv(config, "publish")
    return Published(make_offline(html_dir_of(config)), len(restored), results)


def fetch_from_npm(files: tuple[VendoredFile, ...], dest: Path) -> None:
    """Re-create the vendored files from ``npm pack`` and check each sha256."""
    with tempfile.TemporaryDirectory() as tmp:
        for spec in sorted({f.npm for f in files}):
            try:
                done = subprocess.run(
                    ["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                    check=True, capture_output=True, text=True,
                )
            except (OSError, subprocess.CalledProcessError) as exc:
                detail = getattr(exc, "stderr", None) or getattr(exc, "strerror", None) or exc
                raise SiteError(f"`npm pack {spec}` failed (needs npm and the registry): "
                                f"{' '.join(str(detail).split())[:300]}") from None
            tgz = Path(tmp) / done.stdout.strip().splitlines()[-1]
            with tarfile.open(tgz) as tar:
                for f in files:
                    if f.npm != spec:
                        continue
                    data = tar.extractfile(f.member).read()
                    got = hashlib.sha256(data).hexdigest()
                    if got != f.sha256:
                        raise SiteError(f"{spec}:{f.member} has sha256 {got}, manifest {f.sha256}")
                    (Path(dest) / f.path).parent.mkdir(parents=True, exist_ok=True)
                    (Path(dest) / f.path).write_bytes(data)


def serve(html_dir: Path, port: int = 8080, ready=lambda url: None) -> None:
    """Serve ``html_dir`` on 127.0.0.1 only (``asv preview`` binds every interface).

    ``ready(url)`` is called once the port is bound; :class:`SiteError` when there is no
    site to serve or the port cannot be bound (in use).
    """
    import errno
    import functools
    import http.server

    if not (Path(html_dir) / "index.html").is_file():
        raise SiteError(f"no site in {html_dir}: run `cnnbench asv-site publish` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html_dir))
    try:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            msg = f"port {port} on 127.0.0.1 is in use; pick another with --port"
            raise SiteError(msg) from None
        raise SiteError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    with httpd:
        ready(f"http://127.0.0.1:{port}/")
        httpd.serve_forever()
