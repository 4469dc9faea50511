"""Pseudonymised publication: with MENTORLENS_PSEUDONYMIZE_KEY set, the published warehouse
carries HMAC-SHA256 pseudonyms instead of employee ids; the working database keeps the real ids.

- Every employee-id column (`EMPLOYEE_ID_COLUMNS`, in any schema) holds the 64-hex
  HMAC-SHA256 of the id under the key. The same id gets the same pseudonym in every table and in
  every run with the same key, so joins keep working; pairing and program ids stay as they are.
- `raw` and the row-level `quarantine.<source>` tables are left out. They hold rows as landed:
  contact columns (names, emails, phones), ids that failed validation in any shape, and ids
  inside the readable reasons ("advisor_id 010482 is not an employee"), which no column rule
  can pseudonymise. `quarantine.rejected_files` (one sentence per file) stays; the counts stay
  in `meta.loaded_files`; the rows themselves are for `mentorlens check` on the files.
- Tables the table catalogue marks sensitive (free-text survey comments) are left out.
- A guard fails the publication when any other text column holds mostly employee ids, so a mart
  column added later cannot leak ids unnoticed.

The copy is written table by table into a fresh file rather than copied and then updated:
DuckDB does not wipe the blocks an UPDATE frees, so an updated copy could still hold real ids.
"""

import hashlib
import hmac
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.catalogue import sensitive_tables
from warehouse.db import quote_ident, quote_literal

EMPLOYEE_ID_COLUMNS = ("employee_id", "manager_id", "advisor_id", "participant_id")
KEPT_QUARANTINE_TABLES = ("rejected_files",)
PSEUDONYM_NOTE = (
    "Pseudonymised: HMAC-SHA256 of the id (64 hex characters), the same in every table."
)


class PseudonymizationError(RuntimeError):
    """The published copy would still hold employee ids."""


def pseudonym_function(key: str):
    """id → 64-hex HMAC-SHA256 under the key. The keyed state is built once and copied per id,
    which hashes a million ids in about a second."""
    keyed = hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)

    def pseudonym(value: str) -> str:
        mac = keyed.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()

    return pseudonym


def write_pseudonymized_copy(working: Path, target: Path, key: str) -> dict[str, int]:
    """Write the publishable copy of `working` to `target`; returns counts for the log."""
    target.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {quote_literal(str(working))} AS src (READ_ONLY)")
        con.execute(f"ATTACH {quote_literal(str(target))} AS dst")
        con.execute("COPY FROM DATABASE src TO dst (SCHEMA)")
        kept, left_out = _split_tables(con)
        for schema, table in left_out:
            con.execute(f"DROP TABLE dst.{quote_ident(schema)}.{quote_ident(table)}")
        con.execute("DROP SCHEMA IF EXISTS dst.raw CASCADE")
        id_columns = _id_columns(con, kept)
        ids = _register_pseudonyms(con, id_columns, key)
        for schema, table in kept:
            _copy_table(con, schema, table, id_columns.get((schema, table), []))
        _refuse_leftover_ids(con, kept, id_columns)
        _note_in_comments(con, id_columns)
        con.execute("DETACH dst")
    finally:
        con.close()
    return {"ids": ids, "tables": len(kept), "tables_left_out": len(left_out)}


def _split_tables(con: duckdb.DuckDBPyConnection) -> tuple[list, list]:
    kept, left_out = [], []
    sensitive = {(t.schema, t.name) for t in sensitive_tables()}
    for schema, table in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = 'src' ORDER BY ALL"
    ).fetchall():
        leave_out = (
            schema == "raw"
            or (schema == "quarantine" and table not in KEPT_QUARANTINE_TABLES)
            or (schema, table) in sensitive
        )
        (left_out if leave_out else kept).append((schema, table))
    return kept, left_out


def _id_columns(con: duckdb.DuckDBPyConnection, kept: list) -> dict[tuple, list[str]]:
    columns: dict[tuple, list[str]] = {}
    for schema, table, column, data_type in con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = 'src' AND column_name IN "
        f"({', '.join(quote_literal(c) for c in EMPLOYEE_ID_COLUMNS)}) ORDER BY ALL"
    ).fetchall():
        if (schema, table) not in kept:
            continue
        if data_type != "VARCHAR":
            raise PseudonymizationError(
                f"{schema}.{table}.{column} is {data_type}; employee ids must be text to be "
                "pseudonymised."
            )
        columns.setdefault((schema, table), []).append(column)
    return columns


