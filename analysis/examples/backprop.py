"""Backpropagation worked examples and formulas, recomputed with torch autograd.

- 004 §3.2.5: the two-layer sigmoid network with every intermediate number.
- 001 eqs. (2.6) and (2.8)–(2.11): the vanishing-gradient product and the
  four backpropagation equations.
- 000 §2.2: the neuron gradients G_w, G_b and the hidden output error.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

import torch
from cnnbench.analysis._validation import ParameterError
from torch import Tensor

__all__ = [
    "FOUNDATIONS_EXAMPLE",
    "FOUNDATIONS_STATED",
    "digits_follow",
    "foundations_example",
    "msd_backprop",
    "regrelu_gradients",
    "vanishing_product",
]

# 004 §3.2.5: inputs, targets and weights as listed; the biases are read off
# the printed arithmetic (the figure with them is lost): b1 = 0.35, b2 = 0.60.
FOUNDATIONS_EXAMPLE: Mapping[str, float] = {
    "i1": 0.05, "i2": 0.10, "t1": 0.01, "t2": 0.99, "b1": 0.35, "b2": 0.60,
    "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30,
    "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55,
}  # fmt: skip
# The numbers 004 §3.2.5 prints, as strings so their digits can be compared.
FOUNDATIONS_STATED: Mapping[str, str] = {
    "net_h1": "0.3775", "out_h1": "0.593269992", "out_h2": "0.596884378",
    "net_o1": "1.105905967", "out_o1": "0.75136079", "out_o2": "0.772928465",
    "out_o1_in_E_o1": "0.75136507",  # the value the E_o1 line itself uses
    "E_o1": "0.274811083", "E_o2": "0.023560026", "E_total": "0.298371109",
}  # fmt: skip


def digits_follow(stated: str, computed: float) -> dict[str, object]:
    """Whether a printed decimal follows from ``computed``, and which digits do not.

    A printed value follows when it is ``computed`` rounded (half-even) or
    truncated to the printed number of decimals.

    Returns
    -------
    dict
        ``follows`` (bool), ``rounded`` (the computed value at the printed
        precision) and ``bad_digits`` (1-based places after the point where
        the printed digit differs from ``rounded``).

    Examples
    --------
    >>> digits_follow("0.75136079", 0.7513650695)["bad_digits"]
    [6, 7, 8]
    """
    try:
        value = Decimal(stated)
    except ArithmeticError:
        raise ParameterError("stated", stated, "must be a decimal number like '0.3775'") from None
    places = max(0, -value.as_tuple().exponent)
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(repr(float(computed)))
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_EVEN)
    truncated = exact.quantize(quantum, rounding="ROUND_DOWN")
    a, b = f"{value:.{places}f}", f"{rounded:.{places}f}"
    frac_a, frac_b = a.split(".")[-1], b.split(".")[-1]
    bad = [i + 1 for i, (x, y) in enumerate(zip(frac_a, frac_b, strict=True)) if x != y]
    if a.split(".")[0] != b.split(".")[0]:
        bad = [0, *bad]  # 0 marks the integer part
    return {"follows": value in (rounded, truncated), "rounded": b, "bad_digits": bad}


def foundations_example() -> dict[str, float]:
    """Every number of 004 §3.2.5's example, forward in float64 and gradients by autograd.

    Returns
    -------
    dict of float
        net and out of h1, h2, o1, o2; E_o1, E_o2, E_total; ``dE/dw1`` …
        ``dE/dw8``; and the three chain-rule factors for w5
        (``dE/dout_o1``, ``dout_o1/dnet_o1``, ``dnet_o1/dw5``).

    References
    ----------
    004_e138cd620735c755.txt §3.2.5.

    Examples
    --------
    >>> round(foundations_example()["net_h1"], 10)
    0.3775
    """
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in FOUNDATIONS_EXAMPLE.items()}  # fmt: skip
    net_h1 = p["w1"] * p["i1"] + p["w2"] * p["i2"] + p["b1"]
    net_h2 = p["w3"] * p["i1"] + p["w4"] * p["i2"] + p["b1"]
    out_h1, out_h2 = torch.sigmoid(net_h1), torch.sigmoid(net_h2)
    net_o1 = p["w5"] * out_h1 + p["w6"] * out_h2 + p["b2"]
    net_o2 = p["w7"] * out_h1 + p["w8"] * out_h2 + p["b2"]
    out_o1, out_o2 = torch.sigmoid(net_o1), torch.sigmoid(net_o2)
    e_o1 = 0.5 * (p["t1"] - out_o1) ** 2
    e_o2 = 0.5 * (p["t2"] - out_o2) ** 2
    total = e_o1 + e_o2
    names = [f"w{i}" for i in range(1, 9)]
    grads = torch.autograd.grad(total, [p[n] for n in names] + [out_o1, net_o1])
    out = {
        "net_h1": net_h1, "net_h2": net_h2, "out_h1": out_h1, "out_h2": out_h2,
        "net_o1": net_o1, "net_o2": net_o2, "out_o1": out_o1, "out_o2": out_o2,
        "E_o1": e_o1, "E_o2": e_o2, "E_total": total,
    }  # fmt: skip
    result = {k: float(v.detach()) for k, v in out.items()}
    result |= {f"dE/d{n}": float(g) for n, g in zip(names, grads[:8], strict=True)}
    d_out, d_net = (float(g) for g in grads[8:])
    result["dE/dout_o1"] = d_out
    result["dout_o1/dnet_o1"] = d_net / d_out  # autograd's own ratio, not σ(1-σ) restated
    result["dnet_o1/dw5"] = result["dE/dw5"] / d_net
    return result


def vanishing_product(w: Tensor, b: Tensor, x: float) -> dict[str, float]:
    """001 eq. (2.6) on a chain of four sigmoid neurons, and autograd's dC/db1.

    ``C = a_4`` (so ``dC/da_4 = 1``), ``a_j = sigmoid(w_j a_{j-1} + b_j)``,
    ``a_0 = x``. Returns ``printed`` (the product of eq. 2.6) and ``autograd``.

    Examples
    --------
    >>> w = torch.ones(4, dtype=torch.float64); b = torch.zeros(4, dtype=torch.float64)
    >>> out = vanishing_product(w, b, 0.0)
    >>> abs(out["printed"] - out["autograd"]) < 1e-15
    True
    """
    if w.shape != (4,) or b.shape != (4,):
        raise ParameterError("w.shape", tuple(w.shape), "must be (4,) like b: four neurons")
    b = b.detach().clone().requires_grad_(True)
    a, zs = torch.tensor(float(x), dtype=torch.float64), []
    for j in range(4):
        z = w[j] * a + b[j]
        zs.append(z.detach())
        a = torch.sigmoid(z)
    (grad_b,) = torch.autograd.grad(a, b)

    def ds(z: Tensor) -> Tensor:
        return torch.sigmoid(z) * (1 - torch.sigmoid(z))

    printed = ds(zs[0]) * w[1] * ds(zs[1]) * w[2] * ds(zs[2]) * w[3] * ds(zs[3]) * 1.0
    return {"printed": float(printed), "autograd": float(grad_b[0])}


def msd_backprop(
    weights: list[Tensor], biases: list[Tensor], x: Tensor, y: Tensor
) -> dict[str, list[float]]:
    """001 eqs. (2.8)–(2.11) on a sigmoid MLP with ``C = ||a^L - y||^2 / 2``, vs autograd.

    Returns, per equation, the largest absolute difference from autograd:
    ``eq_2_8`` (output-layer delta vs dC/dz^L), ``eq_2_9`` (hidden deltas vs
    dC/dz^l), ``eq_2_10`` (dC/db), ``eq_2_11`` (dC/dw = a^{l-1}_k delta^l_j).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> ws = [torch.randn(3, 2, generator=g, dtype=torch.float64)]
    >>> bs = [torch.zeros(3, dtype=torch.float64)]
    >>> out = msd_backprop(ws, bs, torch.ones(2).double(), torch.zeros(3).double())
    >>> max(out["eq_2_8"] + out["eq_2_11"]) < 1e-15
    True
    """
    ws = [w.detach().clone().requires_grad_(True) for w in weights]
    bs = [b.detach().clone().requires_grad_(True) for b in biases]
    a, acts, zs = x, [x], []
    for w, b in zip(ws, bs, strict=True):
        z = w @ a + b  # (n_l,)
        z.retain_grad()
        zs.append(z)
        a = torch.sigmoid(z)
        acts.append(a)
    cost = 0.5 * ((a - y) ** 2).sum()
    cost.backward()

    def sp(z: Tensor) -> Tensor:
        return torch.sigmoid(z) * (1 - torch.sigmoid(z))

    with torch.no_grad():
        deltas = [(acts[-1] - y) * sp(zs[-1])]  # (2.8): grad_a C ⊙ σ'(z^L)
        for l in range(len(ws) - 2, -1, -1):
            deltas.insert(0, (ws[l + 1].T @ deltas[0]) * sp(zs[l]))  # (2.9)
        diff = lambda u, v: float((u - v).abs().max())  # noqa: E731
        return {
            "eq_2_8": [diff(deltas[-1], zs[-1].grad)],
            "eq_2_9": [diff(d, z.grad) for d, z in zip(deltas[:-1], zs[:-1], strict=True)],
            "eq_2_10": [diff(d, b.grad) for d, b in zip(deltas, bs, strict=True)],
            "eq_2_11": [
                diff(torch.outer(d, a_prev), w.grad)  # a_k^{l-1} delta_j^l at [j, k]
                for d, a_prev, w in zip(deltas, acts[:-1], ws, strict=True)
            ],
        }


def regrelu_gradients(seed: int = 0) -> dict[str, float]:
    """000 §2.2 on neuron 1 feeding neurons 2–4 (its Fig. 2), vs autograd.

    Neuron 1: ``a1 = f(z1)``, ``z1 = w1·x + b1``; neurons k = 2, 3, 4:
    ``a_k = f(W_k1 a1 + c_k)``, loss = cross-entropy of softmax(a_2..a_4).
    The text's hidden error ``E1 = sum_k E_k f'(z_k) W_k1``, then
    ``G_w = E1 f'(z1) a_{l-1}`` and ``G_b = E1 f'(z1)``. Returns the largest
    absolute difference of each from autograd (keys ``E1``, ``G_w``, ``G_b``).

    Examples
    --------
    >>> max(regrelu_gradients().values()) < 1e-15
    True
    """
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    x, w1, b1 = r(5), r(5).requires_grad_(True), r(()).requires_grad_(True)
    w_next, c = r(3), r(3)
    z1 = w1 @ x + b1
    a1 = torch.sigmoid(z1)
    z_next = w_next * a1 + c  # (3,) neurons 2..4, one weight each from neuron 1
    a_next = torch.sigmoid(z_next)
    loss = torch.nn.functional.cross_entropy(a_next[None], torch.tensor([1]))
    e_next, e1, gw, gb = torch.autograd.grad(loss, (a_next, a1, w1, b1))
    fp = lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))  # noqa: E731
    z1, z_next = z1.detach(), z_next.detach()
    e1_text = (e_next * fp(z_next) * w_next).sum()
    return {
        "E1": float((e1_text - e1).abs()),
        "G_w": float((e1 * fp(z1) * x - gw).abs().max()),
        "G_b": float((e1 * fp(z1) - gb).abs()),
    }
