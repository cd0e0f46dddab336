"""003 §2.1.7–2.1.10 (Algorithm 3, momentum, Nesterov, schedules, weight decay) and
001 eq. (2.16), against torch autograd, ``torch.optim.SGD`` and its schedulers.

Each text update is run literally on a fixed objective and compared with
torch's optimiser, step by step; where the two use different variables (torch
tracks Nesterov's look-ahead point) the change of variables is stated and
checked, not assumed.
"""

from __future__ import annotations

import math

import sympy as sp
import torch
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.examples.optim import ADAM_ABS_TOL, THETA0, objective
from torch import Tensor

__all__ = [
    "check_alg3_bias_gradient",
    "check_alg3_weight_gradient",
    "check_lr_schedules",
    "check_moment_sum",
    "check_momentum",
    "check_nesterov",
    "check_weight_decay",
]

STEPS = 8
LR, BETA = 0.05, 0.9


def _grad(theta: Tensor) -> Tensor:
    t = theta.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(objective(t), t)
    return g


def _torch_sgd(**kw) -> list[Tensor]:
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=LR, **kw)
    out = []
    for _ in range(STEPS):
        opt.zero_grad()
        objective(theta).backward()
        opt.step()
        out.append(theta.detach().clone())
    return out


def _max(a: list[Tensor], b: list[Tensor]) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a, b, strict=True))


def check_momentum() -> CheckResult:
    """(2.14)-(2.15): v = b v - eta grad F(theta); theta += v, vs SGD(momentum=b)."""
    theta, v, path = torch.tensor(THETA0, dtype=torch.float64), 0.0, []
    for _ in range(STEPS):
        v = BETA * v - LR * _grad(theta)  # (2.14)
        theta = theta + v  # (2.15)
        path.append(theta)
    diff = _max(path, _torch_sgd(momentum=BETA))
    return decided(
        diff <= ADAM_ABS_TOL,
        "framework",
        f"{STEPS} steps of (2.14)-(2.15) (eta {LR}, beta {BETA}) equal torch.optim.SGD("
        f"momentum={BETA}) to {diff:.2g}: torch keeps v' = b v' + g and steps -eta v', the "
        "same iterates as v = -eta v' while eta is constant.",
        max_abs_diff=diff,
    )


def check_nesterov() -> CheckResult:
    """(2.16)-(2.17) vs SGD(nesterov=True), whose parameter is the look-ahead theta + b v."""
    theta, v, path, ahead = torch.tensor(THETA0, dtype=torch.float64), 0.0, [], []
    for _ in range(STEPS):
        v = BETA * v - LR * _grad(theta + BETA * v)  # (2.16)
        theta = theta + v  # (2.17)
        path.append(theta)
        ahead.append(theta + BETA * v)
    ref = _torch_sgd(momentum=BETA, nesterov=True)
    same_var, lookahead = _max(path, ref), _max(ahead, ref)
    return decided(
        lookahead <= ADAM_ABS_TOL,
        "framework",
        f"(2.16)-(2.17) and torch.optim.SGD(nesterov=True) are one algorithm: torch's "
        f"parameter equals the text's look-ahead point theta_t + beta v_t to {lookahead:.2g} "
        f"over {STEPS} steps, while theta_t itself differs from it by up to {same_var:.2g}.",
        max_abs_diff_lookahead=lookahead,
        max_abs_diff_theta=same_var,
    )


def check_lr_schedules(eta0: float = 0.1, gamma: float = 0.5, every: int = 3) -> CheckResult:
    """(2.19) eta0 gamma^floor(t/s) is StepLR; (2.18) eta0 gamma^(t/s) is ExponentialLR."""

    def run(sched_cls, **kw) -> list[float]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=eta0)
        sched, lrs = sched_cls(opt, **kw), []
        for _ in range(12):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return lrs

    step = run(torch.optim.lr_scheduler.StepLR, step_size=every, gamma=gamma)
    expo = run(torch.optim.lr_scheduler.ExponentialLR, gamma=gamma ** (1 / every))
    printed_step = [eta0 * gamma ** math.floor(t / every) for t in range(12)]  # (2.19)
    printed_expo = [eta0 * gamma ** (t / every) for t in range(12)]  # (2.18)
    d_step = max(abs(a - b) for a, b in zip(step, printed_step, strict=True))
    d_expo = max(abs(a - b) / b for a, b in zip(expo, printed_expo, strict=True))
    return decided(
        d_step <= 1e-15 and d_expo <= 1e-12,
        "framework",
        f"Over 12 rounds (eta0 {eta0}, gamma {gamma}, step {every}): the factored schedule "
        f"(2.19) is torch's StepLR to {d_step:.1g}; the exponential one (2.18) is "
        f"ExponentialLR with gamma^(1/{every}) to relative {d_expo:.1g} (torch multiplies "
        "step by step, hence rounding).",
        step_lr=step,
        exponential_lr=expo,
    )


def check_weight_decay(lam: float = 4e-4) -> CheckResult:
    """(2.22): d(lambda/2 ||theta||^2)/d theta = lambda theta (sympy; torch SGD weight_decay)."""
    th = sp.symbols("theta1:4", real=True)
    lm = sp.Symbol("lambda", positive=True)
    omega = sum(t**2 for t in th)
    residual = [sp.simplify(sp.diff(lm / 2 * omega, t) - lm * t) for t in th]
    ref = _torch_sgd(weight_decay=lam)
    theta, path = torch.tensor(THETA0, dtype=torch.float64), []
    for _ in range(STEPS):
        theta = theta - LR * (_grad(theta) + lam * theta)
        path.append(theta)
    diff = _max(path, ref)
    return decided(
        all(r == 0 for r in residual) and diff <= ADAM_ABS_TOL,
        "symbolic",
        f"sympy: the gradient of (lambda/2)||theta||^2 minus lambda*theta is {residual}; "
        f"adding lambda*theta to the gradient ({lam:g}, the text's usual value) reproduces "
        f"torch.optim.SGD(weight_decay={lam:g}) to {diff:.2g} over {STEPS} steps.",
        max_abs_diff=diff,
    )


