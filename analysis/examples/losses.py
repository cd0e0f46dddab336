"""Loss-gradient formulas of the texts, against sympy and torch autograd.

- 000 §2.2: softmax + cross-entropy output error ``E_i = a_i - Y_i``.
- 004 §3.4.10: ``dC/dw_j = (1/n) sum x_j (sigma(z) - y)`` and ``dC/db``.
- 003 §2.1.1: the KL-divergence form (2.3) and its gradient equality with
  NLL (2.4).

The backprop worked examples are in :mod:`cnnbench.analysis.examples.backprop`, Adam
in :mod:`cnnbench.analysis.examples.optim`, dropout and LRN in
:mod:`cnnbench.analysis.examples.layers`.
"""

from __future__ import annotations

import sympy as sp
import torch
import torch.nn.functional as F
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from scipy.stats import entropy
from torch import Tensor

__all__ = [
    "GRAD_ABS_TOL",
    "bce_weight_gradient",
    "check_ce_bias_gradient",
    "check_ce_weight_gradient",
    "check_kl_definition",
    "check_kl_nll_gradient",
    "check_softmax_ce_output_error",
    "softmax_ce_output_error",
]

# Gradients here are O(1) sums of <= 64 float64 terms: rounding stays ~1e-15.
GRAD_ABS_TOL = 1e-12
_SEED = 0


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(_SEED)


def softmax_ce_output_error(z: Tensor, y: Tensor) -> Tensor:
    """000's output error of a softmax classifier under cross-entropy: ``a - Y``.

    Parameters
    ----------
    z : Tensor, shape (..., K) — the output-layer values fed to the softmax.
    y : Tensor, shape (..., K) — one-hot targets.

    Returns
    -------
    Tensor, shape (..., K): ``softmax(z) - y``.

    References
    ----------
    000_940f4854fb2e4a91.txt §2.2.

    Examples
    --------
    >>> err = softmax_ce_output_error(torch.zeros(2), torch.tensor([1.0, 0.0]))
    >>> [round(v, 12) for v in err.tolist()]
    [-0.5, 0.5]
    """
    return torch.softmax(z, dim=-1) - y


def check_softmax_ce_output_error() -> CheckResult:
    """a - Y against autograd of L = -sum Y ln softmax(z), one-hot and soft targets."""
    g = _gen()
    z = 3 * torch.randn(16, 5, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 5, (16,), generator=g)
    y = F.one_hot(labels, 5).double()
    z1 = z.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(z1, labels, reduction="sum"), z1)
    err = float((softmax_ce_output_error(z, y) - grad).abs().max())
    # Targets that do not sum to one: the gradient is a * sum(Y) - Y, not a - Y.
    y_soft = torch.rand(16, 5, generator=g, dtype=torch.float64)
    z2 = z.clone().requires_grad_(True)
    (grad2,) = torch.autograd.grad(-(y_soft * torch.log_softmax(z2, -1)).sum(), z2)
    err_soft = float((softmax_ce_output_error(z, y_soft) - grad2).abs().max())
    return decided(
        err <= GRAD_ABS_TOL,
        "framework",
        f"For 16 random logit vectors with one-hot targets, a - Y equals autograd's dL/dz of "
        f"torch's cross_entropy to {err:.1g}. It needs targets summing to 1: for unnormalised "
        f"ones the gradient is a*sum(Y) - Y (a - Y is off by {err_soft:.2g}).",
        max_abs_diff=err,
        unnormalised_target_diff=err_soft,
    )


def bce_weight_gradient(x: Tensor, y: Tensor, w: Tensor, b: float) -> tuple[Tensor, Tensor]:
    """004's ``dC/dw_j = (1/n) sum x_j (sigma(z) - y)`` and ``dC/db = (1/n) sum (sigma(z) - y)``.

    Parameters
    ----------
    x : Tensor, shape (n, J); y : Tensor, shape (n,); w : Tensor, shape (J,); b : float.

    References
    ----------
    004_e138cd620735c755.txt §3.4.10.

    Examples
    --------
    >>> gw, gb = bce_weight_gradient(torch.ones(1, 1), torch.zeros(1), torch.zeros(1), 0.0)
    >>> [round(v, 12) for v in gw.tolist()], round(gb.item(), 12)
    ([0.5], 0.5)
    """
    err = torch.sigmoid(x @ w + b) - y  # (n,)
    return (x * err[:, None]).mean(0), err.mean()


