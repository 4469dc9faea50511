"""The pieces of crash safety and single writing, one at a time and in this process: the
writer lock, the publication journal, the reports symlink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.test_utils import create_run_for_test

from warehouse import publishing
from warehouse.db import last_good_copy
from warehouse.failures import failures_log, read_failures, record_abandoned_run
from warehouse.locking import WriterLock
from warehouse.publishing import publish_run, recover, staged_warehouse

ROOT = Path(__file__).parents[2]


def test_a_second_writer_waits_and_hears_who_holds_the_lock(tmp_path):
    first, second = WriterLock(tmp_path / "writer.lock"), WriterLock(tmp_path / "writer.lock")
    assert first.acquire("run-a", on_wait=pytest.fail) is None
    heard, acquired = [], threading.Event()

    def take_turn():
        second.acquire("run-b", on_wait=heard.append)
        acquired.set()

    threading.Thread(target=take_turn, daemon=True).start()
    time.sleep(0.3)
    assert not acquired.is_set()
    assert heard[0]["run_id"] == "run-a" and heard[0]["pid"] == os.getpid()
    assert WriterLock(tmp_path / "writer.lock").holder()["run_id"] == "run-a"
    first.release()
    assert acquired.wait(5)
    second.release()
    assert WriterLock(tmp_path / "writer.lock").holder() is None


def test_a_holder_killed_with_sigkill_frees_the_lock_and_leaves_its_note(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from warehouse.locking import WriterLock;"
            f"WriterLock(Path({str(tmp_path / 'writer.lock')!r})).acquire('dead-run', print);"
            "print('held', flush=True); time.sleep(600)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    lock = WriterLock(tmp_path / "writer.lock")
    abandoned = lock.acquire("next-run", on_wait=pytest.fail)
    assert abandoned["run_id"] == "dead-run" and abandoned["pid"] == holder.pid
    lock.release()


def test_a_run_that_died_holding_the_lock_is_marked_failed_and_logged(tmp_path):
    (tmp_path / "home").mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path / "home"))
    run = create_run_for_test(
        instance, job_name="mentorlens_job", status=dg.DagsterRunStatus.STARTED
    )
    note = {"run_id": run.run_id, "pid": 4242, "host": "hr-server", "since": "2026-11-22T06:00"}
    message = record_abandoned_run(instance, note)
    assert "died holding the writer lock" in message
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    logged = read_failures(failures_log(tmp_path / "home"))
    assert [(e["run_id"], e["noticed_by"]) for e in logged] == [(run.run_id, "writer lock")]
    instance.dispose()


class Layout:
    """A warehouse, its working copy and reports, as a run leaves them before publishing."""

    def __init__(self, root: Path, run: str) -> None:
        self.published = root / "warehouse" / "mentorlens.duckdb"
        self.working = root / "warehouse" / ".work" / "mentorlens.duckdb"
        self.reports = root / "reports"
        self.building = root / ".reports.building"
        self.working.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.working)) as con:
            con.execute(f"CREATE TABLE t AS SELECT '{run}' AS run")
        self.building.mkdir(exist_ok=True)
        (self.building / "index.html").write_text(f"<p>{run}</p>")

    def publish(self, run: str) -> None:
        publish_run(run, self.working, self.published, self.building, self.reports, None, print)

    def published_run(self) -> str:
        with duckdb.connect(str(self.published), read_only=True) as con:
            return con.execute("SELECT run FROM t").fetchone()[0]


def test_a_publication_that_died_after_committing_is_completed_by_the_next_run(
    tmp_path, monkeypatch
):
    Layout(tmp_path, "first").publish("first")
    layout = Layout(tmp_path, "second")

    def dies(*_args):
        raise KeyboardInterrupt("killed between the commit and the swaps")

    monkeypatch.setattr(publishing, "_apply", dies)
    with pytest.raises(KeyboardInterrupt):
        layout.publish("second")
    assert layout.published_run() == "first"
    assert (layout.reports / "index.html").read_text() == "<p>first</p>"

    monkeypatch.undo()
    assert "Completed the publication of run second" in recover(layout.published, layout.working)
    assert layout.published_run() == "second"
    assert (layout.reports / "index.html").read_text() == "<p>second</p>"
    assert last_good_copy(layout.working).exists() and not layout.working.exists()
    assert [p.name for p in tmp_path.glob(".reports-*")] == [".reports-second"]
    assert recover(layout.published, layout.working) is None


def test_what_a_publication_staged_before_dying_is_cleared_and_nothing_changes(tmp_path):
    layout = Layout(tmp_path, "first")
    layout.publish("first")
    before = layout.published.read_bytes()
    staged = staged_warehouse(layout.published)
    staged.write_bytes(b"half a copy")
    assert "Removed" in recover(layout.published, layout.working)
    assert not staged.exists()
    assert layout.published.read_bytes() == before


def test_reports_become_a_symlink_swapped_in_one_rename(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_text("<p>from before versioned folders</p>")
    layout = Layout(tmp_path, "first")
    layout.publish("first")
    assert reports.is_symlink() and os.readlink(reports) == ".reports-first"
    assert (reports / "index.html").read_text() == "<p>first</p>"
    Layout(tmp_path, "second").publish("second")
    assert os.readlink(reports) == ".reports-second"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".reports")) == [
        ".reports-second"
    ]
