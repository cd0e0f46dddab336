"""Adam as 000 §4.4 and 001 eqs. (2.17)–(2.19) print it, against ``torch.optim.Adam``.

000 prints Kingma & Ba's update with bias correction and ``eps`` outside the
root; 001 prints the same moments and bias correction but an update with no
``eps`` at all. Both are run literally for a few steps on one fixed objective
and compared with torch's optimiser step by step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from cnnbench.analysis._validation import as_int, as_real
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from torch import Tensor

__all__ = [
    "ADAM_ABS_TOL",
    "adam_printed",
    "adam_torch",
    "check_msd_adam_moments",
    "check_msd_adam_update",
    "check_regrelu_adam",
    "objective",
]

# Parameters are O(1) and each step adds O(lr) terms: after <= 10 steps float64
# rounding stays below ~1e-15; a missing eps (1e-8) moves a step by ~1e-8 lr/|g|.
ADAM_ABS_TOL = 1e-13
STEPS = 6
THETA0 = (0.5, -1.5, 2.0, 0.0)
DEAD = 3  # index of the coordinate the objective ignores: its gradient is always 0


def objective(theta: Tensor) -> Tensor:
    """A fixed smooth loss whose last coordinate has zero gradient (a 'dead' unit)."""
    a = torch.tensor([1.0, 2.0, 0.5], dtype=theta.dtype)
    live = theta[:DEAD]
    return ((a * live - 1.0) ** 2).sum() + 0.1 * (live**4).sum() + torch.sin(live).prod()


def _grad(theta: Tensor, loss: Callable[[Tensor], Tensor]) -> Tensor:
    t = theta.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(t), t)
    return g


def adam_printed(
    steps: int,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float | None = 1e-8,
    loss: Callable[[Tensor], Tensor] = objective,
) -> dict[str, list[list[float]]]:
    """Run Adam as printed; ``eps=None`` is 001's update (2.19), which has no eps.

    Parameters
    ----------
    steps : int, >= 1
    lr, beta1, beta2 : float — eta, beta_1, beta_2 (betas in [0, 1)).
    eps : float > 0, or None for 001's form.

    Returns
    -------
    dict
        ``theta``, ``m``, ``v`` after each step (lists of lists of float).

    Notes
    -----
    ``m_t = b1 m + (1-b1) g``, ``v_t = b2 v + (1-b2) g^2`` (000; 001 eq. 2.17),
    ``mhat = m_t/(1-b1^t)``, ``vhat = v_t/(1-b2^t)`` (2.18),
    ``W_t = W_{t-1} - lr mhat/(sqrt(vhat) + eps)`` (000) or
    ``theta_{t+1} = theta_t - lr/sqrt(vhat) mhat`` (001 eq. 2.19).

    References
    ----------
    000_940f4854fb2e4a91.txt §4.4; 001_eca9e742b9cf0388.txt eqs. (2.17)–(2.19).

    Examples
    --------
    >>> [round(t, 6) for t in adam_printed(1, lr=0.1)["theta"][0]]
    [0.6, -1.4, 1.9, 0.0]
    """
    steps = as_int("steps", steps, minimum=1)
    lr = as_real("lr", lr, lower=0.0, lower_open=True)
    beta1 = as_real("beta1", beta1, lower=0.0, upper=1.0, upper_open=True)
    beta2 = as_real("beta2", beta2, lower=0.0, upper=1.0, upper_open=True)
    if eps is not None:
        eps = as_real("eps", eps, lower=0.0, lower_open=True)
    theta = torch.tensor(THETA0, dtype=torch.float64)
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    out: dict[str, list[list[float]]] = {"theta": [], "m": [], "v": []}
    for t in range(1, steps + 1):
        g = _grad(theta, loss)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        denom = torch.sqrt(v_hat) if eps is None else torch.sqrt(v_hat) + eps
        theta = theta - lr * m_hat / denom
        for key, val in (("theta", theta), ("m", m), ("v", v)):
            out[key].append(val.tolist())
    return out


def adam_torch(
    steps: int, *, lr: float = 1e-3, eps: float = 1e-8, loss: Callable[[Tensor], Tensor] = objective
) -> dict[str, list[list[float]]]:
    """The same run with ``torch.optim.Adam`` (betas 0.9, 0.999); its state per step."""
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([theta], lr=lr, betas=(0.9, 0.999), eps=eps)
    out: dict[str, list[list[float]]] = {"theta": [], "m": [], "v": []}
    for _ in range(steps):
        opt.zero_grad()
        loss(theta).backward()
        opt.step()
        state = opt.state[theta]
        out["theta"].append(theta.detach().tolist())
        out["m"].append(state["exp_avg"].tolist())
        out["v"].append(state["exp_avg_sq"].tolist())
    return out


def _max_diff(a: list[list[float]], b: list[list[float]], cols=slice(None)) -> float:
    ta = torch.tensor(a, dtype=torch.float64)[:, cols]
    tb = torch.tensor(b, dtype=torch.float64)[:, cols]
    if torch.isnan(ta).any() or torch.isnan(tb).any():
        return math.inf
    return float((ta - tb).abs().max())


def check_regrelu_adam(lrs: tuple[float, ...] = (1e-3, 0.1)) -> CheckResult:
    """000 §4.4: the five Adam formulas (bias correction, eps outside the root) = torch."""
    diffs = {lr: _max_diff(adam_printed(STEPS, lr=lr)["theta"], adam_torch(STEPS, lr=lr)["theta"])
             for lr in lrs}  # fmt: skip
    worst = max(diffs.values())
    return decided(
        worst <= ADAM_ABS_TOL,
        "framework",
        f"Adam as printed (eta = lr, beta 0.9/0.999, eps 1e-8 outside the root, bias "
        f"correction) vs torch.optim.Adam for {STEPS} steps at lr {', '.join(map(str, lrs))}: "
        f"largest parameter difference {worst:.2g} (tolerance {ADAM_ABS_TOL:g}).",
        max_abs_diff={str(k): v for k, v in diffs.items()},
        steps=STEPS,
        torch=torch.__version__,
    )


def check_msd_adam_moments() -> CheckResult:
    """001 (2.17): m_t, v_t are torch's exp_avg, exp_avg_sq (stored without correction)."""
    mine, ref = adam_printed(STEPS, lr=0.1, eps=None), adam_torch(STEPS, lr=0.1, eps=0.0)
    live = slice(0, DEAD)
    dm, dv = _max_diff(mine["m"], ref["m"], live), _max_diff(mine["v"], ref["v"], live)
    return decided(
        max(dm, dv) <= ADAM_ABS_TOL,
        "framework",
        f"The moment updates (2.17) reproduce torch.optim.Adam's exp_avg and exp_avg_sq over "
        f"{STEPS} steps (largest differences {dm:.2g} and {dv:.2g}); torch stores the "
        "uncorrected moments and applies (2.18)'s bias correction inside the step.",
        max_abs_diff_m=dm,
        max_abs_diff_v=dv,
    )


