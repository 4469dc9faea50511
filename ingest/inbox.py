"""What is in the inbox, which source each file belongs to, and what a run must do with it."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from quality.contract import READABLE_SUFFIXES, source_of
from warehouse.db import connect, table_exists
from warehouse.parallel import available_cpus

# Files the ledger already accounts for: the same bytes under the same name are not read again.
# A retracted file (`mentorlens forget`) is settled too: the same bytes are not loaded again.
SETTLED = ("loaded", "replaced", "rejected", "duplicate", "unrecognised", "retracted")


@dataclass(frozen=True)
class InboxFile:
    relative: str  # path inside the inbox, with '/' separators: the file's name everywhere
    path: Path
    source: str | None
    sha256: str
    size_bytes: int

    @property
    def readable_suffix(self) -> bool:
        return self.path.suffix.lower() in READABLE_SUFFIXES


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def is_hidden(relative: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in relative.parts)


def inbox_paths(inbox: Path) -> list[tuple[str, Path]]:
    """(name, path) of every visible file under the inbox, sorted by name (the order
    last-file-wins uses). The one listing of the inbox: runs, sensors, the schedule, `check` and
    `status` all see the same files. Hidden files (`.DS_Store`, `~$` Office lock files, anything
    in a hidden folder) are never part of it. Nothing is hashed."""
    if not inbox.is_dir():
        return []
    found = []
    for path in inbox.rglob("*"):
        relative = path.relative_to(inbox)
        if is_hidden(relative) or not path.is_file():
            continue
        found.append((relative.as_posix(), path))
    return sorted(found)


def scan_inbox(inbox: Path) -> list[InboxFile]:
    """Every visible file under the inbox with its source and hash, sorted by name."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"The inbox {inbox} does not exist or is not a folder.")
    paths = inbox_paths(inbox)
    # hashlib releases the GIL on large buffers: the files are hashed on every core.
    with ThreadPoolExecutor(available_cpus()) as pool:
        hashes = list(pool.map(file_sha256, [path for _, path in paths]))
    return [
        InboxFile(name, path, source_of(name), sha256, path.stat().st_size)
        for (name, path), sha256 in zip(paths, hashes, strict=True)
    ]


def settled_in(database: Path) -> set[tuple[str, str]]:
    """(file, sha256) of every file the ledger of `database` already accounts for: a run would
    read none of them again. Empty before the first run."""
    if not database.exists():
        return set()
    with connect(database, read_only=True) as con:
        if not table_exists(con, "meta.loaded_files"):
            return set()
        return set(
            con.execute(
                "SELECT file, sha256 FROM meta.loaded_files WHERE status IN "
                f"({', '.join(repr(s) for s in SETTLED)})"
            ).fetchall()
        )


@dataclass(frozen=True)
class Plan:
    """What this run does with the inbox: load some files, record the rest."""

    to_load: list[InboxFile]
    duplicates: list[tuple[InboxFile, str]]  # (file, the already-loaded file it repeats)
    unrecognised: list[InboxFile]
    unchanged: list[InboxFile]


def plan_loads(con: duckdb.DuckDBPyConnection, files: list[InboxFile]) -> Plan:
    settled = {
        (file, sha): status
        for file, sha, status in con.execute(
            "SELECT file, sha256, status FROM meta.loaded_files"
        ).fetchall()
    }
    loaded_by_hash = {
        sha: file
        for (file, sha), status in sorted(settled.items())
        if status in ("loaded", "replaced")
    }
    to_load, duplicates, unrecognised, unchanged = [], [], [], []
    for item in files:
        if settled.get((item.relative, item.sha256)) in SETTLED:
            unchanged.append(item)
        elif item.source is None:
            unrecognised.append(item)
        elif item.sha256 in loaded_by_hash:
            duplicates.append((item, loaded_by_hash[item.sha256]))
        else:
            to_load.append(item)
    # Two byte-identical new files in one drop: the first by name loads, the others repeat it.
    first_by_hash: dict[str, str] = {}
    unique = []
    for item in to_load:
        if item.sha256 in first_by_hash:
            duplicates.append((item, first_by_hash[item.sha256]))
        else:
            first_by_hash[item.sha256] = item.relative
            unique.append(item)
    return Plan(unique, duplicates, unrecognised, unchanged)
