"""The DuckDB warehouse: its schemas, the run ledger in `meta`, and build-then-publish.

Runs write a working database of their own. A successful run checkpoints it, copies it beside
the published file and renames it over the published one, so an analyst holding the published
file open read-only is never blocked and never sees a half-built state. A run that dies leaves
only the working copy behind, which the next run throws away.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SCHEMAS = ("raw", "quarantine", "staging", "marts", "meta")

META_DDL = """
CREATE TABLE IF NOT EXISTS meta.loaded_files (
    file VARCHAR PRIMARY KEY,
    source VARCHAR,
    sha256 VARCHAR,
    size_bytes BIGINT,
    status VARCHAR,
    reason VARCHAR,
    duplicate_of VARCHAR,
    layout VARCHAR,
    encoding VARCHAR,
    delimiter VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    rows_superseded BIGINT,
    dropped_contact_columns VARCHAR,
    run_id VARCHAR,
    loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS quarantine.rejected_files (
    file VARCHAR,
    source VARCHAR,
    reason VARCHAR,
    sha256 VARCHAR,
    run_id VARCHAR,
    rejected_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS meta.runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    status VARCHAR,
    as_of DATE,
    files_loaded BIGINT,
    files_rejected BIGINT,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS meta.validation_results (
    run_id VARCHAR,
    source VARCHAR,
    check_name VARCHAR,
    expectation VARCHAR,
    column_name VARCHAR,
    severity VARCHAR,
    success BOOLEAN,
    unexpected_count BIGINT,
    element_count BIGINT,
    reason VARCHAR,
    validated_at TIMESTAMP
);
"""

META_COMMENTS = {
    "meta.loaded_files": "One row per inbox file seen: its hash, status and row counts. "
    "rows_read = rows_loaded + rows_quarantined for every loaded file.",
    "quarantine.rejected_files": "Files rejected whole, with the reason in one sentence.",
    "meta.runs": "One row per pipeline run that reached the warehouse.",
    "meta.validation_results": "Every expectation and check evaluated, per run and source.",
}


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(META_DDL)
    for table, comment in META_COMMENTS.items():
        con.execute(f"COMMENT ON TABLE {table} IS {quote_literal(comment)}")


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def prepare_working_copy(published: Path, working: Path) -> None:
    """Start a run from the last published state; whatever a dead run left is discarded."""
    working.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (working, working.with_name(working.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if published.exists():
        shutil.copyfile(published, working)
    with connect(working) as con:
        ensure_schemas(con)


def publish_folder(building: Path, published: Path) -> None:
    """Swap a freshly built folder in for the published one; the old one is removed after."""
    if not building.is_dir():
        return
    retired = published.with_name(f".{published.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if published.exists():
        os.replace(published, retired)
    os.replace(building, published)
    shutil.rmtree(retired, ignore_errors=True)


def publish(working: Path, published: Path) -> None:
    """Checkpoint the working database and atomically replace the published file with it."""
    with connect(working) as con:
        con.execute("CHECKPOINT")
    published.parent.mkdir(parents=True, exist_ok=True)
    staged = published.with_name(f".{published.name}.publishing")
    shutil.copyfile(working, staged)
    with staged.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, published)
