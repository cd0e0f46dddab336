"""Batch norm as the texts print it, against torch's own kernels and modules."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims import Verdict, run_claim
from cnnbench.analysis.normalization.backward import bilici_backward, xu_backward
from cnnbench.analysis.normalization.checks import FormCheck, check_form
from cnnbench.analysis.normalization.claims import CLAIMS
from cnnbench.analysis.normalization.conventions_sets import check_statistic_set
from cnnbench.analysis.normalization.forward import (
    autograd_trace,
    bilici_forward,
    foundations_forward,
    validate_batch,
    xu_forward,
)
from cnnbench.analysis.normalization.sets import (
    MAX_LITERAL_NUMEL,
    msd_input_standardization,
    set_normalize,
)

TOL = 1e-10  # float64 BN on O(1) data: rounding ~1e-14


def _batch(m=6, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return 2 * r(m, d) + 1, r(d), r(d), 1e-5, r(m, d)


def _torch_grads(x, gamma, beta, eps, grad_out):
    """Oracle: autograd through torch's batch_norm kernel."""
    x, gamma, beta = (t.clone().requires_grad_(True) for t in (x, gamma, beta))
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    return y.detach(), *torch.autograd.grad(y, (x, gamma, beta), grad_out)


def test_forward_forms_equal_torch_batch_norm():
    # source: 002 Algorithm 1; 003 eqs. (5.8)-(5.11); oracle F.batch_norm
    x, gamma, beta, eps, g = _batch()
    y, *_ = _torch_grads(x, gamma, beta, eps, g)
    torch.testing.assert_close(bilici_forward(x, gamma, beta, eps)["a"], y, rtol=TOL, atol=TOL)
    torch.testing.assert_close(xu_forward(x, gamma, beta, eps)["y"], y, rtol=TOL, atol=TOL)


def test_foundations_step3_as_printed_is_not_batch_norm_but_the_fix_is():
    # source: 004 §3.6.10 step 3, printed (x + mu)/(sqrt(var) + eps)
    x, gamma, beta, eps, g = _batch()
    y, *_ = _torch_grads(x, gamma, beta, eps, g)
    printed = foundations_forward(x, gamma, beta, eps)["y"]
    fixed = foundations_forward(x, gamma, beta, eps, fix_sign=True, eps_inside=True)["y"]
    assert (printed - y).abs().max() > 0.1
    torch.testing.assert_close(fixed, y, rtol=TOL, atol=TOL)


def test_xu_dx_sign_is_wrong_and_one_sign_fixes_it():
    # source: 003 eq. (5.15); oracle autograd of F.batch_norm
    x, gamma, beta, eps, g = _batch()
    _, dx, dgamma, dbeta = _torch_grads(x, gamma, beta, eps, g)
    printed = xu_backward(x, gamma, beta, eps, g)
    fixed = xu_backward(x, gamma, beta, eps, g, corrected=True)
    assert (printed["d_x"] - dx).abs().max() > 0.1
    torch.testing.assert_close(fixed["d_x"], dx, rtol=TOL, atol=TOL)
    torch.testing.assert_close(printed["d_gamma"], dgamma, rtol=TOL, atol=TOL)  # (5.16)
    torch.testing.assert_close(printed["d_beta"], dbeta, rtol=TOL, atol=TOL)  # (5.17)


def test_bilici_dx_with_one_over_m_is_wrong_and_one_over_sigma_fixes_it():
    # source: 002, derivatives after Algorithm 1; oracle autograd of F.batch_norm
    x, gamma, beta, eps, g = _batch()
    _, dx, _, _ = _torch_grads(x, gamma, beta, eps, g)
    printed = bilici_backward(x, gamma, beta, eps, g)
    fixed = bilici_backward(x, gamma, beta, eps, g, corrected=True)
    for key in ("d_x", "d_x_chain"):
        assert (printed[key] - dx).abs().max() > 0.1
        torch.testing.assert_close(fixed[key], dx, rtol=TOL, atol=TOL)


