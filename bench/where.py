"""Where a timing ran (host, device, machine), and the lock that keeps a device to one timer.

Every bench result records :func:`where`: the host that ran it, the device
(the CPU model, or the GPU's name and which one), and the *machine*: the name
its results are grouped under in a report across machines and in asv's
``results/<machine>/`` layout. It is ``$CNNBENCH_MACHINE`` when set (give each
of a fleet's identical runners the same name, or a GPU box one name per GPU
type), else asv's machine name for this host (``~/.asv-machine.json``), else
the host name.

:func:`device_lock` is an exclusive ``fcntl`` lock per device held for a whole
timing task: two processes of ours (two Dask workers started on one host by
mistake, a second ``cnnbench bench``) then take turns on a device instead of
timing each other's interference.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

MACHINE_ENV = "CNNBENCH_MACHINE"
LOCK_DIR_ENV = "CNNBENCH_LOCK_DIR"  # where the device locks live (default: the temp folder)


@lru_cache(maxsize=1)
def asv_machine_name() -> str | None:
    """The machine name ``asv machine`` stored for this host, if any."""
    try:
        data = json.loads((Path.home() / ".asv-machine.json").read_text())
    except (OSError, ValueError):
        return None
    names = [k for k in data if k != "version"] if isinstance(data, dict) else []
    return names[0] if len(names) == 1 else None


def machine_name() -> str:
    """``$CNNBENCH_MACHINE``, else asv's machine name for this host, else the host name."""
    return os.environ.get(MACHINE_ENV) or asv_machine_name() or platform.node() or "unknown"


def device_name(device: str) -> str:
    """``cpu: <model>`` or ``cuda:<index> <name>`` (index as this process sees it)."""
    import torch

    if device == "cuda" and torch.cuda.is_available():
        i = torch.cuda.current_device()
        return f"cuda:{i} {torch.cuda.get_device_name(i)}"
    from cnnbench.bench.machine import cpu_model

    return f"cpu: {cpu_model()}"


def device_id(device: str) -> str:
    """What identifies the physical device on this host: ``cpu``, or the GPU's UUID."""
    import torch

    if device == "cuda" and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        uuid = getattr(props, "uuid", None)
        return f"cuda-{uuid}" if uuid else f"cuda-{os.environ.get('CUDA_VISIBLE_DEVICES', '0')}"
    return "cpu"


def where(device: str, worker: str | None = None) -> dict:
    """The host, device and machine a result was measured on (and the Dask worker, if any)."""
    out = {"host": platform.node(), "machine": machine_name(), "device": device_name(device)}
    if device == "cuda" and "CUDA_VISIBLE_DEVICES" in os.environ:
        out["cuda_visible_devices"] = os.environ["CUDA_VISIBLE_DEVICES"]
    if worker:
        out["worker"] = worker
    return out


@contextmanager
def device_lock(device: str) -> Iterator[Path]:
    """Hold this host's exclusive timing lock for ``device`` (waits for another holder)."""
    folder = Path(os.environ.get(LOCK_DIR_ENV) or tempfile.gettempdir())
    path = folder / f"cnnbench-timing-{device_id(device)}.lock"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
