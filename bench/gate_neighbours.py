"""Noisy neighbours for the timing gate: a process on the other core while it measures.

Two kinds, because they move the gate's ratios differently:

* ``memory`` streams 128 MB copies (DRAM bandwidth and the shared L3): a copy
  reference slows more than a transcendental op does.
* ``compute`` multiplies 96x96 matrices held in its own L1/L2 (FMA units, and
  the core itself where the two vCPUs are hyperthreads of one core): arithmetic
  slows, memory traffic does not.

The baseline's A/A runs cycle through none, memory and compute, so its
tolerances cover both; ``gate check --neighbour KIND`` and ``gate trials
--neighbour KIND`` measure the gate beside either. numpy only, single-threaded,
so a neighbour starts in ~0.2 s and takes one core.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

NEIGHBOURS = ("none", "memory", "compute")
MEMORY_CODE = (
    "import numpy as np\n"
    "a = np.ones(1 << 24); b = np.empty_like(a)\n"
    "while True:\n    np.copyto(b, a)\n"
)
COMPUTE_CODE = (
    "import numpy as np\n"
    "rng = np.random.default_rng(0)\n"
    "a = rng.random((96, 96)); b = rng.random((96, 96)); c = np.empty((96, 96))\n"
    "while True:\n    np.matmul(a, b, out=c)\n"
)
CODE = {"memory": MEMORY_CODE, "compute": COMPUTE_CODE}
NEIGHBOUR_CODE = MEMORY_CODE  # the one kind older baselines had
START_S = 0.3  # let it reach its loop


@contextlib.contextmanager
def neighbour(kind: str | bool) -> Iterator[None]:
    """Run a ``kind`` neighbour (``True`` is ``memory``) for the duration of the block."""
    kind = "memory" if kind is True else ("none" if kind is False else kind)
    if kind == "none":
        yield
        return
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", CODE[kind]], env=env)
    time.sleep(START_S)
    try:
        yield
    finally:
        proc.kill()
        proc.wait()
