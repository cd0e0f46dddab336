"""Independent units of work inside a check, and their results computed elsewhere.

A grid-shaped check (every configuration of a Monte Carlo grid, every
activation and seed of a training experiment) is a set of independent units
whose results a cheap step combines into a verdict. A check asks for each
unit's result through :func:`result_of`: run serially (the default, the
reference) it computes the unit right there, exactly as before; run by an
executor (``cnnbench check --workers N`` or ``--scheduler``) the units were
computed on workers first and are handed in with :func:`provided`, so the
check only combines them.

A unit is a pure function of its arguments: its ``fn`` seeds whatever it
draws from its arguments (e.g. ``train_one(config, activation, seed)``), and
:meth:`Unit.run` runs it under
:func:`cnnbench.analysis.reproducible.deterministic` keyed by the unit's
``id`` (one thread, deterministic algorithms, generators seeded from the id),
so a unit gives the same object in any process, in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_PROVIDED: dict[str, Any] = {}


@dataclass(frozen=True)
class Unit:
    """One independent piece of a check: ``fn(*args)``, named by a stable ``id``.

    ``fn`` must be a module-level function and ``args`` picklable (a unit
    travels to another process or machine). ``cost`` is a rough relative cost:
    executors start expensive units first, so the last ones to finish are short.
    """

    id: str
    fn: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = ()
    cost: float = 1.0

    def run(self) -> Any:
        """Compute the unit in this process, reproducibly (see the module docstring)."""
        from cnnbench.analysis.reproducible import deterministic

        with deterministic(self.id):
            return self.fn(*self.args)


def result_of(unit: Unit) -> Any:
    """The unit's result: the one handed in by :func:`provided`, else computed here.

    Computed here, it runs inside the caller's context (the claim's
    ``deterministic`` block), which is how serial runs always worked.
    """
    if unit.id in _PROVIDED:
        return _PROVIDED[unit.id]
    return unit.fn(*unit.args)


@contextmanager
def provided(results: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, :func:`result_of` returns these results (keyed by unit id)."""
    before = dict(_PROVIDED)
    _PROVIDED.update(results)
    try:
        yield
    finally:
        _PROVIDED.clear()
        _PROVIDED.update(before)
