"""pytest-benchmark micro suite (developer loop); not part of the normal test run.

Run:  .venv/bin/python -m pytest bench/micro --benchmark-only --benchmark-json=results/micro.json
"""

from __future__ import annotations

import pytest
import torch

# One intra-op thread: the developer loop compares code, not the machine's
# parallelism, and one thread is far less noisy on a shared machine.
MICRO_THREADS = 1


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(MICRO_THREADS)
    yield
    torch.set_num_threads(old)
