"""What the numbers were measured on: machine, libraries and the flags that change timings.

Every results file starts with :func:`machine_info` (a JSON-friendly dict), and
every measurement carries :func:`flags_snapshot` of the flags in force, since
TF32, cuDNN autotuning, the thread count and flush-to-zero each change what a
kernel does.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import torch

# Used only when neither /sys nor lscpu says: a conservative, common LLC size.
FALLBACK_LLC_BYTES = 32 * 2**20
_SIZE_RE = re.compile(r"^\s*([\d.]+)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def parse_cache_size(text: str) -> int | None:
    """Bytes in a cache size as /sys or lscpu print it ("32768K", "32 MiB").

    >>> parse_cache_size("32768K"), parse_cache_size("1 MiB")
    (33554432, 1048576)
    """
    text = re.sub(r"\(.*\)", "", text).strip()
    m = _SIZE_RE.match(text)
    if not m:
        return None
    return int(float(m.group(1)) * _UNIT[m.group(2).upper()])


@lru_cache(maxsize=1)
def cache_sizes() -> dict[str, int]:
    """Per-level cache sizes in bytes, e.g. ``{"L1d": .., "L2": .., "L3": ..}``.

    Read from /sys/devices/system/cpu/cpu0/cache (per instance), else lscpu.
    """
    out: dict[str, int] = {}
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    for idx in sorted(root.glob("index*")):
        try:
            level = (idx / "level").read_text().strip()
            kind = (idx / "type").read_text().strip()
            size = parse_cache_size((idx / "size").read_text())
        except OSError:
            continue
        if size is None or kind == "Instruction":
            continue
        out[f"L{level}" + ("d" if kind == "Data" else "")] = size
    if out:
        return out
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return out
    for line in text.splitlines():
        m = re.match(r"^(L\d[di]?) cache:\s*(.+)$", line.strip())
        if m and not m.group(1).endswith("i"):
            size = parse_cache_size(m.group(2).split("(")[0])
            if size is not None:
                out[m.group(1)] = size
    return out


def llc_bytes() -> int:
    """Size of the last-level cache in bytes (largest level found)."""
    sizes = cache_sizes()
    return max(sizes.values()) if sizes else FALLBACK_LLC_BYTES


def cache_label(working_set_bytes: int, llc: int | None = None) -> str:
    """"warm" when the working set fits in half the LLC, "cold" beyond 2x, else "mixed".

    Repeated calls on a working set that fits keep it cache-resident, so those
    timings read bandwidth from cache, not memory; the label says which.

    >>> cache_label(1 << 20, 32 << 20), cache_label(128 << 20, 32 << 20)
    ('warm', 'cold')
    """
    llc = llc_bytes() if llc is None else llc
    if working_set_bytes <= llc // 2:
        return "warm"
    if working_set_bytes >= 2 * llc:
        return "cold"
    return "mixed"


@dataclass(frozen=True)
class Flags:
    """The process-wide settings that change kernel choice or arithmetic."""

    num_threads: int
    num_interop_threads: int
    flush_denormal: bool
    mkldnn_enabled: bool
    cudnn_benchmark: bool
    cudnn_deterministic: bool
    cudnn_allow_tf32: bool
    matmul_allow_tf32: bool
    float32_matmul_precision: str


# torch has no getter for flush-to-zero: the state is whatever we set last.
_FLUSH_DENORMAL = {"value": False}


def set_flags(
    *,
    num_threads: int | None = None,
    flush_denormal: bool | None = None,
    cudnn_benchmark: bool | None = None,
    tf32: bool | None = None,
) -> Flags:
    """Set the given flags explicitly (``None`` leaves one alone) and return the snapshot."""
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    if flush_denormal is not None:
        supported = torch.set_flush_denormal(bool(flush_denormal))
        _FLUSH_DENORMAL["value"] = bool(flush_denormal) and supported
    if cudnn_benchmark is not None:
        torch.backends.cudnn.benchmark = bool(cudnn_benchmark)
    if tf32 is not None:
        torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
        torch.backends.cudnn.allow_tf32 = bool(tf32)
    return flags_snapshot()


def flags_snapshot() -> Flags:
    """The flags in force now."""
    return Flags(
        num_threads=torch.get_num_threads(),
        num_interop_threads=torch.get_num_interop_threads(),
        flush_denormal=_FLUSH_DENORMAL["value"],
        mkldnn_enabled=bool(torch.backends.mkldnn.enabled),
        cudnn_benchmark=bool(torch.backends.cudnn.benchmark),
        cudnn_deterministic=bool(torch.backends.cudnn.deterministic),
        cudnn_allow_tf32=bool(torch.backends.cudnn.allow_tf32),
        matmul_allow_tf32=bool(torch.backends.cuda.matmul.allow_tf32),
        float32_matmul_precision=torch.get_float32_matmul_precision(),
    )


def cpu_model() -> str:
    """The CPU's model name (ratios and times are only comparable on the same kind of CPU)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _governor() -> str | None:
    p = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    try:
        return p.read_text().strip()
    except OSError:
        return None


def machine_info() -> dict:
    """JSON-friendly description of the machine, the libraries and the flags in force."""
    import numpy
    import scipy

    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "governor": _governor(),
        "caches": cache_sizes(),
        "llc_bytes": llc_bytes(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "openmp": torch.backends.openmp.is_available(),
        "cuda_available": torch.cuda.is_available(),
        "flags": asdict(flags_snapshot()),
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        info.update(
            gpu=props.name,
            gpu_memory_bytes=int(props.total_memory),
            gpu_l2_bytes=int(getattr(props, "L2_cache_size", 0)),
            gpu_sm_count=int(props.multi_processor_count),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
        )
    return info
