"""Activations registered without editing the suite.

A plugin is a module or file that defines ``CNNBENCH_ACTIVATIONS = {name: spec, ...}``
(each spec as :func:`~cnnbench.analysis.activations.spec.activation` takes it), given to
any command's ``--plugin`` or listed in the ``CNNBENCH_PLUGINS`` environment variable
(separated by ``os.pathsep``); or an installed package's entry point in the
``cnnbench.activations`` group, whose name is the activation's name and whose object is a
spec (an expression string, a torch function or an ``nn.Module`` class).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from cnnbench.analysis.activations.registry import ACTIVATIONS, Activation
from cnnbench.analysis.activations.spec import ActivationSpecError, activation, load_module

ENTRY_POINT_GROUP = "cnnbench.activations"
PLUGIN_ENV = "CNNBENCH_PLUGINS"
PLUGIN_ATTR = "CNNBENCH_ACTIVATIONS"


def load_plugin(where: str) -> tuple[Activation, ...]:
    """Register the activations a plugin module or file lists in ``CNNBENCH_ACTIVATIONS``."""
    module = load_module(where, where)
    listed = getattr(module, PLUGIN_ATTR, None)
    if not isinstance(listed, Mapping) or not listed:
        raise ActivationSpecError(where, f"must define {PLUGIN_ATTR} = {{name: spec, ...}}")
    return tuple(activation(spec, name=str(n)) for n, spec in listed.items())


def load_entry_points() -> tuple[Activation, ...]:
    """Register every installed ``cnnbench.activations`` entry point (name -> its object)."""
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in ACTIVATIONS:
            out.append(ACTIVATIONS[ep.name])
            continue
        try:
            obj = ep.load()
        except Exception as exc:
            raise ActivationSpecError(ep.value, f"entry point {ep.name} does not load: "
                                      f"{exc!r}") from None  # fmt: skip
        out.append(activation(obj, name=ep.name))
    return tuple(out)


def load_plugins(extra: Iterable[str] = ()) -> tuple[Activation, ...]:
    """Entry points, then ``CNNBENCH_PLUGINS``, then ``extra``: everything they register."""
    listed = [p for p in os.environ.get(PLUGIN_ENV, "").split(os.pathsep) if p]
    out = list(load_entry_points())
    for where in (*listed, *extra):
        out.extend(load_plugin(where))
    return tuple(out)
