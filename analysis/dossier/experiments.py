"""The experimental half of an activation's dossier: Monte Carlo on a deep torch stack, and
trainability on digits beside relu and tanh.

Both reuse what the claims use: :func:`~cnnbench.analysis.variance.monte_carlo.monte_carlo`
(with the mean-field initialisation N(0, σ_w²/fan_in), bias N(0, σ_b²)) and
:func:`~cnnbench.analysis.training.experiment.run_experiment` (same seeds for every arm,
so differences are paired by seed).
"""

from __future__ import annotations

from collections.abc import Callable

from cnnbench.analysis.activations.spec import activation
from cnnbench.analysis.training.experiment import RunResult, TrainConfig, run_experiment
from cnnbench.analysis.training.stats import activation_summary, paired_difference
from cnnbench.analysis.variance.init_schemes import gaussian_init
from cnnbench.analysis.variance.monte_carlo import monte_carlo

TRAIN_BASELINES = ("relu", "tanh")
MC_WIDTH = 256
MC_DRAWS = 16


def variance_mc(spec: object, sigma_w: float, sigma_b: float, depth: int,
                width: int = MC_WIDTH, draws: int = MC_DRAWS, seed: int = 0) -> dict:  # fmt: skip
    """Layer moments measured on ``draws`` random torch MLPs against the theory.

    Returns the agreement (within a family-wise tolerance over layers), whether
    the tolerance is tight enough to mean anything, the worst |error|/tolerance,
    and the first and last layer's predicted and measured q and gradient variance.

    Examples
    --------
    >>> r = variance_mc("tanh", 1.0, 0.0, depth=3, width=32, draws=12)
    >>> r["agrees"], len(r["layers"])
    (True, 2)
    """
    act = activation(spec)
    r = monte_carlo(act.name, gaussian_init(sigma_w, sigma_b), depth, width, draws=draws,
                    seed=seed)  # fmt: skip
    keep = ("layer", "q_theory", "q_mc", "q_tol", "grad_theory", "grad_mc", "grad_tol")
    rows = [r.layers[0], r.layers[-1]] if depth > 1 else [r.layers[0]]
    return {
        "how": f"{draws} torch MLPs of width {width}, float64, seed {seed}; tolerance "
               f"{r.t_quantile:.2f} s.e. (family-wise alpha {r.alpha})",
        "agrees": r.agrees, "informative": r.informative, **r.worst(),
        "layers": [{k: getattr(row, k) for k in keep} for row in rows],
    }  # fmt: skip


def trainability(spec: object, depth: int, seeds: int = 3, epochs: int = 10,
                 progress: Callable[[RunResult], None] | None = None) -> dict:  # fmt: skip
    """Train a deep plain MLP on digits with ``spec``, relu and tanh (same seeds).

    Returns each arm's summary (status, final-accuracy t-interval, gradient
    profile at initialisation) and the paired difference ``spec − baseline``
    of final accuracy per baseline, as a 95% t-interval over seeds.
    """
    act = activation(spec)
    arms = tuple(dict.fromkeys((act.name, *TRAIN_BASELINES)))
    config = TrainConfig(activations=arms, depth=depth, seeds=seeds, epochs=epochs)
    result = run_experiment(config, progress)
    paired = {b: paired_difference(result, act.name, b).to_json()
              for b in TRAIN_BASELINES if b != act.name}  # fmt: skip
    return {
        "how": f"digits, {depth} hidden layers of width {config.width}, {config.init}, "
               f"SGD lr {config.lr} momentum {config.momentum}, {epochs} epochs, seeds "
               f"0..{seeds - 1} for every arm",
        "chance": result.chance,
        "arms": {a: activation_summary(result, a) for a in arms},
        "paired_final_acc": paired,
    }  # fmt: skip
