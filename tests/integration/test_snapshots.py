"""Bad snapshots never publish: the quarantine threshold holds per file, however many good
snapshots came before, and a snapshot that drops people without terminations fails the run."""

from __future__ import annotations

from tests.conftest import ACTIVITIES, JOB_EVENTS, PAIRINGS, PROGRAMS, write

PEOPLE = [f"{n:06d}" for n in range(1, 41)]
HEADER = "employee_id,hire_date,termination_date,termination_type,job_level,snapshot\n"


def snapshot(month: str, ids=PEOPLE, terminated=(), day_first: bool = False) -> str:
    hired = "01/01/2020" if day_first else "2020-01-01"
    rows = [
        f"{i},{hired},{'2026-08-15,voluntary' if i in terminated else ','},3,{month}\n" for i in ids
    ]
    return HEADER + "".join(rows)


def months(count: int) -> list[str]:
    return [f"{2025 + (m // 12)}-{m % 12 + 1:02d}" for m in range(count)]


def org_with_snapshots(settings, count: int) -> None:
    for name, text in {
        "programs.csv": PROGRAMS,
        "pairings.csv": PAIRINGS,
        "activities.csv": ACTIVITIES,
        "job_events.csv": JOB_EVENTS,
    }.items():
        write(settings.inbox, name, text)
    for month in months(count):
        write(settings.inbox, f"employees_{month}.csv", snapshot(month))


def test_a_wholly_bad_snapshot_among_twenty_good_ones_fails_naming_the_file(settings, run):
    org_with_snapshots(settings, 20)
    assert run(settings).published
    before = settings.warehouse.read_bytes()
    # 40 bad rows of 840: under 5% of the source, 100% of the file.
    write(settings.inbox, "employees_2026-09.csv", snapshot("2026-09", day_first=True))

    outcome = run(settings)

    assert not outcome.success and not outcome.published and outcome.exit_status == 1
    failure = next(f for f in outcome.failures if "quarantine_within_threshold" in f)
    assert "employees_2026-09.csv" in failure and "40 of 40 rows (100%)" in failure
    assert "line 2: hire_date '01/01/2020' is not a real date: expected YYYY-MM-DD" in failure
    assert settings.warehouse.read_bytes() == before


def test_a_snapshot_that_drops_30_percent_of_employees_fails(settings, run):
    org_with_snapshots(settings, 2)
    assert run(settings).published
    before = settings.warehouse.read_bytes()
    write(settings.inbox, "employees_2025-03.csv", snapshot("2025-03", ids=PEOPLE[:28]))

    outcome = run(settings)

    assert not outcome.success and outcome.exit_status == 1
    failure = next(f for f in outcome.failures if "snapshot_within_drop" in f)
    assert "employees_2025-03.csv drops 12 of the 40 people employees_2025-02.csv" in failure
    assert "(30%, over the 10% allowed)" in failure
    assert settings.warehouse.read_bytes() == before


def test_terminations_explain_a_smaller_snapshot(settings, run, monkeypatch):
    org_with_snapshots(settings, 2)
    assert run(settings).published
    leavers = set(PEOPLE[28:])
    write(settings.inbox, "employees_2025-03.csv", snapshot("2025-03", terminated=leavers))
    assert run(settings).published

    monkeypatch.setenv("MENTORLENS_MAX_SNAPSHOT_DROP", "0.5")
    write(settings.inbox, "employees_2025-04.csv", snapshot("2025-04", ids=PEOPLE[:20]))
    assert run(settings.__class__.from_env()).published  # 8 of 28 employed: under 50%


def test_the_department_at_a_pairings_start_comes_from_the_snapshot_of_that_month(small_org, run):
    """Participant 000002 (paired 2024-02-01) was in Ops in the January 2024 snapshot and in
    Eng in today's; their quarantined row of the February snapshot, which would otherwise be
    the one read, does not count, nor does the later March snapshot."""
    import dataclasses

    from tests.conftest import EMPLOYEES, query

    january = EMPLOYEES.replace("000002,2020-03-01,,,3,Eng,", "000002,2020-03-01,,,3,Ops,")
    february = EMPLOYEES.replace("000002,2020-03-01,,,3,Eng,", "000002,not a date,,,3,Sales,")
    march = EMPLOYEES.replace("000002,2020-03-01,,,3,Eng,", "000002,2020-03-01,,,3,Legal,")
    write(small_org.inbox, "employees_2024-01.csv", january)
    write(small_org.inbox, "employees_2024-02.csv", february)
    write(small_org.inbox, "employees_2024-03.csv", march)
    tolerant = dataclasses.replace(small_org, quarantine_threshold=0.5, max_snapshot_drop=0.5)
    assert run(tolerant).published
    assert query(
        small_org.warehouse,
        "SELECT participant_department, participant_department_at_start FROM marts.fct_pairing "
        "WHERE pairing_id = 'X1'",
    ) == [("Eng", "Ops")]
