"""The Dask distributed executor: ``--scheduler tcp://HOST:PORT`` (extra ``cnnbench[cluster]``).

Workers are started beside the scheduler with ``dask worker`` in a Python
where cnnbench is installed (README, "More than one machine"). Tasks go to any
worker; a task that names ``resources`` (a timing task: ``BENCH=1`` on a CPU
host, ``GPU=1`` per GPU) only to a worker started with that resource, which
the scheduler gives to one task at a time: one ``BENCH`` worker per host and
one ``GPU`` worker per device mean no two timings ever share a device.

Each result is gathered as soon as it finishes and released on the cluster, so
a worker that dies later loses nothing already finished; Dask re-runs the
tasks the dead worker held on the others. When no worker can run what is left
(all gone, or none with the resource) for ``lost_after`` seconds,
:meth:`DaskExecutor.next_done` raises
:class:`~cnnbench.bench.executors.ExecutorLost` naming the missing tasks.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from cnnbench.bench.executors import Done, ExecutorLost, call_alone

# Seconds with nothing able to run before the run gives up on what is missing.
LOST_AFTER_S = float(os.environ.get("CNNBENCH_LOST_AFTER", "60"))
CONNECT_TIMEOUT_S = 10
POLL_S = 1.0


class ClusterUnavailable(RuntimeError):
    """The scheduler could not be reached, or Dask is not installed."""


class DaskExecutor:
    """Tasks on the Dask cluster whose scheduler listens at ``address``."""

    name = "dask"

    def __init__(self, address: str, *, lost_after: float = LOST_AFTER_S,
                 connect_timeout: float | None = None) -> None:  # fmt: skip
        try:
            from distributed import Client
        except ImportError:
            raise ClusterUnavailable("Dask is not installed: pip install 'cnnbench[cluster]' "
                                     "(or dask[distributed])") from None  # fmt: skip
        self.address = address
        self.lost_after = lost_after
        connect_timeout = CONNECT_TIMEOUT_S if connect_timeout is None else connect_timeout
        try:
            self.client = Client(address, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise ClusterUnavailable(f"no Dask scheduler answered at {address} within "
                                     f"{connect_timeout:g} s ({exc})") from None  # fmt: skip
        self._run = uuid.uuid4().hex[:8]
        self._futures: dict[Any, str] = {}
        self._resources: dict[Any, dict[str, float]] = {}
        self._stuck_since: float | None = None

    def workers(self) -> dict[str, dict]:
        """The scheduler's view of its workers: address -> info (host, resources, ...)."""
        return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def submit(self, key: str, fn: Callable[..., Any], *args: Any,
               resources: dict[str, float] | None = None) -> None:  # fmt: skip
        fut = self.client.submit(call_alone, fn, *args, key=f"{key}-{self._run}", pure=False,
                                 resources=resources or None)  # fmt: skip
        self._futures[fut] = key
        self._resources[fut] = dict(resources or {})

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(self._futures.values())

    def _runnable(self) -> bool:
        """Whether some worker could run some pending task."""
        workers = self.workers().values()
        for need in self._resources.values():
            if any(all(w.get("resources", {}).get(r, 0) >= n for r, n in need.items())
                   for w in workers):  # fmt: skip
                return True
        return False

    def next_done(self) -> Done:
        from distributed import wait

        while True:
            try:
                done, _ = wait(list(self._futures), timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            if done:
                self._stuck_since = None
                return self._take(min(done, key=lambda f: list(self._futures).index(f)))
            if self._runnable():
                self._stuck_since = None
                continue
            self._stuck_since = self._stuck_since or time.monotonic()
            if time.monotonic() - self._stuck_since > self.lost_after:
                missing = self.pending
                self.close(cancel=True)
                raise ExecutorLost(f"no worker of {self.address} could run the remaining "
                                   f"tasks for {self.lost_after:.0f} s (none connected, or "
                                   "none with the resources they need)", missing)  # fmt: skip

    def _take(self, fut) -> Done:
        key = self._futures.pop(fut)
        self._resources.pop(fut, None)
        try:
            if fut.status == "error":
                return Done(key, error=fut.exception())
            if fut.cancelled():
                return Done(key, error=RuntimeError("cancelled on the cluster"))
            value, seconds = fut.result()
            return Done(key, value, seconds=seconds)
        finally:
            fut.release()  # the result is here now: the cluster need not keep it

    def close(self, cancel: bool = False) -> None:
        if cancel and self._futures:
            self.client.cancel(list(self._futures), force=True)
        self._futures.clear()
        self._resources.clear()
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)
