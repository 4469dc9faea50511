"""A run with nothing new in the inbox publishes nothing and says so in one line; a new file, a
changed setting or missing pages make it run again (pipelines/up_to_date.py)."""

from __future__ import annotations

import dataclasses

from pipelines.cli import main
from tests.conftest import EMPLOYEES, query, write

RUNS = "SELECT count(*) FROM meta.runs WHERE status = 'published'"


def test_a_second_run_with_nothing_new_publishes_nothing(small_org, run):
    first = run(small_org)
    assert first.published and first.nothing_new is None
    published = small_org.warehouse.stat().st_mtime_ns

    again = run(small_org)

    assert again.success and not again.published and again.exit_status == 0
    assert again.nothing_new.startswith(
        f"Nothing new in {small_org.inbox}: each of its 5 files was seen before"
    )
    assert small_org.warehouse.stat().st_mtime_ns == published
    assert query(small_org.warehouse, RUNS) == [(1,)]


def test_the_cli_says_so_in_one_line(small_org, run, capsys):
    assert run(small_org).published
    capsys.readouterr()
    assert main(["run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("Nothing new in"), out


def test_a_new_file_a_changed_setting_or_missing_pages_run_again(small_org, run, monkeypatch):
    assert run(small_org).published

    write(small_org.inbox, "employees_2026-11.csv", EMPLOYEES)
    assert run(small_org).published
    assert run(small_org).nothing_new

    larger_groups = dataclasses.replace(small_org, min_group_size=small_org.min_group_size + 1)
    assert run(larger_groups).published
    assert run(larger_groups).nothing_new

    # A setting read where it is used, not through Settings, counts too.
    monkeypatch.setenv("MENTORLENS_BASELINE_MAX_MONTHS", "12")
    assert run(larger_groups).published
    assert run(larger_groups).nothing_new

    (larger_groups.reports / "index.html").unlink()
    assert run(larger_groups).published
    assert query(small_org.warehouse, RUNS) == [(5,)]


def test_a_failure_or_a_publication_left_half_way_since_makes_it_run(small_org, run):
    from warehouse.failures import failures_log
    from warehouse.publishing import journal_path

    assert run(small_org).published
    log = failures_log(small_org.dagster_home)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text('{"message": "a run failed"}\n', encoding="utf-8")
    assert run(small_org).published  # the pages may carry the failure's banner
    assert run(small_org).nothing_new

    journal = journal_path(small_org.working_warehouse)
    journal.write_text("{}", encoding="utf-8")
    try:
        from pipelines.up_to_date import nothing_new

        assert nothing_new(small_org) is None
    finally:
        journal.unlink()
    assert nothing_new(small_org)
