"""Static shards for CI fleets: ``--shard i/N`` picks a fixed subset of the units.

A unit (a claim id, a workload key) belongs to shard ``1 + h mod N`` where
``h`` is the first 8 bytes of the SHA-256 of its id: the same on every machine,
Python version and run (Python's own ``hash()`` of a string changes with
every process), and independent of the order or number of the other units.
So N runners given ``--shard 1/N`` ... ``--shard N/N`` cover every unit exactly
once, and a unit added later changes no other unit's shard.
Shards are not balanced in time: a runner may draw the slow claims.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from cnnbench.analysis._validation import ParameterError

T = TypeVar("T")
MAX_SHARDS = 1000  # runners in one CI matrix; GitHub's largest matrix is 256 jobs
_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str, option: str = "--shard") -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)``: shard ``i`` of ``n``, ``1 <= i <= n <= MAX_SHARDS``.

    >>> parse_shard("2/3")
    (2, 3)
    """
    m = _FORM.match(text)
    if not m:
        raise ParameterError(option, text, "must be i/N, e.g. 1/3 (shard i of N, counted from 1)")
    i, n = int(m.group(1)), int(m.group(2))
    if not 1 <= n <= MAX_SHARDS:
        raise ParameterError(option, text, f"must have N in [1, {MAX_SHARDS}] (runners of one "
                             "CI matrix)")  # fmt: skip
    if not 1 <= i <= n:
        raise ParameterError(option, text, f"must have i in [1, {n}] (shards count from 1)")
    return i, n


def shard_of(unit_id: str, n: int) -> int:
    """The shard (1..n) that ``unit_id`` belongs to.

    >>> shard_of("variance.mc-grid", 1)
    1
    >>> shard_of("variance.mc-grid", 3) == shard_of("variance.mc-grid", 3)
    True
    """
    digest = hashlib.sha256(unit_id.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % n


def in_shard(items: Iterable[T], shard: tuple[int, int] | None,
             key: Callable[[T], str]) -> tuple[T, ...]:  # fmt: skip
    """The items of shard ``(i, n)`` in their given order (all of them when ``shard`` is None)."""
    if shard is None:
        return tuple(items)
    i, n = shard
    return tuple(x for x in items if shard_of(key(x), n) == i)
