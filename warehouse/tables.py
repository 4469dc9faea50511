"""Writing catalogued tables: build-and-replace, checked against the table catalogue and with
their comments applied every time."""

from collections.abc import Mapping
from datetime import date

import duckdb
import pandas as pd

from warehouse.catalogue import RUN_INFO, SURVEY_SCORES, Table, apply_comments, check_columns
from warehouse.catalogue import table as catalogued
from warehouse.db import quote_ident

__all__ = ["RUN_INFO", "SURVEY_SCORES", "create_table_as", "read_as_of", "row_count", "write_frame"]


def row_count(con: duckdb.DuckDBPyConnection, table: "str | Table") -> int:
    # fetchall: a fetchone leaves the result open, and DuckDB then refuses other calls such as
    # unregistering a frame on this connection.
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def create_table_as(
    con: duckdb.DuckDBPyConnection,
    table: "str | Table",
    query: str,
    params: Mapping | None = None,
) -> int:
    """Replace the catalogued `table` with the result of `query`; returns its row count.

    The result must have the declared columns and types, in order (else ValueError)."""
    t = catalogued(table)
    con.execute(f"CREATE OR REPLACE TABLE {t} AS {query}", params or {})
    check_columns(con, t)
    apply_comments(con, t)
    return row_count(con, t)


def write_frame(
    con: duckdb.DuckDBPyConnection,
    table: "str | Table",
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
) -> int:
    """Replace the catalogued `table` with the frame's declared columns, in their order.

    The table gets its declared schema even when the frame is empty, so analysts' queries keep
    working on a warehouse where nothing could be estimated. NaN is stored as NULL. `columns`
    (name → SQL type), when a caller gives it, must be the declaration itself.
    """
    t = catalogued(table)
    declared = t.types()
    if columns is not None and dict(columns) != declared:
        raise ValueError(
            f"{t}: the columns written differ from the table catalogue's declaration "
            f"({dict(columns)} instead of {declared})"
        )
    con.execute(t.ddl())
    if len(frame):
        con.register("_frame", frame[list(declared)])
        names = ", ".join(quote_ident(name) for name in declared)
        con.execute(f"INSERT INTO {t} SELECT {names} FROM _frame")
        con.unregister("_frame")
    apply_comments(con, t)
    return row_count(con, t)


def read_as_of(con: duckdb.DuckDBPyConnection) -> date:
    return con.execute(f"SELECT as_of FROM {RUN_INFO}").fetchone()[0]
