"""Claims of the "normalization" family: batch norm as each text states it, vs torch.

002 Algorithm 1 and its derivatives, 003 eqs. (5.8)–(5.17), 004 §3.6.10,
001 eqs. (2.20)–(2.22), 000 §2.4, and torch's own variance conventions.
Every printed equation is its own claim; the form checks live in
:mod:`cnnbench.analysis.normalization.checks`, the rest in
:mod:`cnnbench.analysis.normalization.conventions`.
"""

from __future__ import annotations

from functools import partial

from cnnbench.analysis.claims import CheckResult, Claim, claim_factory
from cnnbench.analysis.normalization.backward import bilici_backward, xu_backward
from cnnbench.analysis.normalization.checks import FormCheck, check_form, input_grad_scale
from cnnbench.analysis.normalization.conventions import (
    check_affine_output_moments,
    check_bn_output_moments,
    check_bn_output_shape,
    check_inference_statistics,
    check_running_var_unbiased,
    check_training_variance_biased,
)
from cnnbench.analysis.normalization.conventions_sets import (
    check_msd_input_mean,
    check_msd_input_std,
    check_statistic_set,
)
from cnnbench.analysis.normalization.forward import bilici_forward, foundations_forward, xu_forward
from cnnbench.analysis.seeds import (
    BILICI,
    FOUNDATIONS,
    MSD_THESIS,
    PYTORCH_DOCS,
    REGULARIZED_RELU,
    XU_THESIS,
)


def _fwd(fn, key):
    return lambda c, corrected: fn(*c.args)[key]


def _bwd(fn, key):
    return lambda c, corrected: fn(*c.args, c.grad_out, corrected=corrected)[key]


def _found(key):
    return lambda c, corrected: foundations_forward(
        *c.args, fix_sign=corrected, eps_inside=corrected
    )[key]


def _form(spec: FormCheck):
    return partial(check_form, spec)


def _foundations_step3() -> CheckResult:
    """Step 3 of 004, with the ε placement quantified separately from the sign."""
    result = check_form(
        FormCheck(
            "004 step 3, xhat = (x + mu)/(sqrt(var) + eps),",
            "xhat",
            _found("xhat"),
            "'x + mu' -> 'x - mu' (sign; torch also puts eps under the root, a convention)",
            "xhat = (x - mu)/(sqrt(var) + eps) (eps outside the root, as printed, or inside, "
            "as torch has it: they differ by O(eps/sigma))",
        )
    )
    sign_only = check_form(
        FormCheck(
            "sign-fixed step 3",
            "xhat",
            lambda c, _: foundations_forward(*c.args, fix_sign=True)["xhat"],
        )
    )
    extra = {
        "sign_fix_only_worst_rel_err": sign_only.evidence["worst_rel_err"],
        "sign_fix_only_worst_case": sign_only.evidence["worst_case"],
    }
    summary = result.summary + (
        f" With only the sign fixed (eps outside the root, a convention some code uses) the "
        f"worst relative difference from torch is {extra['sign_fix_only_worst_rel_err']:.2g}, "
        "largest at the smallest scale."
    )
    return CheckResult(
        result.verdict, result.method, {**result.evidence, **extra, "summary": summary},
        result.correction,
    )


_c = claim_factory("normalization")


_ALG = "Algorithm 1"
_DER = "derivatives after Algorithm 1"
_FLOW = "§3.6.10"

