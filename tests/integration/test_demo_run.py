"""The built-in demo organisation through the whole pipeline."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from demo import write_demo_inbox
from ingest.inbox import scan_inbox
from pipelines.runner import run_pipeline
from tests.conftest import query, settings_under


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("demo")
    settings = settings_under(root)
    summary = write_demo_inbox(settings.inbox, employees=2000)
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(settings, quiet=True, instance=instance)
    return settings, summary, outcome, instance.get_run_by_id(outcome.run_id)


def test_the_demo_runs_clean_and_publishes(demo_run):
    _, _, outcome, _ = demo_run
    assert outcome.success, outcome.failures
    assert outcome.published and outcome.exit_status == 0


def test_every_source_has_a_raw_table(demo_run):
    settings, _, _, _ = demo_run
    tables = {
        r[0]
        for r in query(
            settings.warehouse, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
        )
    }
    assert tables == {"employees", "job_events", "programs", "pairings", "activities", "surveys"}


def test_the_ledger_reconciles_with_the_inbox(demo_run):
    settings, _, _, _ = demo_run
    inbox = {(f.relative, f.sha256) for f in scan_inbox(Path(settings.inbox))}
    ledger = query(
        settings.warehouse, "SELECT file, sha256, source, rows_read FROM meta.loaded_files"
    )
    assert {(file, sha) for file, sha, _, _ in ledger} == inbox
    for file, _, source, rows_read in ledger:
        landed = query(
            settings.warehouse, f"SELECT count(*) FROM raw.{source} WHERE _source_file = ?", [file]
        )[0][0]
        assert landed == rows_read > 0, file


@pytest.mark.parametrize("source", ["employees", "job_events", "pairings", "activities"])
def test_the_planted_bad_rows_are_quarantined(demo_run, source):
    settings, summary, _, _ = demo_run
    quarantined = query(settings.warehouse, f"SELECT count(*) FROM quarantine.{source}")[0][0]
    assert quarantined == len(summary.bad_rows[source])
    read, loaded, bad = query(
        settings.warehouse,
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
        "FROM meta.loaded_files WHERE source = ?",
        [source],
    )[0]
    assert read == loaded + bad and bad == quarantined


def test_one_run_of_the_main_job_with_nothing_chosen_loads_every_wave(demo_run):
    """What launching `mentorlens_job` from the UI does: no partition, no selection, no tags."""
    settings, summary, _, run = demo_run
    assert run.job_name == "mentorlens_job" and not run.asset_selection
    assert run.partitions_subset is None
    assert not [tag for tag in run.tags if "partition" in tag]
    files = {summary.relative(path) for path in summary.files["surveys"]}
    assert len(files) >= 3
    staged = query(settings.warehouse, "SELECT DISTINCT _source_file FROM staging.survey_responses")
    assert {f for (f,) in staged} == files
    validated = query(
        settings.warehouse,
        "SELECT file FROM meta.loaded_files WHERE source = 'surveys' AND rows_loaded > 0",
    )
    assert {f for (f,) in validated} == files
    waves = query(settings.warehouse, "SELECT count(*), sum(scored) FROM staging.survey_waves")
    assert waves[0][0] == len(files) and waves[0][1] > 0
