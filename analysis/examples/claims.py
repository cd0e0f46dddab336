"""Claims of the "examples" family: the texts' worked numbers and gradient formulas.

004 §3.2.5 (backprop example), §3.4.10 (cross-entropy gradient), §3.6.7 (LRN);
001 eqs. (2.6), (2.8)–(2.11), (2.16)–(2.19); 000 §2.2 (G_w, G_b, a - Y) and
§4.4 (Adam); 003 eqs. (2.3)–(2.4) (KL/NLL), Algorithm 3, (2.14)–(2.19)
(momentum, Nesterov, schedules), (2.22) (weight decay), (2.23)–(2.26) (dropout).
"""

from __future__ import annotations

from functools import partial

from cnnbench.analysis.claims import Claim, claim_factory
from cnnbench.analysis.examples.checks import (
    check_foundations_stage,
    check_foundations_w5_chain,
    check_msd_backprop,
    check_regrelu_gradients,
    check_vanishing_bound,
    check_vanishing_product,
)
from cnnbench.analysis.examples.layers import (
    check_dropout_expectation,
    check_lrn_formula,
    check_lrn_window,
    check_torch_dropout,
)
from cnnbench.analysis.examples.losses import (
    check_ce_bias_gradient,
    check_ce_weight_gradient,
    check_kl_definition,
    check_kl_nll_gradient,
    check_softmax_ce_output_error,
)
from cnnbench.analysis.examples.optim import (
    check_msd_adam_moments,
    check_msd_adam_update,
    check_regrelu_adam,
)
from cnnbench.analysis.examples.sgd import (
    check_alg3_bias_gradient,
    check_alg3_weight_gradient,
    check_lr_schedules,
    check_moment_sum,
    check_momentum,
    check_nesterov,
    check_weight_decay,
)
from cnnbench.analysis.seeds import (
    FOUNDATIONS,
    MSD_THESIS,
    PYTORCH_DOCS,
    REGULARIZED_RELU,
    XU_THESIS,
)

_c = claim_factory("examples")


_BP = "§3.2.5"

