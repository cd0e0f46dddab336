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
# Calls per repeat: the first repeat runs high (first-call caches) and is dropped;
# the kept ones agree to ~3e-3 (allocating ops) or ~1e-4. Under callgrind a call
# of all ten statements (~4M instructions) takes seconds on a busy 2-core VM, so
# a trial is one warm-up call and REPEATS single calls of each, and little else.
NUMBER = 1
REPEATS = 3
DROPPED = 1
WARMUP_CALLS = 1  # per statement and trial, before its first repeat, not collected
# Calls of every statement once per process, before the first trial: past CPython 3.11's
# quickening (a code object is specialised on its 8th call: with 5 here the 8th call of
# regularized_relu.fused's Python frames fell in the first trial's second repeat, +2%)
# and the first adaptive re-specialisations.
FIRST_USE_CALLS = 20
THREADS = 1  # at 2 threads OpenMP's spin-waits make counts spread ~3%
# Decision: a workload regresses when its count per call rose by more than its
# tolerance, max(MIN_REL_TOL, K_SPREAD x the relative spread (range / median) of
# its kept repeats over all baseline runs). Spreads here: 1e-5 (tanh) to 3e-3
# (allocating ReLU-likes); 1% is above every one of them and below the smallest
# slip worth a failure (5% more elements: +4.4% instructions for the cheapest).
MIN_REL_TOL = 0.01
K_SPREAD = 3.0
TOP_FUNCTIONS = 25  # per workload in the baseline: what a regression is attributed to