def _ce_autograd() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    g = _gen()
    x = torch.randn(32, 4, generator=g, dtype=torch.float64)
    y = torch.rand(32, generator=g, dtype=torch.float64)  # soft targets allowed by the text
    w = torch.randn(4, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy(torch.sigmoid(x @ w + b), y)  # C, mean over n
    gw, gb = torch.autograd.grad(loss, (w, b))
    printed_w, printed_b = bce_weight_gradient(x, y, w.detach(), float(b.detach()))
    return gw, gb, printed_w, printed_b


def _ce_symbolic(wrt: str) -> sp.Expr:
    x, y, w, b = sp.symbols("x y w b", real=True)
    a = 1 / (1 + sp.exp(-(w * x + b)))
    cost = -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
    target = x * (a - y) if wrt == "w" else a - y
    return sp.simplify(sp.diff(cost, w if wrt == "w" else b) - target)


def check_ce_weight_gradient() -> CheckResult:
    """004 §3.4.10: dC/dw_j = (1/n) sum x_j (sigma(z) - y), by sympy and by autograd."""
    residual = _ce_symbolic("w")
    gw, _, printed_w, _ = _ce_autograd()
    err = float((printed_w - gw).abs().max())
    return decided(
        residual == 0 and err <= GRAD_ABS_TOL,
        "symbolic",
        f"sympy: d/dw of -[y ln s + (1-y) ln(1-s)], s = sigma(wx+b), minus x(s-y) simplifies "
        f"to {residual}; autograd of torch's binary_cross_entropy on 32 samples x 4 inputs "
        f"agrees with the formula to {err:.1g}.",
        sympy_residual=str(residual),
        max_abs_diff=err,
    )


def check_ce_bias_gradient() -> CheckResult:
    """004 §3.4.10: dC/db = (1/n) sum (sigma(z) - y)."""
    residual = _ce_symbolic("b")
    _, gb, _, printed_b = _ce_autograd()
    err = float((printed_b - gb).abs())
    return decided(
        residual == 0 and err <= GRAD_ABS_TOL,
        "symbolic",
        f"sympy residual {residual}; autograd of torch's binary_cross_entropy agrees to {err:.1g}.",
        sympy_residual=str(residual),
        max_abs_diff=err,
    )


def _distributions() -> tuple[Tensor, Tensor]:
    g = _gen()
    y = torch.softmax(torch.randn(8, 6, generator=g, dtype=torch.float64), -1)  # targets P
    yhat = torch.softmax(torch.randn(8, 6, generator=g, dtype=torch.float64), -1)  # model Q
    return y, yhat


def check_kl_nll_gradient() -> CheckResult:
    """003 (2.4): d KL(y, yhat)/d yhat = d NLL(y, yhat)/d yhat, so both train alike."""
    y, yhat = _distributions()
    q1, q2 = yhat.clone().requires_grad_(True), yhat.clone().requires_grad_(True)
    (g_kl,) = torch.autograd.grad(F.kl_div(q1.log(), y, reduction="sum"), q1)
    (g_nll,) = torch.autograd.grad(-(y * q2.log()).sum(), q2)
    err = float((g_kl - g_nll).abs().max())
    # The same through a softmax layer, the way a network meets them:
    z = torch.randn(8, 6, generator=_gen(), dtype=torch.float64)
    z1, z2 = z.clone().requires_grad_(True), z.clone().requires_grad_(True)
    (gz_kl,) = torch.autograd.grad(F.kl_div(F.log_softmax(z1, -1), y, reduction="sum"), z1)
    (gz_ce,) = torch.autograd.grad(F.cross_entropy(z2, y, reduction="sum"), z2)
    err_z = float((gz_kl - gz_ce).abs().max())
    return decided(
        max(err, err_z) <= GRAD_ABS_TOL,
        "framework",
        f"Autograd of torch's kl_div and of -sum y log yhat give the same gradient in yhat "
        f"(difference {err:.1g}) and, through a softmax, the same gradient in the logits as "
        f"cross_entropy with soft targets ({err_z:.1g}): they differ by the entropy of y, a "
        "constant.",
        max_abs_diff_yhat=err,
        max_abs_diff_logits=err_z,
    )


def check_kl_definition() -> CheckResult:
    """003 (2.3): D_KL(P||Q) = sum log(Q/P) Q = sum log(y/yhat) y."""
    y, yhat = _distributions()  # P = y is approximated by Q = yhat (the text's reading)
    middle = (yhat * (yhat / y).log()).sum(-1)  # sum_i log(Q/P) Q
    last = (y * (y / yhat).log()).sum(-1)  # sum_i log(y/yhat) y
    torch_kl = F.kl_div(yhat.log(), y, reduction="none").sum(-1)
    scipy_kl = torch.tensor([entropy(p, q) for p, q in zip(y.numpy(), yhat.numpy(), strict=True)])
    last_ok = float((last - torch_kl).abs().max())
    middle_gap = float((middle - torch_kl).abs().max())
    fixed = (y * (y / yhat).log()).sum(-1)  # sum_i log(P/Q) P
    fixed_err = max(last_ok, float((fixed - scipy_kl.double()).abs().max()))
    holds = middle_gap <= GRAD_ABS_TOL
    return decided(
        holds,
        "numeric",
        f"On 8 random pairs of distributions the last form sum y log(y/yhat) equals torch's "
        f"kl_div to {last_ok:.1g}, but the middle form sum Q log(Q/P) is KL(Q||P), off by up "
        f"to {middle_gap:.2g}: the chain of equalities in (2.3) swaps P and Q in its middle.",
        None
        if holds
        else Correction(
            "D_KL(P||Q) = sum_i P log(P/Q) = sum_i y_i log(y_i / yhat_i)  (edit: the middle "
            "term's Q log(Q/P) -> P log(P/Q))",
            f"equals torch.nn.functional.kl_div and scipy.stats.entropy(P, Q) to {fixed_err:.1g}",
        ),
        readings=[
            reading("P the true distribution y, Q the model yhat (the last member's reading)",
                    holds, middle_gap=middle_gap),
            reading("P the model yhat, Q the true y (the middle member's reading)", False,
                    note="then the first member D_KL(yhat||y) contradicts the last"),
        ],
        last_form_vs_torch=last_ok,
        middle_form_gap=middle_gap,
    )
