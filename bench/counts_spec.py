"""Names, paths and defaults of the instruction-count gate, importable without torch.

:mod:`cnnbench.bench.counts_workloads` builds the statements (torch);
:mod:`cnnbench.bench.counts` runs them under valgrind's callgrind. The command
line needs only what is here to parse its options and to check a baseline
before anything is measured (a test keeps the names in step).
"""

from __future__ import annotations

from pathlib import Path

# The timing gate's workloads, then the texts' custom activations in their other forms.
COUNT_NAMES = ("relu.out", "sigmoid.out", "tanh.out", "sigmoid_star.eager_best",
               "regularized_relu.eager", "conv3x3.nchw", "conv3x3.channels_last",
               "sigmoid_star.eager_naive", "regularized_relu.fused",
               "rrelu.eager_eval")  # fmt: skip
COUNTS_BASELINE_PATH = Path(__file__).with_name("gate_counts_baseline.json")
# Calls per repeat: a repeat of the largest statement (a 3x3 convolution, ~0.3M
# instructions) then costs ~2 s under callgrind; the smallest still counts ~1M.
NUMBER = 20
# Repeats per statement; the first runs ~0.7% high (first-call caches) and is dropped.
REPEATS = 4
DROPPED = 1
WARMUP_CALLS = 3  # before the first repeat, outside the collected region
THREADS = 1  # at 2 threads OpenMP's spin-waits make counts spread ~3%
# Decision: a workload regresses when its count per call rose by more than its
# tolerance, max(MIN_REL_TOL, K_SPREAD x the relative spread of its baseline's
# repeats over all baseline runs). Counts repeat to ~1e-4; 1% is well above that
# and below the smallest slip worth a failure (5% more elements: +2-5% instructions).
MIN_REL_TOL = 0.01
K_SPREAD = 10.0
TOP_FUNCTIONS = 25  # per workload in the baseline: what a regression is attributed to
