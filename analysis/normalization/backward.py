"""Batch-norm backward passes exactly as 002 and 003 print them, and their corrections.

Every function takes the upstream gradient ``grad_out`` = dL/dy (002 calls it
dL/da) and returns the text's gradients by name. ``corrected=False`` keeps the
printed formula; ``corrected=True`` applies the smallest edit that makes it
agree with autograd (each edit is named in the function's Notes).
Shapes: ``x``, ``grad_out`` ``(m, d)``; ``gamma``, ``beta`` and every
statistic ``(d,)``. (003 writes the loss with the same letter as the
variance offset, epsilon; here the loss is L and the offset ``eps``.)
"""

from __future__ import annotations

import torch
from cnnbench.analysis.normalization.forward import validate_batch
from torch import Tensor

__all__ = ["bilici_backward", "xu_backward"]


def bilici_backward(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    eps: float,
    grad_out: Tensor,
    *,
    corrected: bool = False,
) -> dict[str, Tensor]:
    """The derivatives after Algorithm 1 of 002, as printed.

    Returns
    -------
    dict of Tensor
        ``d_beta``, ``d_gamma``, ``d_xhat``, ``d_sigma2``, ``d_mu`` (first
        line of the dL/dmu display), ``d_mu_expanded`` (its second line),
        ``d_x_chain`` (the first dL/dx display, with dxhat/dx printed as 1/m)
        and ``d_x`` (the display that substitutes dL/dxhat = gamma dL/da).

    Notes
    -----
    Printed: ``dxhat/dx = 1/m`` (so ``d_x`` carries ``gamma/m``) and, in the
    expanded dL/dmu, ``-gamma/mu * sum(dL/da)``. Corrected: ``1/sigma`` and
    ``-gamma/sigma`` — one symbol each (m → sigma, mu → sigma).
    ``sigma2`` already contains ``eps`` (Algorithm 1, line 4).

    References
    ----------
    002_c109f77ff76ed8b6.txt, "Batch Normalization", the equations after Algorithm 1.

    Examples
    --------
    >>> x = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> g = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    >>> round(bilici_backward(x, one, 0 * one, 1e-5, g)["d_gamma"].item(), 6)
    -0.999995
    """
    eps = validate_batch(x, gamma, beta, eps, grad_out)
    m = x.shape[0]
    mu = x.sum(0) / m
    sigma2 = ((x - mu) ** 2).sum(0) / m + eps
    sigma = torch.sqrt(sigma2)
    xhat = (x - mu) / sigma
    dev = x - mu  # (m, d)

    d_beta = grad_out.sum(0)
    d_gamma = (grad_out * xhat).sum(0)
    d_xhat = gamma * grad_out
    d_sigma2 = -1.0 / (2 * sigma**3) * (grad_out * gamma * dev).sum(0)
    d_mu = -1.0 / sigma * d_xhat.sum(0) - 2 * d_sigma2 * dev.sum(0) / m
    first = sigma if corrected else mu  # printed "-gamma_i / mu_i"
    d_mu_expanded = -gamma / first * grad_out.sum(0) + (1.0 / sigma**3) * (
        (grad_out * gamma * dev).sum(0)
    ) * (dev.sum(0) / m)
    dxhat_dx = 1.0 / sigma if corrected else torch.full_like(sigma, 1.0 / m)  # printed 1/m
    d_x_chain = d_xhat * dxhat_dx + d_mu / m + d_sigma2 * 2 * dev / m
    d_x = grad_out * gamma * dxhat_dx + d_mu / m + d_sigma2 * 2 * dev / m
    return {
        "d_beta": d_beta,
        "d_gamma": d_gamma,
        "d_xhat": d_xhat,
        "d_sigma2": d_sigma2,
        "d_mu": d_mu,
        "d_mu_expanded": d_mu_expanded,
        "d_x_chain": d_x_chain,
        "d_x": d_x,
    }


def xu_backward(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    eps: float,
    grad_out: Tensor,
    *,
    corrected: bool = False,
) -> dict[str, Tensor]:
    """Eqs. (5.12)–(5.17) of 003, as printed.

    Returns
    -------
    dict of Tensor
        ``d_xhat`` (5.12), ``d_var`` (5.13), ``d_mu`` (5.14), ``d_x`` (5.15),
        ``d_gamma`` (5.16), ``d_beta`` (5.17).

    Notes
    -----
    (5.15) is printed with ``dL/dxhat * (-1/sqrt(var + eps))``; the corrected
    form drops the minus sign (one character). The others agree with autograd.

    References
    ----------
    003_6ff731d493f5c8c8.txt §5.4, eqs. (5.12)–(5.17).

    Examples
    --------
    >>> x = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> g = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    >>> round(xu_backward(x, one, 0 * one, 1e-5, g)["d_beta"].item(), 12)
    4.0
    """
    eps = validate_batch(x, gamma, beta, eps, grad_out)
    m = x.shape[0]
    mu = x.sum(0) / m
    var = ((x - mu) ** 2).sum(0) / m
    root = torch.sqrt(var + eps)
    xhat = (x - mu) / root
    dev = x - mu  # (m, d)

    d_xhat = grad_out * gamma  # (5.12)
    d_var = (d_xhat * dev).sum(0) * (-0.5) * (var + eps) ** -1.5  # (5.13)
    d_mu = (d_xhat * (-1.0 / root)).sum(0) + d_var * (-2 * dev).sum(0) / m  # (5.14)
    sign = 1.0 if corrected else -1.0  # printed "-1/sqrt(var + eps)"
    d_x = d_xhat * (sign / root) + d_var * 2 * dev / m + d_mu / m  # (5.15)
    d_gamma = (grad_out * xhat).sum(0)  # (5.16)
    d_beta = grad_out.sum(0)  # (5.17)
    return {
        "d_xhat": d_xhat,
        "d_var": d_var,
        "d_mu": d_mu,
        "d_x": d_x,
        "d_gamma": d_gamma,
        "d_beta": d_beta,
    }
