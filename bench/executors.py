"""Where independent units of work run: here, in local processes, or on a Dask cluster.

Three executors with one small interface, so that ``cnnbench check`` and
``cnnbench bench`` submit the same tasks whatever runs them:

- :class:`SerialExecutor`: in this process, one task after the other, in
  submission order (the reference);
- :class:`ProcessExecutor`: ``--workers N`` local processes
  (:class:`concurrent.futures.ProcessPoolExecutor`, *spawn*: a fresh
  interpreter per worker, no state inherited from the parent);
- :class:`cnnbench.bench.executors_dask.DaskExecutor`: ``--scheduler
  tcp://HOST:PORT``, a Dask distributed cluster (the optional extra
  ``cnnbench[cluster]``).

Interface: ``submit(key, fn, *args, resources=None)`` queues ``fn(*args)``
(``fn`` module-level, arguments picklable); ``next_done()`` blocks until one
task has finished and returns its :class:`Done` (value, or the exception it
raised); ``pending`` is the keys not yet returned; ``close(cancel=)`` stops.
A task never shares a process with another of ours at the same time
(:func:`call_alone`): units set process-wide torch state (threads,
deterministic algorithms, generators).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Local processes at most: more than the machine's CPUs only time-slices them.
MAX_WORKERS = 256
_ALONE = threading.Lock()


@dataclass(frozen=True)
class Done:
    """A finished task: its value, or the exception it raised (``error``)."""

    key: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0  # wall time inside the task (0 when unknown)


class ExecutorLost(RuntimeError):
    """Tasks that can no longer finish (every worker gone, the pool broken): ``missing``."""

    def __init__(self, message: str, missing: tuple[str, ...]):
        super().__init__(message)
        self.missing = missing


def call_alone(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` with no other task of ours running in this process; (value, seconds).

    A Dask worker started with several threads would otherwise run two units at
    once, each setting torch's process-wide thread count and generators.
    """
    with _ALONE:
        t0 = time.perf_counter()
        value = fn(*args)
        return value, time.perf_counter() - t0


class SerialExecutor:
    """Every task here, in submission order, when it is asked for (the reference)."""

    name = "serial"

    def __init__(self) -> None:
        self._queue: deque[tuple[str, Callable[..., Any], tuple[Any, ...]]] = deque()

    def submit(self, key: str, fn: Callable[..., Any], *args: Any,
               resources: dict[str, float] | None = None) -> None:  # fmt: skip
        self._queue.append((key, fn, args))

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(k for k, _, _ in self._queue)

    def next_done(self) -> Done:
        key, fn, args = self._queue.popleft()
        try:
            value, seconds = call_alone(fn, *args)
        except Exception as exc:
            return Done(key, error=exc)
        return Done(key, value, seconds=seconds)

    def close(self, cancel: bool = False) -> None:
        self._queue.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the parent decides what happens to the
    # workers (it cancels them and keeps what finished), so they ignore it themselves.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor:
    """``workers`` local processes (spawned: fresh interpreters), tasks in submission order."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                                         mp_context=multiprocessing.get_context("spawn"))
        self._futures: dict[Any, str] = {}

    def submit(self, key: str, fn: Callable[..., Any], *args: Any,
               resources: dict[str, float] | None = None) -> None:  # fmt: skip
        if resources:
            raise ValueError(f"local processes offer no resources ({resources}); timing "
                             "needs a device of its own")  # fmt: skip
        self._futures[self._pool.submit(call_alone, fn, *args)] = key

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(self._futures.values())

    def next_done(self) -> Done:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        done, _ = wait(tuple(self._futures), return_when=FIRST_COMPLETED)
        fut = min(done, key=lambda f: list(self._futures).index(f))  # oldest first: stable
        key = self._futures.pop(fut)
        exc = fut.exception()
        if isinstance(exc, BrokenProcessPool):
            missing = (key, *self._futures.values())
            self._futures.clear()
            raise ExecutorLost(f"a worker process died ({exc})", missing)
        if exc is not None:
            return Done(key, error=exc)
        value, seconds = fut.result()
        return Done(key, value, seconds=seconds)

    def close(self, cancel: bool = False) -> None:
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=not cancel, cancel_futures=True)
        if cancel:  # running tasks are abandoned: stop their processes now
            for p in procs:
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=5)
        self._futures.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)


def make_executor(workers: int | None = None, scheduler: str | None = None):
    """The executor the options ask for: Dask with ``scheduler``, processes with
    ``workers`` > 1, else serial."""
    if scheduler is not None:
        from cnnbench.bench.executors_dask import DaskExecutor

        return DaskExecutor(scheduler)
    if workers is not None and workers > 1:
        return ProcessExecutor(workers)
    return SerialExecutor()


def default_workers() -> int:
    return os.cpu_count() or 1
