"""`mentorlens status` and `mentorlens schema` on a folder a real `mentorlens run` left."""

from __future__ import annotations

import subprocess

from tests.conftest import query
from tests.ops.conftest import MENTORLENS, cli_env, settings_at


def cli(root, *args: str) -> str:
    done = subprocess.run(
        [MENTORLENS, *args], env=cli_env(root), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_status_shows_dagster_history_the_warehouse_runs_and_sources(tiny_baseline):
    text = cli(tiny_baseline, "status")
    (run_id,) = query(settings_at(tiny_baseline).warehouse, "SELECT run_id FROM meta.runs")[0]
    history = text.split("Last runs (Dagster history")[1].split("Warehouse:")[0]
    assert "SUCCESS" in history and "mentorlens_job" in history and run_id in history
    assert "Runs in the published warehouse:" in text
    assert "employees   loaded" in text
    assert "Writing now" not in text


def test_schema_prints_every_mart_table_and_column_with_its_comment(tiny_baseline):
    text = cli(tiny_baseline, "schema")
    columns = query(
        settings_at(tiny_baseline).warehouse,
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE schema_name = 'marts' ORDER BY ALL",
    )
    assert columns
    flat = " ".join(text.split())
    for table, column, comment in columns:
        assert f"marts.{table} " in text
        assert f" {column} " in flat
        if comment:
            assert " ".join(comment.split()) in flat, f"marts.{table}.{column}"


def test_schema_prints_any_schema_and_all_of_them(tiny_baseline):
    for schema in ("staging", "raw", "quarantine", "meta"):
        text = cli(tiny_baseline, "schema", schema)
        assert f"Schema {schema} in" in text and f"{schema}." in text
    everything = cli(tiny_baseline, "schema", "all")
    assert all(f"Schema {s} in" in everything for s in ("marts", "staging", "meta", "raw"))


def test_schema_prints_the_legacy_views_with_the_old_column_name(tiny_baseline):
    text = cli(tiny_baseline, "schema", "legacy")
    assert "legacy.program_outcomes  (a view)" in text
    assert "Deprecated: marts.program_outcomes" in text
    assert "    group " in text and "    arm " not in text
