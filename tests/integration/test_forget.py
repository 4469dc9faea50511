"""A loaded file can be taken back: `mentorlens forget FILE`, then the next run publishes the
warehouse without it; `status` says which files are gone from the inbox or not loaded yet."""

from __future__ import annotations

from pipelines.cli import main
from tests.conftest import EMPLOYEES, query, write

LEVEL = "SELECT job_level FROM staging.employees WHERE employee_id = '000002'"


def test_forget_restores_the_earlier_snapshot_and_the_next_run_publishes_it(small_org, run, capsys):
    assert run(small_org).published
    promoted = EMPLOYEES.replace("000002,2020-03-01,,,3,", "000002,2020-03-01,,,5,")
    write(small_org.inbox, "employees_2026-11.csv", promoted)
    assert run(small_org).published
    assert query(small_org.warehouse, LEVEL) == [(5,)]

    assert main(["forget", "employees_2026-11.csv"]) == 0
    out = capsys.readouterr().out
    assert "Forgot employees_2026-11.csv: removed 4 from raw.employees." in out
    assert "It is still in the inbox" in out
    assert query(small_org.warehouse, LEVEL) == [(5,)], "published only by the next run"

    outcome = run(small_org)

    assert outcome.published and outcome.exit_status == 0
    assert query(small_org.warehouse, LEVEL) == [(3,)]
    assert query(
        small_org.warehouse,
        "SELECT count(*) FROM raw.employees WHERE _source_file = 'employees_2026-11.csv'",
    ) == [(0,)]
    assert query(
        small_org.warehouse,
        "SELECT status FROM meta.loaded_files WHERE file = 'employees_2026-11.csv'",
    ) == [("retracted",)]
    # Left in the inbox as it is, it is not loaded again (the run has nothing new to do and
    # publishes nothing); changed, it is a new file.
    again = run(small_org)
    assert again.success and not again.published and "Nothing new" in again.nothing_new
    assert query(small_org.warehouse, LEVEL) == [(3,)]
    write(small_org.inbox, "employees_2026-11.csv", promoted.replace(",5,", ",6,"))
    assert run(small_org).published
    assert query(small_org.warehouse, LEVEL) == [(6,)]


def test_forgetting_a_file_that_was_never_loaded_exits_2(small_org, run, capsys):
    assert run(small_org).published
    assert main(["forget", "employees_2099-01.csv"]) == 2
    assert "employees_2099-01.csv was never loaded" in capsys.readouterr().err


def test_status_lists_files_gone_from_the_inbox_and_files_not_loaded_yet(small_org, run, capsys):
    assert run(small_org).published
    (small_org.inbox / "programs.csv").unlink()
    write(small_org.inbox, "employees_2026-12.csv", EMPLOYEES + "000009,2024-01-01,,,2,,,,,\n")
    write(small_org.inbox, "job_events.csv", "employee_id,effective_date,event_type\n")

    assert main(["status"]) == 0

    out = capsys.readouterr().out
    assert "Loaded but no longer in the inbox" in out and "  programs.csv" in out
    assert "In the inbox, not loaded yet (the next run loads them):" in out
    assert "  employees_2026-12.csv (new)" in out
    assert "  job_events.csv (changed since it was loaded)" in out
