"""One writer at a time: every run holds an OS file lock while it writes the warehouse.

Why a file lock rather than Dagster's pools (measured with Dagster 1.13.27, SQLite instance):
pool limits are enforced per step, even with the in-process executor, so two runs interleave
their steps (run B's first step would throw away run A's working copy); and a run killed with
SIGKILL keeps its pool slot claimed, so every later run waits until someone frees the slot by
hand. The kernel drops a `flock` the moment its process dies, so a crashed run never leaves a
stale lock behind. Daemon-launched runs also queue on a run tag (dagster.yaml), so they wait in
Dagster's queue rather than in a process.

The lock file holds a note about its holder, written on acquiring and cleared on a clean
release: a note found by the next holder means the previous run died while writing.
"""

import fcntl
import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


class WriterLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, run_id: str, on_wait: Callable[[dict], None]) -> dict | None:
        """Block until no other run writes; `on_wait` hears about the holder first. Returns the
        note of a holder that died holding the lock, or None."""
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                on_wait(_read_note(fd) or {})
                fcntl.flock(fd, fcntl.LOCK_EX)
            return self._take(fd, run_id)
        except BaseException:
            os.close(fd)
            raise

    def try_acquire(self, owner: str) -> tuple[bool, dict | None]:
        """Take the lock only if it is free, never waiting: (taken, a dead holder's note)."""
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False, None
        return True, self._take(fd, owner)

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def _take(self, fd: int, run_id: str) -> dict | None:
        abandoned = _read_note(fd)
        _write_note(
            fd,
            {
                "run_id": run_id,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        self._fd = fd
        return abandoned

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # a clean release leaves no note; only a dead holder does
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def holder(self) -> dict | None:
        """The note of the run writing now, or None when no run holds the lock."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_note(fd) or {}
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


def waiting_message(holder: dict) -> str:
    who = f"run {holder['run_id']}" if holder.get("run_id") else "another run"
    where = (
        f" (pid {holder['pid']} on {holder['host']}, since {holder['since']})"
        if "pid" in holder
        else ""
    )
    return f"Waiting for {who}{where} to finish: one run writes the warehouse at a time."


def _read_note(fd: int) -> dict | None:
    text = os.pread(fd, 65536, 0).decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"run_id": None, "note": text}


def _write_note(fd: int, note: dict) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(note).encode(), 0)
    os.fsync(fd)
