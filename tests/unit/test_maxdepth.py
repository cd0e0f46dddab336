"""The maximum-depth problem: exact optima, closed forms, NDSB stages, errors, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims._core import Verdict
from cnnbench.analysis.maxdepth.checks import check_closed_form, check_image_constraint, stage_stack
from cnnbench.analysis.maxdepth.checks_networks import check_ndsb
from cnnbench.analysis.maxdepth.networks import depth_check
from cnnbench.analysis.maxdepth.problem import make_problem, solve_max_depth
from cnnbench.analysis.maxdepth.theory import (
    K,
    L,
    Q,
    S,
    derive_closed_form,
    receptive_field_expr,
    text_closed_form,
)
from cnnbench.analysis.networks.modules import NETWORKS
from cnnbench.analysis.receptive.formulas import receptive_field
from cnnbench.analysis.receptive.parse import parse_layers
from scipy.optimize import linprog


def test_printed_lp_optimum_and_its_empty_stages():
    # source: 003_6ff731d493f5c8c8.txt §4.3 eqs. (4.2)-(4.4); z = 2^3*3/0.5 = 48 (m = 4)
    sol = solve_max_depth(48, 3, 0.5)
    assert sol.total == pytest.approx(12.0)
    assert sol.n == 3 and sol.a == pytest.approx((6.0, 3.0, 3.0))
    assert sol.optimal_n == (3, 4, 5, 6)
    assert not sol.unique
    assert "with empty stages" in sol.notes()[0]


def test_derived_lp_optimum_is_unique():
    # source: 003_6ff731d493f5c8c8.txt §4.3 definitions (receptive field, c-value)
    sol = solve_max_depth(48, 3, 0.5, constraints="derived")
    assert (sol.n, sol.total) == (4, pytest.approx(6.25))
    assert sol.unique and sol.notes() == ["the optimum is unique"]


def test_integer_optimum_not_unique_is_reported():
    # source: 003_6ff731d493f5c8c8.txt §4.3 (integer a_i >= 1)
    sol = solve_max_depth(48, 3, 0.5, constraints="derived", integer=True)
    assert (sol.total, sol.n) == (5, 4)
    assert not sol.unique
    assert sol.ranges[0] == pytest.approx((1.0, 2.0))
    assert "a_1, a_2 vary" in sol.notes()[0]


def test_json_program_rederives_the_optimum_with_linprog():
    # source: 003_6ff731d493f5c8c8.txt §4.3; the reviewer's route: c, A_ub, b_ub from --json
    out = solve_max_depth(96, 3, 0.25, constraints="derived").to_json()
    p = out["program"]
    res = linprog(p["c"], A_ub=p["A_ub"], b_ub=p["b_ub"], bounds=[tuple(p["bounds"])] * p["n"])
    assert -res.fun == pytest.approx(out["total_depth"])
    assert res.x == pytest.approx(np.array(out["a"]))


def test_infeasible_when_t_exceeds_every_cvalue():
    # source: 003_6ff731d493f5c8c8.txt §4.3: a stage-1 conv has c-value k/RF <= 1
    sol = solve_max_depth(64, 3, 1.5, constraints="derived", integer=True)
    assert not sol.feasible and sol.to_json()["total_depth"] is None
    assert sol.notes() == ["no n admits a network: every program is infeasible"]


def test_closed_forms_derived_with_sympy():
    # source: 003_6ff731d493f5c8c8.txt §4.3 eqs. (4.5)-(4.6) and our derivation
    printed, derived = derive_closed_form("printed"), derive_closed_form("derived")
    m = sp.Symbol("m", positive=True)
    assert printed.n == m - 1
    assert sp.simplify(derived.a_rest.subs(Q, 2) - derived.a1 / 2) == 0
    # bit-exact: dyadic values
    assert derived.evaluate(3, 0.5, 5) == (5, (2.5, 1.25, 1.25, 1.25, 1.25), 7.5)


def test_text_closed_form_values():
    # source: 003_6ff731d493f5c8c8.txt §4.3 eq. (4.6): a_1 = k/((k-1)t), a_i = 1/(2 a_1)
    assert text_closed_form(3, 0.5, 2) == (2, (3.0, 1 / 6))  # bit-exact: one division
    assert text_closed_form(3, 0.5, 2, edited=True) == (2, (3.0, 1.5))  # bit-exact: dyadic


def test_receptive_field_expression_matches_the_stack():
    # source: 003_6ff731d493f5c8c8.txt §4.3 (stages of k x k convs and 2x2/2 pools)
    a = (2, 3, 1)
    rows = receptive_field(parse_layers(stage_stack(a, 3))).rows
    s_3 = 2 + 2 * 3 + 4 * 1
    # by hand: 3, 5 | pool 6 | 10, 14, 18 | pool 20 | 28
    assert receptive_field_expr().subs({K: 3, Q: 2, S: s_3, L: 3}) == rows[-1].size == 28


def test_ndsb1_stages():
    # source: 003_6ff731d493f5c8c8.txt Table 6.1 (NDSB Network-1, 128 x 128 input)
    d = depth_check(NETWORKS["ndsb1"])
    assert d.layers_per_stage == (1, 5, 1, 1, 2)
    assert [s.rf for s in d.stages] == [5, 27, 39, 63, 143]
    assert d.min_cvalue == pytest.approx(6 / 27)


def test_ndsb2_stages():
    # source: 003_6ff731d493f5c8c8.txt Table 6.2 (a 3x3/3 pool makes the last jump 24)
    d = depth_check(NETWORKS["ndsb2"])
    assert d.layers_per_stage == (1, 5, 1, 2, 2)
    assert (d.stages[-1].jump, d.rf, d.rf_model) == (24, 191, 160)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.5, 3, 0.5), "`image`=0.5 must be a finite real number in [1, inf)"),
        ((48, 1, 0.5), "`kernel`=1 must be an integer >= 2"),
        ((48, 3, 0), "`t`=0 must be a finite real number in (0, inf)"),
        ((48, 3, 0.5, "typo"), "`constraints`='typo' must be one of 'printed', 'derived'"),
        ((48, 3, 0.5, "derived", 0), "`pool_kernel`=0 must be a positive integer"),
        ((2.0**31, 3, 0.5), "must be at most 2**30 pixels"),
    ],
)
def test_problem_errors(args, message):
    with pytest.raises(ParameterError) as info:
        make_problem(*args)
    assert message in str(info.value)


def test_closed_form_errors():
    with pytest.raises(ParameterError, match="`m`=1 must be an integer >= 2"):
        derive_closed_form("printed").evaluate(3, 0.5, 1)
    with pytest.raises(ParameterError, match="`m`=0 must be a positive integer"):
        text_closed_form(3, 0.5, 0)


def test_verdicts():
    # source: 003_6ff731d493f5c8c8.txt §4.3 eqs. (4.4)-(4.6), §6.2 Table 6.1
    printed = check_closed_form("printed")
    assert printed.verdict is Verdict.REFUTED
    assert all(case["closed_matches_lp"] for case in printed.evidence["cases"])
    # issue 10 (over-literal): (4.4) is the receptive field to leading order, used consistently
    image = check_image_constraint()
    assert image.verdict is Verdict.CONFIRMED and "leading-order" in image.caveat
    exact, leading = image.evidence["readings"]
    assert exact["holds"] is False and exact["counterexample"]["rf"] > exact["counterexample"]["z"]
    assert leading["holds"] is True
    # NDSB-1 is within the image by the text's own model (4.4), not by its exact field
    ndsb = check_ndsb("ndsb1")
    assert ndsb.verdict is Verdict.CONFIRMED and "143 px" in ndsb.caveat


@pytest.mark.parametrize("name", ["ndsb1", "ndsb2"])
def test_ndsb_summary_sentences_follow_the_computed_facts(name):
    # source: 003 §6.2 Tables 6.1/6.2 and (4.6)'s a_1 > a_2 = ... = a_n
    result = check_ndsb(name)
    a = result.evidence["layers_per_stage"]
    within = result.evidence["torch_rf_last_conv"] <= result.evidence["image"]
    assert ("constraint 1 holds" in result.summary) is within
    assert ("constraint 1 fails" in result.summary) is not within
    follows = result.evidence["follows_4_6"]
    assert follows == (a[0] > a[1] and len(set(a[1:])) == 1)
    assert ("Stages follow (4.6)" in result.summary) is follows
    assert ("Stages do not follow (4.6)" in result.summary) is not follows
