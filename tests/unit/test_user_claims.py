"""`cnnbench check --claims`: each kind decided against its oracle, every schema error
named (file, claim, key, value, what is allowed), and the example file's verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy
import torch
from cnnbench.analysis.claims._core import Verdict
from cnnbench.analysis.user import checks
from cnnbench.analysis.user.schema import ClaimsFileError, read_claims
from cnnbench.reports.cli import app
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs/examples/claims.toml"
EXPECTED = ROOT / "docs/examples/claims.expected.json"
runner = CliRunner()
HEAD = 'id = "c1"\nsource = "p. 3"\nstatement = "s"\n'


def test_the_example_file_gives_its_expected_verdicts_in_ci():
    r = runner.invoke(app, ["check", "--claims", str(EXAMPLE), "--expect", str(EXPECTED)])
    assert r.exit_code == 0, r.output
    assert "verdicts match" in r.output
    expected = json.loads(EXPECTED.read_text())
    kinds = {(c.kind, expected[f"user.{c.id}"]) for c in read_claims(EXAMPLE)}
    for kind in ("identity", "value", "series", "output-size", "params", "macs", "gain",
                 "fixed-point"):  # fmt: skip
        assert {(kind, "confirmed"), (kind, "refuted")} <= kinds, kind


def test_json_output_holds_user_claims_like_the_registry(tmp_path):
    out = tmp_path / "user.json"
    r = runner.invoke(app, ["check", "--claims", str(EXAMPLE), "--only", "sqrt", "--json",
                            str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = {row["id"]: row for row in json.loads(out.read_text())}
    assert rows["user.sqrt-square"]["verdict"] == "refuted"
    assert rows["user.sqrt-square"]["seed"] == "user"
    assert rows["user.sqrt-square"]["locator"] == "my paper, eq. (4)"
    point = rows["user.sqrt-square"]["evidence"]["point"]["x"]
    assert point < 0 and abs(point) == pytest.approx(rows["user.sqrt-square"]["evidence"]["lhs"])


# --- each kind against its oracle ----------------------------------------------------------

def test_identity_counterexample_really_is_one():
    r = checks.identity("log(x*y)", "log(x) + log(y)")
    assert r.verdict is Verdict.REFUTED
    pt = {k: sympy.Float(v) for k, v in r.evidence["point"].items()}
    x, y = sympy.symbols("x y")
    lhs = complex(sympy.log(x * y).subs({x: pt["x"], y: pt["y"]}).evalf())
    rhs = complex((sympy.log(x) + sympy.log(y)).subs({x: pt["x"], y: pt["y"]}).evalf())
    assert abs(lhs - rhs) > 1e-6
    assert checks.identity("log(x*y)", "log(x) + log(y)", ["x > 0", "y > 0"]).verdict is \
        Verdict.CONFIRMED  # fmt: skip


def test_value_and_digits():
    assert checks.value("pi", 3.14159, digits=6).verdict is Verdict.CONFIRMED
    assert checks.value("pi", 3.14159, digits=7).verdict is Verdict.REFUTED
    assert checks.value("pi", 3.14, tolerance=0.01).verdict is Verdict.CONFIRMED
    assert checks.value("x + 1", 1.0).verdict is Verdict.INCONCLUSIVE


def test_series_against_torch_autograd_derivatives():
    # the Maclaurin coefficient k of tanh is its k-th derivative at 0 over k!
    import math

    x = torch.zeros((), dtype=torch.float64, requires_grad=True)
    y, derivs = torch.tanh(x), []
    for _ in range(4):
        (y,) = torch.autograd.grad(y, x, create_graph=True)
        derivs.append(float(y.detach()))
    coeffs = [0.0] + [d / math.factorial(k + 1) for k, d in enumerate(derivs)]
    assert checks.series("tanh(x)", 4, coeffs).verdict is Verdict.CONFIRMED
    assert checks.series("tanh(x)", 4, ["0", "1", "0", "-1/3", "0"]).verdict is Verdict.CONFIRMED
    assert checks.series("tanh(x)", 3, [0, 1, 0, "-1/6"]).verdict is Verdict.REFUTED


@pytest.mark.parametrize(("op", "kw"), [
    ("conv", dict(input=10, kernel=3, stride=2, padding=1, dilation=2)),
    ("max_pool", dict(input=10, kernel=3, stride=2, ceil_mode=True)),
    ("avg_pool", dict(input=11, kernel=2, ceil_mode=True)),
    ("conv_transpose", dict(input=5, kernel=3, stride=2, padding=1, output_padding=1)),
])  # fmt: skip
def test_output_size_against_module_forward(op, kw):
    from torch import nn

    mods = {"conv": lambda: nn.Conv1d(1, 1, kw["kernel"], kw["stride"], kw["padding"],
                                      kw["dilation"]),
            "max_pool": lambda: nn.MaxPool1d(kw["kernel"], kw["stride"],
                                             ceil_mode=kw["ceil_mode"]),
            "avg_pool": lambda: nn.AvgPool1d(kw["kernel"], ceil_mode=kw["ceil_mode"]),
            "conv_transpose": lambda: nn.ConvTranspose1d(1, 1, kw["kernel"], kw["stride"],
                                                         kw["padding"], kw["output_padding"])}
    size = mods[op]()(torch.zeros(1, 1, kw["input"])).shape[-1]
    assert checks.output_size(op, size=size, **kw).verdict is Verdict.CONFIRMED
    assert checks.output_size(op, size=size + 1, **kw).verdict is Verdict.REFUTED


def test_output_size_torch_refuses():
    r = checks.output_size("conv", input=2, kernel=5, size=0)
    assert r.verdict is Verdict.REFUTED and "refuses" in r.summary


def test_params_and_macs_conventions():
    from cnnbench.analysis.networks.modules import build_network

    model = build_network("lenet5")
    n = sum(p.numel() for p in model.parameters())
    nb = n - sum(m.bias.numel() for m in model.modules() if getattr(m, "bias", None) is not None)
    assert checks.params("lenet5", "1x28x28", n).verdict is Verdict.CONFIRMED
    assert checks.params("lenet5", "1x28x28", nb, biases=False).verdict is Verdict.CONFIRMED
    assert checks.params("lenet5", "1x28x28", nb).verdict is Verdict.REFUTED
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    flops = counter.get_total_flops()
    assert checks.macs("lenet5", "1x28x28", flops / 2).verdict is Verdict.CONFIRMED
    assert checks.macs("lenet5", "1x28x28", flops, unit="flop").verdict is Verdict.CONFIRMED
    assert checks.macs("lenet5", "1x28x28", flops).verdict is Verdict.REFUTED


def test_gain_and_fixed_point_against_torch_and_theory():
    torch_gain = torch.nn.init.calculate_gain("tanh")
    assert checks.gain("tanh", "torch", torch_gain).verdict is Verdict.CONFIRMED
    # ReLU: q* is marginal at sigma_w^2 = 2 and chi = 1 (He et al. 2015)
    assert checks.gain("relu", "chi", 1.0, sigma_w=2**0.5).verdict is Verdict.CONFIRMED
    assert checks.gain("relu", "chi", 1.0, sigma_w=1.5).verdict is Verdict.REFUTED
    assert checks.fixed_point("relu", 1.0, regime="zero").verdict is Verdict.CONFIRMED
    assert checks.fixed_point("relu", 2.0, regime="zero").verdict is Verdict.REFUTED


# --- every schema error --------------------------------------------------------------------

BAD = [
    ("", "claim", "must be one or more [[claim]] tables"),
    ("x = 1\n", "x", "is not allowed at the top level"),
    ("[[claim]\n", "--claims", "is not valid TOML"),
    ('[[claim]]\nid = "a"\n', "kind", "is required (every claim has id, kind, source, statement)"),
    ('[[claim]]\nkind = 3\nid = "a"\nsource = "s"\nstatement = "t"\n', "kind",
     "must be a non-empty string"),
    ('[[claim]]\nkind = "value"\nid = "A b"\nsource = "s"\nstatement = "t"\n', "id",
     "must be lowercase letters"),
    ('[[claim]]\nkind = "nope"\n' + HEAD, "kind", "must be one of identity, value"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\ncolour = 1\n' + HEAD, "colour",
     "is not a key of a value claim; its keys: expr"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\n' + HEAD, "value", "is required in a value claim"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = nan\n' + HEAD, "value",
     "must be a finite number"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = "1"\n' + HEAD, "value",
     "must be a finite number"),
    ('[[claim]]\nkind = "value"\nexpr = "1 +* ("\nvalue = 1\n' + HEAD, "expr",
     "must be an expression sympy can parse"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\ntolerance = -1\n' + HEAD, "tolerance",
     "must be >= 0"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\ntolerance = 1\ndigits = 2\n' + HEAD,
     "digits", "cannot be given with `tolerance`"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\ndigits = 40\n' + HEAD, "digits",
     "must be in [1, 30]"),
    ('[[claim]]\nkind = "identity"\nlhs = "x"\nrhs = "x"\nassume = ["x"]\n' + HEAD,
     "assume[0]", "must be 'SYMBOL > 0'"),
    ('[[claim]]\nkind = "series"\nexpr = "x"\norder = 99\ncoefficients = []\n' + HEAD, "order",
     "must be in [0, 30]"),
    ('[[claim]]\nkind = "series"\nexpr = "x"\norder = 2\ncoefficients = [0]\n' + HEAD,
     "coefficients", "must list order + 1 = 3 coefficients"),
    ('[[claim]]\nkind = "series"\nexpr = "x"\norder = 0\ncoefficients = [true]\n' + HEAD,
     "coefficients[0]", "must be a number or an exact expression"),
    ('[[claim]]\nkind = "series"\nexpr = "x"\norder = 0\ncoefficients = ["(("]\n' + HEAD,
     "coefficients[0]", "must parse"),
    ('[[claim]]\nkind = "output-size"\nop = "fft"\ninput = 1\nkernel = 1\nsize = 1\n' + HEAD,
     "op", "must be one of conv, conv_transpose"),
    ('[[claim]]\nkind = "output-size"\nop = "conv"\ninput = 0\nkernel = 1\nsize = 1\n' + HEAD,
     "input", "must be in [1, 1000000]"),
    ('[[claim]]\nkind = "output-size"\nop = "conv"\ninput = 1\nkernel = 1\nsize = 1\n'
     'output_padding = 1\n' + HEAD, "output_padding", "is a conv_transpose key only"),
    ('[[claim]]\nkind = "output-size"\nop = "conv"\ninput = 1\nkernel = 1\nsize = 1\n'
     'ceil_mode = true\n' + HEAD, "ceil_mode", "is a pooling key only"),
    ('[[claim]]\nkind = "output-size"\nop = "avg_pool"\ninput = 1\nkernel = 1\nsize = 1\n'
     'dilation = 2\n' + HEAD, "dilation", "is not a key of avg_pool"),
    ('[[claim]]\nkind = "output-size"\nop = "conv"\ninput = 1.5\nkernel = 1\nsize = 1\n' + HEAD,
     "input", "must be an integer"),
    ('[[claim]]\nkind = "output-size"\nop = "max_pool"\ninput = 4\nkernel = 2\nsize = 1\n'
     'ceil_mode = 1\n' + HEAD, "ceil_mode", "must be true or false"),
    ('[[claim]]\nkind = "params"\nnetwork = "nonet"\ninput = "1x8x8"\nvalue = 1\n' + HEAD,
     "network", "must be a network of the texts"),
    ('[[claim]]\nkind = "params"\nnetwork = "lenet5"\ninput = "big"\nvalue = 1\n' + HEAD,
     "input", "must be CxHxW"),
    ('[[claim]]\nkind = "macs"\nnetwork = "lenet5"\ninput = "1x28x28"\nvalue = 1\nunit = "op"\n'
     + HEAD, "unit", "must be one of mac, flop"),
    ('[[claim]]\nkind = "gain"\nactivation = "nope"\nquantity = "chi"\nvalue = 1\n' + HEAD,
     "activation", "is not a registered activation"),
    ('[[claim]]\nkind = "gain"\nactivation = "log(x)"\nquantity = "chi"\nvalue = 1\n' + HEAD,
     "activation", "is undefined at 0"),
    ('[[claim]]\nkind = "gain"\nactivation = "relu"\nquantity = "x"\nvalue = 1\n' + HEAD,
     "quantity", "must be one of chi, critical"),
    ('[[claim]]\nkind = "gain"\nactivation = "relu"\nquantity = "chi"\nvalue = 1\n' + HEAD,
     "sigma_w", "is required for quantity 'chi'"),
    ('[[claim]]\nkind = "gain"\nactivation = "relu"\nquantity = "chi"\nvalue = 1\nsigma_w = 0\n'
     + HEAD, "sigma_w", "must be > 0"),
    ('[[claim]]\nkind = "fixed-point"\nactivation = "relu"\nsigma_w = 1\nsigma_b = -1\nq = 0\n'
     + HEAD, "sigma_b", "must be >= 0"),
    ('[[claim]]\nkind = "fixed-point"\nactivation = "relu"\nsigma_w = 1\n' + HEAD, "q",
     "or `regime` is required"),
    ('[[claim]]\nkind = "fixed-point"\nactivation = "relu"\nsigma_w = 1\nregime = "calm"\n'
     + HEAD, "regime", "must be one of zero, finite"),
    ('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\n' + HEAD + '[[claim]]\nkind = "value"\n'
     'expr = "1"\nvalue = 1\n' + HEAD, "id", "is used by an earlier claim"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "words"), BAD)
def test_a_malformed_file_is_refused_naming_file_claim_and_key(tmp_path, text, key, words):
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(ClaimsFileError) as info:
        read_claims(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: ") and f"`{key}`=" in msg and words in msg, msg


def test_the_claim_is_named_by_id_else_by_index(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\n' + HEAD
                    + '[[claim]]\nkind = "value"\nid = "B"\n')  # fmt: skip
    with pytest.raises(ClaimsFileError, match=r"claim #2: `source`=None"):
        read_claims(path)
    path.write_text('[[claim]]\nkind = "value"\nexpr = "1"\n' + HEAD)
    with pytest.raises(ClaimsFileError, match=r"claim 'c1' \(#1\): `value`=None"):
        read_claims(path)


@pytest.mark.parametrize("form", ["missing", "folder", "binary"])
def test_a_bad_path_is_refused(tmp_path, form):
    path = tmp_path / "c.toml"
    if form == "folder":
        path.mkdir()
    elif form == "binary":
        path.write_bytes(b"\xff\xfe\x00")
    words = {"missing": "does not exist", "folder": "is a folder", "binary": "is not UTF-8"}[form]
    with pytest.raises(ClaimsFileError, match=words):
        read_claims(path)


def test_cli_refuses_before_anything_runs_or_is_written(tmp_path, monkeypatch):
    import cnnbench.reports.cli.check as check_cli

    def fail(*a, **k):
        raise AssertionError("a claim ran")

    monkeypatch.setattr(check_cli, "run_checks", fail)  # every way claims run
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nkind = "value"\nexpr = "1"\nvalue = 1\n' + HEAD
                    + '[[claim]]\nkind = "value"\nexpr = "1"\n' + HEAD.replace("c1", "c2"))
    out = tmp_path / "out.json"
    r = runner.invoke(app, ["check", "--claims", str(path), "--json", str(out)])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "--claims" in text and "claim 'c2' (#2): `value`=None is required" in text
    assert not out.exists()


def test_a_network_path_is_found_next_to_the_claims_file(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(
        "from torch import nn\n\ndef build():\n    return nn.Conv2d(3, 4, 3)\n")
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nkind = "params"\nnetwork = "models/net.py:build"\n'
                    'input = "3x8x8"\nvalue = 112\n' + HEAD)  # fmt: skip
    (c,) = read_claims(path)
    assert c.fields["network"] == f"{tmp_path / 'models' / 'net.py'}:build"
    from cnnbench.analysis.user.claims import to_claim

    assert to_claim(c).check().verdict is Verdict.CONFIRMED  # 3*4*9 + 4 = 112


def test_a_gain_claim_about_an_expression_activation(tmp_path):
    # Max(x, x/2) is a leaky ReLU of slope 1/2: critical gain √(2/(1 + 1/4)) (He et al. 2015),
    # here through an expression SPEC rather than a registered name
    from cnnbench.analysis.claims import run_claim
    from cnnbench.analysis.user.claims import load_claims

    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nid = "leaky-half"\nsource = "my paper"\nstatement = "s"\n'
                    'kind = "gain"\nactivation = "Max(x, x/2)"\nquantity = "critical"\n'
                    'value = 1.2649111\ntolerance = 1e-6\n')  # fmt: skip
    (claim,) = load_claims(path)
    assert run_claim(claim).result.verdict is Verdict.CONFIRMED
