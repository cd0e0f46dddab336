"""Activations from a user's SPEC: expressions, torch callables, modules, plugins, entry points.

Oracles: torch's own functions (F.mish, F.silu), sympy evaluated at points, autograd.
Every error message of the spec parser and the plugin loader has a test here.
"""

from __future__ import annotations

import sys
import textwrap

import pytest
import sympy
import torch
import torch.nn.functional as F
from cnnbench.analysis.activations.plugins import load_entry_points, load_plugin, load_plugins
from cnnbench.analysis.activations.registry import ACTIVATIONS, X
from cnnbench.analysis.activations.spec import ActivationSpecError, activation
from cnnbench.analysis.activations.torch_expr import torch_function

XS = torch.linspace(-8, 8, 401, dtype=torch.float64)


def test_expression_matches_torch_mish_and_its_autograd():
    a = activation("x*tanh(log(1+exp(x)))", name="t_spec_mish")
    assert a.expr.subs(X, 0) == 0 and a.seed == "user"
    torch.testing.assert_close(a.reference(XS), F.mish(XS), rtol=1e-12, atol=1e-12)
    xg = XS.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.mish(xg).sum(), xg)
    torch.testing.assert_close(a.derivative(XS), g, rtol=1e-10, atol=1e-12)


def test_expression_evaluator_agrees_with_sympy_at_points():
    expr = sympy.Piecewise((X**2 / 2, X < 1), (sympy.Max(X, 2 * X - 1) - sympy.S.Half, True))
    f = torch_function(expr + sympy.Abs(X) * sympy.Heaviside(-X), X)
    pts = [-2.5, -1.0, 0.0, 0.5, 1.0, 3.0]
    want = [float((expr + sympy.Abs(X) * sympy.Heaviside(-X)).subs(X, p)) for p in pts]
    assert f(torch.tensor(pts, dtype=torch.float64)).tolist() == pytest.approx(want, abs=1e-15)


def test_expression_keeps_dtype_and_shape():
    f = activation("Max(0, x) + 1/(1 + exp(-x))", name="t_spec_dtype").reference
    y = f(torch.zeros(3, 4, dtype=torch.bfloat16))
    assert y.dtype == torch.bfloat16 and y.shape == (3, 4)
    assert float(y[0, 0]) == 0.5  # bit-exact: max(0, 0) + 1/(1 + 1) in bfloat16


def test_same_spec_twice_is_the_same_activation():
    a = activation("x*sigmoid(2*x)", name="t_spec_twice")
    assert activation("x*sigmoid(2*x)", name="t_spec_twice") is a
    assert ACTIVATIONS["t_spec_twice"] is a


def test_module_attr_callable_and_module_class():
    f = activation("torch.nn.functional:silu", name="t_spec_silu")
    assert f.expr is None and "autograd" in f.description
    torch.testing.assert_close(f.reference(XS), F.silu(XS))
    m = activation("torch.nn:Mish", name="t_spec_mish_module")
    torch.testing.assert_close(m.module()(XS), F.mish(XS))
    # a callable given as an object, and the built-in's name qualified by its module
    assert activation(torch.tanh, name="t_spec_tanh_obj").name == "t_spec_tanh_obj"
    assert activation("torch:tanh").name == "torch.tanh"


@pytest.mark.parametrize(("spec", "message"), [
    ("", "is empty"),
    ("x*(sigmoid(x)", "does not parse at position 13"),
    ("x +* 2", "does not parse at position"),
    ("x*sigmoid(y)", "'y' at position 10 is not a known name"),
    ("sigmod", "did you mean 'sigmoid'"),
    ("2 + 3", "does not depend on x"),
    ("log(x)", "is undefined at 0"),
    ("1/(x - 3)", "NaN or infinite values at sample points x = 3"),
    ("x < 1", "is StrictLessThan, not an expression in x"),
    ("torch:nosuchfn", "torch has no attribute 'nosuchfn'"),
    ("no_such_module_xyz:f", "names a module, but no_such_module_xyz does not import"),
    ("/no/such/file.py:f", "names a file, but /no/such/file.py does not exist"),
    ("torch.nn:Conv2d", "Conv2d() needs arguments"),
    ("torch:pi", "names float, not a torch function or nn.Module"),
    ("torch.nn:Softmax2d", "fails on a float64 tensor: ValueError('Softmax2d: expected"),
    ("torch:cumsum", "fails on a float64 tensor"),
    ("torch.nn:Softmax", "is not elementwise: an output depends on other elements"),
    ("sigmoid_star", None),  # a built-in: no error
])  # fmt: skip
@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
def test_bad_specs_are_refused_naming_spec_and_reason(spec, message):
    if message is None:
        assert activation(spec) is ACTIVATIONS[spec]
        return
    with pytest.raises(ActivationSpecError) as exc:
        activation(spec)
    assert exc.value.name == "SPEC" and message in str(exc.value), str(exc.value)


