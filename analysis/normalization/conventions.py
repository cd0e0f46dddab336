"""Checks of what the texts say about batch-norm statistics, against torch's modules.

Biased vs unbiased variance (training vs running estimate), the inference
statistics of 004 §3.6.10, the output moments and shape claimed by 000 §2.4,
and the statistic sets of 001 eqs. (2.20)–(2.22).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.normalization.checks import REL_TOL_FP64
from torch import Tensor

__all__ = [
    "check_affine_output_moments",
    "check_bn_output_moments",
    "check_bn_output_shape",
    "check_inference_statistics",
    "check_running_var_unbiased",
    "check_training_variance_biased",
]

EPS = 1e-5  # torch's BatchNorm default


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(gen: torch.Generator, m: int, d: int = 3) -> Tensor:
    return 2.0 * torch.randn(m, d, generator=gen, dtype=torch.float64) + 1.0  # (m, d)


def _err(a: Tensor, b: Tensor) -> float:
    return float(((a - b).abs().max() / b.abs().max().clamp_min(1e-300)).item())


def check_training_variance_biased(seed: int = 0) -> CheckResult:
    """In training, F.batch_norm divides by sqrt(biased var + eps), not the unbiased one."""
    gen = _gen(seed)
    biased, unbiased = [], []
    for m in (2, 4, 16):
        x = _batch(gen, m)
        got = F.batch_norm(x, None, None, training=True, eps=EPS)
        mu = x.mean(0)
        biased.append(_err((x - mu) / torch.sqrt(x.var(0, correction=0) + EPS), got))
        unbiased.append(_err((x - mu) / torch.sqrt(x.var(0, correction=1) + EPS), got))
    holds = max(biased) <= REL_TOL_FP64 < min(unbiased)
    return decided(
        holds,
        "framework",
        f"Training-mode batch_norm matches normalising by the biased (1/m) variance to "
        f"{max(biased):.1g}; the unbiased (1/(m-1)) one is off by {min(unbiased):.2g} or more "
        "(m = 2, 4, 16).",
        biased_rel_err=biased,
        unbiased_rel_err=unbiased,
        torch=torch.__version__,
    )


def check_running_var_unbiased(seed: int = 0) -> CheckResult:
    """BatchNorm1d(momentum=1) after one batch stores that batch's unbiased variance."""
    gen = _gen(seed)
    x = _batch(gen, 5)
    bn = torch.nn.BatchNorm1d(3, momentum=1.0).double().train()
    bn(x)
    e_unb = _err(bn.running_var, x.var(0, correction=1))
    e_b = _err(bn.running_var, x.var(0, correction=0))
    return decided(
        e_unb <= REL_TOL_FP64 < e_b,
        "framework",
        f"After one batch of m=5 with momentum 1, running_var equals the unbiased variance "
        f"(rel. err {e_unb:.1g}) and differs from the biased one by {e_b:.2g} = 1/(m-1).",
        running_var=bn.running_var.tolist(),
        unbiased=x.var(0, correction=1).tolist(),
        biased=x.var(0, correction=0).tolist(),
    )


def check_inference_statistics(seed: int = 0, batches: int = 7, m: int = 6) -> CheckResult:
    """004's note: inference mean = average of batch means; variance = unbiased estimate.

    With ``momentum=None`` torch keeps a cumulative average, the note's scheme.
    """
    gen = _gen(seed)
    bn = torch.nn.BatchNorm1d(3, momentum=None).double().train()
    xs = [_batch(gen, m) + k for k in range(batches)]  # drifting batch means
    for x in xs:
        bn(x)
    mean_of_means = torch.stack([x.mean(0) for x in xs]).mean(0)
    mean_unbiased = torch.stack([x.var(0, correction=1) for x in xs]).mean(0)
    e_mu, e_var = _err(bn.running_mean, mean_of_means), _err(bn.running_var, mean_unbiased)
    return decided(
        max(e_mu, e_var) <= REL_TOL_FP64,
        "framework",
        f"BatchNorm1d(momentum=None) after {batches} batches of m={m}: running_mean is the "
        f"average of the batch means (rel. err {e_mu:.1g}) and running_var the average of the "
        f"unbiased batch variances (rel. err {e_var:.1g}). The default momentum=0.1 keeps an "
        "exponential average instead.",
        running_mean=bn.running_mean.tolist(),
        running_var=bn.running_var.tolist(),
    )


