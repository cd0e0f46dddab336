"""Any activation a user names: a registered name, a sympy expression in ``x``, or a torch
function or ``nn.Module`` class given as ``module:attr`` or ``path/to/file.py:attr``.

:func:`activation` resolves a spec to an :class:`~cnnbench.analysis.activations.registry.Activation`
and registers it, so every part of the suite that works from names (series,
variance, training, the benchmarks) works with it too. A spec it cannot use is
refused with :class:`ActivationSpecError`, naming the spec and what was wrong:
a parse error with its position, a function of more than ``x`` (not
elementwise), undefined at 0, NaN or infinite at sample points.
Plugins that register many at once: :mod:`cnnbench.analysis.activations.plugins`.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import re
import tokenize
import zlib
from collections.abc import Callable
from pathlib import Path

import sympy
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.activations.registry import (
    ACTIVATIONS,
    Activation,
    X,
    register_activation,
)
from cnnbench.analysis.activations.torch_expr import UnsupportedExpression, torch_function
from torch import Tensor, nn

USER = "user"  # the seed field of a user's activation: it cites no text
SAMPLE = torch.linspace(-10.0, 10.0, 2001, dtype=torch.float64)  # where a spec must be finite
_OBJECT = re.compile(r"^(?P<where>[\w.\-/\\]+?(?:\.py)?):(?P<attr>[A-Za-z_]\w*)$")
# Names an expression may use: x, constants, and functions with a torch form; plus three
# shorthands a user will reach for.
_SHORTHANDS = {
    "sigmoid": lambda e: 1 / (1 + sympy.exp(-e)),
    "softplus": lambda e: sympy.log(1 + sympy.exp(e)),
    "relu": lambda e: sympy.Max(0, e),
}
_NAMES = {"x": X, "pi": sympy.pi, "E": sympy.E, "exp": sympy.exp, "log": sympy.log,
          "sqrt": sympy.sqrt, "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh,
          "sin": sympy.sin, "cos": sympy.cos, "atan": sympy.atan, "erf": sympy.erf,
          "erfc": sympy.erfc, "Abs": sympy.Abs, "abs": sympy.Abs, "sign": sympy.sign,
          "Max": sympy.Max, "Min": sympy.Min, "Piecewise": sympy.Piecewise,
          "Heaviside": sympy.Heaviside, "True": sympy.true, "False": sympy.false,
          **_SHORTHANDS}  # fmt: skip


class ActivationSpecError(ParameterError):
    """A spec that does not name a usable activation (CLI exit 2)."""

    def __init__(self, spec: object, message: str) -> None:
        super().__init__("SPEC", spec if isinstance(spec, str) else repr(spec), message)


def activation(spec: object, name: str | None = None) -> Activation:
    """The activation ``spec`` names, registered under its name.

    Parameters
    ----------
    spec : a registered name, a sympy expression in ``x`` (``"x*tanh(softplus(x))"``;
        piecewise with ``Max``, ``Min``, ``Piecewise``), ``"module:attr"`` or
        ``"path/to/file.py:attr"`` naming a torch function or an ``nn.Module``
        class, or such an object itself, or an :class:`Activation`.
    name : the name to register a new activation under (default: from the spec).

    Examples
    --------
    >>> activation("tanh").name
    'tanh'
    >>> a = activation("x*tanh(log(1 + exp(x)))", name="my_mish")
    >>> a.name, a.expr.subs(X, 0), round(float(a.reference(torch.tensor([1.0]))[0]), 6)
    ('my_mish', 0, 0.865098)
    """
    if isinstance(spec, Activation):
        return register_activation(spec)
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise ActivationSpecError(spec, "is empty: give a name, an expression in x, or "
                                      "module:attr")  # fmt: skip
        if name is None and text in ACTIVATIONS:
            return ACTIVATIONS[text]
        if text.isidentifier() and text not in _NAMES:
            known = [n for n, a in ACTIVATIONS.items() if a.elementwise]
            near = difflib.get_close_matches(text, known, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ActivationSpecError(spec, f"is not a registered activation ({hint}known: "
                                      f"{', '.join(map(repr, known))}) nor an expression in x")
        if (m := _OBJECT.match(text)) and not _looks_like_expression(text):
            where, attr = m.group("where"), m.group("attr")
            obj = _load_object(text, where, attr)
            # torch:tanh must not take the built-in's name: qualify it with its module
            default = attr if attr not in ACTIVATIONS else f"{Path(where).stem}.{attr}"
            return _register(from_callable(obj, name or default, origin=text))
        return _register(from_expression(text, name))
    if callable(spec):
        base = getattr(spec, "__name__", "user_fn")
        if base in ACTIVATIONS:  # torch.tanh must not take the built-in's name
            base = f"{getattr(spec, '__module__', None) or 'user'}.{base}"
        return _register(from_callable(spec, name or base, origin=repr(spec)))
    raise ActivationSpecError(spec, "must be a name, an expression in x, module:attr, a torch "
                              "function or an nn.Module class")  # fmt: skip


def activation_name(spec: object) -> str:
    """The registry name to pass on: a string as it is (the function it goes to validates
    it), anything else (an :class:`Activation`, a torch function, a module class) resolved
    and registered by :func:`activation`.

    Examples
    --------
    >>> activation_name("tanh"), activation_name(ACTIVATIONS["relu"])
    ('tanh', 'relu')
    """
    return spec if isinstance(spec, str) else activation(spec).name


def _looks_like_expression(text: str) -> bool:
    return any(c in text for c in "()*+ ")


def _register(act: Activation) -> Activation:
    known = ACTIVATIONS.get(act.name)
    if known is not None and known.locator == act.locator and known.description == \
            act.description:
        return known  # the same spec resolved again
    try:
        return register_activation(act)
    except ParameterError as exc:
        raise ActivationSpecError(act.name, str(exc).split(" ", 1)[1]) from None


def from_expression(text: str, name: str | None = None) -> Activation:
    """An activation from a sympy expression in ``x`` (validated; see the module notes)."""
    expr = _parse(text)
    if X not in expr.free_symbols:
        raise ActivationSpecError(text, "does not depend on x: an activation must")
    at0 = expr.subs(X, 0)
    if at0.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not at0.is_finite:
        raise ActivationSpecError(text, f"is undefined at 0 (it gives {at0})")
    try:
        f, df = torch_function(expr, X), torch_function(sympy.diff(expr, X), X)
    except UnsupportedExpression as exc:
        raise ActivationSpecError(text, str(exc)) from None
    _finite(text, f, "values")
    _finite(text, df, "derivative")
    slug = name or f"expr_{zlib.crc32(str(expr).encode()):08x}"
    module = lambda: _Fn(f)  # noqa: E731
    return Activation(slug, expr, True, {}, f, df, module, {"eager": f}, False, USER,
                      "expression", str(expr))  # fmt: skip


def _parse(text: str) -> sympy.Expr:
    from sympy.parsing.sympy_parser import parse_expr, rationalize, standard_transformations

    try:
        tokens = list(tokenize.generate_tokens(iter([text]).__next__))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ActivationSpecError(text, f"does not parse at position {len(text)} (the end): "
                                  f"{exc.args[0]}") from None  # fmt: skip
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string not in _NAMES:
            raise ActivationSpecError(
                text, f"'{tok.string}' at position {tok.start[1]} is not a known name (an "
                "activation is a function of x alone, elementwise); use x and "
                f"{', '.join(sorted(set(_NAMES) - {'x'}))}")
    try:
        # the token check above admits only _NAMES; the globals are what parse_expr's
        # transformations generate (Integer(1), Float('0.5'), ...) and no builtins
        glob = {"Integer": sympy.Integer, "Float": sympy.Float, "Rational": sympy.Rational,
                "Symbol": sympy.Symbol, "__builtins__": {}}
        expr = parse_expr(text, local_dict=dict(_NAMES), global_dict=glob,
                          transformations=(*standard_transformations, rationalize))  # fmt: skip
    except SyntaxError as exc:
        at = exc.offset - 1 if exc.offset else len(text)
        at = min(at, len(text))
        raise ActivationSpecError(text, f"does not parse at position {at}: {exc.msg}") from None
    except (TypeError, ValueError, NameError, AttributeError, tokenize.TokenError) as exc:
        raise ActivationSpecError(text, f"does not parse: {exc}") from None
    if not isinstance(expr, sympy.Expr):
        raise ActivationSpecError(text, f"is {type(expr).__name__}, not an expression in x")
    return expr


def _finite(spec: object, f: Callable[[Tensor], Tensor], what: str) -> None:
    with torch.no_grad():
        y = f(SAMPLE.clone())
    if y.shape != SAMPLE.shape:
        raise ActivationSpecError(spec, f"is not elementwise: {tuple(SAMPLE.shape)} inputs "
                                  f"gave {what} of shape {tuple(y.shape)}")  # fmt: skip
    bad = ~torch.isfinite(y)
    if bad.any():
        pts = ", ".join(f"{v:g}" for v in SAMPLE[bad][:4].tolist())
        raise ActivationSpecError(spec, f"has NaN or infinite {what} at sample points "
                                  f"x = {pts} ({int(bad.sum())} of {SAMPLE.numel()} in "
                                  f"[-10, 10])")  # fmt: skip


class _Fn(nn.Module):
    def __init__(self, f: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.f = f

    def forward(self, x: Tensor) -> Tensor:
        return self.f(x)


def _autograd_derivative(f: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    def d(x: Tensor) -> Tensor:
        with torch.enable_grad():
            t = x.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(f(t).sum(), t)
        return g

    return d


def from_callable(obj: object, name: str, origin: str = "") -> Activation:
    """A numeric activation from a torch function or ``nn.Module`` (class or instance).

    It has no sympy form: its derivative is autograd's, and what the suite
    derives from it is numeric (say so where it is shown).
    """
    if isinstance(obj, type) and issubclass(obj, nn.Module):
        try:
            inst = obj()
        except TypeError as exc:
            raise ActivationSpecError(origin or name, f"{obj.__name__}() needs arguments: "
                                      f"{exc}; give a class that builds without any") from None
        make = obj
    elif isinstance(obj, nn.Module):
        inst, make = obj, lambda: obj
    elif callable(obj):
        inst, make = obj, lambda: _Fn(obj)
    else:
        raise ActivationSpecError(origin or name, f"names {type(obj).__name__}, not a torch "
                                  "function or nn.Module")  # fmt: skip
    f = lambda x: inst(x)  # noqa: E731
    try:
        _finite(origin or name, f, "values")
        _elementwise(origin or name, f)
    except ActivationSpecError:
        raise
    except Exception as exc:  # the user's code failing on a float64 tensor
        raise ActivationSpecError(origin or name, f"fails on a float64 tensor: {exc!r}") from None
    df = _autograd_derivative(f)
    _finite(origin or name, df, "derivative (autograd)")
    return Activation(name, None, True, {}, f, df, make, {"eager": f}, False, USER,
                      origin or "callable", "numeric: derivative by autograd")  # fmt: skip


def _elementwise(spec: object, f: Callable[[Tensor], Tensor]) -> None:
    g = torch.Generator().manual_seed(0)
    t = torch.randn(64, generator=g, dtype=torch.float64) * 3
    perm = torch.randperm(64, generator=g)
    with torch.no_grad():
        whole, single = f(t), torch.cat([f(t[i : i + 1]) for i in range(8)])
        shuffled = f(t[perm])
    if not (torch.allclose(whole[perm], shuffled) and torch.allclose(whole[:8], single)):
        raise ActivationSpecError(spec, "is not elementwise: an output depends on other "
                                  "elements of the input")  # fmt: skip


def load_module(spec: object, where: str):
    """The module ``where`` names: a file path (``.py`` or with a slash) or a dotted name."""
    it = "it" if spec == where else where
    if where.endswith(".py") or "/" in where or os.sep in where:
        path = Path(where)
        if not path.is_file():
            raise ActivationSpecError(spec, f"names a file, but {it} does not exist")
        name = f"cnnbench_plugin_{zlib.crc32(str(path.resolve()).encode()):08x}"
        loader = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(loader)
        try:
            loader.loader.exec_module(module)
        except Exception as exc:
            raise ActivationSpecError(spec, f"{it} does not import: {exc!r}") from None
        return module
    try:
        return importlib.import_module(where)
    except Exception as exc:
        raise ActivationSpecError(spec, f"names a module, but {it} does not import: "
                                  f"{exc!r}") from None  # fmt: skip


def _load_object(spec: str, where: str, attr: str) -> object:
    module = load_module(spec, where)
    if not hasattr(module, attr):
        raise ActivationSpecError(spec, f"{where} has no attribute {attr!r}")
    return getattr(module, attr)
