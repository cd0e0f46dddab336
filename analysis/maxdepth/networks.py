"""A real network held against the maximum-depth constraints of 003 §4.3.

The network is cut into stages at its pooling layers; for the last conv of
each stage this gives the exact receptive field (:mod:`cnnbench.analysis.receptive.formulas`),
the real filter size (kernel times the jump of the conv's input, i.e. its
window measured in input pixels) and their ratio, the c-value. Beside the
exact receptive field stands the one the printed constraints (4.3)-(4.4)
model: ``sum (k-1) * jump`` over the convs, without the 1 and the pools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnbench.analysis.networks.spec import NetworkSpec
from cnnbench.analysis.receptive.formulas import receptive_field
from cnnbench.analysis.receptive.parse import network_layers


@dataclass(frozen=True)
class StageCheck:
    """One stage of a network: its convs and where its last conv stands."""

    stage: int
    convs: tuple[str, ...]
    kernel: int  # of the stage's last conv
    jump: int  # input pixels between neighbouring units of that conv's input
    rf: int  # exact receptive field of the stage's last conv
    rf_model: int  # sum over every conv so far of (kernel-1)*jump: the (4.3)-(4.4) model

    @property
    def real_filter(self) -> int:
        return self.kernel * self.jump

    @property
    def cvalue(self) -> float:
        return self.real_filter / self.rf

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "convs": list(self.convs), "layers": len(self.convs),
                "kernel": self.kernel, "jump": self.jump, "rf": self.rf,
                "rf_model": self.rf_model, "real_filter": self.real_filter,
                "cvalue": round(self.cvalue, 6)}  # fmt: skip


@dataclass(frozen=True)
class DepthCheck:
    """A network's stages and the verdict of constraint 1 (receptive field <= image)."""

    name: str
    image: int
    stages: tuple[StageCheck, ...]

    @property
    def rf(self) -> int:
        return self.stages[-1].rf

    @property
    def rf_model(self) -> int:
        return self.stages[-1].rf_model

    @property
    def min_cvalue(self) -> float:
        return min(s.cvalue for s in self.stages)

    @property
    def layers_per_stage(self) -> tuple[int, ...]:
        return tuple(len(s.convs) for s in self.stages)

    def to_json(self) -> dict[str, Any]:
        return {"network": self.name, "image": self.image, "rf_last_conv": self.rf,
                "rf_model_last_conv": self.rf_model, "rf_within_image": self.rf <= self.image,
                "rf_model_within_image": self.rf_model <= self.image,
                "layers_per_stage": list(self.layers_per_stage),
                "min_cvalue": round(self.min_cvalue, 6),
                "stages": [s.to_json() for s in self.stages]}  # fmt: skip


def depth_check(spec: NetworkSpec) -> DepthCheck:
    """Stages, receptive fields and c-values of ``spec`` (image side = input height).

    Examples
    --------
    >>> from cnnbench.analysis.networks.modules import NETWORKS
    >>> d = depth_check(NETWORKS["ndsb1"])
    >>> d.layers_per_stage, d.rf, d.rf_model, d.image
    ((1, 5, 1, 1, 2), 143, 112, 128)
    """
    stack, _ = network_layers(spec)
    rows = receptive_field(stack).rows
    stages: list[StageCheck] = []
    convs: list[str] = []
    model = 0
    for i, row in enumerate(rows):
        if row.layer.kind == "pool":
            convs = []
            continue
        jump_in = rows[i - 1].jump if i else 1
        model += (row.layer.span - 1) * jump_in
        convs.append(row.layer.name)
        if len(convs) == 1:  # the first conv after a pool opens a stage
            stages.append(None)  # type: ignore[arg-type]
        stages[-1] = StageCheck(len(stages), tuple(convs), row.layer.kernel, jump_in,
                                row.size, model)  # fmt: skip
    return DepthCheck(spec.name, spec.input_shape[1], tuple(stages))
