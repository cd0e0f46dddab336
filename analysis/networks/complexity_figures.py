"""The texts' printed cost figures (003 Table 4.7, §4.6, §6.2), judged under every fair reading.

Policy, the same for every figure. A figure is computed under each reading a
fair referee would try — which network the row means, MB or MiB, with or
without batch-norm statistics, size rounded to the nearest or up (as ``ls -h``
prints it), all multiply-accumulates or convolutions only (eq. (4.7) sums conv
layers), and which AlexNet the ratios divide by — and compared with the printed
figure at its printed precision (:mod:`cnnbench.analysis.printed`):

- **confirmed** when a reading gives the printed figure (with a caveat naming it
  when it is not the first, primary reading);
- **inconclusive** when none does but a ratio lies between what the readings
  give (the text's convention is simply unknown, and conventions can mix), or,
  for a network the text only sketches (TinyNet, NDSB), within
  :data:`RECONSTRUCTION_REL_TOL` of one;
- **refuted** only when the figure lies outside every reading's value.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnbench.analysis.claims import (
    CheckResult,
    Correction,
    confirmed,
    inconclusive,
    reading,
    refuted,
)
from cnnbench.analysis.networks.complexity import (
    BYTES_PER_FLOAT32,
    network_cost,
    parameter_breakdown,
)
from cnnbench.analysis.networks.modules import get_network, layer_shapes
from cnnbench.analysis.printed import describe_reading, printed_interval, rounds_to, rounds_up_to

# A reconstructed network (TinyNet, NDSB) fixes what its table leaves open
# (padding, pooling mode, classifier, the two-path reading of a module). Those
# choices move its parameter and MAC counts by at most ~1% (the classifier is
# 0.1% of TinyNet's MACs); 5% leaves room for a detail we may have read differently.
RECONSTRUCTION_REL_TOL = 0.05
RECONSTRUCTED = ("tinynet_a", "tinynet_b", "tiny_cifar", "ndsb1", "ndsb2")
BASELINE = "alexnet_two_tower"  # Table 4.7's first row: the published 60M AlexNet

Reading = tuple[str, float, bool]  # (what was read, the value it gives, whether it holds)


def ratio_readings(name: str, scale: float = 1.0) -> list[tuple[str, float]]:
    """``name``'s complexity relative to AlexNet under each reading, the primary first."""
    net = network_cost(name)
    names = (BASELINE, "alexnet_224", "alexnet_torchvision", "alexnet")
    two, crop, tv, table = (network_cost(n) for n in names)
    return [
        ("all MACs / the two-tower AlexNet's (227x227)", scale * net.macs / two.macs),
        ("all MACs / the two-tower AlexNet's on 224x224 crops", scale * net.macs / crop.macs),
        ("all MACs / torchvision's AlexNet's", scale * net.macs / tv.macs),
        ("conv MACs (eq. 4.7 sums convolutions) / the two-tower AlexNet's",
         scale * net.conv_macs / two.conv_macs),
        ("conv MACs / the two-tower AlexNet's on 224x224 crops",
         scale * net.conv_macs / crop.conv_macs),
        ("conv MACs / torchvision's AlexNet's", scale * net.conv_macs / tv.conv_macs),
        ("eq. (4.7) literally (no groups, fc as 1x1 convs) / Table 4.2's AlexNet",
         scale * net.eq47 / table.eq47),
    ]  # fmt: skip


def size_readings(name: str, printed: str) -> list[Reading]:
    """Model-size readings of network ``name`` against ``printed`` (MB of the text)."""
    c = network_cost(name)
    values = [("MB", c.size_mb), ("MiB", c.size_mib)]
    if c.bn_buffers:
        values += [("MB with batch-norm running statistics", c.size_mb_with_buffers),
                   ("MiB with batch-norm running statistics", c.size_mib_with_buffers)]
    out = [(f"float32 parameters in {unit}", v, rounds_to(v, printed)) for unit, v in values]
    out += [(f"float32 parameters in {unit}, rounded up (as ls -h prints sizes)", v,
             rounds_up_to(v, printed)) for unit, v in values]  # fmt: skip
    return out


def param_readings(name: str, printed: str) -> list[Reading]:
    """Parameter-count readings (in millions): everything, or without some kind of layer."""
    parts = parameter_breakdown(name)
    total = sum(parts.values())
    values = [("every parameter (weights, biases, batch-norm scale and shift)", total)]
    if parts["batch_norm"]:
        values.append(("without batch-norm parameters", total - parts["batch_norm"]))
    values.append(("without the last (classifier) layer", total - parts["classifier"]))
    conv = sum(c.params for shape in layer_shapes(name) for c in shape.convs)
    values.append(("convolution layers only (weights and biases)", conv))
    return [(what, n / 1e6, rounds_to(n / 1e6, printed)) for what, n in values]


def _named(name: str, readings: list[Reading], others: Sequence[str]) -> list[Reading]:
    """Readings of ``name`` prefixed with its title when other networks are read too."""
    if not others:
        return readings
    title = get_network(name).title
    return [(f"{title}: {w}", v, h) for w, v, h in readings]


