"""Helpers for the operations tests: `mentorlens run` as a subprocess in a folder of its own,
its progress lines as they come, and a fingerprint of what analysts and HR see."""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ACTIVITIES, EMPLOYEES, JOB_EVENTS, PAIRINGS, PROGRAMS, write
from warehouse.settings import Settings

MENTORLENS = str(Path(sys.executable).with_name("mentorlens"))
WAVE = (
    "employee_id,submitted_at,lon_companionship,lon_left_out,lon_isolated\n"
    "000001,2026-03-02,1,1,1\n000002,2026-03-03,2,2,2\n000004,2026-03-04,3,3,3\n"
)
TINY_ORG = {
    "employees_2026-10.csv": EMPLOYEES,
    "programs.csv": PROGRAMS,
    "pairings.csv": PAIRINGS,
    "activities.csv": ACTIVITIES,
    "job_events.csv": JOB_EVENTS,
    "surveys/2026-03_pulse.csv": WAVE,
}
RUN_TIMEOUT = 300


def settings_at(root: Path) -> Settings:
    return Settings(
        inbox=root / "inbox",
        warehouse=root / "warehouse" / "mentorlens.duckdb",
        reports=root / "reports",
        dagster_home=root / "dagster_home",
    )


def write_tiny_org(inbox: Path) -> None:
    """The shared tests' small organisation plus one survey wave: every layer has work."""
    for name, text in TINY_ORG.items():
        write(inbox, name, text)


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    settings = settings_at(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLENS_")}
    env.update(
        MENTORLENS_INBOX=str(settings.inbox),
        MENTORLENS_WAREHOUSE=str(settings.warehouse),
        MENTORLENS_REPORTS=str(settings.reports),
        DAGSTER_HOME=str(settings.dagster_home),
        # The demo has a folder of its own; here it is laid out as the settings above are.
        MENTORLENS_DEMO=str(root),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


class RunProcess:
    """`mentorlens run` in a subprocess; its stderr lines are collected as they arrive."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [MENTORLENS, "run"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, wanted: Callable[[str], bool], timeout: float = RUN_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if line is None:
                raise AssertionError("The run ended first:\n" + "\n".join(self.lines[-30:]))
            self.lines.append(line)
            if wanted(line):
                return line
        raise AssertionError("Timed out; last lines:\n" + "\n".join(self.lines[-30:]))

    def finish(self, timeout: float = RUN_TIMEOUT) -> int:
        """Wait for the end of the run, collecting every line; the exit status."""
        deadline = time.monotonic() + timeout
        while (line := self._queue.get(timeout=max(deadline - time.monotonic(), 0.1))) is not None:
            self.lines.append(line)
        return self.process.wait(timeout=max(deadline - time.monotonic(), 1))

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no handler, no clean-up, as if the machine had died
        self.process.wait()
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def run_to_end(env: dict[str, str]) -> RunProcess:
    run = RunProcess(env)
    status = run.finish()
    assert status in (0, 3), f"exit status {status}:\n{run.output}"
    return run


def published_state(settings: Settings) -> dict[str, str]:
    """What analysts and HR see: the warehouse's bytes, and every report file's bytes and the
    folder the reports path leads to."""
    state = {"warehouse": _digest(settings.warehouse)}
    reports = settings.reports
    if reports.exists():
        state["reports ->"] = os.readlink(reports) if reports.is_symlink() else "(folder)"
        for path in sorted(reports.rglob("*")):
            if path.is_file():
                state[f"reports/{path.relative_to(reports)}"] = _digest(path)
    return state


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_state(source: Path, target: Path) -> Path:
    """A copy of a whole mentorlens folder (inbox, warehouse, reports, DAGSTER_HOME)."""
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="session")
def tiny_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the tiny organisation has been run once by `mentorlens run`: history in
    DAGSTER_HOME, a published warehouse and reports. Copy it before changing anything."""
    root = tmp_path_factory.mktemp("tiny_baseline")
    write_tiny_org(settings_at(root).inbox)
    run_to_end(cli_env(root))
    return root
