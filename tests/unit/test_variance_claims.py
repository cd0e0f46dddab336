"""The fast variance claims decide as the texts' algebra says they must."""

from __future__ import annotations

import pytest
from cnnbench.analysis.claims import Verdict
from cnnbench.analysis.variance import checks as vc
from cnnbench.analysis.variance import checks_relu as vr
from cnnbench.analysis.variance.claims import CLAIMS
from cnnbench.analysis.variance.gain import check_torch_gain_saturating, gain_row, torch_gain


@pytest.mark.parametrize(
    ("check", "verdict"),
    [
        (vc.check_eq5_25_26, Verdict.CONFIRMED),  # source: 003 eqs. (5.25)-(5.26)
        (vc.check_eq5_27, Verdict.CONFIRMED),  # source: 003 eq. (5.27)
        (vr.check_eq5_29, Verdict.CONFIRMED),  # source: 003 eq. (5.29)
        (vr.check_eq5_30, Verdict.CONFIRMED),  # source: 003 eq. (5.30)
        (vr.check_eq5_31, Verdict.REFUTED),  # source: 003 eq. (5.31) vs He et al. 2015 eq. (9)
        (vr.check_eq5_32, Verdict.REFUTED),  # source: 003 eq. (5.32) vs He et al. 2015 eq. (14)
        (vr.check_eq5_35, Verdict.CONFIRMED),  # source: 003 eqs. (5.33)-(5.35)
        (vr.check_torch_default_init, Verdict.CONFIRMED),  # source: torch.nn.Linear docs
    ],
)
def test_variance_checks(check, verdict):
    result = check()
    assert result.verdict is verdict, result.summary
    if verdict is Verdict.REFUTED:
        assert result.correction is not None  # the correction was itself verified


def test_sigmoid_gain_one_meets_no_criterion():
    # source: torch.nn.init.calculate_gain docs ("sigmoid: 1", "tanh: 5/3")
    r = check_torch_gain_saturating()
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.evidence["matches"] == {"sigmoid": [], "tanh": []}


def test_relu_gain_equals_every_criterion():
    # source: torch.nn.init.calculate_gain docs ("relu: sqrt(2)"); He et al. 2015
    row = gain_row("relu")
    assert row.torch_gain == pytest.approx(2**0.5, rel=1e-15)
    assert (row.forward, row.backward, row.critical) == pytest.approx((2**0.5,) * 3, rel=1e-9)
    assert torch_gain("gelu") is None  # torch has no entry for it


def test_claim_ids_are_in_the_variance_family():
    assert all(c.family == "variance" for c in CLAIMS)
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
