"""Wall time of `cnnbench check --workers N` against the serial run, back to back.

The acceptance measurement of issue 13 (not a timed test: timings belong to no
test run on a shared machine). Runs every claim serially, then with
``--workers N`` (default 2), compares the verdicts (everything but the seconds
and the timings some checks record in their evidence must be identical) and
prints the ratio with the machine's load while each ran (1-minute load average
sampled every 5 s; load from anything else on the machine inflates both runs).

    .venv/bin/python scripts/check_workers_ratio.py [--workers 2] [--out DIR]

Exit 0 when the verdicts are identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

CNNBENCH = Path(sys.executable).with_name("cnnbench")


def _timed(args: list[str], log: Path) -> tuple[float, list[float], int]:
    """Run ``cnnbench args``; (wall seconds, load averages sampled meanwhile, exit code)."""
    loads: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(5.0):
            loads.append(os.getloadavg()[0])

    thread = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    with open(log, "w") as handle:
        rc = subprocess.call([str(CNNBENCH), *args], stdout=handle, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    stop.set()
    thread.join()
    return wall, loads, rc


# Evidence that measures the run itself (the shapes claims' throughput against torch): it
# differs between two serial runs as much as between serial and parallel ones.
TIMING_EVIDENCE = {"seconds", "cpu_seconds", "configs_per_second", "configs_per_cpu_second"}
_TIMING_TEXT = re.compile(r"[\d,.]+ (s wall|s CPU|configs/s wall|per CPU second)")


def _verdicts(path: Path) -> list[dict]:
    """Each claim's row less its timings (its ``seconds``, and timing evidence)."""
    rows = []
    for row in json.loads(path.read_text()):
        ev = {k: v for k, v in row["evidence"].items() if k not in TIMING_EVIDENCE}
        ev["summary"] = _TIMING_TEXT.sub("<t>", ev["summary"])
        rows.append({**{k: v for k, v in row.items() if k != "seconds"}, "evidence": ev})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("reports/out/workers-ratio"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {}
    parallel = f"workers{args.workers}"
    for name, extra in (("serial", []), (parallel, ["--workers", str(args.workers)])):
        path = args.out / f"check-{name}.json"
        before = os.getloadavg()[0]
        wall, loads, rc = _timed(["check", "--quiet", "--json", str(path), *extra],
                                 args.out / f"check-{name}.log")  # fmt: skip
        runs[name] = {"wall_s": round(wall, 1), "exit": rc, "load_before": before,
                      "load_mean": round(sum(loads) / max(len(loads), 1), 2),
                      "load_max": max(loads, default=before)}  # fmt: skip
        print(f"{name}: {wall:.1f} s (exit {rc}; load average {before:.2f} before, mean "
              f"{runs[name]['load_mean']:.2f}, max {runs[name]['load_max']:.2f})", flush=True)
    one, two = (args.out / f"check-{n}.json" for n in ("serial", parallel))
    same = _verdicts(one) == _verdicts(two)
    ratio = runs[parallel]["wall_s"] / runs["serial"]["wall_s"]
    summary = {"cpus": os.cpu_count(), "ratio": round(ratio, 3), "identical": same, **runs}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"ratio workers/serial = {ratio:.3f}; verdicts identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
