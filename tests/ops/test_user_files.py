"""The inbox belongs to the user: nothing in the product deletes, moves or rewrites a file it
did not write. A user's file is put in every folder the product touches, and must survive."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import EMPLOYEES, settings_under, write
from warehouse.settings import Settings


def fingerprint(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def user_files(settings: Settings, demo: Settings) -> list[Path]:
    """A user's files in the inbox, beside the warehouse, the reports and the run history, and
    in each of the demo's folders."""
    files = [
        write(settings.inbox, "employees_2027-01.csv", EMPLOYEES),
        write(settings.inbox, "notes.txt", "my own notes\n"),
        write(settings.inbox, "surveys/2027-01_pulse.csv", "employee_id,submitted_at\n"),
    ]
    for folder in (settings.warehouse.parent, settings.reports.parent, settings.dagster_home):
        files.append(write(folder, "mine.txt", "keep me\n"))
    for folder in (
        demo.inbox.parent,
        demo.inbox,
        demo.warehouse.parent,
        demo.reports.parent,
        demo.dagster_home,
    ):
        files.append(write(folder, "mine.txt", "keep me too\n"))
    return files


@pytest.mark.slow
def test_user_files_survive_the_demo(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MENTORLENS_DEMO", str(tmp_path / "demo"))
    demo = settings_under(tmp_path / "demo")
    files = user_files(settings, demo)
    before = fingerprint(files)

    assert main(["demo", "--employees", "500"]) == 0
    assert main(["demo", "--employees", "600", "--no-run"]) == 0  # again: replaces its own files

    assert fingerprint(files) == before
    out = capsys.readouterr().out
    assert str(demo.inbox) in out and str(demo.warehouse) in out
    # The demo wrote nothing of its own into the user's folders.
    assert sorted(p.name for p in settings.inbox.rglob("*") if p.is_file()) == [
        "2027-01_pulse.csv",
        "employees_2027-01.csv",
        "notes.txt",
    ]
    assert not settings.warehouse.exists()
    assert (demo.warehouse).exists()


def test_the_demo_refuses_to_overwrite_a_file_it_did_not_write(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("MENTORLENS_DEMO", str(tmp_path / "demo"))
    demo = settings_under(tmp_path / "demo")
    mine = write(demo.inbox, "employees_2026-10.csv", "employee_id\nmine\n")

    assert main(["demo", "--employees", "500", "--no-run"]) == 2

    assert mine.read_text() == "employee_id\nmine\n"
    assert not (demo.inbox.parent / ".inbox-writing").exists()


def test_user_files_survive_runs(small_org, capsys):
    demo = settings_under(small_org.inbox.parent / "demo")
    files = user_files(small_org, demo)
    before = fingerprint(files)

    main(["run"])
    main(["run"])

    assert fingerprint(files) == before
