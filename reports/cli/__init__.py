"""``cnnbench``: thin commands over :mod:`analysis` and :mod:`bench`.

Each command lives in its own module here and registers itself on the shared
typer ``app`` when imported; :data:`COMMAND_MODULES` lists them in help order.
"""

from __future__ import annotations

import importlib

from reports.cli._app import app

COMMAND_MODULES = (
    "check",
    "bench",
    "report",
    "gate",
    "asv_site",
    "series",
    "complexity",
    "rf",
    "maxdepth",
    "shape",
    "variance",
    "train",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"reports.cli.{_name}")


def main() -> None:
    app()
