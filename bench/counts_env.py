"""How the counting process starts: the same way every time, so that it counts the same.

Counts depend on the heap's history before the count, and that history on
everything the process does at start. So the counting process gets:

* a fixed entropy stream (``fixed_entropy.c``, compiled here with ``$CC`` or
  ``cc`` once per source and compiler, kept at a fixed path and loaded with
  ``LD_PRELOAD``): the ``Random()`` instances CPython seeds from ``getrandom``
  while torch is imported otherwise draw a different state in every process,
  and counts differed by up to 4e-3 between processes;
* a fixed environment (:func:`child_env`) and an empty working folder (``-m``
  puts it first on ``sys.path``; imports list it);
* cnnbench's ``.pyc`` files written beforehand (:func:`compile_sources`).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from cnnbench.bench.counts_spec import THREADS

ENTROPY_SOURCE = Path(__file__).with_name("fixed_entropy.c")


def tool_env() -> dict[str, str]:
    """The child's environment: this interpreter's folder first on PATH (the
    tools and ``python`` must be the venv's), a fixed hash seed, one thread."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(PYTHONHASHSEED="0", OMP_NUM_THREADS=str(THREADS), MKL_NUM_THREADS=str(THREADS))
    return env


def shim_folder() -> Path:
    """Where the compiled stream is kept: ``$XDG_CACHE_HOME/cnnbench`` (``~/.cache``).

    A fixed place, not a fresh temporary folder: the library's path is part of the
    counting process's start (``LD_PRELOAD``): two runs with the library in
    folders of different names read regularized_relu.eager 280,417 and 279,902.
    """
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "cnnbench"


def build_entropy_shim(folder: Path | None = None) -> tuple[Path | None, str]:
    """``fixed_entropy.c`` compiled into ``folder`` (default :func:`shim_folder`), once
    per source and compiler: (the library, "") or (None, why not).

    ``$CC`` (default ``cc``) builds it; without a compiler the counts are still
    taken, with the system's entropy, and differ between processes by up to 4e-3.
    """
    cc = shlex.split(os.environ.get("CC", "")) or ["cc"]
    folder = folder or shim_folder()
    source = ENTROPY_SOURCE.read_bytes()
    digest = hashlib.sha256(source + shlex.join(cc).encode()).hexdigest()[:12]
    lib = folder / f"fixed_entropy-{digest}.so"
    if lib.exists():
        return lib, ""
    part = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, suffix=".so.part")
        os.close(fd)
        part = Path(name)
        cmd = [*cc, "-O2", "-shared", "-fPIC", "-o", str(part), str(ENTROPY_SOURCE)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        if part is not None:
            part.unlink(missing_ok=True)
        return None, f"could not compile {ENTROPY_SOURCE.name} with {shlex.join(cc)}: {exc}"
    if done.returncode:
        part.unlink(missing_ok=True)
        return None, (f"{shlex.join(cmd)} exited {done.returncode}: "
                      f"{done.stderr.strip()[-300:]}")  # fmt: skip
    os.replace(part, lib)  # atomic: a concurrent run sees the whole library or none
    return lib, ""


# What the counting process inherits from the caller's environment; the rest is fixed.
# Every variable is an allocation while Python starts (os.environ), so a shell's extras
# (CI=true, TERM, ...) would otherwise shift the heap and with it the counts.
INHERITED = ("PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH", "VALGRIND_LIB")


def child_env(preload: Path | None) -> dict[str, str]:
    """The counting process's environment: :func:`tool_env`'s settings and the fixed
    entropy stream preloaded (when there is one), nothing else from the caller's."""
    tools = tool_env()
    env = {k: tools[k] for k in INHERITED if k in tools}
    env.update(PYTHONHASHSEED=tools["PYTHONHASHSEED"], OMP_NUM_THREADS=str(THREADS),
               MKL_NUM_THREADS=str(THREADS), LC_ALL="C.UTF-8")  # fmt: skip
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    return env


def compile_sources() -> None:
    """Write every missing or stale ``.pyc`` of cnnbench's packages before counting.

    A counting process that compiles a module on import (the first run in a fresh
    clone) has another heap history than one that loads the ``.pyc``: in a fresh
    clone the first `gate counts` read rrelu.eager_eval 364,093, the next two
    363,172.
    """
    import compileall
    import importlib.util

    for package in ("cnnbench.analysis", "cnnbench.bench", "cnnbench.reports"):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=2)
