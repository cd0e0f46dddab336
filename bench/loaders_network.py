"""The loader of network profiles (``cnnbench network --out``), validating what it reads.

Every problem raises :class:`~cnnbench.bench.results_io.ResultsFileError` naming the
file and the key (see :mod:`cnnbench.bench.loaders`).
"""

from __future__ import annotations

from pathlib import Path

from cnnbench.bench.loaders import (
    _schema,
    is_bool,
    is_dict,
    is_int,
    is_number,
    is_str,
    list_of,
    one_of,
    optional,
    parse_json,
    read_text,
    require,
)
from cnnbench.bench.results_io import ResultsFileError

NETWORK_SCHEMA = 1  # cnnbench.analysis.profile.profile.PROFILE_SCHEMA (a test keeps them equal)
NETWORK_WHAT = "the JSON that `cnnbench network --out` writes"
NETWORK_SPEC = {
    "spec": is_str, "label": is_str, "input": list_of(is_int, nonempty=True), "traced": is_bool,
    "totals": {"params": is_int, "macs": is_int, "torch_macs": is_int,
               "activation_bytes": is_int, "rf": optional(list_of(is_int)),
               "jump": optional(list_of(is_number)), "rf_layer": optional(is_str)},
    "layers": list_of(is_dict), "notes": list_of(is_str),
}  # fmt: skip
LAYER_SPEC = {
    "name": is_str, "op": is_str, "shape": optional(list_of(is_int)), "params": is_int,
    "macs": is_int, "activation_bytes": is_int, "rf": optional(list_of(is_int)),
    "jump": optional(list_of(is_number)),
    "rf_state": one_of("window", "global", "unknown", "none"),
}  # fmt: skip


def load_network_profile(path: Path) -> dict:
    """One profile: spec, input, totals and per-layer rows (see NETWORK_SPEC)."""
    data = parse_json(read_text(path, what=NETWORK_WHAT), path, what=NETWORK_WHAT)
    require(data, NETWORK_SPEC, path, what=f" ({NETWORK_WHAT})")
    _schema(data, path, NETWORK_SCHEMA)
    for i, layer in enumerate(data["layers"]):
        require(layer, LAYER_SPEC, path, prefix=f"layers[{i}]")
    verify = data.get("verify")
    if verify is not None:
        require(verify, {"mismatches": list_of(is_dict)}, path, prefix="verify")
    return data


def network_paths(folder: Path) -> list[Path]:
    """The profiles in ``folder`` (``*.json``), sorted; none when it does not exist."""
    folder = Path(folder)
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise ResultsFileError(folder, "is not a folder", expected="a folder of network "
                               "profiles (cnnbench network --out FOLDER/NAME.json)")  # fmt: skip
    return sorted(folder.glob("*.json"))
