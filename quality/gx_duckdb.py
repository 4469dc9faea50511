"""Great Expectations' SQL data source on the pipeline's own DuckDB connection.

GX 1.24 cannot run an expectation on DuckDB as shipped: every metric fails with
`MetricResolutionError: list index out of range` (GX issue 11579, closed without a fix; its
fix, PR 11635, was closed unmerged; a native DuckDB execution engine is open as PR 12084).
`SqlAlchemyExecutionEngine.execute_query` returns its result after the `with` block has
closed the connection, and duckdb-engine's cursor is empty by then. `_buffered_execute_query`
below is the same method with the rows buffered before the connection closes. GX is pinned;
`tests/unit/test_gx_duckdb.py` fails when an upgrade makes this unnecessary or breaks it.

GX is handed the pipeline's connection (a cursor of it per SQLAlchemy connection): a second
connection to the warehouse file from this process would need the same configuration, and
tables are then named exactly as the pipeline names them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

_original_execute_query = None


def _buffered_execute_query(self, query):
    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        return result.freeze()()  # rows fetched while the connection is open


def apply_fix() -> None:
    """Install the fix for GX issue 11579 (idempotent)."""
    global _original_execute_query
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    if _original_execute_query is None:
        _original_execute_query = SqlAlchemyExecutionEngine.execute_query
        SqlAlchemyExecutionEngine.execute_query = _buffered_execute_query


def remove_fix() -> None:
    """Put GX's own method back (for the test that checks the fix is still needed)."""
    global _original_execute_query
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    if _original_execute_query is not None:
        SqlAlchemyExecutionEngine.execute_query = _original_execute_query
        _original_execute_query = None


def duckdb_context(con: duckdb.DuckDBPyConnection, name: str = "warehouse"):
    """An ephemeral GX context and a SQL data source reading through `con`."""
    import duckdb_engine
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    apply_fix()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_sql(
        name,
        connection_string="duckdb:///:memory:",
        kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor())},
    )
    return context, source
