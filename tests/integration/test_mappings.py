"""Real exports map in: the shipped example mappings load their sample files with the same
staged rows as the contract-shaped twins in tests/conftest.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import (
    ACTIVITIES,
    EMPLOYEES,
    JOB_EVENTS,
    PAIRINGS,
    PROGRAMS,
    query,
    settings_under,
    write,
)
from warehouse.settings import Settings

EXAMPLES = Path(__file__).parents[2] / "examples" / "mappings"
TWIN = {
    "employees_2026-10.csv": EMPLOYEES,
    "programs.csv": PROGRAMS,
    "pairings.csv": PAIRINGS,
    "activities.csv": ACTIVITIES,
    "job_events.csv": JOB_EVENTS,
}


def staged(settings: Settings, source: str) -> list[tuple]:
    columns = [
        name
        for name, *_ in query(settings.warehouse, f"DESCRIBE staging.{source}")
        if not name.startswith("_")
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    return query(settings.warehouse, f"SELECT {listed} FROM staging.{source} ORDER BY ALL")


@pytest.mark.parametrize(
    ("example", "source", "replaces"),
    [
        ("workday", "employees", "employees_2026-10.csv"),
        ("mentoring_platform", "pairings", "pairings.csv"),
    ],
)
def test_a_mapped_export_stages_the_rows_of_its_contract_shaped_twin(
    example, source, replaces, tmp_path, monkeypatch, run
):
    twin = settings_under(tmp_path / "twin")
    for name, text in TWIN.items():
        write(twin.inbox, name, text)
    assert run(twin).published

    mapped = settings_under(tmp_path / "mapped")
    for name, text in TWIN.items():
        if name != replaces:
            write(mapped.inbox, name, text)
    (sample,) = (EXAMPLES / example).glob(f"{source}_*.csv")
    shutil.copy(sample, mapped.inbox / sample.name)
    mapped = Settings(**{**mapped.__dict__, "mapping": EXAMPLES / example / "mapping.yaml"})

    outcome = run(mapped)

    assert outcome.published and outcome.exit_status == 0, outcome.failures
    assert query(mapped.warehouse, f"SELECT count(*) FROM quarantine.{source}") == [(0,)]
    assert staged(mapped, source) == staged(twin, source)


def test_check_shows_the_mapping_it_applied(settings, monkeypatch, capsys):
    mapping = EXAMPLES / "workday" / "mapping.yaml"
    monkeypatch.setenv("MENTORLENS_MAPPING", str(mapping))
    sample = EXAMPLES / "workday" / "employees_workday_2026-10.csv"

    assert main(["check", str(sample)]) == 0

    out = capsys.readouterr().out
    assert "employees_workday_2026-10.csv: 4 of 4 rows would load into employees." in out
    assert f"mapping applied ({mapping}):" in out
    assert "column worker_id → employee_id" in out
    assert "1 values of termination_type translated" in out
    assert "hire_date read as %m/%d/%Y" in out


def test_a_mapping_naming_an_unknown_column_is_one_sentence_and_exit_2(
    settings, tmp_path, monkeypatch, capsys
):
    bad = write(tmp_path, "mapping.yaml", "employees:\n  columns:\n    Worker ID: worker\n")
    monkeypatch.setenv("MENTORLENS_MAPPING", str(bad))
    write(settings.inbox, "employees.csv", EMPLOYEES)
    assert main(["check", str(settings.inbox)]) == 2
    assert "'worker' is not a column of employees" in capsys.readouterr().err
