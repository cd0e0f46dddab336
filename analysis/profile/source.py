"""Which model to profile: a SPEC names it, ``--input`` gives one sample's shape.

A SPEC is one of

- a network of the texts (a key of :data:`cnnbench.analysis.networks.modules.NETWORKS`);
- ``package.module:factory``: ``factory`` of an importable module;
- ``path/to/file.py:factory``: ``factory`` of a Python file (imported under a private
  name, so it may sit anywhere).

``factory()`` is called with no arguments and must return a ``torch.nn.Module``.
Errors name the SPEC, echo it and say what is allowed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnnbench.analysis._validation import ParameterError

SPEC_FORMS = ("a network of the texts ({names}), 'module:factory' or "
              "'path/to/file.py:factory' (a function returning a torch.nn.Module)")  # fmt: skip
# One sample: channels and 1 to 3 spatial sizes. Meta tensors cost nothing, so the bound
# is only that sizes stay exact in int64 arithmetic (every element count < 2**62).
MAX_INPUT_ELEMENTS = 2**40
INPUT_REASON = "a sample of at most 2**40 elements (sizes stay far inside int64)"
_DIM = re.compile(r"^\s*(\d+)\s*$")


@dataclass(frozen=True)
class ModelSource:
    """A resolved SPEC: what to call to build the model, and a default input if known."""

    spec: str
    kind: str  # "network" | "module" | "file"
    factory: Callable[[], object]
    default_input: tuple[int, ...] | None = None
    label: str = ""


def _network_names() -> tuple[str, ...]:
    from cnnbench.analysis.networks.modules import NETWORKS

    return tuple(NETWORKS)


def _allowed() -> str:
    return "must be " + SPEC_FORMS.format(names=", ".join(_network_names()))


def parse_input(text: str, name: str = "--input") -> tuple[int, ...]:
    """``"3x224x224"`` -> ``(3, 224, 224)``: channels, then 1 to 3 spatial sizes.

    Examples
    --------
    >>> parse_input("3x32x32"), parse_input(" 1 x 28 ")
    ((3, 32, 32), (1, 28))
    """
    form = "CxHxW (channels x height x width; also CxL or CxDxHxW), e.g. 3x224x224"
    if not isinstance(text, str):
        raise ParameterError(name, text, f"must be {form}")
    parts = text.lower().split("x")
    if not 2 <= len(parts) <= 4 or not all(_DIM.match(p) for p in parts):
        raise ParameterError(name, text, f"must be {form}")
    dims = tuple(int(p) for p in parts)
    if min(dims) < 1:
        raise ParameterError(name, text, f"must be {form}, every size at least 1")
    if math.prod(dims) > MAX_INPUT_ELEMENTS:
        raise ParameterError(name, text, f"must be {INPUT_REASON}")
    return dims


def resolve(spec: str, name: str = "SPEC") -> ModelSource:
    """The :class:`ModelSource` a SPEC names; the module or file is imported, the factory
    looked up (not called).

    Examples
    --------
    >>> resolve("lenet5").default_input
    (1, 28, 28)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(name, spec, _allowed())
    if ":" not in spec:
        if spec in _network_names():
            from cnnbench.analysis.networks.modules import build_network, get_network

            net = get_network(spec)
            return ModelSource(spec, "network", lambda: build_network(spec), net.input_shape,
                               f"{spec}: {net.title} ({net.seed} {net.locator})")  # fmt: skip
        raise ParameterError(name, spec, _allowed())
    where, _, attr = spec.rpartition(":")
    if not attr.isidentifier() or not where:
        raise ParameterError(name, spec, f"{_allowed()}; after the last ':' comes the factory's "
                             "name (a Python identifier)")  # fmt: skip
    if where.endswith(".py") or "/" in where or "\\" in where:
        module, kind = _import_file(spec, where, name), "file"
    else:
        module, kind = _import_module(spec, where, name), "module"
    factory = getattr(module, attr, None)
    if factory is None:
        there = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                       and getattr(v, "__module__", None) == module.__name__)  # fmt: skip
        raise ParameterError(name, spec, f"names {attr!r}, which {where} does not define; "
                             f"its callables: {', '.join(there) or 'none'}")  # fmt: skip
    if not callable(factory):
        raise ParameterError(name, spec, f"names {attr!r}, a {type(factory).__name__}; it must "
                             "be a function (or class) returning a torch.nn.Module")  # fmt: skip
    return ModelSource(spec, kind, factory, None, spec)


def _import_file(spec: str, where: str, name: str):
    path = Path(where).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ParameterError(name, spec, f"names the file {where}, which {what}; give an "
                             "existing .py file")  # fmt: skip
    if path.suffix != ".py":
        raise ParameterError(name, spec, f"names {where}, which is not a .py file")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    mod_name = f"cnnbench_user_{path.stem}_{digest}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    loader_spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except KeyboardInterrupt:
        del sys.modules[mod_name]
        raise
    except BaseException as exc:  # the user's file: any failure (SystemExit too) is reported
        del sys.modules[mod_name]
        raise ParameterError(name, spec, f"could not be imported: {where} raised "
                             f"{type(exc).__name__}: {exc}") from None  # fmt: skip
    return module


def _import_module(spec: str, where: str, name: str):
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        raise ParameterError(name, spec, f"names the module {where!r}, which cannot be found "
                             f"({exc}); use path/to/file.py:factory for a file") from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the user's module: any failure is reported
        raise ParameterError(name, spec, f"could not be imported: {where} raised "
                             f"{type(exc).__name__}: {exc}") from None  # fmt: skip


def build_model(source: ModelSource, device: str = "meta", name: str = "SPEC"):
    """Call the factory with ``device`` as torch's default device; check it gave a Module.

    On ``"meta"`` parameters have shapes and no storage, so building even a huge model
    costs nothing.
    """
    import torch

    try:
        with torch.device(device):
            model = source.factory()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the user's code: any failure is reported
        raise ParameterError(name, source.spec, f"failed: calling the factory raised "
                             f"{type(exc).__name__}: {exc}") from None  # fmt: skip
    if not isinstance(model, torch.nn.Module):
        raise ParameterError(name, source.spec, f"returned a {type(model).__name__}; the "
                             "factory must return a torch.nn.Module")  # fmt: skip
    return model
