"""Writing results files so that nothing we write can be lost or half-written.

* :func:`check_output` validates an output path *before* the work that fills
  it starts: not a directory, its folder exists (or is created, where a command
  documents that it creates it) and accepts a new file.
* :func:`write_json_atomic` writes a JSON file through a temporary file in the
  same folder, ``fsync``, then ``os.replace``: a reader sees the old file or
  the new one, never half of one; a crash leaves at most a stray ``.tmp``.
* :class:`WriteLock` is an exclusive advisory lock (``fcntl.flock`` on a
  sidecar ``<file>.lock``, non-blocking) held while a run writes a results
  file; a second writer refuses at once, naming the holder's pid, host and
  command (:class:`FileLockedError`).
* :class:`JsonlAppender` appends JSON Lines records one whole line at a time,
  ``flush`` + ``fsync`` after each (each record is a finished workload: the
  checkpoint), and refuses NaN.

Reading and validating the files is :mod:`cnnbench.bench.loaders`; both raise
:class:`ResultsFileError` subclasses, which commands turn into exit 2.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from cnnbench.analysis._validation import ParameterError


class ResultsFileError(ValueError):
    """A results file is unreadable, or not what its kind must hold.

    Names the file, and where known the line, the key and what was expected.
    """

    def __init__(self, path: Path | str, problem: str, *, line: int | None = None,
                 key: str | None = None, expected: str | None = None) -> None:  # fmt: skip
        self.path, self.line, self.key, self.expected = Path(path), line, key, expected
        self.problem = problem
        where = "".join(
            [f"{path}", f", line {line}" if line is not None else "",
             f", key {key!r}" if key is not None else ""]
        )  # fmt: skip
        text = f"{where}: {problem}" + (f"; expected {expected}" if expected else "")
        super().__init__(text)


class FileLockedError(ResultsFileError):
    """Another process is writing this results file."""


def check_output(option: str, path: Path, *, create_parent: bool = False) -> Path:
    """Refuse, before any work, an output path the command could not write at the end.

    Raises :class:`ParameterError` naming ``option`` when ``path`` is a directory, its
    folder is missing (unless ``create_parent``: then it is created, as the command's
    documentation says), is not a folder, or does not accept a new file (read-only,
    no permission; probed by creating and removing a temporary file, so it holds
    for root and for read-only mounts alike), or when ``path`` exists but is not writable.
    """
    path = Path(path)
    shown = str(path)
    if path.is_dir():
        raise ParameterError(option, shown, "is a directory; give a file path")
    if path.is_symlink() and not path.exists():
        raise ParameterError(option, shown, "is a broken (or looping) symbolic link")
    parent = path.parent
    if not parent.exists():
        if not create_parent:
            raise ParameterError(option, shown, f"is in a folder that does not exist ({parent}); "
                                 "create it first")  # fmt: skip
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ParameterError(option, shown, f"needs its folder {parent}, which cannot be "
                                 f"created: {exc.strerror or exc}") from None  # fmt: skip
    if not parent.is_dir():
        raise ParameterError(option, shown, f"is under {parent}, which is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        raise ParameterError(option, shown, f"cannot be written: its folder {parent} does not "
                             f"accept new files ({exc.strerror or exc})") from None  # fmt: skip
    os.close(fd)
    os.unlink(probe)
    if path.exists() and not os.access(path, os.W_OK):
        raise ParameterError(option, shown, "exists and is read-only")
    return path


def check_output_dir(option: str, path: Path) -> Path:
    """Like :func:`check_output` for an output *folder*: refuse a file (or a broken link)
    there; create a missing folder (its parents too); refuse one that takes no new files."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError(option, str(path), "is a file, not a folder")
    if path.is_symlink() and not path.exists():
        raise ParameterError(option, str(path), "is a broken (or looping) symbolic link")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(option, str(path), f"cannot be created: {exc.strerror or exc}"
                             ) from None  # fmt: skip
    check_output(option, path / ".cnnbench-probe")
    return path


def dump_json(data: Any, *, indent: int | None = 1) -> str:
    """Strict JSON text (NaN and infinities refused: they are not JSON) ending in a newline."""
    return json.dumps(data, indent=indent, allow_nan=False) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in its folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_json_atomic(path: Path, data: Any, *, indent: int | None = 1) -> None:
    """:func:`dump_json` of ``data`` written with :func:`write_text_atomic`."""
    write_text_atomic(path, dump_json(data, indent=indent))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def lock_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".lock")


class WriteLock:
    """Exclusive, non-blocking advisory lock on ``<path>.lock`` while a run writes ``path``.

    The lock file holds the holder's pid, host, command and start time (JSON), so
    a refused writer can say who holds it. It is removed on release (while still
    locked, and a new holder re-checks that the file it locked is the one on disk,
    so a writer that raced the removal never holds a stale lock).
    """

    def __init__(self, path: Path, command: str | None = None) -> None:
        self.path = Path(path)
        self.lock = lock_path(self.path)
        self.command = command if command is not None else " ".join(sys.argv)
        self._fd: int | None = None

    def acquire(self) -> WriteLock:
        while True:
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                raise FileLockedError(self.path, f"another run is writing it ({self.holder()})",
                                      expected="one writer at a time: wait for it to finish, "
                                      "or write to another file") from None  # fmt: skip
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the previous holder removed the file we opened: take the new one
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def holder(self) -> str:
        """Who holds the lock, as recorded in the lock file."""
        try:
            info = json.loads(self.lock.read_text() or "{}")
        except (OSError, ValueError):
            info = {}
        if not isinstance(info, dict) or "pid" not in info:
            return "holder not recorded yet"
        return (f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}: "
                f"{info.get('command')}")  # fmt: skip

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.lock)
        os.close(self._fd)  # closing releases the flock
        self._fd = None

    def __enter__(self) -> WriteLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class JsonlAppender:
    """Append strict-JSON records to a JSON Lines file, one whole line per write.

    Each record is written with a single ``write`` of ``json + "\\n"``, then
    ``flush`` and ``fsync``: a finished record survives a crash, and a crash
    mid-write leaves at most one unterminated last line, which
    :func:`cnnbench.bench.loaders.load_bench_results` recognises and ``--resume`` drops.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: IO[str] | None = None

    def __enter__(self) -> JsonlAppender:
        self._fh = self.path.open("a", encoding="utf-8")
        return self

    def append(self, record: dict) -> None:
        assert self._fh is not None, "use JsonlAppender as a context manager"
        line = json.dumps(record, allow_nan=False, default=str) + "\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def truncate_to(path: Path, size: int) -> None:
    """Cut ``path`` to its first ``size`` bytes (a torn last line), durably."""
    with Path(path).open("r+b") as fh:
        fh.truncate(size)
        fh.flush()
        os.fsync(fh.fileno())
