"""Reading the warehouse for the pages: a table that is not built yet reads as None."""

from collections.abc import Sequence

import duckdb
import pandas as pd


class Reader:
    """Read-only queries over one warehouse connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = current_database()"
            ).fetchall()
        }

    def has(self, *tables: str) -> bool:
        return all(str(table) in self._tables for table in tables)

    def table(self, table: str, order_by: Sequence[str] = ()) -> pd.DataFrame | None:
        """Every row of `table`, or None when it does not exist yet."""
        if not self.has(table):
            return None
        order = f" ORDER BY {', '.join(order_by)}" if order_by else ""
        return self.con.execute(f"SELECT * FROM {table}{order}").df()

    def query(
        self, sql: str, needs: Sequence[str], params: Sequence | None = None
    ) -> pd.DataFrame | None:
        """The result of `sql`, or None when one of the tables it `needs` does not exist."""
        if not self.has(*needs):
            return None
        return self.con.execute(sql, list(params or [])).df()

    def value(self, sql: str, needs: Sequence[str], params: Sequence | None = None):
        frame = self.query(sql, needs, params)
        return None if frame is None or frame.empty else frame.iat[0, 0]
