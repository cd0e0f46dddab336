"""Build the report's sections from results files and the analysis modules.

Each builder returns a :class:`~reports.render.Section` naming the command that
reproduces it; when its inputs are missing it says so instead of inventing data.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reports.render import Section, Table


@dataclass(frozen=True)
class ReportInputs:
    check_json: Path
    bench_jsonl: Path
    train_json: Path
    asv_results: Path


def build_sections(
    inputs: ReportInputs, progress: Callable[[str], None] = lambda _: None
) -> list[Section]:
    """Every section after the verdict table, in page order."""
    builders: list[tuple[str, Callable[[ReportInputs], Section]]] = [
        ("machine", machine_section),
    ]
    sections = []
    for name, build in builders:
        progress(name)
        sections.append(build(inputs))
    return sections


def machine_section(inputs: ReportInputs) -> Section:
    """The machine the results came from: CPU/GPU, library versions, flags."""
    import numpy
    import scipy
    import sympy
    import torch

    rows = [
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("processor", _cpu_model()),
        ("torch", torch.__version__),
        ("cuda available", str(torch.cuda.is_available())),
        ("intra-op threads", str(torch.get_num_threads())),
        (
            "numpy / scipy / sympy",
            f"{numpy.__version__} / {scipy.__version__} / {sympy.__version__}",
        ),
    ]
    return Section(
        "machine",
        "The machine",
        "cnnbench report",
        tables=(Table("this report was rendered on", ("what", "value"), tuple(rows)),),
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
