"""Checks of 003 §4.3's uniqueness claim and of §6.2's NDSB networks against the design problem."""

from __future__ import annotations

import itertools

from cnnbench.analysis.claims._core import (
    CheckResult,
    Correction,
    confirmed,
    inconclusive,
    reading,
    refuted,
)
from cnnbench.analysis.maxdepth.checks import CASES, OPT_TOL, _image
from cnnbench.analysis.maxdepth.networks import depth_check
from cnnbench.analysis.maxdepth.problem import solve_max_depth
from cnnbench.analysis.networks.modules import NETWORKS
from cnnbench.analysis.receptive.parse import network_layers
from cnnbench.analysis.receptive.torch_oracle import gradient_support


def check_unique_optimum() -> CheckResult:
    """'an unique optimal solution under certain conditions': the LP and the integer program."""
    rows = []
    for (k, t, m), version in itertools.product(CASES, ("printed", "derived")):
        z = _image(k, t, m)
        lp = solve_max_depth(z, k, t, constraints=version)
        ip = solve_max_depth(z, k, t, constraints=version, integer=True)
        flat = all(hi - lo <= OPT_TOL * max(1.0, hi) for lo, hi in lp.ranges)
        later = [s for s in lp.per_n if s.n in lp.optimal_n[1:]]
        rows.append({"k": k, "t": t, "m": m, "version": version, "lp_optimal_n": list(lp.optimal_n),
                     "lp_unique_without_empty_stages": flat and all(min(s.a) <= OPT_TOL
                                                                    for s in later),
                     "integer_unique": ip.unique, "integer_notes": ip.notes()})  # fmt: skip
    lp_unique = sum(r["lp_unique_without_empty_stages"] for r in rows)
    int_unique = sum(r["integer_unique"] for r in rows)
    summary = (
        f"Over {len(rows)} problems ((k, t, m) cases x printed/derived constraints), the LP"
        f" relaxation's optimum is unique in {lp_unique} once empty stages (a_i = 0, which the"
        f" text's 'positive reals' exclude) are ruled out; the range of every a_i over the"
        f" optimal set, found by minimising and maximising it at the optimal total, is a point."
        f" The integer program (a_i >= 1) has a unique optimum in only {int_unique} of them."
    )
    holds = lp_unique == len(rows)
    return (confirmed if holds else inconclusive)("numeric", summary, cases=rows)


def check_ndsb(name: str) -> CheckResult:
    """An NDSB network of §6.2 against constraint 1 (receptive field <= image) and c-values."""
    report = depth_check(NETWORKS[name])
    stack, _ = network_layers(NETWORKS[name])
    last = [x.name for x in stack].index(report.stages[-1].convs[-1])
    torch_rf = gradient_support(stack[: last + 1], dims=2).size
    t = report.min_cvalue
    bound = solve_max_depth(report.image, 3, t, constraints="derived", integer=True)
    doubling = sum(2 * x * 2**i for i, x in enumerate(report.layers_per_stage[1:], start=1))
    doubling += report.stages[0].rf_model
    a = list(report.layers_per_stage)
    pattern = len(a) >= 2 and a[0] > a[1] and len(set(a[1:])) == 1  # (4.6): a_1 > a_2 = ...
    within = report.rf <= report.image
    summary = (
        f"{name}: image {report.image} px, convs per stage {a}."
        f" The last conv's receptive field is {report.rf} px (closed form; torch gradient"
        f" support {torch_rf}), "
        + (
            "within the image, so constraint 1 holds."
            if within
            else "larger than the image, so constraint 1 fails."
        )
        + f" The printed model of (4.4), sum (k-1)*jump = {report.rf_model} px"
        f" ({'within' if report.rf_model <= report.image else 'beyond'} the image;"
        f" {doubling} px if every pool halved), leaves out the 1 and the pools' growth."
        f" Smallest stage c-value {t:.3f}. Stages {'follow' if pattern else 'do not follow'}"
        " (4.6)'s a_1 > a_2 = ... = a_n."
    )
    evidence = {**report.to_json(), "torch_rf_last_conv": torch_rf, "follows_4_6": pattern,
                "rf_model_if_every_pool_halved": doubling,
                "derived_integer_optimum_at_min_cvalue": {"k": 3, "t": round(t, 6),
                    "total": bound.total, "n": bound.n, "a": list(bound.a)}}  # fmt: skip
    evidence["readings"] = [
        reading("the exact receptive field of the last conv within the image", within,
                rf=report.rf, image=report.image),
        reading("(4.4) as printed: every pool halves, the field is sum (k-1)*2^(i-1)*a_i",
                doubling <= report.image, model_px=doubling, image=report.image),
        reading("(4.4)'s leading-order model with the network's real strides",
                report.rf_model <= report.image, model_px=report.rf_model, image=report.image),
    ]  # fmt: skip
    if torch_rf != report.rf:  # pragma: no cover
        return inconclusive("framework", "closed form and torch disagree", **evidence)
    if any(r["holds"] for r in evidence["readings"]):
        caveat = None if within else (
            f"Within the image only under the text's own model (4.4) (pools as halvings, the "
            f"receptive field's 1 and the pools' growth dropped: {doubling} px <= "
            f"{report.image}); the exact field of the last conv is {report.rf} px.")
        return confirmed("framework", summary, caveat=caveat, **evidence)
    correction = Correction(
        f"{name}'s last conv sees {report.rf} x {report.rf} px of a {report.image} x"
        f" {report.image} image: it breaks constraint 1 as the text defines it"
        + (" and satisfies only the printed approximation (4.4)." if report.rf_model
           <= report.image else "; it breaks the printed approximation (4.4) too."),
        "receptive field by the closed form and by torch gradient support of the same layers"
        " (2-D, float64, all-ones weights).",
    )  # fmt: skip
    return refuted("framework", summary, correction, **evidence)
