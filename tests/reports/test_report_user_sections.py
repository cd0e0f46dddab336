"""`cnnbench report`: the sections of the user's own claims and networks, and their inputs
validated before anything is drawn (exit 2 naming the option)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnnbench.reports.cli import app
from cnnbench.reports.render import Section
from typer.testing import CliRunner

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "tests/fixtures/profile_models.py"


@pytest.fixture
def cheap_sections(monkeypatch):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "theory_section", lambda i: Section("theory", "Theory", "x"))
    monkeypatch.setattr(sections, "history_section", lambda i: Section("history", "History", "x"))


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("user")
    claims = d / "user-claims.json"
    r = runner.invoke(app, ["check", "--claims", str(ROOT / "docs/examples/claims.toml"),
                            "--only", "sqrt|stem", "--json", str(claims)])  # fmt: skip
    assert r.exit_code == 0, r.output
    nets = d / "networks"
    for spec, extra in (("lenet5", []), (f"{MODELS}:mixed", ["--input", "3x32x32",
                                                              "--no-verify"])):
        name = spec.rsplit(":", 1)[-1]
        r = runner.invoke(app, ["network", spec, *extra, "--out", str(nets / f"{name}.json")])
        assert r.exit_code == 0, r.output
    return claims, nets


def _report(tmp_path, *extra):
    args = ["report", "--check", str(tmp_path / "none-check.json"), "--bench",
            str(tmp_path / "none.jsonl"), "--train", str(tmp_path / "none.json"),
            "--asv-results", str(tmp_path / "asv"), "--asv-history", str(tmp_path / "hist"),
            "--out", str(tmp_path / "out" / "report.html"), *extra]  # fmt: skip
    return runner.invoke(app, args)


def test_the_report_shows_user_claims_and_networks(tmp_path, cheap_sections, user_files):
    claims, nets = user_files
    r = _report(tmp_path, "--user-check", str(claims), "--networks", str(nets))
    assert r.exit_code == 0, r.output
    html = (tmp_path / "out" / "report.html").read_text()
    assert 'id="user-claims"' in html and 'id="networks"' in html
    rows = json.loads(claims.read_text())
    assert len(rows) == 3
    for row in rows:
        assert row["id"] in html
    assert "my paper, eq. (4)" in html  # the claim's source, as its locator
    mixed = json.loads((nets / "mixed.json").read_text())
    assert f"{mixed['totals']['params']:,}" in html and "ConvTranspose2d" in html
    assert "431,080" in html  # lenet5's parameters


def test_missing_user_inputs_say_which_command_makes_them(tmp_path, cheap_sections):
    r = _report(tmp_path, "--user-check", str(tmp_path / "no.json"), "--networks",
                str(tmp_path / "nonets"))  # fmt: skip
    assert r.exit_code == 0, r.output
    html = (tmp_path / "out" / "report.html").read_text()
    assert "cnnbench check --claims" in html and "cnnbench network" in html


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"), (b"{}", "key 'spec': is missing"),
    (b'{"spec": "x", "label": "x", "input": [3], "traced": true, "totals": {"params": 1.5}}',
     "key 'totals.params'"),
    (b'{"schema": 9, "spec": "x", "label": "x", "input": [3], "traced": true, "totals": '
     b'{"params": 1, "macs": 1, "torch_macs": 1, "activation_bytes": 1, "rf": null, '
     b'"jump": null, "rf_layer": null}, "layers": [], "notes": []}', "key 'schema'"),
    (b'{"spec": "x", "label": "x", "input": [3], "traced": true, "totals": {"params": 1, '
     b'"macs": 1, "torch_macs": 1, "activation_bytes": 1, "rf": null, "jump": null, '
     b'"rf_layer": null}, "layers": [{"name": "a"}], "notes": []}', "key 'layers[0].op'"),
])  # fmt: skip
def test_a_damaged_network_profile_is_exit_2(tmp_path, monkeypatch, content, message):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    nets = tmp_path / "nets"
    nets.mkdir()
    (nets / "bad.json").write_bytes(content)
    r = _report(tmp_path, "--networks", str(nets))
    text = " ".join(r.output.split())
    assert r.exit_code == 2, text
    assert "--networks" in text and "bad.json" in text and message in text


def test_networks_that_is_a_file_is_exit_2(tmp_path, monkeypatch):
    import cnnbench.reports.sections as sections

    monkeypatch.setattr(sections, "build_sections", lambda *a, **k: pytest.fail("drew"))
    (tmp_path / "afile").write_text("x")
    r = _report(tmp_path, "--networks", str(tmp_path / "afile"))
    assert r.exit_code == 2 and "is not a folder" in " ".join(r.output.split())


def test_schema_versions_agree():
    from cnnbench.analysis.profile.profile import PROFILE_SCHEMA
    from cnnbench.bench.loaders_network import NETWORK_SCHEMA

    assert PROFILE_SCHEMA == NETWORK_SCHEMA
