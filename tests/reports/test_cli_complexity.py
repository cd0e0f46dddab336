"""`cnnbench complexity`: its table, its JSON, its usage error."""

from __future__ import annotations

import json

from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_complexity_json_gives_the_published_vgg16_count():
    # source: paper, torchvision vgg16 (138,357,544 parameters)
    r = runner.invoke(app, ["complexity", "vgg16", "lenet5", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.output)}
    assert rows["vgg16"]["params"] == 138_357_544
    assert rows["vgg16"]["flop_counter_flops"] == 2 * rows["vgg16"]["macs"]
    assert set(rows) == {"vgg16", "lenet5"}


def test_complexity_layers_table_marks_printed_shapes():
    # source: 003 Table 5.1 prints 28x28x64 after a 96-filter conv
    r = runner.invoke(app, ["complexity", "tiny_cifar", "--layers"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "(64, 28, 28) ≠" in r.output
    assert "assumed: input 3x28x28" in r.output


def test_complexity_unknown_name_exits_2_and_lists_names():
    r = runner.invoke(app, ["complexity", "resnet"])
    assert r.exit_code == 2
    assert "`NETWORK`='resnet' must be one of 'lenet5'" in r.output
