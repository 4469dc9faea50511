"""The DuckDB warehouse: its schemas, the run ledger in `meta`, and each run's working copy.

Runs write a working database of their own, started from the last published state; analysts
only ever open the published copy, which `warehouse.publishing` replaces at the end of a
successful run. A run that dies leaves only its working copy behind, which the next run throws
away.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.catalogue import LEDGER, apply_comments
from warehouse.sql import quote_ident, quote_literal  # noqa: F401 (re-exported)

SCHEMAS = ("raw", "quarantine", "staging", "marts", "meta")


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in LEDGER:
        con.execute(table.ddl(if_not_exists=True, primary_key=True))
        # A warehouse from an earlier release gains the columns added since.
        for column in table.columns:
            con.execute(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote_ident(column.name)} "
                f"{column.type}"
            )
        apply_comments(con, table)


def table_exists(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> bool:
    """Whether `schema.table` exists in the connection's own database (or in `database`)."""
    schema, name = str(table).split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE database_name = coalesce(?, current_database()) "
            "AND schema_name = ? AND table_name = ?",
            [database, schema, name],
        ).fetchone()[0]
    )


def table_fingerprint(
    con: duckdb.DuckDBPyConnection, table: str, keep: Callable[[str], bool] = lambda _: True
) -> tuple:
    """(columns and types, rows, sum of DuckDB's 64-bit row hashes) of `table`'s columns that
    `keep` accepts: equal for equal contents in any row order. A changed row changes the sum
    but for a 2⁻⁶⁴ chance; a DuckDB release that hashes differently changes every sum."""
    schema, name = str(table).split(".")
    columns = [
        (column, kind)
        for column, kind in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
            "ORDER BY column_index",
            [schema, name],
        ).fetchall()
        if keep(column)
    ]
    hashed = ", ".join(quote_ident(column) for column, _ in columns)
    rows, hashes = con.execute(
        f"SELECT count(*), sum(hash({hashed})::HUGEINT) FROM {table}"
    ).fetchone()
    return columns, rows, hashes


def arrow_table(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    """The result of `query` as an Arrow table, without the extra copy of the rows that Arrow
    output from `execute()` makes. A relation query is refused while an earlier `execute()`
    result is unread (a `fetchone()` leaves one), so that result is run to its end first."""
    con.complete()
    return con.sql(query).to_arrow_table()


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def last_good_copy(working: Path) -> Path:
    """The working database of the last published run, kept with its real ids: where the next
    run starts. (The published copy may be pseudonymised, so it cannot be the starting point.)"""
    return working.with_name(f"{working.stem}.last-good{working.suffix}")


def prepare_working_copy(published: Path, working: Path) -> None:
    """Start a run from the last published state; whatever a dead run left is discarded.
    Before the first publication under this scheme there is no last-good copy, and the
    published file (never pseudonymised then) is the starting point."""
    working.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (working, working.with_name(working.name + ".wal")):
        leftover.unlink(missing_ok=True)
    start = last_good_copy(working)
    if not start.exists():
        start = published
    if start.exists():
        shutil.copyfile(start, working)
    with connect(working) as con:
        ensure_schemas(con)