def test_a_builtin_name_cannot_be_taken():
    with pytest.raises(ActivationSpecError, match=r"'relu'.*is already taken \(a built-in\)"):
        activation("Max(0, 2*x)", name="relu")


def test_a_taken_user_name_names_where_it_came_from():
    activation("x*sigmoid(3*x)", name="t_spec_taken")
    with pytest.raises(ActivationSpecError, match="already taken \\(registered from expression"):
        activation("x*sigmoid(4*x)", name="t_spec_taken")


def test_other_variables_are_refused_as_not_elementwise():
    with pytest.raises(ActivationSpecError, match="'y' at position 2 is not a known name \\(an "
                       "activation is a function of x alone, elementwise\\)"):
        activation("x*y")


PLUGIN = textwrap.dedent("""
    import torch
    CNNBENCH_ACTIVATIONS = {
        "t_plug_squareplus": "(x + sqrt(x**2 + 4))/2",
        "t_plug_fn": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
    }
""")


def test_plugin_file_registers_everything_it_lists(tmp_path):
    path = tmp_path / "acts.py"
    path.write_text(PLUGIN)
    names = [a.name for a in load_plugin(str(path))]
    assert names == ["t_plug_squareplus", "t_plug_fn"]
    sq = ACTIVATIONS["t_plug_squareplus"]
    # bit-exact: (0 + sqrt(4))/2
    assert float(sq.reference(torch.tensor([0.0], dtype=torch.float64))) == 1.0


@pytest.mark.parametrize(("text", "message"), [
    ("X = 1\n", "must define CNNBENCH_ACTIVATIONS = {name: spec, ...}"),
    ("CNNBENCH_ACTIVATIONS = {}\n", "must define CNNBENCH_ACTIVATIONS"),
    ("raise RuntimeError('boom')\n", "does not import: RuntimeError('boom')"),
    ("CNNBENCH_ACTIVATIONS = {'t_plug_bad': 'log(x)'}\n", "is undefined at 0"),
])  # fmt: skip
def test_bad_plugins_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.py"
    path.write_text(text)
    with pytest.raises(ActivationSpecError, match=message.replace("(", "\\(").replace(")", "\\)")
                       .replace("{", "\\{").replace("}", "\\}").replace("[", "\\[")):  # fmt: skip
        load_plugin(str(path))


def test_plugins_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "envacts.py"
    path.write_text("CNNBENCH_ACTIVATIONS = {'t_env_act': 'x*tanh(x)'}\n")
    monkeypatch.setenv("CNNBENCH_PLUGINS", str(path))
    assert "t_env_act" in [a.name for a in load_plugins()]


def test_entry_point_of_an_installed_distribution(tmp_path, monkeypatch):
    """A test distribution on sys.path whose metadata declares a cnnbench.activations entry
    point: importlib.metadata finds it as it would a pip-installed package."""
    (tmp_path / "t_ep_pkg.py").write_text("def hardish(x):\n    return x.clamp(-2, 2)\n")
    dist = tmp_path / "t_ep_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: t-ep-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[cnnbench.activations]\nt_ep_clamp2 = t_ep_pkg:hardish\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = {a.name: a for a in load_entry_points()}
    assert "t_ep_clamp2" in found
    y = found["t_ep_clamp2"].reference(torch.tensor([-5.0, 1.0, 5.0], dtype=torch.float64))
    assert y.tolist() == [-2.0, 1.0, 2.0]  # bit-exact: a clamp
    assert "t_ep_pkg" in sys.modules


def test_broken_entry_point_is_named(tmp_path, monkeypatch):
    dist = tmp_path / "t_ep_broken-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: t-ep-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[cnnbench.activations]\nt_ep_broken = t_ep_missing_module:f\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ActivationSpecError, match="entry point t_ep_broken does not load"):
        load_entry_points()