def check_msd_adam_update() -> CheckResult:
    """001 (2.18)-(2.19) as printed: Adam's update, but with no eps in the denominator."""
    printed = adam_printed(STEPS, lr=0.1, eps=None)
    live = slice(0, DEAD)
    vs_eps0 = _max_diff(printed["theta"], adam_torch(STEPS, lr=0.1, eps=0.0)["theta"], live)
    vs_default = _max_diff(printed["theta"], adam_torch(STEPS, lr=0.1)["theta"], live)
    dead_value = printed["theta"][0][DEAD]
    fixed = adam_printed(STEPS, lr=0.1, eps=1e-8)["theta"]
    fixed_diff = _max_diff(fixed, adam_torch(STEPS, lr=0.1)["theta"])
    # A gradient of size 1e-8 makes the missing eps matter at order 1:
    tiny = lambda th: 1e-8 * th.sum()  # noqa: E731
    small_printed = adam_printed(1, lr=0.1, eps=None, loss=tiny)["theta"][0][0]
    small_torch = adam_torch(1, lr=0.1, loss=tiny)["theta"][0][0]
    with_default_eps = vs_default <= ADAM_ABS_TOL and not math.isnan(dead_value)
    eps_zero = vs_eps0 <= ADAM_ABS_TOL
    holds = with_default_eps or eps_zero
    summary = (
        f"As printed, (2.17)-(2.19) equal torch.optim.Adam with eps=0 on the live "
        f"coordinates (difference {vs_eps0:.2g}) but not torch's Adam (eps=1e-8): difference "
        f"{vs_default:.2g} after {STEPS} steps at lr 0.1; a coordinate whose gradient is 0 "
        f"becomes {dead_value} (0/0); for gradients of 1e-8 the first step is "
        f"{THETA0[0] - small_printed:.4g} instead of torch's {THETA0[0] - small_torch:.4g}."
    )
    correction = Correction(
        "theta_{t+1} = theta_t - eta mhat_t / (sqrt(vhat_t) + eps), eps ~ 1e-8",
        f"with eps added the run equals torch.optim.Adam to {fixed_diff:.2g} on every "
        f"coordinate, the zero-gradient one included, over {STEPS} steps",
    )
    return decided(
        holds,
        "framework",
        summary,
        None if holds or fixed_diff > ADAM_ABS_TOL else correction,
        readings=[
            reading("Adam with eps = 0, the step Kingma & Ba analyse (their §2.1)", eps_zero,
                    vs_torch_eps0=vs_eps0),
            reading("Adam with the default eps = 1e-8", with_default_eps,
                    vs_torch_default=vs_default),
        ],
        caveat=None if with_default_eps or not holds else (
            "This is Adam with eps = 0 (Kingma & Ba's Algorithm 1 adds eps ~ 1e-8 as a "
            f"safeguard): a coordinate with no gradient history gives 0/0 ({dead_value}), and "
            f"the runs differ from the default by {vs_default:.1g}."),
        vs_torch_eps0=vs_eps0,
        vs_torch_default=vs_default,
        zero_grad_coordinate=str(dead_value),
        tiny_grad_step_printed=THETA0[0] - small_printed,
        tiny_grad_step_torch=THETA0[0] - small_torch,
    )
