"""The process that runs under callgrind: ``python -m cnnbench.bench.counts_child PLAN``.

One process counts every statement of every trial in ``PLAN`` (a JSON file
written by :func:`cnnbench.bench.counts.count`), because ``import torch``
dominates a process under valgrind. It starts with instrumentation off (valgrind
then runs ~5x slower instead of ~50x), asks callgrind to instrument once torch
is imported, and brackets each repeat of ``number`` calls with torch's own
callgrind client requests (``torch._C._valgrind_toggle``, as
``torch.utils.benchmark.Timer.collect_callgrind`` does), each repeat dumped to
its own numbered file. It writes ``PLAN.done.json``: what each dump holds, and
what the process saw (torch's CPU capability under valgrind, versions, whether
its entropy was the fixed stream of ``fixed_entropy.c``).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def _entropy() -> str:
    """"fixed" when ``fixed_entropy.c``'s stream is preloaded, else "system"."""
    import ctypes

    return "fixed" if hasattr(ctypes.CDLL(None), "cnnbench_fixed_entropy") else "system"


def main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    import torch
    from cnnbench.bench.counts_workloads import build

    torch.set_num_threads(plan["threads"])
    from cnnbench.bench.gate_suite import pin_allocator

    pin_allocator()  # glibc's thresholds fixed: no trim/mmap regime changes between trials
    if not torch._C._valgrind_supported_platform():
        print("torch was built without valgrind client requests", file=sys.stderr)
        return 3
    # Instrument from here on (the import ran uninstrumented): the tool is on PATH.
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    # One pass over every statement before anything is collected: first-use work (lazy
    # initialisation, TorchScript's profiling runs of the fused form) otherwise lands
    # in the first trial only, which read relu.out 2% and regularized_relu.fused 1.5%
    # above the later trials of the same process.
    for name in plan["names"]:
        f = build(name, 0.0)
        for _ in range(plan["first_use_calls"]):
            f()
    dumps = []
    for trial, inject in enumerate(plan["trials"]):
        for name in plan["names"]:
            f = build(name, inject.get(name, 0.0))
            for _ in range(plan["warmup"]):
                f()
            for rep in range(plan["repeats"]):
                gc.collect()
                gc.disable()  # a collection inside a repeat would add ~1-2% to small statements
                torch._C._valgrind_toggle()
                for _ in range(plan["number"]):
                    f()
                torch._C._valgrind_toggle_and_dump_stats()
                gc.enable()
                dumps.append({"trial": trial, "name": name, "repeat": rep})
    seen = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "glibc": "-".join(platform.libc_ver()),
        "threads": torch.get_num_threads(),
        "entropy": _entropy(),  # looked up after counting: nothing here disturbs the heap before
    }
    Path(plan_path + ".done.json").write_text(json.dumps({"dumps": dumps, "seen": seen}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
