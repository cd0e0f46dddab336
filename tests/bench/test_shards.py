"""`--shard i/N`: shards are disjoint, their union is everything, and the split is stable."""

from __future__ import annotations

import hashlib
import json

import pytest
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims import all_claims
from cnnbench.bench.shards import in_shard, parse_shard, shard_of
from cnnbench.bench.workloads import all_workloads
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def _check_partition(ids: list[str], n: int) -> list[list[str]]:
    shards = [list(in_shard(ids, (i, n), key=str)) for i in range(1, n + 1)]
    seen = [x for s in shards for x in s]
    assert len(seen) == len(set(seen)), "a unit is in two shards"
    assert sorted(seen) == sorted(ids), "the shards together miss a unit"
    for s in shards:  # each keeps the given order (the registry's, the profile's)
        assert s == [x for x in ids if x in set(s)]
    return shards


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_claim_shards_partition_the_registry(n):
    ids = [c.id for c in all_claims()]
    shards = _check_partition(ids, n)
    if n == 3:  # ~1/3 each: a hash, not a round robin, but not lopsided either
        assert all(len(s) >= len(ids) // 6 for s in shards), [len(s) for s in shards]


@pytest.mark.parametrize("profile", ["short", "full"])
def test_workload_shards_partition_the_profile(profile):
    keys = [w.key for w in all_workloads(profile, "cpu")]
    assert len(keys) == len(set(keys))
    _check_partition(keys, 3)


def test_shard_is_a_hash_of_the_id_alone():
    # the oracle: hashlib directly, as a CI runner on another Python would compute it
    uid = "variance.mc-grid"
    h = int.from_bytes(hashlib.sha256(uid.encode()).digest()[:8], "big")
    assert shard_of(uid, 3) == 1 + h % 3
    # a unit added later changes no other unit's shard
    ids = [c.id for c in all_claims()]
    before = in_shard(ids, (2, 3), key=str)
    after = in_shard([*ids, "zzz.new-claim"], (2, 3), key=str)
    assert [x for x in after if x != "zzz.new-claim"] == list(before)


@pytest.mark.parametrize(("text", "message"), [
    ("2", "`--shard`='2' must be i/N, e.g. 1/3 (shard i of N, counted from 1)"),
    ("a/b", "`--shard`='a/b' must be i/N"),
    ("0/3", "`--shard`='0/3' must have i in [1, 3] (shards count from 1)"),
    ("4/3", "`--shard`='4/3' must have i in [1, 3]"),
    ("1/0", "`--shard`='1/0' must have N in [1, 1000] (runners of one CI matrix)"),
    ("1/1001", "`--shard`='1/1001' must have N in [1, 1000]"),
])  # fmt: skip
def test_bad_shard_messages(text, message):
    with pytest.raises(ParameterError) as info:
        parse_shard(text)
    assert str(info.value).startswith(message)


def test_parse_shard_accepts_spaces():
    assert parse_shard(" 2 / 3 ") == (2, 3)


def test_bench_list_shards_cover_the_list_once():
    full = runner.invoke(app, ["bench", "--list", "--filter", "alexnet"])
    assert full.exit_code == 0, full.output
    keys = full.output.split()
    parts = []
    for i in (1, 2, 3):
        r = runner.invoke(app, ["bench", "--list", "--filter", "alexnet", "--shard", f"{i}/3"])
        assert r.exit_code == 0, r.output
        parts.append(r.output.split())
    assert sorted(k for p in parts for k in p) == sorted(keys)
    assert sum(len(p) for p in parts) == len(keys)


def test_cli_bad_shard_exits_2():
    r = runner.invoke(app, ["bench", "--list", "--shard", "3/2"])
    assert r.exit_code == 2
    assert "`--shard`='3/2' must have i in [1, 2]" in r.output
    r = runner.invoke(app, ["check", "--shard", "x"])
    assert r.exit_code == 2
    assert "`--shard`='x' must be i/N" in r.output


def test_check_shards_then_merge_equal_the_whole_run(tmp_path):
    only = r"^receptive\."
    whole = tmp_path / "whole.json"
    assert runner.invoke(app, ["check", "--only", only, "-q", "--json", str(whole)]).exit_code == 0
    files = []
    for i in (1, 2, 3):
        f = tmp_path / f"shard{i}.json"
        r = runner.invoke(app, ["check", "--only", only, "-q", "--shard", f"{i}/3", "--json",
                                str(f)])  # fmt: skip
        assert r.exit_code == 0, r.output
        files.append(f)
    ids = [[row["id"] for row in json.loads(f.read_text())] for f in files]
    assert not set(ids[0]) & set(ids[1]) and not set(ids[1]) & set(ids[2])
    merged = tmp_path / "merged.json"
    r = runner.invoke(app, ["merge", *(a for f in files for a in ("--check", str(f))), "--out",
                            str(merged)])  # fmt: skip
    assert r.exit_code == 0, r.output

    def strip(rows):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert strip(json.loads(merged.read_text())) == strip(json.loads(whole.read_text()))
