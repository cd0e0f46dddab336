"""Run a unit of work the same way wherever and whenever it runs.

A claim's verdict must not depend on what ran before it in the process (the
global random generators), on the caller's thread count (float reductions
change order with the number of threads), or on the execution order of a
``--only`` selection. :func:`deterministic` pins all three for the duration of
one unit of work and restores the caller's settings afterwards:

- torch on one intra-op thread;
- ``torch.use_deterministic_algorithms(True)`` (an op without a deterministic
  implementation raises instead of silently varying);
- the global generators of torch, numpy and :mod:`random` seeded from the
  unit's identity (:func:`unit_seed`), never from the order of execution, and
  the caller's generator states restored afterwards.

It cannot make a float computation identical across CPUs whose kernels differ
(AVX2 vs AVX-512 code paths): decisions that rest on such numbers use margins
(see :mod:`cnnbench.analysis.training.stats`).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from contextlib import contextmanager


def unit_seed(identity: str) -> int:
    """A seed derived from a unit's identity (stable across runs, platforms and Python versions).

    Examples
    --------
    >>> unit_seed("variance.mc-grid") == unit_seed("variance.mc-grid")
    True
    >>> unit_seed("shapes.bilici-padding-half")
    2495492306
    """
    return zlib.crc32(identity.encode("utf-8"))


@contextmanager
def deterministic(identity: str) -> Iterator[int]:
    """One thread, deterministic algorithms, generators seeded from ``identity``.

    Yields the seed. The legacy global numpy generator is seeded on purpose:
    it is the state a check could otherwise inherit from whatever ran before.
    """
    import numpy as np
    import torch

    seed = unit_seed(identity)
    threads = torch.get_num_threads()
    det, warn_only = (torch.are_deterministic_algorithms_enabled(),
                      torch.is_deterministic_algorithms_warn_only_enabled())  # fmt: skip
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            np.random.seed(seed)  # noqa: NPY002
            random.seed(seed)
            yield seed
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det, warn_only=warn_only)
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
