"""cnnbench.bench.results_io: output checks, atomic JSON, the write lock, JSON Lines appends."""

from __future__ import annotations

import json
import os

import pytest
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.results_io import (
    FileLockedError,
    JsonlAppender,
    WriteLock,
    check_output,
    lock_path,
    truncate_to,
    write_json_atomic,
)


def test_check_output_refuses_a_directory(tmp_path):
    with pytest.raises(ParameterError, match=r"`--out`='.*' is a directory; give a file path"):
        check_output("--out", tmp_path)


def test_check_output_refuses_a_missing_folder_unless_it_may_create_it(tmp_path):
    target = tmp_path / "a" / "b" / "r.json"
    with pytest.raises(ParameterError, match="is in a folder that does not exist"):
        check_output("--json", target)
    assert not (tmp_path / "a").exists()
    check_output("--json", target, create_parent=True)
    assert (tmp_path / "a" / "b").is_dir() and not target.exists()


def test_check_output_refuses_a_folder_under_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ParameterError, match="which is not a folder"):
        check_output("--out", tmp_path / "f" / "r.json", create_parent=True)
    with pytest.raises(ParameterError, match="cannot be created: Not a directory"):
        check_output("--out", tmp_path / "f" / "sub" / "r.json", create_parent=True)


def test_check_output_refuses_a_folder_that_takes_no_files():
    # /proc takes no new files, even for root (a chmod 555 folder would not stop root)
    with pytest.raises(ParameterError, match="does not accept new files"):
        check_output("--out", "/proc/cnnbench-test.json")


def test_check_output_leaves_no_probe_behind(tmp_path):
    check_output("--out", tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "r.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        write_json_atomic(path, {"a": float("nan")})  # refused before anything is written
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_atomic_write_keeps_the_files_mode(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{}")
    path.chmod(0o640)
    write_json_atomic(path, [1])
    assert path.stat().st_mode & 0o777 == 0o640 and json.loads(path.read_text()) == [1]


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    path = tmp_path / "r.jsonl"
    with WriteLock(path, command="cnnbench bench --out r.jsonl"):
        info = json.loads(lock_path(path).read_text())
        assert info["pid"] == os.getpid() and info["command"] == "cnnbench bench --out r.jsonl"
        with pytest.raises(FileLockedError) as err:
            WriteLock(path).acquire()
        msg = str(err.value)
        assert str(path) in msg and f"pid {os.getpid()}" in msg
        assert "cnnbench bench --out r.jsonl" in msg and "one writer at a time" in msg
    assert not lock_path(path).exists()
    with WriteLock(path):  # free again
        pass


def test_a_stale_lock_file_from_a_crash_does_not_block(tmp_path):
    path = tmp_path / "r.jsonl"
    lock_path(path).write_text('{"pid": 1, "host": "gone", "command": "x", "since": "t"}')
    with WriteLock(path):  # nobody holds the flock: the file alone means nothing
        assert json.loads(lock_path(path).read_text())["pid"] == os.getpid()


def test_jsonl_appender_writes_whole_lines_and_refuses_nan(tmp_path):
    path = tmp_path / "r.jsonl"
    with JsonlAppender(path) as sink:
        sink.append({"a": 1})
        with pytest.raises(ValueError):
            sink.append({"a": float("inf")})
        sink.append({"b": 2})
    assert path.read_text() == '{"a": 1}\n{"b": 2}\n'


def test_truncate_to_cuts_the_torn_tail(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n{"b": ')
    truncate_to(path, len('{"a": 1}\n'))
    assert path.read_text() == '{"a": 1}\n'


def test_check_output_refuses_a_read_only_file(tmp_path, monkeypatch):
    # root writes a chmod 444 file anyway, so the permission answer is simulated
    path = tmp_path / "r.json"
    path.write_text("{}")
    monkeypatch.setattr(os, "access", lambda p, mode: False)
    with pytest.raises(ParameterError, match="exists and is read-only"):
        check_output("--json", path)


def test_a_lock_whose_holder_has_not_written_yet_says_so(tmp_path):
    import fcntl

    path = tmp_path / "r.jsonl"
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held, nothing written in it yet
    try:
        with pytest.raises(FileLockedError, match="holder not recorded yet"):
            WriteLock(path).acquire()
    finally:
        os.close(fd)


def test_check_output_dir_refuses_a_file_and_creates_a_folder(tmp_path):
    from cnnbench.bench.results_io import check_output_dir

    (tmp_path / "f").write_text("x")
    with pytest.raises(ParameterError, match="is a file, not a folder"):
        check_output_dir("--dest", tmp_path / "f")
    with pytest.raises(ParameterError, match="cannot be created"):
        check_output_dir("--dest", tmp_path / "f" / "sub")
    check_output_dir("--dest", tmp_path / "new" / "dir")
    assert (tmp_path / "new" / "dir").is_dir() and not list((tmp_path / "new" / "dir").iterdir())
