"""001 §2.4's statistic sets (BN, LN, IN) against torch, and its input standardisation (2.22)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import as_choice
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.normalization.checks import REL_TOL_FP64
from cnnbench.analysis.normalization.conventions import EPS, _err, _gen
from cnnbench.analysis.normalization.sets import KINDS, msd_input_standardization, set_normalize

_TORCH = {
    "batch": lambda x: F.batch_norm(x, None, None, training=True, eps=EPS),
    "layer": lambda x: F.layer_norm(x, x.shape[1:], eps=EPS),
    "instance": lambda x: F.instance_norm(x, eps=EPS),
}
_PROSE_AXES = {"batch": "(N, H, W)", "layer": "(C, H, W)", "instance": "(H, W)"}
_SHAPES = ((2, 3, 2, 2), (3, 2, 3, 1), (1, 4, 2, 3), (4, 1, 1, 5))


def check_statistic_set(kind: str, seed: int = 0) -> CheckResult:
    """001 (2.20)+(2.21): normalising over the set S of ``kind`` equals torch's function."""
    kind = as_choice("kind", kind, KINDS)
    gen = _gen(seed)
    errs = []
    for shape in _SHAPES:
        if kind == "batch" and shape[0] * shape[2] * shape[3] < 2:
            continue
        x = 3.0 * torch.randn(shape, generator=gen, dtype=torch.float64) - 1.0
        errs.append(_err(set_normalize(x, kind, EPS), _TORCH[kind](x)))
    fn = {"batch": "batch_norm", "layer": "layer_norm", "instance": "instance_norm"}[kind]
    return decided(
        max(errs) <= REL_TOL_FP64,
        "property",
        f"Normalising each element over its {kind}-norm set (1/m, eps inside the root), "
        f"built by index membership, equals torch's {fn} on {len(errs)} NCHW shapes "
        f"(worst rel. err {max(errs):.1g}); the set spans the axes {_PROSE_AXES[kind]}.",
        shapes=[list(s) for s in _SHAPES],
        rel_err=errs,
    )


def check_msd_input_mean(seed: int = 0) -> CheckResult:
    """001 (2.22): the average of the N×C per-instance means is the global mean."""
    gen = _gen(seed)
    x = torch.randn(3, 4, 5, 5, generator=gen, dtype=torch.float64) * 2 + torch.arange(4.0)[
        :, None, None
    ].double()
    out = msd_input_standardization(x)
    e = abs(float(out["mu"] - x.mean())) / abs(float(x.mean()))
    return decided(
        e <= REL_TOL_FP64,
        "numeric",
        f"Averaging the 12 per-(sample, channel) means of a (3, 4, 5, 5) tensor gives the "
        f"global mean to {e:.1g}: every set has the same size H×W, so the average of "
        "averages is the overall average.",
        rel_err=e,
    )


def check_msd_input_std(seed: int = 0) -> CheckResult:
    """001 (2.22): the average of the N×C standard deviations as 'the global' one."""
    gen = _gen(seed)
    x = torch.randn(3, 4, 5, 5, generator=gen, dtype=torch.float64) * 2 + torch.arange(4.0)[
        :, None, None
    ].double()
    out = msd_input_standardization(x)
    pooled = x.std(correction=0)
    avg = out["sigma"]
    after = float(out["xhat"].std(correction=0))
    # Law of total variance over equal-sized sets: var = mean(sigma_l^2) + var(mu_l).
    total = torch.sqrt((out["sigma_l"] ** 2).mean() + out["mu_l"].var(correction=0))
    e_total = _err(total, pooled)
    pooled_reading = _err(avg, pooled) <= REL_TOL_FP64
    direct = x.std(dim=(2, 3), correction=0).mean()  # torch: mean of the 12 instance stds
    defined = _err(avg, direct) <= REL_TOL_FP64
    readings = [
        reading("'becomes the global one' as 'is taken as the global sigma' (eq. 2.22 defines "
                "sigma as the average)", defined, average=float(avg), torch=float(direct)),
        reading("'becomes' as 'equals the pooled standard deviation of all the data'",
                pooled_reading, average=float(avg), pooled=float(pooled)),
    ]  # fmt: skip
    holds = defined or pooled_reading
    return decided(
        holds,
        "numeric",
        f"The average of the 12 per-instance standard deviations is {float(avg):.4f}, the "
        f"global one {float(pooled):.4f}; standardising by the average leaves a standard "
        f"deviation of {after:.4f}, not 1. The average is never above the global value "
        "(Jensen, plus the spread of the means).",
        None
        if holds
        else Correction(
            "global sigma = sqrt(mean_l(sigma_l^2) + var_l(mu_l)) >= mean_l(sigma_l), equal "
            "only when all instance means and standard deviations agree",
            f"law of total variance; equals torch.std(correction=0) of the whole tensor to "
            f"{e_total:.1g}",
        ),
        caveat=None if pooled_reading else (
            f"The average of the per-instance sigmas ({float(avg):.3f}) is below the pooled "
            f"standard deviation ({float(pooled):.3f}, law of total variance), so the "
            f"standardised input has standard deviation {after:.3f}, not 1."),
        readings=readings,
        average_sigma=float(avg),
        global_sigma=float(pooled),
        std_after=after,
    )
