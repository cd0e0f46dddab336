"""Checks for the batch-norm claims: each text's form against torch, case by case.

The oracle for every case is torch itself: ``native_batch_norm`` for the batch
statistics, ``F.batch_norm`` for the normalised output, its backward for
dL/dx, dL/dgamma, dL/dbeta, and autograd on the unfused graph for the
intermediate gradients (see :func:`cnnbench.analysis.normalization.forward.autograd_trace`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from cnnbench.analysis.claims import CheckResult, Correction, inconclusive, reading, refuted
from cnnbench.analysis.claims import decided as _decided
from cnnbench.analysis.normalization.forward import autograd_trace
from torch import Tensor

__all__ = [
    "REL_TOL_FP64",
    "Case",
    "FormCheck",
    "check_form",
    "input_grad_scale",
    "oracle",
    "random_cases",
]

# float64 BN gradients pass through ~20 operations and a 1/sigma^3 factor; at
# sigma^2 ~ 1e-4 (the smallest scale below) rounding stays under ~1e-12.
REL_TOL_FP64 = 1e-9
SIZES = (2, 3, 5, 8, 16, 64)  # m: from the smallest batch BN accepts to a typical one
SCALES = (1e-2, 1.0, 1e2)
EPSILONS = (1e-5, 1e-3)
UNITS = 4


@dataclass(frozen=True)
class Case:
    """One random mini-batch: ``x`` (m, d), ``gamma``/``beta`` (d,), ``grad_out`` (m, d)."""

    x: Tensor
    gamma: Tensor
    beta: Tensor
    eps: float
    grad_out: Tensor
    scale: float

    @property
    def args(self) -> tuple[Tensor, Tensor, Tensor, float]:
        return self.x, self.gamma, self.beta, self.eps

    def describe(self) -> dict[str, float | int]:
        return {"m": self.x.shape[0], "scale": self.scale, "eps": self.eps}


def random_cases(seed: int = 0) -> Iterator[Case]:
    """Every (m, scale, eps) of the grid once, float64, seeded (36 cases)."""
    gen = torch.Generator().manual_seed(seed)

    def draw(*shape: int) -> Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    for m in SIZES:
        for scale in SCALES:
            for eps in EPSILONS:
                x = scale * draw(m, UNITS) + 3.0 * draw(UNITS)  # non-zero unit means
                yield Case(x, draw(UNITS), draw(UNITS), eps, draw(m, UNITS), scale)


def oracle(case: Case) -> dict[str, Tensor]:
    """torch's answer for every named quantity of one case."""
    x, gamma, beta, eps = case.args
    _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(
        x, None, None, None, None, True, 0.0, eps
    )
    out = autograd_trace(x, gamma, beta, eps, case.grad_out)
    out["mu"] = save_mean
    out["var_eps"] = save_invstd**-2  # what torch divides by, squared: var + eps
    out["var"] = out["var_eps"] - eps
    out["xhat"] = F.batch_norm(x, None, None, training=True, eps=eps)
    return out


@lru_cache(maxsize=2)
def _cases_and_oracles(seed: int) -> tuple[tuple[Case, ...], tuple[dict[str, Tensor], ...]]:
    cases = tuple(random_cases(seed))
    return cases, tuple(oracle(c) for c in cases)


def _rel_err(got: Tensor, want: Tensor, scale: float | None = None) -> float:
    ref = float(want.abs().max()) if scale is None else scale
    return float((got - want).abs().max()) / max(ref, 1e-300)


def input_grad_scale(case: Case) -> float:
    """The size of the terms dL/dx sums: |gamma| |dL/dy| / sqrt(var + eps).

    For m = 2 the terms cancel almost exactly (the output is ±1 whatever x
    is), so dL/dx itself is tiny and a relative error against it measures
    the cancellation, not the formula; errors are taken against this instead.
    """
    root = torch.sqrt(case.x.var(0, correction=0) + case.eps)
    return float((case.gamma.abs() / root).max() * case.grad_out.abs().max())


