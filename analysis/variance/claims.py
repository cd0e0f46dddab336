"""Claims about variance propagation and initialisation (003 §5.5, torch's init docs).

Checks live in :mod:`cnnbench.analysis.variance.checks` (and ``checks_relu``,
``gain``, ``grid`` beside it); the maps themselves in
:mod:`cnnbench.analysis.variance.maps`.
"""

from __future__ import annotations

from cnnbench.analysis.claims import Claim
from cnnbench.analysis.seeds import PYTORCH_DOCS, XU_THESIS
from cnnbench.analysis.variance import checks as vc
from cnnbench.analysis.variance import checks_relu as vr
from cnnbench.analysis.variance.gain import (
    check_torch_gain_relu_family,
    check_torch_gain_saturating,
)
from cnnbench.analysis.variance.grid import check_mc_grid, grid_units

CLAIMS = (
    Claim("variance.eq5-20-forward", XU_THESIS, "§5.5.1 eq. (5.20)",
          "Var[y_l] = n_l Var[w_l] Var[x_l] (weights iid, zero mean)",
          vc.check_eq5_20, slow=True),
    Claim("variance.eq5-21-backward", XU_THESIS, "§5.5.1 eqs. (5.21)-(5.22)",
          "Var[∂ε/∂y_l] = n_l (∂x_{l+1}/∂y_l) Var[w_l] Var[∂ε/∂x_{l+1}], ∂x_{l+1}/∂y_l = f'(y_l)",
          vc.check_eq5_21, severity="slip",
          severity_reason="a variance scales with the square of a factor: f'(y_l) should be "
          "f'(y_l)² (E[f'²]); the text's qualitative argument about sigmoid survives"),
    Claim("variance.eq5-25-26-xavier-conditions", XU_THESIS, "§5.5.1 eqs. (5.23)-(5.26)",
          "with f'(0) ≈ 1 and constant variance both ways: n_l Var[w_l] = 1, "
          "n_{l+1} Var[w_l] = 1", vc.check_eq5_25_26),
    Claim("variance.eq5-27-xavier-variance", XU_THESIS, "§5.5.1 eq. (5.27)",
          "an approximate solution is Var[w_l] = 2/(n_l + n_{l+1})", vc.check_eq5_27),
    Claim("variance.eq5-28-second-moment", XU_THESIS, "§5.5.1 eq. (5.28)",
          "Var[y_l] = n_l Var[w_l] E[x_l²]", vc.check_eq5_28),
    Claim("variance.eq5-29-relu-half", XU_THESIS, "§5.5.1 eq. (5.29)",
          "for ReLU, symmetric w_{l-1} and b_l = 0: E[x_l²] = ½ Var[y_{l-1}]", vr.check_eq5_29),
    Claim("variance.eq5-30-relu-layer", XU_THESIS, "§5.5.1 eq. (5.30)",
          "Var[y_l] = ½ n_l Var[w_l] Var[y_{l-1}]", vr.check_eq5_30),
    Claim("variance.eq5-31-relu-product", XU_THESIS, "§5.5.1 eq. (5.31)",
          "Var[y_L] = Var[x] Π_{l=1..L} ½ n_l Var[w_l]", vr.check_eq5_31,
          severity="slip", severity_reason="off by a constant factor 2 (the input layer has no "
          "½, as He et al. write it); the conclusion that ½·n·Var[w] = 1 keeps the variance "
          "from growing or vanishing exponentially stands"),
    Claim("variance.eq5-32-relu-backward", XU_THESIS, "§5.5.1 eq. (5.32)",
          "Var[∂ε/∂x_1] = ∂ε/∂x_L Π_{l=1..L} ½ n̂_l Var[w_l]; ½ n̂_l Var[w_l] = 1 suffices",
          vr.check_eq5_32, severity="slip",
          severity_reason="Var[·] is missing on the right; restored, the relation and its "
          "sufficient condition hold (Monte Carlo)"),
    Claim("variance.eq5-35-sigmoid-linearised", XU_THESIS, "§5.5.2 eqs. (5.33)-(5.35)",
          "with sigmoid ≈ 1/2 + x/4: Var[x_l] = Var[y_{l-1}]/16", vr.check_eq5_35),
    Claim("variance.sigmoid-gradient-vanishes", XU_THESIS, "§5.5.2; §1.1 contribution 5",
          "sigmoid violates the initialisations' assumptions (f'(0) = 1/4), which is why deep "
          "sigmoid networks fail to train", vr.check_sigmoid_backward),
    Claim("variance.mc-grid", XU_THESIS, "§5.5.1 eqs. (5.18)-(5.22)",
          "initialisations control the per-layer output and gradient variance of a deep "
          "network (the layer-to-layer variance maps)", check_mc_grid, slow=True,
          units=grid_units),
    Claim("variance.torch-default-init", PYTORCH_DOCS, "torch.nn.Linear (weight, bias)",
          "weight and bias ~ U(−√k, √k) with k = 1/in_features", vr.check_torch_default_init),
    Claim("variance.torch-gain-relu-family", PYTORCH_DOCS, "torch.nn.init.calculate_gain",
          "recommended gain: ReLU √2, leaky ReLU √(2/(1 + negative_slope²))",
          check_torch_gain_relu_family),
    Claim("variance.torch-gain-saturating", PYTORCH_DOCS, "torch.nn.init.calculate_gain",
          "recommended gain: sigmoid 1, tanh 5/3", check_torch_gain_saturating),
)  # fmt: skip