def test_bilici_expanded_dmu_has_mu_for_sigma():
    # source: 002, second line of dL/dmu ("-gamma_i/mu_i"); oracle autograd trace
    x, gamma, beta, eps, g = _batch()
    want = autograd_trace(x, gamma, beta, eps, g)["d_mu"]
    printed = bilici_backward(x, gamma, beta, eps, g)["d_mu_expanded"]
    fixed = bilici_backward(x, gamma, beta, eps, g, corrected=True)["d_mu_expanded"]
    assert (printed - want).abs().max() > 1e-3
    torch.testing.assert_close(fixed, want, rtol=TOL, atol=TOL)


def test_autograd_trace_matches_native_batch_norm_statistics():
    # source: pytorch-docs; oracle torch.ops.aten.native_batch_norm's saved mean / invstd
    x, gamma, beta, eps, g = _batch(m=9)
    _, mean, invstd = torch.ops.aten.native_batch_norm(x, None, None, None, None, True, 0.0, eps)
    t = autograd_trace(x, gamma, beta, eps, g)
    torch.testing.assert_close(t["mu"], mean, rtol=TOL, atol=TOL)
    torch.testing.assert_close(t["var"] + eps, invstd**-2, rtol=TOL, atol=TOL)


@pytest.mark.parametrize(
    ("kind", "oracle"),
    [
        ("batch", lambda x: F.batch_norm(x, None, None, training=True, eps=1e-5)),
        ("layer", lambda x: F.layer_norm(x, x.shape[1:], eps=1e-5)),
        ("instance", lambda x: F.instance_norm(x, eps=1e-5)),
    ],
)
def test_statistic_sets_equal_torch_norms(kind, oracle):
    # source: 001 eqs. (2.20)-(2.21); oracle torch batch_norm / layer_norm / instance_norm
    x = torch.randn(3, 2, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(set_normalize(x, kind, 1e-5), oracle(x), rtol=TOL, atol=TOL)


def test_msd_input_standardization_averages_per_instance_statistics():
    # source: 001 eq. (2.22); two instances with stds 1 and 0 and means 1 and 10
    x = torch.tensor([0.0, 2.0, 10.0, 10.0], dtype=torch.float64).reshape(2, 1, 1, 2)
    out = msd_input_standardization(x)
    assert out["mu"].item() == pytest.approx(x.mean().item())  # oracle: torch mean
    assert out["sigma"].item() == pytest.approx(0.5, rel=TOL)
    assert out["sigma"].item() < x.std(correction=0).item()  # not the global std


def test_running_var_is_unbiased_while_training_uses_biased():
    # source: pytorch-docs torch.nn.BatchNorm1d; 004 §3.6.10 note
    x = torch.tensor([[0.0], [1.0], [5.0]], dtype=torch.float64)
    bn = torch.nn.BatchNorm1d(1, momentum=1.0, affine=False).double()
    y = bn(x)
    assert bn.running_var.item() == pytest.approx(x.var(correction=1).item())
    want = (x - x.mean()) / torch.sqrt(x.var(correction=0) + bn.eps)
    torch.testing.assert_close(y, want, rtol=TOL, atol=TOL)


def test_normalization_claims_run_and_refute_the_known_misprints():
    results = {c.id: run_claim(c).result for c in CLAIMS}
    assert not [i for i, r in results.items() if r.verdict is Verdict.ERROR]
    refuted = {i for i, r in results.items() if r.verdict is Verdict.REFUTED}
    assert {
        "normalization.xu-dx",
        "normalization.bilici-dx",
        "normalization.bilici-dx-chain",
        "normalization.bilici-dmu-expanded",
        "normalization.foundations-normalize",
    } <= refuted
    for i in refuted:  # every refutation carries a correction that was itself verified
        assert results[i].correction is not None, i


# One test per user-facing message.
def _ok():
    x, gamma, beta, eps, g = _batch()
    return x, gamma, beta, eps, g


def test_error_x_not_tensor():
    _, gamma, beta, eps, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`x`='list' must be a torch.Tensor of shape"):
        validate_batch([[1.0]], gamma, beta, eps)


def test_error_x_dtype():
    _, gamma, beta, eps, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`x.dtype`=torch.int64 must be a floating dtype$"):
        xu_forward(torch.ones(4, 3, dtype=torch.int64), gamma, beta, eps)


def test_error_x_shape():
    _, gamma, beta, eps, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`x.shape`=\(1, 3\) must be \(m, d\) with m >= 2"):
        bilici_forward(torch.ones(1, 3, dtype=torch.float64), gamma, beta, eps)


def test_error_gamma_shape():
    x, _, beta, eps, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`gamma.shape`=\(2,\) must be \(3,\) to match"):
        xu_forward(x, torch.ones(2, dtype=torch.float64), beta, eps)


def test_error_beta_shape():
    x, gamma, _, eps, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`beta.shape`='float' must be \(3,\)"):
        xu_forward(x, gamma, 0.0, eps)


def test_error_grad_out_shape():
    x, gamma, beta, eps, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`grad_out.shape`=\(6,\) must equal x.shape"):
        xu_backward(x, gamma, beta, eps, torch.ones(6, dtype=torch.float64))


def test_error_eps():
    x, gamma, beta, _, _ = _ok()
    with pytest.raises(ParameterError, match=r"^`eps`=0 must be a finite real number in \(0, inf"):
        foundations_forward(x, gamma, beta, 0)


def test_error_set_kind():
    x = torch.ones(1, 1, 1, 2, dtype=torch.float64)
    with pytest.raises(ParameterError, match=r"^`kind`='group' must be one of 'batch', 'layer'"):
        set_normalize(x, "group", 1e-5)


def test_error_set_too_large():
    x = torch.ones(1, 1, 1, MAX_LITERAL_NUMEL + 1, dtype=torch.float64)
    with pytest.raises(ParameterError, match=r"^`x.numel\(\)`=4097 must be <= 4096"):
        set_normalize(x, "batch", 1e-5)


def test_error_set_not_4d():
    with pytest.raises(ParameterError, match=r"^`x.shape`=\(2, 2\) must be 4-D \(N, C, H, W\)$"):
        msd_input_standardization(torch.ones(2, 2, dtype=torch.float64))


def test_error_set_x_not_tensor():
    with pytest.raises(ParameterError, match=r"^`x`='int' must be a torch.Tensor of shape"):
        set_normalize(3, "batch", 1e-5)


def test_error_set_x_dtype():
    with pytest.raises(ParameterError, match=r"^`x.dtype`=torch.int64 must be a floating dtype$"):
        set_normalize(torch.ones(1, 1, 1, 2, dtype=torch.int64), "batch", 1e-5)


def test_error_check_statistic_set_kind():
    with pytest.raises(ParameterError, match=r"^`kind`='group' must be one of 'batch'"):
        check_statistic_set("group")


def test_check_form_refutes_a_wrong_form_and_will_not_certify_a_wrong_fix():
    # The harness itself must be able to fail: a form off by a factor 2 is refuted,
    # and a "correction" that is still wrong leaves the verdict inconclusive.
    def doubled(case, corrected):
        return 2 * xu_forward(*case.args)["y"] if not corrected else 3 * case.x

    out = check_form(FormCheck("y doubled", "y", doubled, "none that works", "y = 3x"))
    assert out.verdict is Verdict.INCONCLUSIVE
    assert out.evidence["corrected_worst_rel_err"] > 1e-3

    def fixed_by_halving(case, corrected):
        y = xu_forward(*case.args)["y"]
        return y if corrected else 2 * y

    out = check_form(FormCheck("y doubled", "y", fixed_by_halving, "halve it", "y"))
    assert out.verdict is Verdict.REFUTED and out.correction is not None
