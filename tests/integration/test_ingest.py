"""Runs of the whole job on small inboxes: the ledger, repeats, last-file-wins, rejections."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.cli import main
from pipelines.runner import run_pipeline
from tests.conftest import EMPLOYEES, query, write


def test_a_run_lands_every_source_and_reconciles_the_ledger(small_org, run):
    outcome = run(small_org)
    assert outcome.success and outcome.published and outcome.exit_status == 0
    published = small_org.warehouse
    for source in ("employees", "programs", "pairings", "activities", "job_events"):
        assert query(published, f"SELECT count(*) FROM raw.{source}")[0][0] > 0
    rows = query(
        published,
        "SELECT file, rows_read, rows_loaded, rows_quarantined, status FROM meta.loaded_files",
    )
    assert len(rows) == 5
    for file, read, loaded, quarantined, status in rows:
        assert status == "loaded", file
        assert read == loaded + quarantined and read > 0, file


def test_leading_zero_ids_stay_text(small_org, run):
    run(small_org)
    ids = {r[0] for r in query(small_org.warehouse, "SELECT employee_id FROM staging.employees")}
    assert ids == {"000001", "000002", "000003", "000004"}
    raw_ids = query(
        small_org.warehouse, "SELECT manager_id FROM raw.employees WHERE manager_id IS NOT NULL"
    )
    assert {r[0] for r in raw_ids} == {"000001"}


def test_a_byte_identical_file_under_another_name_loads_nothing(small_org, run):
    run(small_org)
    before = query(small_org.warehouse, "SELECT count(*) FROM raw.employees")[0][0]
    shutil.copy(small_org.inbox / "employees_2026-10.csv", small_org.inbox / "employees_copy.csv")

    outcome = run(small_org)

    assert outcome.success
    assert query(small_org.warehouse, "SELECT count(*) FROM raw.employees")[0][0] == before
    status, read, duplicate_of = query(
        small_org.warehouse,
        "SELECT status, rows_read, duplicate_of FROM meta.loaded_files "
        "WHERE file = 'employees_copy.csv'",
    )[0]
    assert (status, read, duplicate_of) == ("duplicate", 0, "employees_2026-10.csv")


def test_an_unchanged_inbox_is_not_read_again(small_org, run):
    first = run(small_org)
    second = run(small_org)
    load_ids = {
        r[0] for r in query(small_org.warehouse, "SELECT DISTINCT _load_id FROM raw.employees")
    }
    assert load_ids == {first.run_id}
    assert second.success


def test_the_last_file_by_name_wins_per_key(small_org, run):
    newer = EMPLOYEES.replace("000004,2022-07-01,,,2,", "000004,2022-07-01,2026-08-31,voluntary,2,")
    write(small_org.inbox, "employees_2026-11.csv", newer)
    run(small_org)
    rows = query(
        small_org.warehouse,
        "SELECT termination_date, _source_file FROM staging.employees WHERE employee_id = '000004'",
    )
    assert rows == [(date(2026, 8, 31), "employees_2026-11.csv")]
    superseded = query(
        small_org.warehouse,
        "SELECT rows_superseded FROM meta.loaded_files WHERE file = 'employees_2026-10.csv'",
    )[0][0]
    assert superseded == 4


def test_a_rejected_file_loses_nothing_loaded_before(small_org, run):
    run(small_org)
    before = query(small_org.warehouse, "SELECT * FROM raw.employees ORDER BY _source_line")
    (small_org.inbox / "employees_2026-10.csv").write_bytes(b"\x00\x00 binary garbage \x00")

    outcome = run(small_org)

    assert outcome.exit_status == 3
    assert outcome.rejected == [
        (
            "employees_2026-10.csv",
            "employees_2026-10.csv is not a text file: it contains binary data.",
        )
    ]
    assert query(small_org.warehouse, "SELECT * FROM raw.employees ORDER BY _source_line") == before
    assert query(small_org.warehouse, "SELECT count(*) FROM staging.employees")[0][0] == 4
    assert query(small_org.warehouse, "SELECT file, reason FROM quarantine.rejected_files") == [
        (
            "employees_2026-10.csv",
            "employees_2026-10.csv is not a text file: it contains binary data.",
        )
    ]


def test_a_file_missing_a_required_column_is_rejected_and_named(small_org, run, capsys):
    write(small_org.inbox, "pairings_extra.csv", "pairing_id,program_id\nX9,P1\n")
    assert main(["run"]) == 3
    out = capsys.readouterr().out
    assert (
        "Rejected: pairings_extra.csv is missing the required columns relationship_type, "
        "advisor_id, participant_id, start_date." in out
    )


def test_contact_columns_stop_at_raw(small_org, run):
    run(small_org)
    raw_columns = {r[0] for r in query(small_org.warehouse, "DESCRIBE raw.employees")}
    staged = {r[0] for r in query(small_org.warehouse, "DESCRIBE staging.employees")}
    assert "work_email" in raw_columns
    assert "work_email" not in staged


def test_unrecognised_files_are_listed_and_ignored(small_org, run):
    write(small_org.inbox, "notes.csv", "a,b\n1,2\n")
    outcome = run(small_org)
    assert outcome.success and outcome.exit_status == 0
    assert outcome.unrecognised == ["notes.csv"]


def test_a_bad_inbox_path_is_one_sentence_and_non_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MENTORLENS_INBOX", str(tmp_path / "missing"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mentorlens: The inbox") and err.count("\n") == 1


def test_dagster_definitions_load(tmp_path):
    project = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "check", "defs"],
        cwd=project,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_the_outcome_of_a_run_with_a_rejected_file_comes_from_its_event_log(small_org):
    """The CLI's verdict is what the run recorded in Dagster, read back by run id; nothing is
    kept in a module of this process, and the warehouse is not read after the run."""
    from pipelines.runner import outcome_of_run

    write(small_org.inbox, "pairings_extra.csv", "pairing_id,program_id\nX9,P1\n")
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(small_org, quiet=True, instance=instance)

    again = outcome_of_run(instance, outcome.run_id)

    assert again == outcome
    assert again.success and again.published and again.exit_status == 3
    assert [file for file, _ in again.rejected] == ["pairings_extra.csv"]
    materialized = [
        entry.asset_materialization
        for entry in instance.all_logs(
            outcome.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        )
    ]
    rejected = [
        m.metadata["rejected_files"].value
        for m in materialized
        if m.asset_key == dg.AssetKey(["raw", "pairings"])
    ]
    assert rejected[0][0][0] == "pairings_extra.csv"
    # A later run with the file still there says so again, from its own events.
    assert run_pipeline(small_org, quiet=True, instance=instance).exit_status == 3