def check_bn_output_moments(seed: int = 0) -> CheckResult:
    """000 §2.4: BN output has mean 0 and variance 1 (gamma=1, beta=0), up to eps."""
    gen = _gen(seed)
    means, var_gap = [], []
    for m in (4, 32, 256):
        x = _batch(gen, m)
        y = F.batch_norm(x, None, None, training=True, eps=EPS)
        means.append(float(y.mean(0).abs().max()))
        var = x.var(0, correction=0)
        predicted = var / (var + EPS)  # what the biased output variance must be
        var_gap.append(_err(y.var(0, correction=0), predicted))
    holds = max(means) <= 1e-12 and max(var_gap) <= REL_TOL_FP64
    return decided(
        holds,
        "framework",
        f"Over batches of m = 4, 32, 256 the BN output's batch mean is 0 (|mean| <= "
        f"{max(means):.1g}) and its biased variance is var/(var+eps) < 1, i.e. 1 up to eps "
        f"(rel. err of that prediction {max(var_gap):.1g}).",
        max_abs_mean=max(means),
    )


def check_affine_output_moments(seed: int = 0) -> CheckResult:
    """002: the i-th unit's output has batch mean beta_i and standard deviation gamma_i."""
    gen = _gen(seed)
    x = _batch(gen, 64)
    gamma = torch.tensor([2.0, 0.5, -1.5], dtype=torch.float64)  # one negative on purpose
    beta = torch.tensor([-1.0, 0.0, 3.0], dtype=torch.float64)
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)
    var = x.var(0, correction=0)
    e_mean = _err(y.mean(0), beta)
    e_std = _err(y.std(0, correction=0), gamma.abs() * torch.sqrt(var / (var + EPS)))
    gap = float((y.std(0, correction=0) - gamma.abs()).abs().max())
    return decided(
        max(e_mean, e_std) <= REL_TOL_FP64,
        "framework",
        f"torch's batch_norm output on m=64 has batch mean beta (rel. err {e_mean:.1g}) and "
        f"standard deviation |gamma| sqrt(var/(var+eps)) (rel. err {e_std:.1g}), within "
        f"{gap:.1g} of |gamma|: 'standard deviation gamma_i' holds up to eps and the sign of "
        "gamma (a learned gamma may be negative; the spread is then |gamma|).",
        gamma=gamma.tolist(),
        output_std=y.std(0, correction=0).tolist(),
    )


def _skew_kurt(t: Tensor) -> tuple[float, float]:
    z = (t - t.mean()) / t.std(correction=0)
    return float((z**3).mean()), float((z**4).mean())


def check_bn_output_shape(seed: int = 0, m: int = 4096) -> CheckResult:
    """000 §2.4: BN output 'roughly follows a normal distribution'."""
    gen = _gen(seed)
    x = torch.empty(m, 1, dtype=torch.float64).exponential_(generator=gen)  # skewness 2
    y = F.batch_norm(x, None, None, training=True, eps=EPS)
    (sx, kx), (sy, ky) = _skew_kurt(x), _skew_kurt(y)
    unchanged = abs(sx - sy) <= 1e-9 and abs(kx - ky) <= 1e-9
    # 6/sqrt(m) is ~4 standard errors of a normal sample's skewness at this m.
    normal = abs(sy) <= 6 / m**0.5
    verification = (
        f"on {m} exponential draws skewness {sx:.4f} -> {sy:.4f} and kurtosis {kx:.4f} -> "
        f"{ky:.4f} through torch's batch_norm (unchanged to 1e-9)"
    )
    # The input 000 describes: a weighted sum of many previous activations (CLT).
    relu = torch.relu(torch.randn(m, 256, generator=gen, dtype=torch.float64))  # (m, 256)
    w = torch.randn(256, 1, generator=gen, dtype=torch.float64) / 16  # (256, 1)
    z = F.batch_norm(relu @ w, None, None, training=True, eps=EPS)  # (m, 1)
    sz, kz = _skew_kurt(z)
    weighted_normal = abs(sz) <= 6 / m**0.5 and abs(kz - 3) <= 24 / m**0.5
    readings = [
        reading("BN turns any input into a roughly normal one", normal, skew_out=sy,
                input="exponential"),
        reading("BN's output, for the input 000 describes (a weighted sum of many "
                "activations), is roughly normal", weighted_normal, skew_out=sz,
                kurtosis_out=kz, input="256-term weighted sum of ReLU activations"),
    ]  # fmt: skip
    return decided(
        normal or weighted_normal,
        "framework",
        f"BN of {m} exponential samples keeps skewness {sy:.2f} (a normal sample's is 0 "
        f"within {6 / m**0.5:.2f}): BN is affine per batch, so it fixes mean and variance "
        f"but not the shape. For a weighted sum of 256 ReLU activations (000's layer input) "
        f"the output's skewness is {sz:.3f} and kurtosis {kz:.3f}: roughly normal.",
        None
        if normal or not unchanged
        else Correction(
            "BN standardises the first two batch moments only; the input's distribution "
            "shape (skewness, kurtosis) is unchanged.",
            verification,
        ),
        caveat=None if normal else ("BN itself creates no normality (it is affine per "
               "batch); the output is roughly normal because its input, a weighted sum of "
               "many activations, is."),
        readings=readings,
        skew_in=sx,
        skew_out=sy,
        kurtosis_in=kx,
        kurtosis_out=ky,
    )

