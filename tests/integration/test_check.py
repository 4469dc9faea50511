"""`mentorlens check` gives a run's verdict per file and writes nothing."""

from __future__ import annotations

from pipelines.cli import main
from tests.conftest import write


def test_check_reports_quarantine_and_rejection_and_writes_nothing(small_org, capsys):
    write(
        small_org.inbox,
        "pairings_more.csv",
        "pairing_id,program_id,relationship_type,advisor_id,participant_id,start_date\n"
        "X2,P1,mentor,000002,000002,2024-02-01\n",
    )
    write(small_org.inbox, "programs_bad.csv", "program_id,start_date\nP3,2024-01-01\n")
    before = sorted(p.name for p in small_org.inbox.parent.rglob("*"))

    status = main(["check", str(small_org.inbox)])

    out = capsys.readouterr().out
    assert status == 3
    assert "pairings_more.csv: 0 of 1 rows would load into pairings; 1 would be quarantined:" in out
    assert "    line 2: advisor and participant are the same person (000002)" in out
    assert "programs_bad.csv: would be rejected. programs_bad.csv is missing the required" in out
    assert "employees_2026-10.csv: 4 of 4 rows would load into employees." in out
    assert sorted(p.name for p in small_org.inbox.parent.rglob("*")) == before
    assert not small_org.warehouse.exists()


def test_check_resolves_references_against_the_published_warehouse(
    small_org, run, capsys, tmp_path
):
    assert run(small_org).published
    export = write(
        tmp_path / "exports",
        "pairings_new.csv",
        "pairing_id,program_id,relationship_type,advisor_id,participant_id,start_date\n"
        "X7,P1,sponsor,000001,000004,2024-03-01\n"
        "X8,P1,sponsor,000001,000404,2024-03-01\n",
    )
    assert main(["check", str(export)]) == 1
    out = capsys.readouterr().out
    assert "pairings_new.csv: 1 of 2 rows would load into pairings; 1 would be quarantined:" in out
    assert "line 3: participant_id 000404 is not an employee" in out