CLAIMS: tuple[Claim, ...] = (
    # 002, Algorithm 1 (forward) and the derivatives after it.
    _c("bilici-mean", BILICI, f"{_ALG}, line 3", "mu_i <- sum_r x_i^(r) / m",
       _form(FormCheck("Algorithm 1 line 3 (batch mean)", "mu", _fwd(bilici_forward, "mu")))),
    _c("bilici-variance", BILICI, f"{_ALG}, line 4",
       "sigma_i^2 <- sum_r (x_i^(r) - mu_i)^2 / m + eps",
       _form(FormCheck("Algorithm 1 line 4 (variance + eps)", "var_eps",
                       _fwd(bilici_forward, "sigma2")))),
    _c("bilici-normalize", BILICI, f"{_ALG}, line 5", "xhat_i^(r) <- (x_i^(r) - mu_i) / sigma_i",
       _form(FormCheck("Algorithm 1 line 5 (normalise)", "xhat", _fwd(bilici_forward, "xhat")))),
    _c("bilici-scale-shift", BILICI, f"{_ALG}, line 6", "a_i <- gamma_i * xhat_i^(r) + beta_i",
       _form(FormCheck("Algorithm 1 line 6 (scale and shift)", "y", _fwd(bilici_forward, "a")))),
    _c("bilici-output-moments", BILICI, "Batch Normalization, before Algorithm 1",
       "the output of the i-th unit will have a mean of beta_i and a standard deviation of "
       "gamma_i over each mini-batch", check_affine_output_moments),
    _c("bilici-dbeta", BILICI, _DER, "dL/dbeta_i = sum_r dL/da_i^(r)",
       _form(FormCheck("dL/dbeta", "d_beta", _bwd(bilici_backward, "d_beta")))),
    _c("bilici-dgamma", BILICI, _DER, "dL/dgamma_i = sum_r dL/da_i^(r) * xhat_i^(r)",
       _form(FormCheck("dL/dgamma", "d_gamma", _bwd(bilici_backward, "d_gamma")))),
    _c("bilici-dx-chain", BILICI, _DER,
       "dL/dx = dL/dxhat (1/m) + dL/dmu (1/m) + dL/dsigma^2 (2(x - mu)/m)",
       _form(FormCheck("First dL/dx display (dxhat/dx printed as 1/m)", "d_x",
                       _bwd(bilici_backward, "d_x_chain"), "dxhat/dx: '1/m' -> '1/sigma_i'",
                       "dL/dx = dL/dxhat (1/sigma_i) + dL/dmu (1/m) + dL/dsigma^2 (2(x-mu)/m)",
                       input_grad_scale)), severity="substantive",
       severity_reason="dxhat/dx is 1/sigma_i, not 1/m: the passage's final dL/dx, its point, "
       "gives wrong gradients as printed (the same 1/m is in the author's own markdown)"),
    _c("bilici-dxhat", BILICI, _DER, "dL/dxhat_i^(r) = gamma_i dL/da_i^(r)",
       _form(FormCheck("dL/dxhat (the bracket's 'a = gamma x + beta' should read gamma xhat)",
                       "d_xhat", _bwd(bilici_backward, "d_xhat")))),
    _c("bilici-dx", BILICI, _DER,
       "dL/dx = dL/da (gamma/m) + dL/dmu (1/m) + dL/dsigma^2 (2(x - mu)/m)",
       _form(FormCheck("dL/dx with gamma/m", "d_x", _bwd(bilici_backward, "d_x"),
                       "'gamma_i/m' -> 'gamma_i/sigma_i'",
                       "dL/dx = dL/da (gamma_i/sigma_i) + dL/dmu (1/m) "
                       "+ dL/dsigma^2 (2(x-mu)/m)", input_grad_scale)),
       severity="substantive", same_as="normalization.bilici-dx-chain"),
    _c("bilici-dvar", BILICI, _DER,
       "dL/dsigma^2 = -1/(2 sigma^3) sum_j dL/da^(j) gamma (x^(j) - mu)",
       _form(FormCheck("dL/dsigma^2", "d_var", _bwd(bilici_backward, "d_sigma2")))),
    _c("bilici-dmu", BILICI, _DER,
       "dL/dmu = -1/sigma sum_j dL/dxhat^(j) - 2 dL/dsigma^2 sum_j (x^(j) - mu)/m",
       _form(FormCheck("dL/dmu (first line)", "d_mu", _bwd(bilici_backward, "d_mu")))),
    _c("bilici-dmu-expanded", BILICI, _DER,
       "dL/dmu = -gamma/mu sum_j dL/da^(j) + (1/sigma^3)(sum_j dL/da^(j) gamma (x^(j)-mu))"
       "(sum_j (x^(j)-mu)/m)",
       _form(FormCheck("dL/dmu (second line, '-gamma_i/mu_i')", "d_mu",
                       _bwd(bilici_backward, "d_mu_expanded"), "'-gamma_i/mu_i' -> "
                       "'-gamma_i/sigma_i'", "dL/dmu = -gamma/sigma sum_j dL/da^(j) + "
                       "(1/sigma^3)(sum_j dL/da^(j) gamma (x^(j)-mu))(sum_j (x^(j)-mu)/m)")),
       severity="slip", severity_reason="sigma became mu in one substitution; the line above "
       "it in the same display is right"),
    # 003 §5.4, eqs. (5.8)–(5.17).
    _c("xu-mean", XU_THESIS, "§5.4 eq. (5.8)", "mu_B = (1/m) sum_i x_i",
       _form(FormCheck("(5.8) batch mean", "mu", _fwd(xu_forward, "mu")))),
    _c("xu-variance", XU_THESIS, "§5.4 eq. (5.9)", "sigma_B^2 = (1/m) sum_i (x_i - mu_B)^2",
       _form(FormCheck("(5.9) biased batch variance", "var", _fwd(xu_forward, "var")))),
    _c("xu-normalize", XU_THESIS, "§5.4 eq. (5.10)", "xhat_i = (x_i - mu_B)/sqrt(sigma_B^2 + eps)",
       _form(FormCheck("(5.10) normalise", "xhat", _fwd(xu_forward, "xhat")))),
    _c("xu-scale-shift", XU_THESIS, "§5.4 eq. (5.11)", "y_i = gamma xhat_i + beta",
       _form(FormCheck("(5.11) scale and shift", "y", _fwd(xu_forward, "y")))),
    _c("xu-dxhat", XU_THESIS, "§5.4 eq. (5.12)", "dE/dxhat_i = dE/dy_i * gamma",
       _form(FormCheck("(5.12) dL/dxhat", "d_xhat", _bwd(xu_backward, "d_xhat")))),
    _c("xu-dvar", XU_THESIS, "§5.4 eq. (5.13)",
       "dE/dsigma_B^2 = sum_i dE/dxhat_i (x_i - mu_B) (-1/2)(sigma_B^2 + eps)^(-3/2)",
       _form(FormCheck("(5.13) dL/dsigma_B^2", "d_var", _bwd(xu_backward, "d_var")))),
    _c("xu-dmu", XU_THESIS, "§5.4 eq. (5.14)",
       "dE/dmu_B = sum_i dE/dxhat_i (-1/sqrt(sigma_B^2+eps)) + dE/dsigma_B^2 sum_i -2(x_i-mu_B)/m",
       _form(FormCheck("(5.14) dL/dmu_B", "d_mu", _bwd(xu_backward, "d_mu")))),
    _c("xu-dx", XU_THESIS, "§5.4 eq. (5.15)",
       "dE/dx_i = dE/dxhat_i (-1/sqrt(sigma_B^2+eps)) + dE/dsigma_B^2 2(x_i-mu_B)/m + dE/dmu_B/m",
       _form(FormCheck("(5.15) dL/dx", "d_x", _bwd(xu_backward, "d_x"),
                       "'-1/sqrt(sigma_B^2+eps)' -> '+1/sqrt(sigma_B^2+eps)' (one sign)",
                       "dE/dx_i = dE/dxhat_i / sqrt(sigma_B^2+eps) + dE/dsigma_B^2 "
                       "2(x_i-mu_B)/m + dE/dmu_B / m", input_grad_scale)),
       severity="slip", severity_reason="one sign, likely copied from (5.14); (5.12)-(5.14), "
       "(5.16), (5.17) are right and the thesis uses BN as a framework layer"),
    _c("xu-dgamma", XU_THESIS, "§5.4 eq. (5.16)", "dE/dgamma = sum_i dE/dy_i xhat_i",
       _form(FormCheck("(5.16) dL/dgamma", "d_gamma", _bwd(xu_backward, "d_gamma")))),
    _c("xu-dbeta", XU_THESIS, "§5.4 eq. (5.17)", "dE/dbeta = sum_i dE/dy_i",
       _form(FormCheck("(5.17) dL/dbeta", "d_beta", _bwd(xu_backward, "d_beta")))),
    # 004 §3.6.10, the BN algorithm flow.
    _c("foundations-mean", FOUNDATIONS, f"{_FLOW} step 1", "mu = (1/m) sum_i x_i",
       _form(FormCheck("step 1 (mean)", "mu", _found("mu")))),
    _c("foundations-variance", FOUNDATIONS, f"{_FLOW} step 2",
       "sigma^2 = (1/m) sum_i (x_i - mu)^2 (called the standard deviation)",
       _form(FormCheck("step 2 (biased variance)", "var", _found("var")))),
    _c("foundations-normalize", FOUNDATIONS, f"{_FLOW} step 3",
       "xhat_i = (x_i + mu)/(sqrt(sigma^2) + eps)", _foundations_step3, severity="slip",
       severity_reason="'x + mu' should be 'x - mu' (the intent, to normalise, is plain); eps "
       "outside the root is a convention, not an error"),
    _c("foundations-scale-shift", FOUNDATIONS, f"{_FLOW} step 4",
       "Y_i = gamma xhat_i + beta (with the corrected xhat of step 3)",
       _form(FormCheck("step 4 on the corrected step-3 xhat", "y",
                       lambda c, _: foundations_forward(*c.args, fix_sign=True,
                                                        eps_inside=True)["y"]))),
    _c("foundations-inference-stats", FOUNDATIONS, f"{_FLOW} note",
       "at inference the mean is the average of the batch means and the variance the "
       "unbiased estimate", check_inference_statistics),
    # 001 §2.4, eqs. (2.20)–(2.22).
    _c("msd-bn-set", MSD_THESIS, "§2.4.1 eqs. (2.20)-(2.21)",
       "BN: S_i = {k | k_C = i_C}, statistics along (N, H, W)",
       partial(check_statistic_set, "batch")),
    _c("msd-ln-set", MSD_THESIS, "§2.4.1 eqs. (2.20)-(2.21)",
       "LN: S_l = {k | k_N = i_N}, statistics along (C, H, W)",
       partial(check_statistic_set, "layer")),
    _c("msd-in-set", MSD_THESIS, "§2.4.1 eqs. (2.20)-(2.21)",
       "IN: S_q = {k | k_C = i_C, k_N = i_N}, statistics along (H, W)",
       partial(check_statistic_set, "instance")),
    _c("msd-input-mean", MSD_THESIS, "§2.4.2 eq. (2.22)",
       "the average of the N x C per-instance means becomes the global mean", check_msd_input_mean),
    _c("msd-input-std", MSD_THESIS, "§2.4.2 eq. (2.22)",
       "the average of the N x C per-instance standard deviations becomes the global one",
       check_msd_input_std),
    # 000 §2.4 and torch's own conventions.
    _c("regrelu-bn-moments", REGULARIZED_RELU, "§2.4",
       "BN converts the input into a number with a mean of 0 and a variation of 1",
       check_bn_output_moments),
    _c("regrelu-bn-normal", REGULARIZED_RELU, "§2.4",
       "BN converts the input into a number that roughly follows a normal distribution",
       check_bn_output_shape),
    _c("torch-train-biased", PYTORCH_DOCS, "torch.nn.BatchNorm1d",
       "in training, BN normalises with the biased (1/m) batch variance",
       check_training_variance_biased),
    _c("torch-running-var-unbiased", PYTORCH_DOCS, "torch.nn.BatchNorm1d",
       "the running variance is updated with the unbiased batch variance",
       check_running_var_unbiased),
)
