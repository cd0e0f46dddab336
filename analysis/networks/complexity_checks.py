"""Checks of eq. (4.7) and of §4.5's layer replacements; the printed figures of Table 4.7,
§4.6 and §6.2 are judged in :mod:`cnnbench.analysis.networks.complexity_figures`."""

from __future__ import annotations

import sympy
from cnnbench.analysis.claims import CheckResult, Correction, decided
from cnnbench.analysis.networks.complexity import EQ47_TERM, N_PREV, M, N, S, network_cost
from cnnbench.analysis.printed import printed_interval


def check_eq47_is_mac_count(names) -> CheckResult:
    """Eq. (4.7)'s term against FlopCounterMode, layer by layer, over every network."""
    import torch
    from cnnbench.analysis.networks.complexity import eq47_term
    from cnnbench.analysis.networks.modules import conv_layers
    from torch.utils.flop_counter import FlopCounterMode

    compared = grouped = 0
    mismatches = []
    for name in names:
        for conv in conv_layers(name):
            layer = torch.nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel,
                                    conv.stride, conv.padding, groups=conv.groups,
                                    device="meta")  # fmt: skip
            counter = FlopCounterMode(display=False)
            with counter, torch.no_grad():
                layer(torch.zeros(1, conv.in_channels, conv.height, conv.width, device="meta"))
            torch_macs = counter.get_total_flops() // 2  # it counts 2 FLOPs per MAC
            term = eq47_term(conv.in_channels, conv.kernel, conv.out_channels, conv.out_height)
            compared += 1
            if conv.groups > 1:
                grouped += 1
                ok = term == conv.groups * torch_macs
            else:
                ok = term == torch_macs
            if not ok:
                mismatches.append(f"{name}/{conv.name}")
    return decided(
        not mismatches, "framework",
        f"For {compared} conv layers of {len(names)} networks, n_(l-1)*s_l^2*n_l*m_l^2 equals"
        f" half the FLOPs torch's FlopCounterMode counts (its 2 FLOPs per multiply-accumulate)"
        f" for every ungrouped layer; for the {grouped} grouped layers (two-tower AlexNet) the"
        " term is groups times the work done, since eq. (4.7) has no term for groups.",
        Correction("eq. (4.7) counts multiply-accumulates of ungrouped convolutions only",
                   "FlopCounterMode per layer") if mismatches else None,
        layers_compared=compared, grouped_layers=grouped, mismatches=mismatches[:10],
    )  # fmt: skip


def check_pair_ratio(num: str, den: str, printed_num: str, printed_den: str, labels):
    """Two Table 4.7 complexity cells divided: a check free of the AlexNet baseline.

    Both cells are ratios to the same AlexNet, so their quotient is the quotient
    of the two networks' MACs whatever that AlexNet was. The printed cells allow
    the interval [low_num / high_den, high_num / low_den].
    """
    (nl, nh), (dl, dh) = printed_interval(printed_num), printed_interval(printed_den)
    low, high = nl / dh, nh / dl
    value = network_cost(num).macs / network_cost(den).macs
    a, b = labels
    return decided(
        low <= value <= high, "arithmetic",
        f"{a} over {b}, whichever AlexNet both cells divide by: the printed {printed_num}X and"
        f" {printed_den}X allow {low:.4g}-{high:.4g}; the built networks give {value:.4g}"
        f" ({network_cost(num).macs / 1e9:.3f} / {network_cost(den).macs / 1e9:.3f} GMAC).",
        Correction(f"{a} needs {value:.4g}x the MACs of {b}",
                   "both networks built in torch; MACs agree with FlopCounterMode"),
        allowed=[low, high], computed=value,
    )  # fmt: skip


def check_depth_replacement(big: int, small: int) -> CheckResult:
    """§4.5: two s x s convs in place of one (2s-1) x (2s-1), by eq. (4.7), symbolically."""
    # same width n in and out, same output size m (the stride-1, size-keeping case)
    one = EQ47_TERM.subs({N_PREV: N, S: big})
    two = 2 * EQ47_TERM.subs({N_PREV: N, S: small})
    ratio = sympy.simplify(two / one)
    same_window = 2 * small - 1 == big  # receptive field of two stacked stride-1 layers
    holds = ratio.free_symbols == set() and bool(ratio <= 1) and same_window
    return decided(
        holds, "symbolic",
        f"By eq. (4.7), two {small}x{small} layers of n filters on an m x m map cost"
        f" {sympy.sstr(two)} against {sympy.sstr(one)} for one {big}x{big}: a constant ratio"
        f" of {ratio} for every n and m; two stacked {small}x{small} see a"
        f" {2 * small - 1}x{2 * small - 1} window.",
        Correction(f"two {small}x{small} layers cost {ratio} of one {big}x{big}", "sympy"),
        ratio=str(ratio), one_layer=sympy.sstr(one), two_layers=sympy.sstr(two),
        same_window=same_window, variables={"n": str(N), "m": str(M)},
    )  # fmt: skip