def judge(
    what: str,
    printed: str,
    readings: Sequence[Reading],
    *,
    network: str,
    correction: str,
    zeros_significant: bool = False,
    between: bool = False,
    **evidence,
) -> CheckResult:
    """The verdict on one printed figure by the module's policy.

    ``between``: a figure between two readings' values is inconclusive — right
    for ratios, whose conventions (baseline, what is counted) can mix; not for
    counts and sizes, whose readings are discrete alternatives.
    """
    described = describe_reading(printed, zeros_significant)
    rows = [reading(w, holds, value=round(v, 4)) for w, v, holds in readings]
    values = [v for _, v, _ in readings]
    primary = values[0]
    rel = [abs(v - float(printed)) / float(printed) for v in values]
    evidence = {"printed": printed, "printed_reading": described, "computed": primary,
                "readings": rows, **evidence}  # fmt: skip
    if network in RECONSTRUCTED:
        evidence["reconstruction_assumptions"] = list(get_network(network).assumptions)
    span = f"{min(values):.4g}-{max(values):.4g}"
    first = f"{what}: {primary:.4g} by the primary reading ({rows[0]['reading']}), {span} across"
    held = [r for r in rows if r["holds"]]
    if held:
        caveat = None if rows[0]["holds"] else (
            f"Holds read as {held[0]['reading']} ({held[0]['value']:g}); the primary reading, "
            f"{rows[0]['reading']}, gives {primary:.4g}.")
        return confirmed("arithmetic", f"{first} {len(rows)} readings; {described}.",
                         caveat=caveat, **evidence)  # fmt: skip
    lo, hi = printed_interval(printed, zeros_significant)
    if between and min(values) < hi and max(values) >= lo:
        return inconclusive("arithmetic", f"{first} {len(rows)} readings: none gives {printed} "
                            f"({described}), but they lie on both sides of it; which "
                            "convention the text used cannot be told.", **evidence)  # fmt: skip
    if network in RECONSTRUCTED and min(rel) <= RECONSTRUCTION_REL_TOL:
        return inconclusive("arithmetic", f"{first} {len(rows)} readings of the "
                            f"reconstruction, outside the printed figure's interval "
                            f"({described}), but within "
                            f"{RECONSTRUCTION_REL_TOL:.0%} of {printed}; the table leaves too "
                            "much open to decide.", **evidence)  # fmt: skip
    spec = get_network(network) if network else None
    verification = "recomputed from the networks built in torch; parameter and MAC counts " \
                   "agree with torch's numel and FlopCounterMode"
    if network in RECONSTRUCTED:
        correction = (f"by this project's reconstruction (its {len(spec.assumptions)} "
                      f"assumptions are in the evidence): {correction}")
    return refuted("arithmetic", f"{first} {len(rows)} readings, none inside "
                   f"the printed figure's interval ({described}; the nearest is "
                   f"{min(rel):.1%} away).", Correction(correction, verification),
                   **evidence)  # fmt: skip


def check_params(name: str, printed: str, label: str, others: Sequence[str] = ()) -> CheckResult:
    """A parameter cell (millions) against the network ``name`` (and ``others`` it may mean)."""
    readings = _named(name, param_readings(name, printed), others)
    for other in others:
        readings += [(f"{get_network(other).title}: {w}", v, h)
                     for w, v, h in param_readings(other, printed)]  # fmt: skip
    cost = network_cost(name)
    return judge(f"{label} parameters (millions)", printed, readings, network=name,
                 correction=f"{label} has {cost.params:,} parameters ({cost.params / 1e6:.2f}M)"
                 + "".join(f"; {get_network(o).title} {network_cost(o).params / 1e6:.2f}M"
                           for o in others),
                 params=cost.params, params_by_kind=parameter_breakdown(name))  # fmt: skip


def check_size(name: str, printed: str, label: str, others: Sequence[str] = ()) -> CheckResult:
    """A model-size cell (MB) against float32 parameters of ``name`` (and ``others``)."""
    readings = _named(name, size_readings(name, printed), others)
    for other in others:
        readings += [(f"{get_network(other).title}: {w}", v, h)
                     for w, v, h in size_readings(other, printed)]  # fmt: skip
    c = network_cost(name)
    return judge(
        f"{label} model size (MB)", printed, readings, network=name,
        correction=f"{label}'s float32 weights take {c.size_mb:.1f} MB = {c.size_mib:.1f} MiB "
        f"({c.params:,} x 4 bytes); the printed {printed} would hold "
        f"{float(printed) / BYTES_PER_FLOAT32:.1f}M (MB) or "
        f"{float(printed) * 2**20 / BYTES_PER_FLOAT32 / 1e6:.1f}M (MiB) parameters",
        params=c.params, bn_buffers=c.bn_buffers)  # fmt: skip


