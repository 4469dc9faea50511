"""Shared fixtures: an isolated inbox, warehouse, reports folder and DAGSTER_HOME per test."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads; see pipelines/__init__

import textwrap
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.runner import RunOutcome, run_pipeline
from warehouse.settings import Settings

EMPLOYEES = """\
employee_id,hire_date,termination_date,termination_type,job_level,department,manager_id,\
gender,performance_rating,Work Email
000001,2019-01-01,,,6,Eng,,Woman,4,a@example.com
000002,2020-03-01,,,3,Eng,000001,Man,3,b@example.com
000003,2021-05-01,2025-06-30,voluntary,2,Sales,000001,,2.5,c@example.com
000004,2022-07-01,,,2,Sales,000001,Non-binary,,d@example.com
"""
PROGRAMS = """\
program_id,program_name,start_date,end_date,planned_milestones,certificate_threshold
P1,Mentoring 2024,2024-01-01,2024-12-31,4,
"""
PAIRINGS = """\
pairing_id,program_id,relationship_type,advisor_id,participant_id,start_date,end_date,end_reason
X1,P1,mentor,000001,000002,2024-02-01,2024-12-31,completed
"""
ACTIVITIES = """\
pairing_id,activity_date,activity_type,milestone,status,rating
X1,2024-03-01,meeting,,completed,5
X1,2024-04-01,milestone,Goals set,completed,
"""
JOB_EVENTS = """\
employee_id,effective_date,event_type,from_level,to_level
000002,2020-03-01,hire,,3
000002,2023-03-01,promotion,2,3
"""


def settings_under(root: Path) -> Settings:
    """Settings with the inbox, warehouse, reports and DAGSTER_HOME all under one folder."""
    return Settings(
        inbox=root / "inbox",
        warehouse=root / "warehouse" / "mentorlens.duckdb",
        reports=root / "reports",
        dagster_home=root / "dagster_home",
    )


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    values = {
        "MENTORLENS_INBOX": tmp_path / "inbox",
        "MENTORLENS_WAREHOUSE": tmp_path / "warehouse" / "mentorlens.duckdb",
        "MENTORLENS_REPORTS": tmp_path / "reports",
        "DAGSTER_HOME": tmp_path / "dagster_home",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))
    (tmp_path / "inbox").mkdir()
    return Settings.from_env()


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding=encoding, newline="")
    return path


@pytest.fixture
def small_org(settings: Settings) -> Settings:
    """A tiny valid organisation: every source but surveys, no bad rows."""
    for name, text in {
        "employees_2026-10.csv": EMPLOYEES,
        "programs.csv": PROGRAMS,
        "pairings.csv": PAIRINGS,
        "activities.csv": ACTIVITIES,
        "job_events.csv": JOB_EVENTS,
    }.items():
        write(settings.inbox, name, text)
    return settings


@pytest.fixture
def run() -> Callable[[Settings], RunOutcome]:
    """Run the job quietly; tests keep no run history (SQLite event writes cost seconds)."""
    return lambda settings: run_pipeline(
        settings, quiet=True, instance=dg.DagsterInstance.ephemeral()
    )


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With `-n 2 --dist loadgroup` (make test): a test file runs whole on one worker, so its
    module fixtures are built once, and the browser tests, which share one folder of
    screenshots, on the same worker."""
    for item in items:
        path = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group("browser" if "tests/browser/" in path else path))
