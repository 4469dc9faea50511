"""The fix for GX issue 11579 is still needed, and still works, with the pinned GX."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from quality import gx_duckdb


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE levels AS SELECT 'a.csv' AS _source_file, i + 2 AS _source_line, "
        "i AS level FROM range(10) r(i)"
    )
    yield con
    con.close()


def _run(con: duckdb.DuckDBPyConnection) -> dict:
    import great_expectations as gx

    context, source = gx_duckdb.duckdb_context(con)
    batch = source.add_table_asset("levels", table_name="levels").add_batch_definition_whole_table(
        "all"
    )
    suite = context.suites.add(
        gx.ExpectationSuite(
            name="levels",
            expectations=[
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="level", min_value=1, max_value=7
                )
            ],
        )
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="levels", data=batch, suite=suite)
    )
    outcome = definition.run(
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": ["_source_file", "_source_line"],
            "return_unexpected_index_query": True,
        }
    )
    (result,) = outcome.results
    return {"info": result.exception_info, **(result.result or {})}


def test_without_the_fix_gx_cannot_validate_a_duckdb_table(con, monkeypatch):
    """If this fails, a GX upgrade fixed issue 11579: delete quality/gx_duckdb.py's patch."""
    monkeypatch.setattr(gx_duckdb, "apply_fix", lambda: None)
    gx_duckdb.remove_fix()
    try:
        result = _run(con)
    finally:
        gx_duckdb.remove_fix()
    messages = [
        entry.get("exception_message")
        for entry in result["info"].values()
        if isinstance(entry, dict)
    ]
    assert "unexpected_count" not in result
    assert "list index out of range" in messages


def test_with_the_fix_gx_finds_the_failing_rows_in_duckdb(con):
    result = _run(con)
    assert result["unexpected_count"] == 3
    rows = con.execute(result["unexpected_index_query"]).fetchall()
    assert sorted(rows) == [("a.csv", 2, 0), ("a.csv", 10, 8), ("a.csv", 11, 9)]