@dataclass(frozen=True)
class FormCheck:
    """How to compare one printed quantity with torch.

    ``form(case, corrected)`` computes the text's value; ``key`` names the
    oracle's. ``edit`` says which edit gives the corrected form (None: the
    printed form is expected to need none).
    """

    quantity: str
    key: str
    form: Callable[[Case, bool], Tensor]
    edit: str | None = None
    corrected_statement: str | None = None
    scale: Callable[[Case], float] | None = None  # None: relative to max |torch's value|


def check_form(spec: FormCheck, *, seed: int = 0) -> CheckResult:
    """Compare a printed formula with torch over :func:`random_cases`; correct if it fails.

    Parameters
    ----------
    spec : FormCheck — the printed form, the oracle key, and the edit that corrects it.
    seed : int — seeds the random batches.

    Returns
    -------
    CheckResult
        confirmed when every batch agrees within :data:`REL_TOL_FP64`; refuted
        with a verified :class:`Correction` when the edit reconciles it; refuted
        without one when no edit is given; inconclusive when the edit fails too.

    Examples
    --------
    >>> mean = FormCheck("mean", "mu", lambda case, corrected: case.x.mean(0))
    >>> check_form(mean).verdict.value
    'confirmed'
    >>> check_form(FormCheck("twice the mean", "mu", lambda c, _: 2 * c.x.mean(0))).verdict.value
    'refuted'
    """
    cases, oracles = _cases_and_oracles(seed)

    def errors(corrected: bool) -> list[float]:
        return [
            _rel_err(spec.form(c, corrected), o[spec.key], spec.scale and spec.scale(c))
            for c, o in zip(cases, oracles, strict=True)
        ]

    errs = errors(False)
    worst = max(range(len(errs)), key=errs.__getitem__)
    c0, o0 = cases[0], oracles[0]
    evidence = {
        "cases": len(cases),
        "tolerance_rel": REL_TOL_FP64,
        "worst_rel_err": errs[worst],
        "worst_case": cases[worst].describe(),
        "example_printed": spec.form(c0, False)[..., 0].flatten()[:4].tolist(),
        "example_torch": o0[spec.key][..., 0].flatten()[:4].tolist(),
        "torch": torch.__version__,
        "error_relative_to": "max |torch value|" if spec.scale is None else "term scale",
    }
    n_ok = sum(e <= REL_TOL_FP64 for e in errs)
    summary = (
        f"{spec.quantity} as printed vs torch on {len(cases)} random float64 batches "
        f"(m 2–64, scales 1e-2–1e2): {n_ok}/{len(cases)} agree within {REL_TOL_FP64:g} "
        f"(worst relative error {errs[worst]:.2g})."
    )
    if n_ok == len(cases):
        return _decided(True, "property", summary, **evidence)
    evidence["readings"] = [reading(f"{spec.quantity} as printed", False,
                                    worst_rel_err=errs[worst])]
    if spec.edit is None:
        return refuted("property", summary + " No correction is proposed.", **evidence)
    fixed = errors(True)
    evidence["readings"].append(reading(f"with the edit {spec.edit}", max(fixed) <= REL_TOL_FP64,
                                        reasonable=False, worst_rel_err=max(fixed),
                                        why="an edit of the formula: the correction"))
    evidence["corrected_worst_rel_err"] = max(fixed)
    if max(fixed) > REL_TOL_FP64:
        return inconclusive(
            "property",
            summary + f" The proposed edit ({spec.edit}) does not reconcile it either "
            f"(worst {max(fixed):.2g}).",
            **evidence,
        )
    verification = (
        f"the corrected form agrees with torch on all {len(cases)} batches, worst relative "
        f"error {max(fixed):.2g} (tolerance {REL_TOL_FP64:g})"
    )
    statement = f"{spec.corrected_statement} (edit: {spec.edit})"
    return refuted(
        "property",
        summary + f" Edit: {spec.edit}; then {verification}.",
        Correction(statement, verification),
        **evidence,
    )
