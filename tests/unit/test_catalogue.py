"""The table catalogue: declarations, the DDL and checks made from them, Dagster's view."""

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.catalogue import asset_key, key_check, table_metadata
from warehouse.catalogue import (
    CATALOGUE,
    RUN_INFO,
    SURVEY_COMMENTS,
    Column,
    Table,
    apply_comments,
    sensitive_tables,
    table,
)
from warehouse.db import ensure_schemas
from warehouse.tables import create_table_as, write_frame

TINY = Table(
    "marts",
    "tiny",
    "A table for tests.",
    (Column("id", "VARCHAR", "The id."), Column("value", "DOUBLE", "A value.")),
    key=("id",),
)


def test_each_table_is_declared_once_with_a_description_for_everything():
    names = [str(t) for t in CATALOGUE]
    assert len(names) == len(set(names))
    for t in CATALOGUE:
        assert t.description and t.columns
        assert all(c.name and c.type and c.description for c in t.columns), t


def test_a_table_formats_as_its_qualified_name_and_is_found_by_it():
    assert f"SELECT * FROM {RUN_INFO}" == "SELECT * FROM marts.run_info"
    assert table("marts.run_info") is RUN_INFO
    with pytest.raises(KeyError, match="not in the table catalogue"):
        table("marts.nowhere")


def test_a_key_must_be_a_declared_column():
    with pytest.raises(ValueError, match="key"):
        Table("marts", "bad", "x", (Column("a", "VARCHAR", "a"),), key=("b",))


def test_sensitive_tables_come_from_the_catalogue():
    assert sensitive_tables() == [SURVEY_COMMENTS]


def test_the_ledger_is_created_from_its_declaration_with_comments():
    con = duckdb.connect()
    ensure_schemas(con)
    undocumented = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('meta', 'quarantine') "
        "AND (comment IS NULL OR comment = '')"
    ).fetchone()[0]
    assert undocumented == 0
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO meta.runs (run_id) VALUES ('a'), ('a')")


def test_a_query_whose_types_differ_from_the_declaration_is_refused():
    con = duckdb.connect()
    ensure_schemas(con)
    with pytest.raises(ValueError, match="as_of DATE"):
        create_table_as(
            con, RUN_INFO, "SELECT 'x' AS as_of, 'y' AS as_of_source, now() AS built_at"
        )


def test_write_frame_refuses_columns_other_than_the_declared():
    con = duckdb.connect()
    ensure_schemas(con)
    with pytest.raises(ValueError, match="declaration"):
        write_frame(con, RUN_INFO, pd.DataFrame(), {"as_of": "VARCHAR"})


def test_the_key_check_counts_rows_per_key(monkeypatch):
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute(TINY.ddl())
    apply_comments(con, TINY)
    con.execute("INSERT INTO marts.tiny VALUES ('a', 1), ('b', 2)")
    assert key_check(con, TINY).passed
    con.execute("INSERT INTO marts.tiny VALUES ('a', 3)")
    assert not key_check(con, TINY).passed


def test_dagster_sees_the_key_and_the_column_schema():
    assert asset_key(RUN_INFO) == dg.AssetKey(["marts", "run_info"])
    schema = table_metadata(RUN_INFO)["dagster/column_schema"]
    assert [(c.name, c.type) for c in schema.columns] == list(RUN_INFO.types().items())
    assert all(c.description for c in schema.columns)