def _register_pseudonyms(
    con: duckdb.DuckDBPyConnection, id_columns: dict[tuple, list[str]], key: str
) -> int:
    """A temporary table `pseudonyms(id, pseudonym)` for every distinct id in the warehouse."""
    selects = [
        f"SELECT {quote_ident(c)} AS id FROM src.{quote_ident(s)}.{quote_ident(t)}"
        for (s, t), cols in id_columns.items()
        for c in cols
    ]
    ids: list[str] = []
    if selects:
        ids = (
            con.sql(f"SELECT DISTINCT id FROM ({' UNION ALL '.join(selects)}) WHERE id <> ''")
            .to_arrow_table()
            .column("id")
            .to_pylist()
        )
    pseudonym = pseudonym_function(key)
    mapping = pa.table(
        {"id": pa.array(ids, pa.string()), "pseudonym": [pseudonym(i) for i in ids]},
        schema=pa.schema([("id", pa.string()), ("pseudonym", pa.string())]),
    )
    con.register("pseudonym_mapping", mapping)
    con.execute("CREATE TEMP TABLE pseudonyms AS SELECT * FROM pseudonym_mapping")
    con.unregister("pseudonym_mapping")
    return len(ids)


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str]):
    name = f"{quote_ident(schema)}.{quote_ident(table)}"
    if not columns:
        con.execute(f"INSERT INTO dst.{name} SELECT * FROM src.{name}")
        return
    replaced = ", ".join(f"m{i}.pseudonym AS {quote_ident(c)}" for i, c in enumerate(columns))
    joins = " ".join(
        f"LEFT JOIN pseudonyms m{i} ON m{i}.id = t.{quote_ident(c)}" for i, c in enumerate(columns)
    )
    con.execute(
        f"INSERT INTO dst.{name} BY NAME SELECT t.* REPLACE ({replaced}) FROM src.{name} t {joins}"
    )


def _note_in_comments(con: duckdb.DuckDBPyConnection, id_columns: dict[tuple, list[str]]) -> None:
    for (schema, table), columns in id_columns.items():
        for column in columns:
            comment = con.execute(
                "SELECT coalesce(comment, '') FROM duckdb_columns() WHERE database_name = 'dst' "
                "AND schema_name = ? AND table_name = ? AND column_name = ?",
                [schema, table, column],
            ).fetchone()[0]
            noted = f"{comment} {PSEUDONYM_NOTE}".strip()
            con.execute(
                f"COMMENT ON COLUMN dst.{quote_ident(schema)}.{quote_ident(table)}."
                f"{quote_ident(column)} IS {quote_literal(noted)}"
            )


def _refuse_leftover_ids(
    con: duckdb.DuckDBPyConnection, kept: list, id_columns: dict[tuple, list[str]]
) -> None:
    for schema, table in kept:
        text_columns = [
            column
            for (column,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'dst' "
                "AND schema_name = ? AND table_name = ? AND data_type = 'VARCHAR'",
                [schema, table],
            ).fetchall()
            if column not in id_columns.get((schema, table), [])
        ]
        if not text_columns:
            continue
        counts = ", ".join(
            f"count({quote_ident(c)}), "
            f"count(*) FILTER (WHERE {quote_ident(c)} IN (SELECT id FROM pseudonyms))"
            for c in text_columns
        )
        row = con.execute(
            f"SELECT {counts} FROM dst.{quote_ident(schema)}.{quote_ident(table)}"
        ).fetchone()
        for column, filled, ids in zip(text_columns, row[0::2], row[1::2], strict=True):
            if ids and ids * 2 > filled:
                raise PseudonymizationError(
                    f"{schema}.{table}.{column} holds employee ids ({ids:,} of {filled:,} "
                    "values) but is not pseudonymised: add it to EMPLOYEE_ID_COLUMNS in "
                    "warehouse/pseudonyms.py."
                )
