"""A run killed with SIGKILL at any point leaves the published warehouse and reports exactly
as the last good run left them, and the next run recovers with no clean-up by hand."""

from __future__ import annotations

import subprocess
import time

import dagster as dg
import pytest

from tests.conftest import query
from tests.ops.conftest import (
    MENTORLENS,
    RunProcess,
    cli_env,
    published_state,
    run_to_end,
    settings_at,
)
from warehouse.failures import failures_log, read_failures
from warehouse.publishing import PAUSE_AT

# (where the run is killed, what tells the test it got there)
KILL_POINTS = [
    ("ingest", "[raw__"),
    ("validation", "[staging__"),
    ("marts", "[marts__"),
    ("publication, staged but not committed", "publication-staged"),
    ("publication, committed but not applied", "publication-committed"),
]


@pytest.mark.slow
def test_killed_runs_change_nothing_published_and_the_next_run_recovers(tmp_path, monkeypatch):
    settings = settings_at(tmp_path)
    env = cli_env(tmp_path)
    subprocess.run(
        [MENTORLENS, "demo", "--no-run", "--employees", "500"], env=env, check=True, timeout=120
    )
    run_to_end(env)
    good = published_state(settings)
    # A new snapshot to land, so the killed runs have work in every layer.
    snapshot = (settings.inbox / "employees_2026-10.csv").read_text(encoding="utf-8")
    (settings.inbox / "employees_2026-11.csv").write_text(snapshot + "\n", encoding="utf-8")

    for where, marker in KILL_POINTS:
        started = time.monotonic()
        if marker.startswith("publication-"):
            run = RunProcess(cli_env(tmp_path, **{PAUSE_AT: marker}))
            run.wait_for(lambda line, m=marker: f"Paused at {m}" in line)
        else:
            run = RunProcess(env)
            run.wait_for(lambda line, m=marker: m in line)
        run.kill()
        print(f"killed during {where} after {time.monotonic() - started:.0f} s")
        assert published_state(settings) == good, f"killed during {where}"

    recovered = run_to_end(env)
    assert "Completed the publication of run" in recovered.output
    assert published_state(settings) != good
    # No leftovers: one page folder, nothing staged, no journal.
    assert len(list(tmp_path.glob(".reports-*"))) == 1
    assert not list(settings.warehouse.parent.glob(".*.publishing*"))
    assert not (settings.working_warehouse.parent / "publication.json").exists()
    loaded = query(
        settings.warehouse,
        "SELECT status, rows_read = rows_loaded + rows_quarantined FROM meta.loaded_files "
        "WHERE file = 'employees_2026-11.csv'",
    )
    assert loaded == [("loaded", True)]

    # Every killed run is marked failed in Dagster's history and logged as a failure.
    monkeypatch.setenv("DAGSTER_HOME", str(settings.dagster_home))  # dagster.yaml refers to it
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    runs = instance.get_runs()
    failed = {r.run_id for r in runs if r.status == dg.DagsterRunStatus.FAILURE}
    instance.dispose()
    assert len(failed) == len(KILL_POINTS)
    logged = {e["run_id"] for e in read_failures(failures_log(settings.dagster_home))}
    assert failed <= logged
