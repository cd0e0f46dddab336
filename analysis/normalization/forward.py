"""Batch normalisation forward passes as the source texts print them, and the oracle.

Each text's forward pass is written out literally (OCR glitches kept) so a
check can compare it with :func:`torch.nn.functional.batch_norm`; where a text
is wrong, a ``corrected`` form sits beside the literal one. The backward forms
live in :mod:`cnnbench.analysis.normalization.backward`, the statistic sets of the MSD
thesis (001 eqs. 2.20–2.22) in :mod:`cnnbench.analysis.normalization.sets`.

Layout: ``x`` is ``(m, d)`` — ``m`` examples of a mini-batch (the axis the
statistics average over) and ``d`` independent units; ``gamma``, ``beta`` are
``(d,)``. Statistics are ``(d,)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError, as_real
from torch import Tensor

__all__ = [
    "autograd_trace",
    "bilici_forward",
    "foundations_forward",
    "validate_batch",
    "xu_forward",
]


def validate_batch(
    x: Tensor, gamma: Tensor, beta: Tensor, eps: float, grad_out: Tensor | None = None
) -> float:
    """Check the shapes and dtypes every form here needs; return ``eps`` as a float."""
    if not isinstance(x, Tensor):
        raise ParameterError("x", type(x).__name__, "must be a torch.Tensor of shape (m, d)")
    if not x.is_floating_point():
        raise ParameterError("x.dtype", x.dtype, "must be a floating dtype")
    if x.ndim != 2 or x.shape[0] < 2:
        raise ParameterError("x.shape", tuple(x.shape), "must be (m, d) with m >= 2 examples")
    d = x.shape[1]
    for name, t in (("gamma", gamma), ("beta", beta)):
        if not isinstance(t, Tensor) or tuple(t.shape) != (d,):
            shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
            raise ParameterError(f"{name}.shape", shape, f"must be ({d},) to match x's {d} units")
    if grad_out is not None and (
        not isinstance(grad_out, Tensor) or grad_out.shape != x.shape
    ):
        shape = tuple(grad_out.shape) if isinstance(grad_out, Tensor) else type(grad_out).__name__
        raise ParameterError("grad_out.shape", shape, f"must equal x.shape {tuple(x.shape)}")
    return as_real("eps", eps, lower=0.0, lower_open=True)


def autograd_trace(
    x: Tensor, gamma: Tensor, beta: Tensor, eps: float, grad_out: Tensor
) -> dict[str, Tensor]:
    """Batch-norm statistics and every gradient of ``L = sum(grad_out * y)``, by autograd.

    Parameters
    ----------
    x : Tensor, shape (m, d)
    gamma, beta : Tensor, shape (d,)
    eps : float, > 0
    grad_out : Tensor, shape (m, d) — the upstream gradient ``dL/dy``.

    Returns
    -------
    dict of Tensor
        ``mu``, ``var`` (biased, without ``eps``), ``xhat``, ``y`` and the
        gradients ``d_xhat``, ``d_var``, ``d_mu``, ``d_x``, ``d_gamma``,
        ``d_beta``. ``d_x``, ``d_gamma``, ``d_beta`` and ``y`` come from
        torch's own ``batch_norm`` kernel and its backward; the intermediate
        gradients from autograd on the unfused graph (mean → variance →
        normalise → affine), whose output and input gradient are first checked
        to agree with the kernel's.

    Notes
    -----
    ``d_mu`` is the total derivative through both uses of the mean (in the
    variance and in ``xhat``), which is what the texts call dL/dmu.

    Examples
    --------
    >>> x = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> t = autograd_trace(x, one, 0 * one, 1e-5, torch.tensor([[1.0], [0.0]]).double())
    >>> [round(t[k].item(), 12) for k in ("mu", "var", "d_beta")]
    [2.0, 1.0, 1.0]
    """
    eps = validate_batch(x, gamma, beta, eps, grad_out)
    x0, g0, b0 = (t.detach().clone().requires_grad_(True) for t in (x, gamma, beta))
    y_kernel = F.batch_norm(x0, None, None, g0, b0, training=True, eps=eps)  # (m, d)
    d_x, d_gamma, d_beta = torch.autograd.grad(y_kernel, (x0, g0, b0), grad_out)

    x1 = x.detach().clone().requires_grad_(True)
    mu = x1.mean(0)  # (d,)
    var = ((x1 - mu) ** 2).mean(0)  # (d,) biased, as torch normalises in training
    xhat = (x1 - mu) / torch.sqrt(var + eps)  # (m, d)
    y = gamma.detach() * xhat + beta.detach()
    d_xhat, d_var, d_mu, d_x_graph = torch.autograd.grad(y, (xhat, var, mu, x1), grad_out)
    # The unfused graph must be the same function as the kernel, or its
    # intermediate gradients would be an oracle for something else.
    if not torch.allclose(y, y_kernel, rtol=1e-9, atol=1e-12) or not torch.allclose(
        d_x_graph, d_x, rtol=1e-8, atol=1e-10
    ):
        raise RuntimeError("unfused batch-norm graph disagrees with torch's batch_norm kernel")
    out = {"mu": mu, "var": var, "xhat": xhat, "y": y_kernel, "d_xhat": d_xhat}
    out |= {"d_var": d_var, "d_mu": d_mu, "d_x": d_x, "d_gamma": d_gamma, "d_beta": d_beta}
    return {k: v.detach() for k, v in out.items()}


def bilici_forward(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> dict[str, Tensor]:
    """Algorithm 1 of 002 (lines 3–6): ``eps`` is folded into ``sigma2``.

    Returns ``mu``, ``sigma2`` (= biased variance + eps), ``xhat``, ``a``.

    References
    ----------
    002_c109f77ff76ed8b6.txt, "Batch Normalization", Algorithm 1.

    Examples
    --------
    >>> x = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> round(bilici_forward(x, one, 0 * one, 0.5)["sigma2"].item(), 12)
    1.5
    """
    eps = validate_batch(x, gamma, beta, eps)
    m = x.shape[0]
    mu = x.sum(0) / m  # line 3
    sigma2 = ((x - mu) ** 2).sum(0) / m + eps  # line 4
    xhat = (x - mu) / torch.sqrt(sigma2)  # line 5
    a = gamma * xhat + beta  # line 6
    return {"mu": mu, "sigma2": sigma2, "xhat": xhat, "a": a}


def xu_forward(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> dict[str, Tensor]:
    """Eqs. (5.8)–(5.11) of 003: biased batch variance, ``eps`` inside the root.

    Returns ``mu`` (5.8), ``var`` (5.9), ``xhat`` (5.10), ``y`` (5.11).

    References
    ----------
    003_6ff731d493f5c8c8.txt §5.4, eqs. (5.8)–(5.11).

    Examples
    --------
    >>> x = torch.tensor([[1.0], [5.0]], dtype=torch.float64)
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> round(xu_forward(x, one, 0 * one, 1e-5)["var"].item(), 12)
    4.0
    """
    eps = validate_batch(x, gamma, beta, eps)
    m = x.shape[0]
    mu = x.sum(0) / m  # (5.8)
    var = ((x - mu) ** 2).sum(0) / m  # (5.9)
    xhat = (x - mu) / torch.sqrt(var + eps)  # (5.10)
    y = gamma * xhat + beta  # (5.11)
    return {"mu": mu, "var": var, "xhat": xhat, "y": y}


def foundations_forward(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    eps: float,
    *,
    fix_sign: bool = False,
    eps_inside: bool = False,
) -> dict[str, Tensor]:
    """The BN algorithm flow of 004 §3.6.10, literal by default.

    As printed, step 3 is ``xhat = (x + mu) / (sqrt(var) + eps)``.
    ``fix_sign`` turns ``+ mu`` into ``- mu`` (the OCR-sized edit);
    ``eps_inside`` moves ``eps`` under the root, as torch (and 003, 002) do.

    References
    ----------
    004_e138cd620735c755.txt §3.6.10, steps 1–4.

    Examples
    --------
    >>> x = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> [round(v, 12) for v in foundations_forward(x, one, 0 * one, 1.0)["xhat"].flatten().tolist()]
    [1.5, 2.5]
    """
    eps = validate_batch(x, gamma, beta, eps)
    m = x.shape[0]
    mu = x.sum(0) / m  # step 1
    var = ((x - mu) ** 2).sum(0) / m  # step 2 (the text calls it the standard deviation)
    centred = x - mu if fix_sign else x + mu
    denom = torch.sqrt(var + eps) if eps_inside else torch.sqrt(var) + eps
    xhat = centred / denom  # step 3
    y = gamma * xhat + beta  # step 4
    return {"mu": mu, "var": var, "xhat": xhat, "y": y}
