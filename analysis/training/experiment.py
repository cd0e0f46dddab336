"""A small training experiment behind the texts' claims about deep plain networks.

Setting (smaller than the texts': 003 trains a 33-layer Inception on CIFAR-100,
000 a 6-layer CNN on two CIFAR-10 classes): scikit-learn's bundled 8×8 digits
(1797 images, 10 classes, no download), standardised pixels, a fixed stratified
75/25 split; a plain fully connected network of ``depth`` hidden layers of
``width`` units, each ``Linear → activation``, then ``Linear → 10`` logits;
Xavier-uniform weights, zero biases; SGD with momentum, cross-entropy, a fixed
number of epochs, the same hyper-parameters for every activation. Seed ``s``
fixes the weights (``torch.manual_seed(s)`` before building, so every
activation starts from the *same* weights) and the batch order (a separate
generator), so results are reproducible and paired across activations.

Activations as the texts use them: leaky ReLU with slope 1/7.5 (003 Table
5.2's a = 7.5); PReLU starting at 0.25; RReLU with slopes U(1/8, 1/3) in
training and their mean at test time; the regularized ReLU of 000 with its
factors for a fully connected layer read as a 1×1 convolution on a 1×1 map
(c = m = fan_in, s = 1, n = fan_out), i.e. ``max(0, z/fan_out)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import torch
from cnnbench.analysis._validation import ParameterError, as_choice, as_int, as_real
from cnnbench.analysis.activations.modules import regularized_relu_factors
from cnnbench.analysis.activations.registry import ACTIVATIONS, Activation, make_activation
from cnnbench.analysis.units import Unit, result_of
from cnnbench.analysis.variance.init_schemes import get_init
from cnnbench.analysis.variance.moments import single_thread
from torch import nn

TRAIN_ACTIVATIONS = ("sigmoid", "sigmoid_star", "tanh", "relu", "leaky_relu", "prelu", "rrelu",
                     "regularized_relu", "sigmoid_star_init")  # fmt: skip
# A plain sigmoid network started from the weights that make it compute exactly what
# the Sigmoid* network computes at init: W·(4σ(h) − 2) + b = (4W)·σ(h) + (b − 2·W·1).
# Only the initialisation differs from the "sigmoid" arm.
SIGMOID_STAR_INIT = "sigmoid_star_init"
LEAKY_SLOPE = 1 / 7.5  # 003 Table 5.2: "leaky relu (a = 7.5)"
SATURATION_LEVEL = 3.0  # |h| beyond which sigmoid' < 0.05 (a fifth of its peak)


# Upper limits of a configuration, and why: each bounds the time of one experiment
# (one epoch of a 20-layer, 64-wide network takes ~0.1 s per seed and arm on a 2-core VM).
LIMITS = {
    "depth": (200, "plain networks far shallower than this already fail to train (003 §5.5)"),
    "width": (4096, "a hidden layer holds width^2 weights"),
    "epochs": (1000, "the digits are fitted within tens of epochs"),
    "seeds": (100, "the 95% interval narrows like 1/sqrt(seeds); 100 is plenty"),
    "batch": (1347, "the training split holds 1347 images"),
}


@dataclass(frozen=True)
class TrainConfig:
    """What is trained, how long, and how many seeds (hashable: results are cached)."""

    activations: tuple[str, ...] = TRAIN_ACTIVATIONS
    depth: int = 20
    width: int = 64
    epochs: int = 20
    seeds: int = 5
    batch: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    init: str = "xavier_uniform"
    optimizer: str = "sgd"  # "sgd" (with momentum) or "adam" (torch defaults besides lr)
    input_scale: tuple[tuple[str, float], ...] = ()  # (activation, factor on the inputs)

    def __post_init__(self) -> None:
        if not self.activations:
            raise ParameterError("activations", "", "must name at least one activation, e.g. "
                                 f"{', '.join(TRAIN_ACTIVATIONS)}")
        for name in self.activations:
            if name != SIGMOID_STAR_INIT and (name not in ACTIVATIONS or name == "softmax"):
                raise ParameterError("activations", name, "must name elementwise activations "
                                     f"of the registry, e.g. {', '.join(TRAIN_ACTIVATIONS)}")
        for key, (most, why) in LIMITS.items():
            as_int(key, getattr(self, key), minimum=1, maximum=most, reason=why)
        as_real("lr", self.lr, lower=0.0, lower_open=True)
        as_real("momentum", self.momentum, lower=0.0, upper=1.0, upper_open=True)
        get_init(self.init)
        as_choice("optimizer", self.optimizer, ("sgd", "adam"))

    def scale_for(self, activation: str) -> float:
        return dict(self.input_scale).get(activation, 1.0)


# 000 §4 as far as it carries over to digits: six hidden layers, Adam (lr 1e-3, β 0.9/0.999,
# ε 1e-8), weights and biases U(−1, 1), and the inputs of the regularized-ReLU model
# magnified 10000× (000 §4.1); all ten classes, fully connected rather than convolutional.
CONFIG_000 = TrainConfig(activations=("sigmoid", "relu", "regularized_relu"), depth=6, lr=1e-3,
                         optimizer="adam", init="uniform_pm1",
                         input_scale=(("regularized_relu", 1e4),))  # fmt: skip
SETTINGS = {"deep": TrainConfig(), "regularized_relu_000": CONFIG_000}


@dataclass(frozen=True)
class RunResult:
    """One (activation, seed) training run: curves per epoch and the state at init."""

    activation: str
    seed: int
    train_loss: tuple[float, ...]  # mean over the epoch's batches
    test_loss: tuple[float, ...]
    test_acc: tuple[float, ...]
    grad_norms_init: tuple[float, ...]  # ‖∂L/∂W_l‖_F at init, hidden layers 1..depth, output
    saturated_init: float  # fraction of hidden pre-activations with |h| > SATURATION_LEVEL
    seconds: float

    @property
    def final_acc(self) -> float:
        return self.test_acc[-1]


@dataclass(frozen=True)
class ExperimentResult:
    config: TrainConfig
    runs: tuple[RunResult, ...]
    chance: float  # accuracy of always answering the most frequent test class

    def of(self, activation: str) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.activation == activation)

    def to_json(self) -> dict:
        return {"config": asdict(self.config), "chance": self.chance,
                "runs": [asdict(r) for r in self.runs]}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> ExperimentResult:
        """Rebuild a result written by :meth:`to_json` (e.g. ``cnnbench train --json``)."""
        cfg = dict(data["config"])
        cfg["activations"] = tuple(cfg["activations"])
        cfg["input_scale"] = tuple((a, float(f)) for a, f in cfg.get("input_scale", ()))
        runs = tuple(
            RunResult(**{k: tuple(v) if isinstance(v, list) else v for k, v in r.items()})
            for r in data["runs"]
        )
        return cls(TrainConfig(**cfg), runs, data["chance"])


def training_activation(name: str, fan_in: int, fan_out: int) -> Activation:
    """The registry activation ``name`` as this experiment uses it in a layer.

    Examples
    --------
    >>> training_activation("regularized_relu", 64, 64).params["n"]  # bit-exact: float(64)
    64.0
    """
    if name == "leaky_relu":
        return make_activation("leaky_relu", negative_slope=LEAKY_SLOPE)
    if name == "regularized_relu":
        f = regularized_relu_factors(fan_in, fan_out, height=1, width=1, kernel=1)
        return make_activation("regularized_relu", c=f.c, s=f.s, n=f.n, m=f.m)
    return ACTIVATIONS[name]


@lru_cache(maxsize=1)
def digits_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Standardised digits, a fixed stratified 75/25 split: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-8  # constant border pixels have std 0
    to = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)  # noqa: E731
    return to(xtr), torch.tensor(ytr), to(xte), torch.tensor(yte)


def build_mlp(activation: str, depth: int, width: int, init: str, n_in: int = 64,
              n_out: int = 10) -> nn.Sequential:  # fmt: skip
    """``depth × (Linear → activation)`` then ``Linear → n_out``, initialised by ``init``.

    ``activation = "sigmoid_star_init"`` gives a sigmoid network whose weights
    are the Sigmoid* network's, rewritten so both compute the same function.
    """
    if activation == SIGMOID_STAR_INIT:
        return _sigmoid_from_star(build_mlp("sigmoid_star", depth, width, init, n_in, n_out))
    scheme = get_init(init)
    layers: list[nn.Module] = []
    fan = n_in
    for _ in range(depth):
        lin = nn.Linear(fan, width)
        scheme.apply(lin)
        layers += [lin, training_activation(activation, fan, width).module()]
        fan = width
    head = nn.Linear(fan, n_out)
    scheme.apply(head)
    return nn.Sequential(*layers, head)


def _sigmoid_from_star(model: nn.Sequential) -> nn.Sequential:
    mods = list(model)
    with torch.no_grad():
        for i, m in enumerate(mods):
            if isinstance(m, nn.Linear) and i > 0:  # reads a Sigmoid* output
                m.bias -= 2 * m.weight.sum(1)
                m.weight *= 4
    return nn.Sequential(*(nn.Sigmoid() if not isinstance(m, nn.Linear) else m for m in mods))


def _init_diagnostics(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor):
    loss_fn = nn.CrossEntropyLoss()
    pre = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: pre.append(out.detach()))
             for m in model if isinstance(m, nn.Linear)][:-1]  # fmt: skip
    model.zero_grad()
    loss_fn(model(x), y).backward()
    for h in hooks:
        h.remove()
    norms = tuple(float(m.weight.grad.norm()) for m in model if isinstance(m, nn.Linear))
    allpre = torch.cat([p.flatten() for p in pre])  # (N·depth·width,)
    model.zero_grad()
    return norms, float((allpre.abs() > SATURATION_LEVEL).float().mean())


def train_one(config: TrainConfig, activation: str, seed: int) -> RunResult:
    """Train one network; deterministic given (config, activation, seed)."""
    start = time.perf_counter()
    xtr, ytr, xte, yte = digits_split()
    scale = config.scale_for(activation)
    xtr, xte = xtr * scale, xte * scale
    torch.manual_seed(seed)
    model = build_mlp(activation, config.depth, config.width, config.init)
    grads, saturated = _init_diagnostics(model, xtr, ytr)
    if config.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.9, 0.999), eps=1e-8)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(10_000 + seed)
    train_loss, test_loss, test_acc = [], [], []
    for _ in range(config.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=order)
        total = 0.0
        for i in range(0, len(xtr), config.batch):
            idx = perm[i : i + config.batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        model.eval()
        with torch.no_grad():
            logits = model(xte)  # (N_test, 10)
            test_loss.append(_finite(float(loss_fn(logits, yte))))
            test_acc.append(float((logits.argmax(1) == yte).float().mean()))
        train_loss.append(_finite(total / len(xtr)))
    return RunResult(activation, seed, tuple(train_loss), tuple(test_loss), tuple(test_acc),
                     grads, saturated, time.perf_counter() - start)  # fmt: skip


def _finite(v: float) -> float:
    # A diverged run (loss inf/nan) is recorded as a large finite loss: JSON has no NaN.
    return v if math.isfinite(v) else 1e30


def run_experiment(config: TrainConfig = TrainConfig(),
                   progress: Callable[[RunResult], None] | None = None) -> ExperimentResult:
    """Train every (activation, seed) of ``config``; cached per config in-process.

    Examples
    --------
    >>> r = run_experiment(TrainConfig(activations=("tanh",), depth=2, epochs=1, seeds=1))
    >>> len(r.runs), len(r.runs[0].test_acc), len(r.runs[0].grad_norms_init)
    (1, 1, 3)
    """
    if progress is None:
        return _cached(config)
    return _run(config, progress)


@lru_cache(maxsize=4)
def _cached(config: TrainConfig) -> ExperimentResult:
    return _run(config, None)


def experiment_units(config: TrainConfig) -> tuple[Unit, ...]:
    """One unit per (activation, seed) run of ``config`` (``train_one`` seeds itself).

    The id names the configuration by a digest of its fields, so two claims reading
    the same experiment share its units.
    """
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()
    cost = config.depth * config.width**2 * config.epochs
    return tuple(Unit(f"training/{digest[:12]}/{name}/seed{seed}", train_one,
                      (config, name, seed), cost=cost)
                 for name in config.activations for seed in range(config.seeds))  # fmt: skip


def _run(config: TrainConfig, progress) -> ExperimentResult:
    runs = []
    with single_thread():
        for unit in experiment_units(config):
            run = result_of(unit)  # computed here unless an executor already did
            runs.append(run)
            if progress is not None:
                progress(run)
    yte = digits_split()[3].numpy()
    chance = float(np.bincount(yte).max() / len(yte))
    return ExperimentResult(config, tuple(runs), chance)
