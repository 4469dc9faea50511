"""Rows that break a rule are quarantined with every reason; thresholds stop publication."""

from __future__ import annotations

from tests.conftest import query, write

PAIRINGS_HEADER = "pairing_id,program_id,relationship_type,advisor_id,participant_id,start_date\n"


def write_bad_pairings(inbox, *rows: str) -> None:
    write(inbox, "pairings_bad.csv", PAIRINGS_HEADER + "".join(f"{row}\n" for row in rows))


def test_bad_rows_are_quarantined_with_file_line_and_every_reason(small_org, run, monkeypatch):
    monkeypatch.setenv("MENTORLENS_QUARANTINE_THRESHOLD", "1")  # every row of the file is bad
    write_bad_pairings(
        small_org.inbox,
        "X2,P1,mentor,000001,000001,2024-02-01",
        "X3,P9,buddy,000099,000002,2024-02-01",
        "X4,P1,sponsor,000001,000004,31/02/2024",
    )
    outcome = run(small_org.__class__.from_env())
    assert outcome.success
    rows = query(
        small_org.warehouse,
        "SELECT _source_line, pairing_id, reasons FROM quarantine.pairings ORDER BY _source_line",
    )
    assert rows == [
        (2, "X2", "advisor and participant are the same person (000001)"),
        (
            3,
            "X3",
            "relationship_type 'buddy' is not one of mentor, sponsor, ally, coach; "
            "program_id P9 is not a program; advisor_id 000099 is not an employee",
        ),
        (4, "X4", "start_date '31/02/2024' is not a real date"),
    ]


def test_passing_the_threshold_fails_the_run_and_keeps_the_published_warehouse(small_org, run):
    assert run(small_org).published
    before = small_org.warehouse.read_bytes()
    write(
        small_org.inbox,
        "programs_2.csv",
        "program_id,start_date,end_date\nP2,2024-06-01,2024-01-01\n",
    )
    outcome = run(small_org)
    assert not outcome.success and outcome.exit_status == 1
    assert any("quarantine_within_threshold" in f and "programs" in f for f in outcome.failures)
    assert small_org.warehouse.read_bytes() == before


def test_a_run_with_nothing_new_validates_nothing_and_changes_nothing(small_org, run, monkeypatch):
    """Duplicates and key conflicts are found across a whole file; a second run over the same
    inbox reads and validates nothing, and every table the validation writes stays as it was."""
    monkeypatch.setenv("MENTORLENS_QUARANTINE_THRESHOLD", "1")  # the file is mostly bad
    write_bad_pairings(
        small_org.inbox,
        "X2,P1,mentor,000001,000001,2024-02-01",
        "X5,P1,mentor,000001,000002,2024-03-01",
        "X3,P9,buddy,000099,000002,2024-02-01",
        "X5,P1,mentor,000001,000004,2024-03-01",
        "X2,P1,mentor,000001,000001,2024-02-01",
        "X6,P1,mentor,000001,000002,2024-03-01",
    )
    tables = [
        "SELECT * FROM quarantine.pairings ORDER BY ALL",
        "SELECT * FROM staging.pairings ORDER BY ALL",
        "SELECT file, status, rows_read, rows_loaded, rows_quarantined, rows_superseded "
        "FROM meta.loaded_files ORDER BY file",
        "SELECT source, expectation, column_name, success, unexpected_count, element_count, "
        "reason FROM meta.validation_results WHERE run_id = (SELECT run_id FROM "
        "meta.validation_results ORDER BY validated_at DESC LIMIT 1) ORDER BY ALL",
    ]
    assert run(small_org.__class__.from_env()).success
    whole = [query(small_org.warehouse, sql) for sql in tables]
    # A changed setting makes the second run a real one (with nothing changed it is skipped).
    monkeypatch.setenv("MENTORLENS_MIN_GROUP_SIZE", "6")
    again = run(small_org.__class__.from_env())
    assert again.success and again.published and again.nothing_new is None
    assert [query(small_org.warehouse, sql) for sql in tables] == whole
    reasons = dict(
        query(small_org.warehouse, "SELECT _source_line, reasons FROM quarantine.pairings")
    )
    assert (
        reasons[3]
        == reasons[5]
        == "pairing_id X5 appears on several lines of this file with different values"
    )
    assert reasons[6] == (
        "duplicate of line 2; advisor and participant are the same person (000001)"
    )
