"""The texts' worked examples and gradient formulas, against torch autograd, optim and modules."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims import Verdict, run_claim
from cnnbench.analysis.examples.backprop import (
    FOUNDATIONS_EXAMPLE,
    digits_follow,
    foundations_example,
    msd_backprop,
    vanishing_product,
)
from cnnbench.analysis.examples.claims import CLAIMS
from cnnbench.analysis.examples.layers import dropout_printed, lrn_printed
from cnnbench.analysis.examples.losses import bce_weight_gradient, softmax_ce_output_error
from cnnbench.analysis.examples.optim import THETA0, adam_printed, adam_torch


def test_foundations_example_matches_the_published_walkthrough():
    # source: 004 §3.2.5; the same network as M. Mazur, "A Step by Step Backpropagation
    # Example" (2015): dE/dw5 = 0.082167041 and the updated weights at eta = 0.5
    r = foundations_example()
    assert r["dE/dw5"] == pytest.approx(0.082167041, abs=5e-10)
    assert r["E_total"] == pytest.approx(0.298371109, abs=5e-10)
    published = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
                 "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}
    for name, value in published.items():  # the walkthrough's updated weights, eta = 0.5
        updated = FOUNDATIONS_EXAMPLE[name] - 0.5 * r[f"dE/d{name}"]
        assert updated == pytest.approx(value, abs=5e-9), name


def test_foundations_out_o1_digits_flagged():
    # source: 004 §3.2.5 prints Out_o1 = 0.75136079 but uses 0.75136507 in E_o1
    r = foundations_example()
    assert digits_follow("0.75136079", r["out_o1"]) == {
        "follows": False,
        "rounded": "0.75136507",
        "bad_digits": [6, 7, 8],
    }
    assert digits_follow("0.75136507", r["out_o1"])["follows"]


def test_digits_follow_accepts_truncation_and_flags_integer_part():
    # source: the digit rule used for 004 §3.2.5 (rounded or truncated at the printed places)
    assert digits_follow("0.12", 0.1299)["follows"]  # truncated
    assert digits_follow("0.13", 0.1299)["follows"]  # rounded
    assert digits_follow("1.5", 0.5)["bad_digits"] == [0]


def test_vanishing_product_equals_autograd():
    # source: 001 eq. (2.6); oracle autograd inside vanishing_product, checked by finite
    # differences here as an independent second oracle
    w = torch.tensor([0.7, -1.2, 0.4, 2.0], dtype=torch.float64)
    b = torch.tensor([0.1, 0.0, -0.3, 0.2], dtype=torch.float64)
    out = vanishing_product(w, b, 0.5)

    def a4(b1):
        a = torch.tensor(0.5, dtype=torch.float64)
        for j in range(4):
            a = torch.sigmoid(w[j] * a + (b1 if j == 0 else b[j]))
        return float(a)

    h = 1e-6
    fd = (a4(b[0] + h) - a4(b[0] - h)) / (2 * h)
    assert out["printed"] == pytest.approx(out["autograd"], rel=1e-12)
    assert out["printed"] == pytest.approx(fd, rel=1e-6)


def test_msd_backprop_equations_agree_with_autograd():
    # source: 001 eqs. (2.8)-(2.11)
    g = torch.Generator().manual_seed(3)
    ws = [torch.randn(4, 3, generator=g, dtype=torch.float64),
          torch.randn(2, 4, generator=g, dtype=torch.float64)]  # fmt: skip
    bs = [torch.randn(4, generator=g, dtype=torch.float64),
          torch.randn(2, generator=g, dtype=torch.float64)]  # fmt: skip
    out = msd_backprop(ws, bs, torch.randn(3, generator=g).double(), torch.rand(2).double())
    assert max(max(v) for v in out.values()) < 1e-14


def test_softmax_ce_output_error_is_autograd_gradient():
    # source: 000 §2.2 (E_i = a_i - Y_i); oracle autograd of F.cross_entropy
    z = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(F.cross_entropy(z, torch.tensor([2])), z)
    y = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(softmax_ce_output_error(z.detach(), y), grad, rtol=0, atol=1e-15)


def test_bce_weight_gradient_is_autograd_gradient():
    # source: 004 §3.4.10; oracle autograd of F.binary_cross_entropy
    x = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.2]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    w = torch.tensor([0.2, -0.4], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    gw, gb = torch.autograd.grad(F.binary_cross_entropy(torch.sigmoid(x @ w + b), y), (w, b))
    pw, pb = bce_weight_gradient(x, y, w.detach(), 0.1)
    torch.testing.assert_close(pw, gw, rtol=0, atol=1e-15)
    assert pb.item() == pytest.approx(gb.item(), abs=1e-15)


def test_adam_000_equals_torch_optim_adam():
    # source: 000 §4.4; oracle torch.optim.Adam (eps 1e-8 outside the root)
    mine, ref = adam_printed(4, lr=0.05), adam_torch(4, lr=0.05)
    torch.testing.assert_close(torch.tensor(mine["theta"]), torch.tensor(ref["theta"]))
    assert max(abs(a - b) for a, b in zip(mine["theta"][-1], ref["theta"][-1], strict=True)) < 1e-13


def test_adam_001_without_eps_is_torch_eps0_and_nan_on_zero_gradient():
    # source: 001 eqs. (2.17)-(2.19); oracle torch.optim.Adam(eps=0)
    mine, ref = adam_printed(3, lr=0.05, eps=None), adam_torch(3, lr=0.05, eps=0.0)
    live = [row[:3] for row in mine["theta"]], [row[:3] for row in ref["theta"]]
    assert max(abs(a - b) for r1, r2 in zip(*live, strict=True)
               for a, b in zip(r1, r2, strict=True)) < 1e-13  # fmt: skip
    assert math.isnan(mine["theta"][0][3])  # the coordinate the loss ignores: 0/0
    assert math.isnan(ref["theta"][0][3])  # torch with eps=0 does the same
    assert adam_torch(3, lr=0.05)["theta"][-1][3] == THETA0[3]  # default eps keeps it put


def test_dropout_printed_mean_is_p_times_h():
    # source: 003 eqs. (2.23)-(2.26); Monte Carlo, 5-sigma tolerance from the binomial sd
    g = torch.Generator().manual_seed(0)
    h, p, n = torch.tensor([2.0], dtype=torch.float64), 0.2, 100_000
    mean = dropout_printed(h, p, n, g).mean().item()
    sd = 2.0 * math.sqrt(p * (1 - p) / n)
    assert abs(mean - p * 2.0) < 5 * sd
    assert abs(mean - (1 - p) * 2.0) > 100 * sd  # the text's (1-p)h is far off


def test_lrn_printed_equals_torch_with_alpha_times_n():
    # source: 004 §3.6.7; oracle torch.nn.LocalResponseNorm (divides alpha by size)
    a = torch.randn(1, 2, 2, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ref = torch.nn.LocalResponseNorm(5, alpha=5 * 1e-2, beta=0.75, k=2.0)
    want = ref(a.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    torch.testing.assert_close(lrn_printed(a, 2.0, 5, 1e-2, 0.75), want, rtol=1e-13, atol=0)


def test_examples_claims_run_and_find_the_known_misprints():
    results = {c.id: run_claim(c).result for c in CLAIMS}
    assert not [i for i, r in results.items() if r.verdict is Verdict.ERROR]
    refuted = {i for i, r in results.items() if r.verdict is Verdict.REFUTED}
    assert {
        "examples.foundations-backprop-output",
        "examples.msd-adam-moment-sum",
        "examples.xu-alg3-bias-gradient",
        "examples.xu-kl-definition",
    } <= refuted
    for i in refuted:
        assert results[i].correction is not None, i
    # issue 10 (over-literal): a fair reading saves these, with the condition as a caveat:
    # Adam with eps = 0 (Kingma & Ba §2.1), p as the drop probability (2.25), n/2 whole
    saved = ("examples.msd-adam-update", "examples.xu-dropout-expectation",
             "examples.foundations-lrn-window")
    for i in saved:
        assert results[i].verdict is Verdict.CONFIRMED and results[i].caveat, i
        assert [r["holds"] for r in results[i].evidence["readings"]][:2] in (
            [True, False], [False, True]), i


def test_nesterov_as_printed_is_torch_nesterov_in_lookahead_variables():
    # source: 003 eqs. (2.16)-(2.17); oracle torch.optim.SGD(nesterov=True) on F = theta^2/2
    lr, beta = 0.1, 0.9
    theta_t = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta_t], lr=lr, momentum=beta, nesterov=True)
    theta, v = 1.0, 0.0
    for _ in range(5):
        v = beta * v - lr * (theta + beta * v)  # grad F at the look-ahead point
        theta = theta + v
        opt.zero_grad()
        (0.5 * theta_t**2).sum().backward()
        opt.step()
        assert theta_t.item() == pytest.approx(theta + beta * v, abs=1e-14)


def test_momentum_as_printed_is_torch_sgd_momentum():
    # source: 003 eqs. (2.14)-(2.15); oracle torch.optim.SGD(momentum=0.9) on F = theta^2/2
    theta_t = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta_t], lr=0.1, momentum=0.9)
    theta, v = 1.0, 0.0
    for _ in range(5):
        v = 0.9 * v - 0.1 * theta
        theta = theta + v
        opt.zero_grad()
        (0.5 * theta_t**2).sum().backward()
        opt.step()
        assert theta_t.item() == pytest.approx(theta, abs=1e-14)


# One test per user-facing message.
def test_error_adam_steps():
    with pytest.raises(ParameterError, match=r"^`steps`=0 must be a positive integer$"):
        adam_printed(0)


def test_error_adam_lr():
    msg = r"^`lr`=0 must be a finite real number in \(0, inf\)$"
    with pytest.raises(ParameterError, match=msg):
        adam_printed(1, lr=0)


def test_error_adam_beta():
    msg = r"^`beta1`=1.0 must be a finite real number in \[0, 1\)$"
    with pytest.raises(ParameterError, match=msg):
        adam_printed(1, beta1=1.0)


def test_error_adam_eps():
    msg = r"^`eps`=-1 must be a finite real number in \(0, inf\)$"
    with pytest.raises(ParameterError, match=msg):
        adam_printed(1, eps=-1)


def test_error_dropout_p():
    g = torch.Generator()
    with pytest.raises(ParameterError, match=r"^`p`=1.5 must be a finite real number in \[0, 1\]$"):
        dropout_printed(torch.ones(2), 1.5, 10, g)


def test_error_dropout_draws():
    g = torch.Generator()
    with pytest.raises(ParameterError, match=r"^`draws`=0 must be a positive integer$"):
        dropout_printed(torch.ones(2), 0.5, 0, g)


def test_error_lrn_shape():
    with pytest.raises(ParameterError, match=r"^`a.shape`=\(2, 3\) must be 4-D \[batch, height"):
        lrn_printed(torch.ones(2, 3), 2.0, 5, 1e-4, 0.75)


def test_error_lrn_n():
    with pytest.raises(ParameterError, match=r"^`n`=0 must be a positive integer$"):
        lrn_printed(torch.ones(1, 1, 1, 3), 2.0, 0, 1e-4, 0.75)


def test_error_digits_stated():
    with pytest.raises(ParameterError, match=r"^`stated`='0.7S' must be a decimal number"):
        digits_follow("0.7S", 0.75)


def test_error_vanishing_shape():
    with pytest.raises(ParameterError, match=r"^`w.shape`=\(3,\) must be \(4,\) like b"):
        vanishing_product(torch.ones(3), torch.ones(4), 0.0)
