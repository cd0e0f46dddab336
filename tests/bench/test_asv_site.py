"""Offline asv site: the vendored bytes, and the rewrite of asv's own index.html."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import asv
import pytest
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_site import (
    _REMOTE_TAG,
    MANIFEST,
    VENDOR_DIR,
    SiteError,
    load_manifest,
    make_offline,
    rewrite_index,
    verify_vendored,
)

# The page asv 0.6.6 ships: the real input the rewrite has to handle.
ASV_INDEX = Path(asv.__file__).parent / "www" / "index.html"


@pytest.fixture
def site(tmp_path) -> Path:
    shutil.copytree(Path(asv.__file__).parent / "www", tmp_path / "html")
    return tmp_path / "html"


def test_vendored_files_match_manifest():
    files = load_manifest()
    verify_vendored(files)
    scripts = [f for f in files if f.cdn_url]
    assert len(scripts) == 10
    # each vendored library has its license next to it
    for folder in {f.path.split("/")[0] for f in files}:
        names = {Path(f.path).name for f in files if f.path.startswith(folder + "/")}
        assert names & {"LICENSE", "LICENSE.txt", "package.json"}, folder


def test_same_bytes_files_match_asv_pinned_sri():
    # rewrite_index checks asv's own SRI hash for the files the CDN serves from npm
    html = rewrite_index(ASV_INDEX.read_text(), load_manifest())
    assert _REMOTE_TAG.findall(html) == []
    assert sum(f.same_bytes_as_cdn for f in load_manifest()) == 5


def test_rewrite_refuses_bytes_differing_from_asv_sri(tmp_path):
    shutil.copytree(VENDOR_DIR, tmp_path / "v")
    jq = tmp_path / "v" / "jquery-3.3.1" / "jquery.min.js"
    jq.write_bytes(jq.read_bytes() + b"\n")
    with pytest.raises(SiteError, match="differs from asv's pinned sha256-"):
        rewrite_index(ASV_INDEX.read_text(), load_manifest(), tmp_path / "v")


def test_verify_detects_tampered_vendored_file(tmp_path):
    shutil.copytree(VENDOR_DIR, tmp_path / "v")
    (tmp_path / "v" / "flot-0.8.3" / "jquery.flot.js").write_text("/* not flot */")
    with pytest.raises(SiteError, match=r"jquery.flot.js: sha256 .* differs from the manifest"):
        verify_vendored(load_manifest(), tmp_path / "v")


def test_verify_reports_missing_file(tmp_path):
    with pytest.raises(SiteError, match=r"vendored file missing: .*run `cnnbench asv-site vendor`"):
        verify_vendored(load_manifest(), tmp_path)


def test_rewrite_refuses_unknown_asv_page():
    files = load_manifest()
    moved = tuple(
        dataclasses.replace(f, cdn_url=f.cdn_url.replace("3.3.1", "3.7.1"))
        if f.cdn_url and "jquery-3.3.1" in f.cdn_url else f
        for f in files
    )
    with pytest.raises(SiteError, match=r"no longer references https://code\.jquery\.com/jquery-3\.7\.1"):
        rewrite_index(ASV_INDEX.read_text(), moved)


def test_rewrite_refuses_leftover_network_tag():
    html = ASV_INDEX.read_text().replace(
        "</head>", '<script src="https://cdn.example.invalid/x.js"></script></head>'
    )
    with pytest.raises(SiteError, match=r"network tags left in index\.html"):
        rewrite_index(html, load_manifest())


def test_make_offline_copies_and_is_idempotent(site):
    first = make_offline(site).read_text()
    assert make_offline(site).read_text() == first
    files = [f for f in load_manifest() if f.cdn_url]
    for f in files:
        assert f'"vendor/{f.path}"' in first
        assert (site / "vendor" / f.path).read_bytes() == (VENDOR_DIR / f.path).read_bytes()
    assert "integrity=" not in first and "crossorigin" not in first


def test_make_offline_needs_published_site(tmp_path):
    with pytest.raises(ParameterError, match=r"`html_dir`='.*' must hold asv's index.html"):
        make_offline(tmp_path)


def test_manifest_path_is_in_vendor_dir():
    assert MANIFEST.parent == VENDOR_DIR and MANIFEST.is_file()
