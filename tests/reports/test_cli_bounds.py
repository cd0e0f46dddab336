"""Bounds on size-like options, numerical edges and tracebacks of issue 15, one test each.

Each bound's message gives the limit and the reason; none of these may start the
work (minutes and gigabytes, or no end) or end in a library traceback.
"""

from __future__ import annotations

import socket

import pytest
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def _usage(args: list[str]) -> str:
    r = runner.invoke(app, args)
    text = " ".join(r.output.split())
    assert r.exit_code == 2, text
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["variance", "-a", "relu", "--depth", "100000"],
         "`--depth`=100000 must be in [1, 1000]: one quadrature per layer"),
        (["variance", "-a", "relu", "--width", "1000000"],
         "`--width`=1000000 must be in [1, 4096]: --mc holds depth x width^2"),
        (["variance", "-a", "relu", "--mc", "--width", "4096", "--depth", "100"],
         "`--mc`='8.59e+11 multiply-adds' must stay under 2e+10"),
        (["variance", "-a", "relu", "--mc", "--seed", str(2**40)],
         f"`--seed`={2**40} must be in [0, 4294967295]"),
        (["variance", "-a", "relu", "--draws", "100000", "--mc"],
         "`--draws`=100000 must be in [1, 1000]"),
        (["train", "--activations", ""], "`--activations`='' must name at least one activation"),
        (["train", "--activations", " , "], "`--activations`='' must name at least one"),
        (["train", "--depth", "5000"], "`--depth`=5000 must be an integer in [1, 200]"),
        (["train", "--epochs", "100000"], "`--epochs`=100000 must be an integer in [1, 1000]"),
        (["train", "--seeds", "0"], "`--seeds`=0 must be an integer in [1, 100]"),
        (["train", "--epochs", "1000", "--depth", "200"],
         "makes 9000000 layer-epochs (arms x --seeds x --epochs x --depth); at most 100000"),
        (["rf", ",".join(["c3s1p1"] * 5000)], "`LAYERS`=5000 must be in [1, 256]"),
        (["series", "sigmoid", "--order", "100000"], "`--order`=100000 must be in [0, 40]"),
        (["maxdepth", "--image", "60", "--t", "1e-320"],
         "`--t`=1e-320 must be at least 1e-250: below it the c-value bounds"),
        (["maxdepth", "--image", "60", "--t", "0.5", "--kernel", str(10**40)],
         "`--kernel`=10000000000000000000000000000000000000000 must be at most 2**30"),
        (["maxdepth", "--image", "60", "--t", "inf"], "`--t`=inf must be a finite real number"),
        (["maxdepth", "--image", "60", "--t", "nan"], "`--t`=nan must be a finite real number"),
        (["bench", "--budget", "1e300", "--list"], "`--budget`=1e+300 must be in [0.001, 60]"),
        (["gate", "trials", "--trials", "100000"], "`--trials`=100000 must be in [1, 1000]"),
        (["gate", "baseline", "--aa-runs", "5000"], "`--aa-runs`=5000 must be in [3, 100]"),
        (["gate", "baseline", "--rounds", "2"], "`--rounds`=2 must be in [6, 1001]"),
    ],
    ids=lambda v: v[0] + " " + v[1] if isinstance(v, list) and len(v) > 1 else None,
)
def test_bounds_and_edges_are_usage_errors_with_limit_and_reason(args, message):
    assert message in _usage(args)


def test_rf_with_no_arguments_says_what_to_give():
    # issue 15: it said "give either a layer list ... or --network, not both"
    text = _usage(["rf"])
    assert "give a layer list (e.g. 'c3s1p1,p2s2') or --network NAME" in text
    assert "not both" not in text


def test_series_lists_only_activations_it_accepts():
    # issue 15: `series` listed softmax among the choices, then refused it
    text = _usage(["series", "nope"])
    assert "'sigmoid'" in text and "softmax" not in text
    assert "not elementwise, so it has no series" in _usage(["series", "softmax"])


@pytest.mark.parametrize(
    ("args", "option"),
    [(["bench", "--budget", "0", "--list"], "--budget"),
     (["maxdepth", "--image", "60", "--t", "0.5", "--pool-kernel", "0"], "--pool-kernel"),
     (["series", "nope"], "ACTIVATION"), (["shape", "conv", "--size", "0", "--kernel", "1"],
                                           "--size"),
     (["complexity", "nope"], "NETWORK"), (["rf", "--network", "nope"], "--network")],
)
def test_messages_name_the_option_typed_not_the_internal_name(args, option):
    # issue 15: errors named internal variables (name, budget_s, pool_kernel)
    text = _usage(args)
    assert f"`{option}`=" in text
    assert not any(f"`{x}`" in text for x in ("name", "budget_s", "pool_kernel", "size"))


@pytest.mark.parametrize("sub", ["publish", "restore", "archive", "serve"])
@pytest.mark.parametrize("config", ["missing", "directory", "empty", "not-json", "no-version"])
def test_asv_site_bad_config_is_named(tmp_path, sub, config):
    path = {"missing": tmp_path / "none.json", "directory": tmp_path}.get(config)
    if path is None:
        path = tmp_path / "asv.conf.json"
        path.write_text({"empty": "", "not-json": "{", "no-version": "{}"}[config])
    text = _usage(["asv-site", sub, "--config", str(path)])
    assert "`--config`:" in text and str(path) in text


def test_asv_site_serve_on_a_busy_port_is_named(tmp_path):
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text("<html></html>")
    conf = tmp_path / "asv.conf.json"
    conf.write_text('{"version": 1, "project": "x", "repo": ".", "html_dir": "html"}')
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        text = _usage(["asv-site", "serve", "--config", str(conf), "--port", str(port)])
    assert f"port {port} on 127.0.0.1 is in use; pick another with --port" in text


def test_asv_site_serve_without_a_site_says_publish_first(tmp_path):
    conf = tmp_path / "asv.conf.json"
    conf.write_text('{"version": 1, "project": "x", "repo": ".", "html_dir": "html"}')
    assert "run `cnnbench asv-site publish` first" in _usage(["asv-site", "serve", "--config",
                                                             str(conf)])  # fmt: skip


def test_asv_failing_is_a_named_error_not_a_traceback(tmp_path, monkeypatch):
    import subprocess

    from cnnbench.bench.asv_site import SiteError, _asv

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 3))
    with pytest.raises(SiteError, match=r"`asv publish` failed \(exit 3\)"):
        _asv(tmp_path / "asv.conf.json", "publish")


def test_npm_missing_is_a_named_error_not_a_traceback(tmp_path, monkeypatch):
    import subprocess

    from cnnbench.bench.asv_site import SiteError, fetch_from_npm, load_manifest

    def no_npm(*a, **k):
        raise FileNotFoundError(2, "No such file or directory", "npm")

    monkeypatch.setattr(subprocess, "run", no_npm)
    with pytest.raises(SiteError, match=r"`npm pack .*` failed \(needs npm and the registry\)"):
        fetch_from_npm(load_manifest(), tmp_path)
