"""`cnnbench network`: table, JSON, HTML, --variance, --layouts, and every error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODELS = FIXTURES / "profile_models.py"
TINY = """
from torch import nn


def tiny():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


def deep_tanh():
    layers = [nn.Conv2d(3, 8, 3, padding=1)]
    for _ in range(30):
        conv = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        nn.init.normal_(conv.weight, std=0.05)  # far below 1/sqrt(fan_in): the signal dies
        layers += [conv, nn.Tanh()]
    return nn.Sequential(*layers)
"""


def _invoke(args):
    r = runner.invoke(app, ["network", *args])
    if "--json" in args:  # stdout alone: progress lines go to stderr
        return r.exit_code, r.stdout
    return r.exit_code, " ".join(r.output.split())


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text(TINY)
    return path


def test_table_of_a_network_of_the_texts():
    code, out = _invoke(["lenet5", "--no-verify"])
    assert code == 0, out
    assert "conv2" in out and "431,080" in out
    assert "2,293,000 MACs" in out  # cnnbench complexity lenet5 gives the same
    assert "receptive field 16x16, jump 4x4" in out


def test_json_of_a_file_model_with_verification(tiny):
    code, out = _invoke([f"{tiny}:tiny", "--input", "3x12x12", "--json"])
    assert code == 0, out
    data = json.loads(out)
    assert data["totals"]["params"] == 3 * 4 * 9 + 4 + 4 * 4 * 9 + 4 + 4 * 2 + 2
    assert data["totals"]["macs"] == data["totals"]["torch_macs"]
    assert data["verify"]["agrees"] and data["verify"]["units"] > 0  # small: checked by default
    assert [r["shape"] for r in data["layers"]][:3] == [[4, 12, 12], [4, 12, 12], [4, 5, 5]]


def test_html_page(tmp_path, tiny):
    page = tmp_path / "sub" / "net.html"
    code, out = _invoke([f"{tiny}:tiny", "--input", "3x12x12", "--html", str(page)])
    assert code == 0, out
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert "Conv2d" in html and "parameters" in html


def test_variance_flags_a_vanishing_signal(tiny):
    code, out = _invoke([f"{tiny}:deep_tanh", "--input", "3x8x8", "--variance", "--no-verify"])
    assert code == 0, out
    assert "forward vanishes" in out


def test_variance_of_a_healthy_network_flags_nothing():
    code, out = _invoke([f"{MODELS}:mixed", "--input", "3x16x16", "--variance", "--no-verify",
                         "--json"])  # fmt: skip
    assert code == 0, out
    var = json.loads(out)["variance"]
    assert var["flagged"] == [] and len(var["rows"]) > 20


def test_layouts_name_the_faster_layout_per_layer(tiny):
    code, out = _invoke([f"{tiny}:tiny", "--input", "3x32x32", "--layouts", "--budget", "1",
                         "--no-verify", "--json"])  # fmt: skip
    assert code == 0, out
    lay = json.loads(out)["layouts"]
    assert [r["name"] for r in lay["rows"]] == ["0", "2"]
    for r in lay["rows"]:
        assert r["faster"] in ("NCHW", "channels_last", "either (within 5 %)")
        assert r["repeats"] >= 3 and r["nchw_s"] > 0 and r["channels_last_s"] > 0
    assert lay["model"]["recommendation"] in ("NCHW", "channels_last", "either (within 5 %)")
    assert lay["model"]["conversion_s"] > 0


@pytest.mark.slow
def test_resnet50_layouts_within_three_minutes():
    import time

    start = time.perf_counter()
    code, out = _invoke([f"{FIXTURES / 'resnet50.py'}:resnet50", "--input", "3x224x224",
                         "--layouts", "--json"])  # fmt: skip
    assert code == 0, out
    assert time.perf_counter() - start < 180
    lay = json.loads(out)["layouts"]
    assert len(lay["rows"]) == 53  # every convolution of ResNet-50, downsampling included


# --- every error, exit 2 ---------------------------------------------------------------------

BROKEN = "raise ImportError('no such thing')\n"


@pytest.mark.parametrize(("spec", "words"), [
    ("nosuchnet", "must be a network of the texts (lenet5"),
    ("", "must be a network of the texts"),
    ("mod:3x", "after the last ':' comes the factory's name"),
    ("{tmp}/missing.py:f", "which does not exist"),
    ("{tmp}:f", "which is a folder"),
    ("{tmp}/model.txt:f", "which is not a .py file"),
    ("{tmp}/broken.py:f", "could not be imported: {tmp}/broken.py raised ImportError: no such"),
    ("no_such_module_xyz:f", "names the module 'no_such_module_xyz', which cannot be found"),
    ("{models}:nope", "names 'nope', which {models} does not define; its callables:"),
    ("{models}:NOT_CALLABLE", "names 'NOT_CALLABLE', a int; it must be a function"),
    ("{models}:raises", "failed: calling the factory raised RuntimeError: the factory is broken"),
    ("{models}:not_a_module", "returned a int; the factory must return a torch.nn.Module"),
])  # fmt: skip
def test_a_bad_spec_is_exit_2_naming_it(tmp_path, spec, words):
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "model.txt").write_text("")
    sub = {"{tmp}": str(tmp_path), "{models}": str(MODELS)}
    for k, v in sub.items():
        spec, words = spec.replace(k, v), words.replace(k, v)
    code, out = _invoke([spec, "--input", "3x8x8"])
    assert code == 2, out
    assert "SPEC" in out and words in out and "Traceback" not in out


@pytest.mark.parametrize(("value", "words"), [
    ("3", "must be CxHxW"), ("3x", "must be CxHxW"), ("axb", "must be CxHxW"),
    ("3x8x8x8x8", "must be CxHxW"), ("3x0x8", "every size at least 1"),
    ("-3x8", "must be CxHxW"), ("3x1048576x1048576", "a sample of at most 2**40 elements"),
])  # fmt: skip
def test_a_bad_input_is_exit_2(value, words):
    code, out = _invoke([f"{MODELS}:mixed", "--input", value])
    assert code == 2, out
    assert "--input" in out and words in out


def test_input_is_required_for_a_users_model():
    code, out = _invoke([f"{MODELS}:mixed"])
    assert code == 2, out
    assert "`--input`=None is required for a model of your own" in out


def test_an_input_the_model_refuses_is_exit_2():
    code, out = _invoke([f"{MODELS}:mixed", "--input", "3x2x2"])
    assert code == 2, out
    assert "`--input`='3x2x2': the model cannot run on it" in out


@pytest.mark.parametrize(("option", "value"), [
    ("--samples", "1"), ("--samples", "257"), ("--batch", "0"), ("--batch", "65"),
    ("--budget", "0.5"), ("--budget", "3601"),
])  # fmt: skip
def test_out_of_range_numbers_are_exit_2(option, value):
    code, out = _invoke(["lenet5", option, value])
    assert code == 2, out
    assert option in out and "must be in [" in out


def test_html_into_a_file_is_exit_2(tmp_path):
    (tmp_path / "afile").write_text("x")
    code, out = _invoke(["lenet5", "--html", str(tmp_path / "afile" / "x.html")])
    assert code == 2, out
    assert "--html" in out


def test_an_untraceable_model_says_what_was_left_out():
    code, out = _invoke([f"{MODELS}:branchy", "--input", "3x8x8", "--verify", "--variance"])
    assert code == 0, out
    assert "torch.fx could not trace the model" in out
    assert "gradient support: not measured (the model could not be traced)" in out
    assert "variance: not measured (the model could not be traced)" in out


def test_a_model_without_convolutions_has_no_layouts(tmp_path):
    path = tmp_path / "mlp.py"
    path.write_text("from torch import nn\n\ndef mlp():\n    return nn.Linear(4, 2)\n")
    code, out = _invoke([f"{path}:mlp", "--input", "1x4", "--layouts"])
    assert code == 0, out
    assert "layouts: not timed (the model has no 2-D convolution)" in out
