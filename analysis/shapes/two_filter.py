"""004 §3.2.3's two-filter example, read from the transcription and recomputed where it can be.

The example prints a padded 7x7x3 input, two 3x3x3 filters, their biases and
the 3x3x2 output, one depth slice at a time (``x[:, :, d]``, ``w0[:, :, d]``,
...). The OCR lost or garbled some slices; :func:`parse_example` reads the
blocks that are there, and :func:`check_foundations_two_filter_values`
recomputes the part of each output sum that the surviving slices determine.
The blocks are read from a verbatim copy committed beside this module
(``data/004_two_filter_example.txt``), never from a folder outside the checkout,
so the verdict does not depend on where the checkout sits.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn.functional as F
from cnnbench.analysis.claims import CheckResult, decided, inconclusive

_START, _END = "Input Volume (+pad 1)", "3.2.4"
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "004_two_filter_example.txt"
_LABEL = re.compile(r"\$\s*(?:Bias\s+)?(\w+)\[:, :, (\d)\]\s*\$")
_ROW = re.compile(r"^-?\d+(?:\s+-?\d+)*$")
# Expected shape of every slice: padded input 7x7, filters 3x3, outputs 3x3, biases 1x1.
EXPECTED = {"x": (7, 7), "w0": (3, 3), "w1": (3, 3), "o": (3, 3), "b0": (1, 1), "b1": (1, 1)}
DEPTHS = {"x": 3, "w0": 3, "w1": 3, "o": 2, "b0": 1, "b1": 1}


def parse_example(text: str) -> dict[str, list[list[int]]]:
    """The example's numeric blocks, keyed ``"x[2]"``, ``"w0[1]"``, ... (rows as printed).

    Examples
    --------
    >>> parse_example("Input Volume (+pad 1)\\n $w0[:, :, 0]$\\n\\n1 2 3\\n4 5 6\\n3.2.4")
    {'w0[0]': [[1, 2, 3], [4, 5, 6]]}
    """
    start = text.find(_START)
    end = text.find(_END, start)
    end = len(text) if end < 0 else end  # the committed excerpt stops before §3.2.4
    blocks: dict[str, list[list[int]]] = {}
    key = None
    for line in text[start:end].splitlines():
        label = _LABEL.search(line)
        if label:
            key = f"{label.group(1)}[{label.group(2)}]"
            blocks[key] = []
        elif key and _ROW.match(line.strip()):
            blocks[key].append([int(v) for v in line.split()])
        elif key and blocks[key] and line.strip():
            key = None  # a caption ends the block
    return blocks


def audit(blocks: dict[str, list[list[int]]]) -> dict[str, list[str]]:
    """Which slices are missing, mis-shaped, or repeat an earlier slice."""
    missing, garbled, repeated = [], [], []
    for name, depth in DEPTHS.items():
        for d in range(depth):
            key = f"{name}[{d}]"
            rows = blocks.get(key)
            if not rows:
                missing.append(key)
                continue
            shape = (len(rows), max(len(r) for r in rows))
            if shape != EXPECTED[name] or len({len(r) for r in rows}) != 1:
                garbled.append(
                    f"{key}: {shape[0]} rows of {sorted({len(r) for r in rows})}"
                    f" numbers, expected {EXPECTED[name][0]}x{EXPECTED[name][1]}"
                )
            for e in range(d):
                if blocks.get(f"{name}[{e}]") == rows:
                    repeated.append(f"{key} repeats {name}[{e}]")
    return {"missing": missing, "garbled": garbled, "repeated": repeated}


def _square(rows: list[list[int]], n: int) -> torch.Tensor | None:
    """The first n columns of n rows, if the block has them (extra columns are OCR debris)."""
    if len(rows) != n or any(len(r) < n for r in rows):
        return None
    return torch.tensor([r[:n] for r in rows], dtype=torch.float64)


def check_foundations_two_filter_values(text: str | None = None) -> CheckResult:
    """004: the printed output volume, recomputed from the slices the transcription kept.

    ``text`` defaults to the committed excerpt :data:`EXAMPLE`.
    """
    if text is None:
        text = EXAMPLE.read_text(encoding="utf-8")
    blocks = parse_example(text)
    found = audit(blocks)
    xs = [_square(blocks.get(f"x[{d}]", []), 7) for d in range(3)]
    ws = [[_square(blocks.get(f"w{k}[{d}]", []), 3) for d in range(3)] for k in (0, 1)]
    outs = [_square(blocks.get(f"o[{k}]", []), 3) for k in (0, 1)]
    bias = [blocks.get(f"b{k}[0]", [[None]])[0][0] for k in (0, 1)]
    usable = [d for d in range(3) if xs[d] is not None and all(w[d] is not None for w in ws)]
    if not usable or any(o is None for o in outs) or None in bias:
        return inconclusive("framework", f"Nothing of the output can be recomputed: {found}.",
                            **found)  # fmt: skip
    x = torch.stack([xs[d] for d in usable])[None]  # (1, D_kept, 7, 7), already padded
    w = torch.stack([torch.stack([ws[k][d] for d in usable]) for k in (0, 1)])  # (2, D, 3, 3)
    partial = F.conv2d(x, w, torch.tensor(bias, dtype=torch.float64), stride=2)[0]  # (2, 3, 3)
    printed = torch.stack(outs)  # (2, 3, 3)
    residual = (printed - partial).to(torch.int64)
    complete = len(usable) == 3 and not found["garbled"] and not found["repeated"]
    evidence = {**found, "depths_used": usable, "partial_sums": partial.to(torch.int64).tolist(),
                "printed": printed.to(torch.int64).tolist(),
                "printed_minus_partial": residual.tolist()}  # fmt: skip
    summary = (f"Parsed the transcription: missing {found['missing'] or 'none'}; garbled"
               f" {found['garbled'] or 'none'}; repeated {found['repeated'] or 'none'}. The sums"
               f" over depth slices {usable} plus the biases (torch conv2d, stride 2, on the"
               f" printed padded input) are {evidence['partial_sums']}; the printed outputs minus"
               f" these, {evidence['printed_minus_partial']}, would have to come from the missing"
               " slices")  # fmt: skip
    if complete:
        return decided(bool((residual == 0).all()), "framework",
                       summary.replace(", would have to come from the missing slices", "."),
                       **evidence)  # fmt: skip
    return inconclusive("framework", summary + ", which the surviving numbers do not fix.",
                        **evidence)  # fmt: skip
