"""`cnnbench shape`: sizes against torch, JSON output, and every usage error (exit 2)."""

from __future__ import annotations

import json

import pytest
import torch
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["shape", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_conv_size_matches_torch():
    # source: 002_c109f77ff76ed8b6.txt §10, first MNIST conv 28 -> 28
    out = _json("conv", "--size", "28", "--kernel", "3", "--padding", "1")
    x = torch.empty(1, 1, 28, 28, device="meta")  # (N, C, H, W)
    w = torch.empty(8, 1, 3, 3, device="meta")
    assert out["output"] == torch.nn.functional.conv2d(x, w, padding=1).shape[-1] == 28


def test_pool_ceil_mode_matches_torch():
    # source: pytorch-docs MaxPool2d ceil_mode note (last window in the right padding dropped)
    out = _json("pool", "--size", "5", "--kernel", "2", "--stride", "2", "--padding", "1",
                "--ceil-mode")  # fmt: skip
    x = torch.empty(1, 1, 5, 5, device="meta")
    assert out["output"] == torch.nn.functional.max_pool2d(x, 2, 2, 1, ceil_mode=True).shape[-1]
    assert out["ceil_mode"] is True


def test_pool_stride_defaults_to_kernel():
    # source: 002_c109f77ff76ed8b6.txt §10, MaxPool2d(kernel_size=2): 14 -> 7
    out = _json("pool", "--size", "14", "--kernel", "2")
    assert (out["stride"], out["output"]) == (2, 7)


def test_convt_matches_torch():
    out = _json("convT", "--size", "7", "--kernel", "4", "--stride", "2", "--padding", "1",
                "--output-padding", "1")  # fmt: skip
    x = torch.empty(1, 1, 7, 7, device="meta")
    w = torch.empty(1, 1, 4, 4, device="meta")
    expected = torch.nn.functional.conv_transpose2d(x, w, None, 2, 1, 1).shape[-1]
    assert out["output"] == expected == 15


def test_text_output_shows_formula_and_result():
    result = runner.invoke(app, ["shape", "conv", "--size", "5", "--kernel", "3", "--stride", "2"])
    assert result.exit_code == 0
    assert "floor((5 + 2*0 - 1*(3-1) - 1)/2) + 1 = 2" in result.stdout


def test_text_output_names_the_ceil_mode_correction():
    result = runner.invoke(app, ["shape", "pool", "--size", "5", "--kernel", "2", "--stride",
                                 "2", "--padding", "1", "--ceil-mode"])  # fmt: skip
    assert result.exit_code == 0
    assert "right padding" in result.stdout and result.stdout.rstrip().endswith("= 3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["conv", "--size", "2", "--kernel", "3"],
         "`--kernel`=3 must fit the padded input"),
        (["conv", "--size", "5", "--kernel", "3", "--stride", "0"],
         "`--stride`=0 must be a positive integer"),
        (["pool", "--size", "5", "--kernel", "3", "--padding", "2"],
         "`--padding`=2 must be at most kernel//2 = 1"),
        (["pool", "--size", "2", "--kernel", "3", "--stride", "1"],
         "`--kernel`=3 leaves no window"),
        (["convT", "--size", "5", "--kernel", "3", "--output-padding", "1"],
         "`--output-padding`=1 must be smaller than stride=1 or smaller than dilation=1"),
        (["convT", "--size", "5", "--kernel", "3", "--padding", "5"],
         "`--padding`=5 is too large"),
        (["conv", "--size", "5", "--kernel", "3", "--output-padding", "1"],
         "`--output-padding`=1 applies only to convT"),
        (["conv", "--size", "5", "--kernel", "3", "--ceil-mode"],
         "`--ceil-mode`=True applies only to pool"),
        (["deconv", "--size", "5", "--kernel", "3"],
         "`OP`='deconv' must be one of 'conv', 'pool', 'convT'"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_message(args, message):
    result = runner.invoke(app, ["shape", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_non_integer_size_is_a_typer_usage_error():
    result = runner.invoke(app, ["shape", "conv", "--size", "2.5", "--kernel", "3"])
    assert result.exit_code == 2
    assert "--size" in result.output