CLAIMS: tuple[Claim, ...] = (
    # 004 §3.2.5: the worked two-layer example.
    _c("foundations-backprop-hidden", FOUNDATIONS, _BP,
       "Net_h1 = 0.3775, Out_h1 = 0.593269992, Out_h2 = 0.596884378",
       partial(check_foundations_stage, "hidden")),
    _c("foundations-backprop-output", FOUNDATIONS, _BP,
       "Net_o1 = 1.105905967, Out_o1 = 1/(1+e^{1.105905967}) = 0.75136079, Out_o2 = 0.772928465",
       partial(check_foundations_stage, "output"), severity="slip",
       severity_reason="out_o1 is 0.75136507 and the exponent's minus sign is dropped; the "
       "text's next line uses the right value, so nothing after it changes"),
    _c("foundations-backprop-errors", FOUNDATIONS, _BP,
       "E_o1 = 1/2 (0.01 - 0.75136507)^2 = 0.274811083, E_o2 = 0.023560026, "
       "E_total = 0.298371109", partial(check_foundations_stage, "errors")),
    _c("foundations-backprop-w5-chain", FOUNDATIONS, _BP,
       "dE_total/dw5 = dE_total/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5",
       check_foundations_w5_chain),
    # 004 §3.4.10 and §3.6.7.
    _c("foundations-ce-weight-grad", FOUNDATIONS, "§3.4.10",
       "dC/dw_j = (1/n) sum x_j (sigma(z) - y)", check_ce_weight_gradient),
    _c("foundations-ce-bias-grad", FOUNDATIONS, "§3.4.10",
       "dC/db = (1/n) sum (sigma(z) - y)", check_ce_bias_gradient),
    _c("foundations-lrn-formula", FOUNDATIONS, "§3.6.7",
       "B^i = a^i / (k + alpha sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} (a^j)^2)^beta",
       check_lrn_formula),
    _c("foundations-lrn-window", FOUNDATIONS, "§3.6.7 item 5",
       "the sum of squares runs over n/2 channels before and after (total n + 1 points)",
       check_lrn_window),
    # 001 §2.2: vanishing gradients, backprop equations; §2.3: Adam.
    _c("msd-vanishing-product", MSD_THESIS, "§2.2.2 eq. (2.6)",
       "dC/db1 = s'(z1) w2 s'(z2) w3 s'(z3) w4 s'(z4) dC/da4", check_vanishing_product),
    _c("msd-vanishing-bound", MSD_THESIS, "§2.2.2",
       "|w_j| < 1 gives |w_j s'(z_j)| < 1/4; exploding needs |w| > 4", check_vanishing_bound),
    _c("msd-backprop-output-delta", MSD_THESIS, "§2.2.3.1 eq. (2.8)",
       "delta^L = grad_a C ⊙ sigma'(z^L)", partial(check_msd_backprop, "2.8")),
    _c("msd-backprop-hidden-delta", MSD_THESIS, "§2.2.3.1 eq. (2.9)",
       "delta^l = ((w^{l+1})^T delta^{l+1}) ⊙ sigma'(z^l)", partial(check_msd_backprop, "2.9")),
    _c("msd-backprop-bias", MSD_THESIS, "§2.2.3.1 eq. (2.10)",
       "dC/db^l_j = delta^l_j", partial(check_msd_backprop, "2.10")),
    _c("msd-backprop-weight", MSD_THESIS, "§2.2.3.1 eq. (2.11)",
       "dC/dw^l_{j,k} = a^{l-1}_k delta^l_j", partial(check_msd_backprop, "2.11")),
    _c("msd-adam-moment-sum", MSD_THESIS, "eq. (2.16)",
       "m_t = sum_{tau=1}^t g_tau = E[g(theta)]", check_moment_sum, severity="slip",
       severity_reason="a sum of t gradients estimates t*E[g]: the 1/t is missing; the text "
       "replaces it at once with the moving average Adam uses"),
    _c("msd-adam-moments", MSD_THESIS, "eq. (2.17)",
       "m_t = b1 m_{t-1} + (1 - b1) g_t, v_t = b2 v_{t-1} + (1 - b2) g_t^2",
       check_msd_adam_moments),
    _c("msd-adam-update", MSD_THESIS, "eqs. (2.18)-(2.19)",
       "mhat_t = m_t/(1-b1^t), vhat_t = v_t/(1-b2^t), theta_{t+1} = theta_t - eta/sqrt(vhat_t) "
       "mhat_t (Adam)", check_msd_adam_update),
    # 000 §2.2 and §4.4.
    _c("regrelu-output-error", REGULARIZED_RELU, "§2.2",
       "softmax classifier with cross-entropy: output error E_i = a_i - Y_i",
       check_softmax_ce_output_error),
    _c("regrelu-hidden-error", REGULARIZED_RELU, "§2.2 Fig. 2",
       "output error of neuron 1 = E2 f'(z) W22 + E3 f'(z) W32 + E4 f'(z) W42",
       partial(check_regrelu_gradients, "E1")),
    _c("regrelu-weight-gradient", REGULARIZED_RELU, "§2.2",
       "G_wl = E_l * f'(z) * a_{l-1}", partial(check_regrelu_gradients, "G_w")),
    _c("regrelu-bias-gradient", REGULARIZED_RELU, "§2.2",
       "G_bl = E_l * f'(z)", partial(check_regrelu_gradients, "G_b")),
    _c("regrelu-adam", REGULARIZED_RELU, "§4.4",
       "Adam: EWMAs m_t, v_t, bias-corrected by 1-b^t, W_t <- W_{t-1} - eta mhat/(sqrt(vhat)+eps)",
       check_regrelu_adam),
    # 003 §2.1.1 and §2.1.11.
    _c("xu-kl-definition", XU_THESIS, "§2.1.1 eq. (2.3)",
       "D_KL(P||Q) = sum log(Q/P) Q = sum log(y/yhat) y", check_kl_definition,
       severity="slip", severity_reason="P and Q are swapped in the middle member only; the "
       "final form and the gradient (2.4) are right"),
    _c("xu-kl-nll-gradient", XU_THESIS, "§2.1.1 eq. (2.4)",
       "d eps_KL/d yhat_i = d(-y_i log yhat_i)/d yhat_i = d eps_NLL/d yhat_i",
       check_kl_nll_gradient),
    _c("xu-alg3-weight-gradient", XU_THESIS, "§2.1.7 Algorithm 3",
       "dE/dW_l = g dh_l/dW_l; g <- g dh_l/dh_{l-1}", check_alg3_weight_gradient),
    _c("xu-alg3-bias-gradient", XU_THESIS, "§2.1.7 Algorithm 3",
       "dE/db_l = (dE/dh_l)(dh_l/db_l) = g dh_l/dW_l", check_alg3_bias_gradient,
       severity="slip", severity_reason="W for b in the last factor; the middle expression "
       "of the same line is right"),
    _c("xu-momentum", XU_THESIS, "§2.1.8 eqs. (2.14)-(2.15)",
       "v_t = beta v_{t-1} - eta grad F(theta_{t-1}); theta_t = theta_{t-1} + v_t",
       check_momentum),
    _c("xu-nesterov", XU_THESIS, "§2.1.8 eqs. (2.16)-(2.17)",
       "v_t = beta v_{t-1} - eta grad F(theta_{t-1} + beta v_{t-1}); theta_t = theta_{t-1} + v_t",
       check_nesterov),
    _c("xu-lr-schedules", XU_THESIS, "§2.1.9 eqs. (2.18)-(2.19)",
       "eta_t = eta_0 gamma^(t/s) (exponential); eta_t = eta_0 gamma^floor(t/s) (factored)",
       check_lr_schedules),
    _c("xu-weight-decay-gradient", XU_THESIS, "§2.1.10 eq. (2.22)",
       "d(lambda/2 Omega)/d theta = lambda theta, Omega = ||theta||^2", check_weight_decay),
    _c("xu-dropout-expectation", XU_THESIS, "§2.1.11 eqs. (2.23)-(2.26)",
       "r_j ~ Bernoulli(p), hhat = r * h, E[hhat_j] = p*0 + (1-p)*h_j = (1-p) h_j",
       check_dropout_expectation),
    _c("torch-dropout-scaling", PYTORCH_DOCS, "torch.nn.Dropout",
       "training zeroes each element with probability p and scales the rest by 1/(1-p); "
       "evaluation is the identity", check_torch_dropout),
)
