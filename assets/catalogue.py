"""The table catalogue seen from Dagster: a catalogued table's asset key, its column schema
(`dagster/column_schema`, shown in the UI's catalogue) and its one-row-per-key check."""

import dagster as dg
import duckdb

from warehouse.catalogue import Table
from warehouse.db import quote_ident

ONE_ROW_PER_KEY = "one_row_per_key"


def asset_key(table: Table) -> dg.AssetKey:
    """`marts.run_info` → AssetKey(["marts", "run_info"])."""
    return dg.AssetKey([table.schema, table.name])


def column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.type, description=c.description)
            for c in table.columns
        ]
    )


def table_metadata(table: Table) -> dict[str, object]:
    """Definition metadata for a table's asset: where it lives and its columns."""
    return {"dagster/table_name": str(table), "dagster/column_schema": column_schema(table)}


def key_check_spec(table: Table, key: dg.AssetKey | None = None) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        ONE_ROW_PER_KEY,
        asset=key or asset_key(table),
        blocking=True,
        description=f"{table} holds one row per {', '.join(table.key or ())}.",
    )


def key_check(con: duckdb.DuckDBPyConnection, table: Table) -> dg.AssetCheckResult:
    """Blocking check that `table` has one row per `table.key`."""
    key = ", ".join(quote_ident(k) for k in table.key or ())
    rows, keys = con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM {table}").fetchone()
    return dg.AssetCheckResult(
        check_name=ONE_ROW_PER_KEY,
        asset_key=asset_key(table),
        passed=rows == keys,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{table}: {rows:,} rows for {keys:,} distinct {', '.join(table.key or ())}.",
        metadata={"rows": rows, "distinct_keys": keys},
    )
