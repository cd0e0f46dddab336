"""Names, paths and defaults of the within-run gate, importable without torch.

:mod:`cnnbench.bench.gate_suite` builds the workloads (torch); the command line needs
only their names and the baselines' folder to parse its options and to check a
baseline before anything is measured (a test keeps the names in step).
"""

from __future__ import annotations

from pathlib import Path

GATE_NAMES = ("relu.out", "sigmoid.out", "tanh.out", "sigmoid_star.eager_best",
              "regularized_relu.eager", "conv3x3.nchw", "conv3x3.channels_last")  # fmt: skip
# One baseline per machine fingerprint (cnnbench.bench.fingerprint): <id>.json.
BASELINES_DIR = Path(__file__).with_name("gate_baselines")
DEFAULT_ROUNDS = 21
GATE_THREADS = 1  # one intra-op thread: the other core is left to the noisy neighbour


def baseline_path(fingerprint_id: str) -> Path:
    """Where the baseline of machines with this fingerprint is kept."""
    return BASELINES_DIR / f"{fingerprint_id}.json"