def check_ratio(name: str, printed: str, label: str, what: str = "complexity",
                percent: bool = False, zeros_significant: bool = False) -> CheckResult:
    """A complexity ratio to AlexNet (Table 4.7, §4.6, §6.2) under every reading."""
    scale, unit = (100, "%") if percent else (1, "x")
    readings = [(w, v, rounds_to(v, printed, zeros_significant))
                for w, v in ratio_readings(name, scale)]  # fmt: skip
    cost, base = network_cost(name), network_cost(BASELINE)
    implied = cost.macs * scale / float(printed)
    return judge(
        f"{label} {what} relative to AlexNet (in {unit})", printed, readings, network=name,
        zeros_significant=zeros_significant, between=True,
        correction=f"{label} needs {readings[0][1]:.3g}{unit} {'of ' if percent else ''}"
        f"AlexNet's multiply-accumulates ({cost.macs / 1e9:.3f} vs {base.macs / 1e9:.3f} GMAC "
        f"per image; {min(v for _, v, _ in readings):.3g}-"
        f"{max(v for _, v, _ in readings):.3g}{unit} across the readings)",
        macs=cost.macs, conv_macs=cost.conv_macs, alexnet_macs=base.macs,
        implied_alexnet_macs=round(implied))  # fmt: skip


def check_size_from_printed_params(printed_params: str, printed_mb: str, label: str):
    """Table 4.7 internal consistency: does the row's size follow from its own parameters?"""
    low, high = printed_interval(printed_params)
    size = float(printed_mb)
    spans = {"MB": (low * BYTES_PER_FLOAT32, high * BYTES_PER_FLOAT32),
             "MiB": (low * BYTES_PER_FLOAT32 * 1e6 / 2**20, high * BYTES_PER_FLOAT32 * 1e6 / 2**20)}
    size_lo, size_hi = printed_interval(printed_mb)
    unit = size_hi - size_lo
    readings = [reading(f"{printed_params}M float32 parameters (any count that rounds to it) in "
                        f"{u}", a < size_hi and b >= size_lo, low=round(a, 3), high=round(b, 3))
                for u, (a, b) in spans.items()]  # fmt: skip
    readings += [reading(f"the same in {u}, the size rounded up (as ls -h prints it)",
                         a <= size and b > size - unit) for u, (a, b) in spans.items()]
    holds = any(r["holds"] for r in readings)
    summary = (f"{label}: {printed_params}M float32 parameters take {spans['MB'][0]:.1f}-"
               f"{spans['MB'][1]:.1f} MB or {spans['MiB'][0]:.1f}-{spans['MiB'][1]:.1f} MiB; the "
               f"printed size is {printed_mb} MB.")  # fmt: skip
    correction = Correction(
        f"{printed_params}M float32 parameters take about {float(printed_params) * 4:.1f} MB;"
        f" {printed_mb} MB holds {size / 4:.1f}M (MB) or {size * 2**20 / 4e6:.1f}M (MiB)"
        " float32 parameters", "parameters x 4 bytes over the printed count's rounding interval")
    return (confirmed("arithmetic", summary, readings=readings) if holds else
            refuted("arithmetic", summary, correction, readings=readings))  # fmt: skip


def check_tinynet_param_difference(printed_a: str = "1.54", printed_b: str = "1.56"):
    """TinyNet-B minus TinyNet-A parameters, which only their first layer decides."""
    a, b = network_cost("tinynet_a").params, network_cost("tinynet_b").params
    diff = b - a
    (a_lo, a_hi), (b_lo, b_hi) = printed_interval(printed_a), printed_interval(printed_b)
    lo, hi = (b_lo - a_hi) * 1e6, (b_hi - a_lo) * 1e6  # differences the printed cells allow
    b_from_a = [round((a_lo * 1e6 + diff) / 1e6, 4), round((a_hi * 1e6 + diff) / 1e6, 4)]
    holds = lo < diff < hi
    summary = (f"The text says TinyNet-A and TinyNet-B differ only in the first layer (7x7/2 vs "
               f"9x9/4 on 3 input channels, 64 filters), so B has 3*64*(81-49) = {diff:,} more "
               f"parameters whatever the rest is; the printed {printed_a}M and {printed_b}M "
               f"allow a difference of {lo:,.0f}-{hi:,.0f}.")  # fmt: skip
    readings = [reading("weights of the first layer only differ", holds, difference=diff),
                reading("biases and batch norm too (64 filters in both)", holds, difference=diff)]
    if holds:
        return confirmed("arithmetic", summary, readings=readings, difference=diff)
    return refuted("arithmetic", summary, Correction(
        f"TinyNet-B has {diff:,} parameters more than TinyNet-A; with A at {printed_a}M, B is "
        f"{b_from_a[0]:.4f}-{b_from_a[1]:.4f}M (rounds to 1.54M or 1.55M), not {printed_b}M",
        "both first layers built in torch; the difference of their numel"),
        readings=readings, difference=diff, allowed_range=[lo, hi],
        b_range_given_a=b_from_a)  # fmt: skip
