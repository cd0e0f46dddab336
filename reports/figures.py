"""Turn matplotlib figures into self-contained ``<img>`` sources (PNG, base64)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # headless: reports are rendered on machines with no display

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def figure_data_uri(fig: Figure, *, dpi: int = 110) -> str:
    """Render ``fig`` to a PNG data URI and close it (figures are not reused)."""
    buf = io.BytesIO()
    # metadata=None-ish: drop the software/date chunks so the bytes are reproducible
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
