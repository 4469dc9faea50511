"""Writing mart tables: build-and-replace, with their comments applied every time."""

from collections.abc import Mapping
from datetime import date

import duckdb
import pandas as pd

from warehouse.catalogue import apply_comments
from warehouse.db import quote_ident

RUN_INFO = "marts.run_info"
# Built by the survey layer; every use must cope with it missing (no survey scored yet).
SURVEY_SCORES = "marts.fct_survey_score"


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def create_table_as(
    con: duckdb.DuckDBPyConnection, table: str, query: str, params: Mapping | None = None
) -> int:
    """Replace `table` with the result of `query`; returns its row count."""
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {query}", params or {})
    apply_comments(con, table)
    return row_count(con, table)


def write_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, columns: Mapping[str, str]
) -> int:
    """Replace `table` with the frame's `columns` (name → SQL type), in that order.

    The table gets its declared schema even when the frame is empty, so analysts' queries keep
    working on a warehouse where nothing could be estimated. NaN is stored as NULL.
    """
    declared = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in columns.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({declared})")
    if len(frame):
        con.register("_frame", frame[list(columns)])
        con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
        con.unregister("_frame")
    apply_comments(con, table)
    return row_count(con, table)


def read_as_of(con: duckdb.DuckDBPyConnection) -> date:
    return con.execute(f"SELECT as_of FROM {RUN_INFO}").fetchone()[0]
