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
    assert (
        "pairings_more.csv: would fail the run, and nothing would be published: 100% of its rows "
        "would be quarantined, over the 5% threshold. 0 of 1 rows would load into pairings; "
        "1 would be quarantined:" in out
    )
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
    assert "pairings_new.csv: would fail the run" in out  # 50% is over the 5% threshold
    assert "1 of 2 rows would load into pairings; 1 would be quarantined:" in out
    assert "line 3: participant_id 000404 is not an employee" in out


def test_check_on_a_wholly_bad_snapshot_says_it_would_fail_and_what_a_date_should_be(
    small_org, capsys
):
    bad = (
        (small_org.inbox / "employees_2026-10.csv").read_text().replace("2021-05-01", "20/11/1988")
    )
    export = write(small_org.inbox.parent / "exports", "employees_2026-11.csv", bad)
    write(export.parent, "notes.csv", "a,b\n1,2\n")

    assert main(["check", str(export.parent)]) == 1

    out = capsys.readouterr().out
    assert "employees_2026-11.csv: would fail the run, and nothing would be published: 25%" in out
    assert (
        "line 4: hire_date '20/11/1988' is not a real date: expected YYYY-MM-DD "
        "(or set a date format in the mapping)" in out
    )
    assert "notes.csv: not recognised as any source; a run ignores it." in out
    assert "Accepted names (case-insensitive): employees*, job_events*, programs*" in out