def _alg3_layer(seed: int = 0):
    """A sigmoid layer h = sigma(W^T h_prev + b) with squared error, and its Jacobians."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    h_prev, w, b, target = r(5), r(5, 3), r(3), r(3)

    def layer(hp: Tensor, w_: Tensor, b_: Tensor) -> Tensor:
        return torch.sigmoid(w_.T @ hp + b_)  # (3,)

    # Explicit Jacobians dh/dh_prev (3, 5), dh/dW (3, 5, 3), dh/db (3, 3): the text's
    # factors, contracted with g by hand rather than by autograd's own chain rule.
    jac = torch.autograd.functional.jacobian(layer, (h_prev, w, b))
    h = layer(h_prev, w, b)
    g_out = 2 * (h - target)  # g = d eps / d h for eps = ||h - target||^2
    params = [t.clone().requires_grad_(True) for t in (h_prev, w, b)]
    loss = ((layer(*params) - target) ** 2).sum()
    grads = dict(zip(("h_prev", "w", "b"), torch.autograd.grad(loss, params), strict=True))
    return g_out, dict(zip(("h_prev", "w", "b"), jac, strict=True)), grads


def _contract(g: Tensor, jac: Tensor) -> Tensor:
    return torch.tensordot(g, jac, dims=1)  # sum_j g_j dh_j/d(.)


def check_alg3_weight_gradient() -> CheckResult:
    """Algorithm 3: dE/dW = g dh/dW and g <- g dh/dh_{l-1}, with g = dE/dh."""
    g, jac, want = _alg3_layer()
    diff = max(
        float((_contract(g, jac["w"]) - want["w"]).abs().max()),
        float((_contract(g, jac["h_prev"]) - want["h_prev"]).abs().max()),
    )
    return decided(
        diff <= 1e-14,
        "framework",
        f"On a sigmoid layer (5 -> 3) with squared error, g times the explicit Jacobians "
        f"dh/dW and dh/dh_(l-1) equals autograd's dE/dW and dE/dh_(l-1) to {diff:.1g}.",
        max_abs_diff=diff,
    )


def check_alg3_bias_gradient() -> CheckResult:
    """Algorithm 3 prints dE/db = ... = g dh/dW (the weight Jacobian again)."""
    g, jac, want = _alg3_layer()
    printed, fixed = _contract(g, jac["w"]), _contract(g, jac["b"])
    fixed_err = float((fixed - want["b"]).abs().max())
    holds = printed.shape == want["b"].shape and float((printed - want["b"]).abs().max()) <= 1e-14
    return decided(
        holds,
        "framework",
        f"g dh/dW has the weight's shape {tuple(printed.shape)}, not the bias's "
        f"{tuple(want['b'].shape)}: the printed last factor repeats dh_l/dW_l. With dh_l/db_l "
        f"the product equals autograd's dE/db to {fixed_err:.1g}.",
        None
        if holds or fixed_err > 1e-14
        else Correction(
            "dE/db_l = (dE/dh_l)(dh_l/db_l) = g dh_l/db_l  (edit: the last 'W_l' -> 'b_l')",
            f"g times the explicit Jacobian dh/db equals autograd's dE/db to {fixed_err:.1g}",
        ),
        readings=[reading("the last factor dh_l/dW_l as printed", holds,
                          shape=list(printed.shape))],
        printed_shape=list(printed.shape),
        bias_shape=list(want["b"].shape),
    )


def check_moment_sum(t: int = 100, reps: int = 2000, seed: int = 0) -> CheckResult:
    """001 (2.16): m_t = sum_{tau<=t} g_tau = E[g]."""
    gen = torch.Generator().manual_seed(seed)
    mu = 0.5
    g = mu + torch.randn(reps, t, generator=gen, dtype=torch.float64)  # (reps, t) unit variance
    sums, means = g.sum(1), g.mean(1)
    # The average over reps of mean(g) has standard error 1/sqrt(t reps); 6 of them
    # false-alarm with probability ~2e-9.
    tol = 6 / math.sqrt(t * reps)
    avg_sum, avg_mean = float(sums.mean()), float(means.mean())
    holds = abs(avg_sum - mu) <= tol * t
    return decided(
        holds,
        "monte-carlo",
        f"For gradients with mean {mu} (unit variance), the sum of t = {t} of them averages "
        f"{avg_sum:.2f} over {reps} runs, i.e. about t E[g] = {t * mu}, not E[g]; the running "
        f"mean (1/t) sum averages {avg_mean:.4f} (tolerance {tol:.4f}). Adam's m_t is the "
        "exponential average of (2.17), not this sum.",
        None
        if holds or abs(avg_mean - mu) > tol
        else Correction(
            "(1/t) sum_{tau<=t} g_tau estimates E[g] (and Adam uses the EWMA of eq. 2.17)",
            f"Monte Carlo, {reps} runs of t = {t}: mean {avg_mean:.4f} vs {mu}, within "
            f"{tol:.4f} (6 standard errors)",
        ),
        readings=[
            reading("the sum of t gradients equals E[g]", holds, average_sum=avg_sum),
            reading("'=' as 'estimates, up to a factor'", False, reasonable=False,
                    why="the text writes an equality, for v_t the same way"),
        ],
        average_sum=avg_sum,
        average_running_mean=avg_mean,
    )
