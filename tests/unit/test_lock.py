"""The committed lock pins every dependency, and asv's environments use the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "lock.txt"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"lock line {line!r} is not an exact pin"
            pins[_norm(name)] = version
    return pins


def test_lock_pins_every_declared_dependency_but_torch():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]  # dev, and cluster (Dask)
    declared = [*project["dependencies"], *(d for group in extras.values() for d in group)]
    names = {_norm(re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0]) for d in declared}
    pins = _lock()
    assert "torch" not in pins  # the Makefile installs TORCH_SPEC or keeps a CUDA torch
    assert not (names - {"torch"}) - set(pins), "declared but not locked"
    assert {"setuptools", "wheel"} <= set(pins)  # the build backend (--no-build-isolation)


def test_asv_matrix_uses_the_locked_versions():
    import json5

    conf = json5.loads((ROOT / "asv.conf.json").read_text())
    pins = _lock()
    for name, versions in conf["matrix"]["req"].items():
        name = _norm(name.removeprefix("pip+"))
        if name != "torch":
            assert versions == [pins[name]], f"asv.conf.json: {name} {versions}, lock {pins[name]}"
