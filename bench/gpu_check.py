"""``make gpu-check``: everything a GPU machine should run once, into one results folder.

Steps (each a subprocess with its own time limit, its output kept in
``<step>.log``): the ``gpu`` tests; the Triton kernels against float64
(compiled on CUDA, through the interpreter without it); the short CUDA sweep;
the CUDA harness against ``triton.testing.do_bench`` and
``torch.utils.benchmark`` (``bench --crosscheck``); the asv smoke run, whose
``device`` axis then includes cuda. A step that needs CUDA is skipped, with
its reason, where ``torch.cuda.is_available()`` is False, so the command runs
to completion on any machine. ``summary.json`` lists every step's status,
reason, exit code and seconds.

On a GPU the folder is ``bench/gpu_checks/<gpu>-<date>/`` (commit it); on a
machine without one ``reports/out/gpu-check/`` (nothing to commit).
Exit 0 when no step failed, 1 when one did.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = Path(PY).parent
TOTAL_LIMIT_S = 600  # the whole check: 10 minutes


@dataclass(frozen=True)
class Step:
    name: str
    argv: tuple[str, ...]
    needs_cuda: bool
    limit_s: int
    env: tuple[tuple[str, str], ...] = ()


def steps(out: Path, cuda: bool) -> list[Step]:
    gpu_tests = (PY, "-m", "pytest", "-v", "-rs", "-m", "gpu", "-p", "no:cacheprovider", "tests")
    sweep = (str(BIN / "cnnbench"), "bench", "--profile", "short", "--device", "cuda",
             "--budget", "0.2", "--force", "--quiet", "--out", str(out / "bench_cuda.jsonl"))
    cross = (PY, "-m", "cnnbench.bench.gpu_crosscheck", "--json",
             str(out / "crosscheck_cuda.json"))
    asv = (str(BIN / "asv"), "run", "-E", "existing", "--quick", "--dry-run", "--show-stderr",
           "--bench", "bench_activations")
    interpret = () if cuda else (("TRITON_INTERPRET", "1"),)
    return [
        Step("gpu-tests", gpu_tests, True, 180),
        Step("triton-kernels", (PY, "-m", "cnnbench.bench.triton_check"), False, 120, interpret),
        Step("cuda-sweep", sweep, True, 240),
        Step("harness-crosscheck", cross, True, 120),
        Step("asv-cuda-smoke", asv, True, 180),
    ]


@dataclass
class StepResult:
    name: str
    status: str  # "passed" | "failed" | "skipped"
    reason: str
    returncode: int | None
    seconds: float


def cuda_state() -> tuple[bool, str]:
    """(available, a sentence about the device or why there is none)."""
    import torch

    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        return True, f"{p.name}, {p.total_memory / 2**30:.0f} GiB, CUDA {torch.version.cuda}"
    built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU build"
    why = f"no CUDA: torch.cuda.is_available() is False (torch {torch.__version__}, {built})"
    return False, why


def default_out(cuda: bool, device: str) -> Path:
    if not cuda:
        return ROOT / "reports" / "out" / "gpu-check"
    slug = re.sub(r"[^a-z0-9]+", "-", device.split(",")[0].lower()).strip("-")
    return ROOT / "bench" / "gpu_checks" / f"{slug}-{datetime.now(UTC):%Y%m%d}"


def run_step(step: Step, out: Path, cuda: bool, why_not: str, left_s: float) -> StepResult:
    if step.needs_cuda and not cuda:
        return StepResult(step.name, "skipped", why_not, None, 0.0)
    limit = min(step.limit_s, max(1.0, left_s))
    env = dict(os.environ, **dict(step.env))
    start = time.perf_counter()
    with open(out / f"{step.name}.log", "w") as log:
        try:
            rc = subprocess.run(step.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=limit).returncode  # fmt: skip
        except subprocess.TimeoutExpired:
            return StepResult(step.name, "failed", f"ran past its {limit:.0f} s limit", None,
                              time.perf_counter() - start)  # fmt: skip
    seconds = time.perf_counter() - start
    if rc == 0:
        return StepResult(step.name, "passed", "", 0, seconds)
    return StepResult(step.name, "failed", f"exit {rc} (see {step.name}.log)", rc, seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cnnbench.bench.gpu_check")
    ap.add_argument("--out", type=Path, help="results folder [default: see the module doc]")
    args = ap.parse_args(argv)
    cuda, device = cuda_state()
    out = args.out or default_out(cuda, device)
    out.mkdir(parents=True, exist_ok=True)
    print(f"gpu-check: {device}; results in {out}", flush=True)
    results, start = [], time.perf_counter()
    for step in steps(out, cuda):
        left = TOTAL_LIMIT_S - (time.perf_counter() - start)
        r = run_step(step, out, cuda, device, left)
        results.append(r)
        detail = f" ({r.reason})" if r.reason else ""
        print(f"  {r.name}: {r.status}{detail} [{r.seconds:.0f} s]", flush=True)
    created = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
    summary = {"device": device, "cuda": cuda, "created": created,
               "seconds": round(time.perf_counter() - start, 1),
               "steps": [asdict(r) | {"seconds": round(r.seconds, 1)}
                         for r in results]}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    failed = [r.name for r in results if r.status == "failed"]
    print(f"gpu-check: {len(results) - len(failed)} of {len(results)} steps passed or skipped"
          + (f"; FAILED: {', '.join(failed)}" if failed else "") + f"; {out / 'summary.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
