"""With MENTORLENS_PSEUDONYMIZE_KEY set, the published warehouse carries HMAC-SHA256 pseudonyms
for every employee id, stable across runs; the working copy keeps the real ids."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

import dagster as dg
import duckdb
import pytest

from pipelines.runner import run_pipeline
from pipelines.status import status_text
from tests.conftest import query
from tests.ops.conftest import write_tiny_org
from warehouse.db import last_good_copy
from warehouse.pseudonyms import (
    EMPLOYEE_ID_COLUMNS,
    PseudonymizationError,
    write_pseudonymized_copy,
)
from warehouse.settings import Settings

KEY = "correct horse battery staple"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def expected_pseudonym(employee_id: str) -> str:
    return hmac.new(KEY.encode(), employee_id.encode(), hashlib.sha256).hexdigest()


def id_values(path) -> dict[str, set[str]]:
    """Every value of every employee-id column, by table.column."""
    values = {}
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            f"WHERE column_name IN {tuple(EMPLOYEE_ID_COLUMNS)}"
        ).fetchall()
        for schema, table, column in columns:
            values[f"{schema}.{table}.{column}"] = {
                v
                for (v,) in con.execute(
                    f'SELECT DISTINCT "{column}" FROM {schema}.{table} WHERE "{column}" IS NOT NULL'
                ).fetchall()
            }
    return values


@pytest.fixture
def pseudonymised_org(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("MENTORLENS_PSEUDONYMIZE_KEY", KEY)
    write_tiny_org(settings.inbox)
    return Settings.from_env()


def test_the_published_copy_carries_stable_pseudonyms_and_the_working_copy_real_ids(
    pseudonymised_org,
):
    settings = pseudonymised_org
    instance = dg.DagsterInstance.ephemeral()
    first = run_pipeline(settings, quiet=True, instance=instance)
    assert first.success and first.published, first.failures

    published = id_values(settings.warehouse)
    assert "marts.dim_employee.employee_id" in published
    assert "staging.pairings.participant_id" in published
    assert all(HEX64.match(v) for values in published.values() for v in values)
    assert expected_pseudonym("000001") in published["marts.dim_employee.employee_id"]
    # Joins still work: a pairing's participant is found among the employees.
    joined = query(
        settings.warehouse,
        "SELECT count(*) FROM marts.fct_pairing p "
        "JOIN marts.dim_employee e ON e.employee_id = p.participant_id",
    )
    assert joined == [(1,)]
    # What cannot be pseudonymised column by column is left out of the published copy.
    tables = {
        f"{s}.{t}"
        for s, t in query(settings.warehouse, "SELECT schema_name, table_name FROM duckdb_tables()")
    }
    assert not {t for t in tables if t.startswith("raw.")}
    assert {t for t in tables if t.startswith("quarantine.")} == {"quarantine.rejected_files"}
    assert "staging.survey_comments" not in tables
    # The working copy, where the next run starts, keeps the real ids.
    working = id_values(last_good_copy(settings.working_warehouse))
    assert "000001" in working["marts.dim_employee.employee_id"]
    assert query(last_good_copy(settings.working_warehouse), "SELECT count(*) FROM raw.employees")

    second = run_pipeline(settings, quiet=True, instance=instance)
    assert second.success, second.failures
    assert id_values(settings.warehouse) == published
    assert "Runs in the published warehouse" in status_text(settings)


def make_working(path, extra_sql: str = "") -> None:
    """A working database with a million employees, stored uncompressed so that every real id
    is in the file as plain bytes."""
    with duckdb.connect(str(path)) as con:
        con.execute("PRAGMA force_compression = 'uncompressed'")
        con.execute(
            "CREATE SCHEMA staging; CREATE SCHEMA marts; CREATE SCHEMA raw; "
            "CREATE TABLE staging.employees AS SELECT lpad(i::VARCHAR, 7, '0') AS employee_id, "
            "lpad((i // 10)::VARCHAR, 7, '0') AS manager_id FROM range(1000000) t(i); "
            "CREATE TABLE raw.employees AS SELECT * FROM staging.employees LIMIT 10; "
            "COMMENT ON COLUMN staging.employees.employee_id IS 'The id.'; " + extra_sql
        )
    assert b"0123456" in path.read_bytes()


def test_a_million_ids_are_pseudonymised_in_seconds(tmp_path):
    make_working(tmp_path / "working.duckdb")
    started = time.perf_counter()
    counts = write_pseudonymized_copy(tmp_path / "working.duckdb", tmp_path / "out.duckdb", KEY)
    elapsed = time.perf_counter() - started
    assert counts["ids"] == 1_000_000
    assert elapsed < 30, f"{elapsed:.1f} s"  # about 3 s on two idle cores
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT employee_id FROM staging.employees WHERE manager_id = ? LIMIT 1",
            [expected_pseudonym("0000000")],
        ).fetchone()[0] in {expected_pseudonym(f"{i:07d}") for i in range(10)}
        assert (
            con.execute("SELECT comment FROM duckdb_columns() WHERE column_name = 'employee_id'")
            .fetchone()[0]
            .startswith("The id. Pseudonymised")
        )
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()
    # Written afresh, not copied and updated: no block of the file keeps a real id.
    assert b"0123456" not in (tmp_path / "out.duckdb").read_bytes()


def test_a_column_holding_ids_under_another_name_stops_the_publication(tmp_path):
    make_working(
        tmp_path / "working.duckdb",
        "CREATE TABLE marts.mentoring AS SELECT employee_id AS mentee FROM staging.employees "
        "LIMIT 100",
    )
    with pytest.raises(PseudonymizationError, match=r"marts\.mentoring\.mentee holds employee ids"):
        write_pseudonymized_copy(tmp_path / "working.duckdb", tmp_path / "out.duckdb", KEY)
