"""Feature normalisation by statistic sets, as the MSD thesis (001) defines it.

Eq. (2.20): ``mu_i = (1/m) sum_{k in S_i} x_k``,
``sigma_i = sqrt((1/m) sum_{k in S_i} (x_k - mu_i)^2 + eps)``,
``xhat_i = (x_i - mu_i) / sigma_i``; eq. (2.21) picks the set ``S_i``:
batch norm ``{k | k_C = i_C}``, layer norm ``{k | k_N = i_N}``, instance norm
``{k | k_C = i_C, k_N = i_N}``. Written here by set membership over every
pair of indices — deliberately not by axes — so comparing with torch's
axis-based kernels tests the definition, not a restatement of it.
"""

from __future__ import annotations

import torch
from cnnbench.analysis._validation import ParameterError, as_choice, as_real
from torch import Tensor

__all__ = ["KINDS", "MAX_LITERAL_NUMEL", "msd_input_standardization", "set_normalize"]

KINDS = ("batch", "layer", "instance")
# Index axes (N=0, C=1, H=2, W=3) on which k must agree with i to be in S_i.
_SHARED_AXES = {"batch": (1,), "layer": (0,), "instance": (0, 1)}
# The literal form builds an (n, n) membership matrix; 4096² booleans = 16 MiB.
MAX_LITERAL_NUMEL = 4096


def _validate_nchw(x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise ParameterError("x", type(x).__name__, "must be a torch.Tensor of shape (N, C, H, W)")
    if not x.is_floating_point():
        raise ParameterError("x.dtype", x.dtype, "must be a floating dtype")
    if x.ndim != 4:
        raise ParameterError("x.shape", tuple(x.shape), "must be 4-D (N, C, H, W)")


def set_normalize(x: Tensor, kind: str, eps: float) -> Tensor:
    """Normalise every element over its statistic set ``S_i`` (001 eqs. 2.20–2.21).

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W), at most :data:`MAX_LITERAL_NUMEL` elements.
    kind : {"batch", "layer", "instance"}
    eps : float, > 0 — added to the biased variance under the root.

    Returns
    -------
    Tensor, shape (N, C, H, W) — ``xhat`` (no affine ``gamma``, ``beta``).

    References
    ----------
    001_eca9e742b9cf0388.txt §2.4.1, eqs. (2.20)–(2.21).

    Examples
    --------
    >>> x = torch.tensor([1.0, 3.0, 5.0, 7.0], dtype=torch.float64).reshape(2, 2, 1, 1)
    >>> [round(v, 12) for v in set_normalize(x, "batch", 1e-300).flatten().tolist()]
    [-1.0, -1.0, 1.0, 1.0]
    """
    _validate_nchw(x)
    kind = as_choice("kind", kind, KINDS)
    eps = as_real("eps", eps, lower=0.0, lower_open=True)
    n = x.numel()
    if n > MAX_LITERAL_NUMEL:
        raise ParameterError(
            "x.numel()", n, f"must be <= {MAX_LITERAL_NUMEL} for the literal set form (n×n pairs)"
        )
    coords = torch.stack(torch.unravel_index(torch.arange(n), x.shape), dim=1)  # (n, 4)
    axes = list(_SHARED_AXES[kind])
    # member[i, k]: k in S_i  <=>  k agrees with i on every shared axis.
    member = (coords[:, None, axes] == coords[None, :, axes]).all(-1).to(x.dtype)  # (n, n)
    flat = x.reshape(n)
    m = member.sum(1)  # |S_i|
    mu = member @ flat / m
    var = (member * (flat[None, :] - mu[:, None]) ** 2).sum(1) / m
    sigma = torch.sqrt(var + eps)
    return ((flat - mu) / sigma).reshape(x.shape)


def msd_input_standardization(x: Tensor) -> dict[str, Tensor]:
    """The MSD network's input standardisation (001 eq. 2.22).

    The ``N×C`` per-(sample, channel) means and standard deviations (biased,
    no ``eps``) are averaged into one ``mu`` and one ``sigma``.

    Returns
    -------
    dict of Tensor
        ``mu_l`` and ``sigma_l`` (shape (N, C)), ``mu``, ``sigma`` (scalars)
        and ``xhat`` (shape of ``x``).

    References
    ----------
    001_eca9e742b9cf0388.txt §2.4.2, eq. (2.22).

    Examples
    --------
    >>> x = torch.tensor([0.0, 2.0, 10.0, 10.0], dtype=torch.float64).reshape(2, 1, 1, 2)
    >>> out = msd_input_standardization(x)
    >>> round(out["mu"].item(), 12), round(out["sigma"].item(), 12)
    (5.5, 0.5)
    """
    _validate_nchw(x)
    flat = x.flatten(2)  # (N, C, H*W)
    mu_l = flat.mean(-1)
    sigma_l = torch.sqrt(((flat - mu_l[..., None]) ** 2).mean(-1))
    mu, sigma = mu_l.mean(), sigma_l.mean()
    return {"mu_l": mu_l, "sigma_l": sigma_l, "mu": mu, "sigma": sigma, "xhat": (x - mu) / sigma}
