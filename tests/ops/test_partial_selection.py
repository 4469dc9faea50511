"""A selection of assets launched from the UI after a failed run publishes nothing unvalidated:
every run starts from the last published state, and a run that rebuilt an asset without its
blocking checks refuses to publish."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.publication import PUBLICATION, blocking_checks, ungated_assets
from pipelines.definitions import build_definitions
from pipelines.jobs import all_assets
from pipelines.runner import run_pipeline, silent_logger
from tests.conftest import query, write
from warehouse.settings import Settings

EMPLOYEES = dg.AssetKey(["staging", "employees"])
DIM_EMPLOYEE = dg.AssetKey(["marts", "dim_employee"])
BAD_SNAPSHOT = "employees_2026-11.csv"


def _launch(settings: Settings, instance: dg.DagsterInstance, keys, with_checks: bool):
    """What the UI's "Materialize selected" runs: the implicit asset job, over a selection."""
    defs = build_definitions(settings, loggers={"silent": silent_logger})
    job = defs.resolve_implicit_global_asset_job_def()
    subset = job.get_subset(
        asset_selection=set(keys),
        asset_check_selection=None if with_checks else set(),
    )
    return subset.execute_in_process(
        instance=instance, raise_on_error=False, run_config={"loggers": {"silent": {}}}
    )


def _published_files(settings: Settings) -> set[str]:
    return {f for (f,) in query(settings.warehouse, "SELECT file FROM meta.loaded_files")}


def _failed_run_after_a_good_one(small_org: Settings, run) -> None:
    assert run(small_org).published
    write(
        small_org.inbox,
        BAD_SNAPSHOT,
        "employee_id,hire_date,job_level\n000001,2019-01-01,99\n000002,2020-03-01,99\n",
    )
    failed = run(small_org)
    assert not failed.success and not failed.published
    assert BAD_SNAPSHOT not in _published_files(small_org)
    # The published pages now say they are from the last good run, and why the latest failed.
    status = (small_org.reports / "static" / "run-status.js").read_text(encoding="utf-8")
    assert failed.run_id[:8] in status or "quarantine_within_threshold" in status


def test_a_selection_after_a_failed_run_starts_from_what_was_published(small_org, run):
    _failed_run_after_a_good_one(small_org, run)
    with dg.instance_for_test() as instance:
        result = _launch(small_org, instance, [DIM_EMPLOYEE, PUBLICATION], with_checks=True)
    assert result.success
    # The failed run's landing, quarantine and ledger stay out of the published warehouse.
    assert BAD_SNAPSHOT not in _published_files(small_org)
    assert not query(
        small_org.warehouse,
        "SELECT count(*) FROM raw.employees WHERE _source_file = ?",
        [BAD_SNAPSHOT],
    )[0][0]


def test_dagster_never_rebuilds_a_staging_table_without_its_gates(small_org):
    """The UI cannot select a staging table without its blocking checks."""
    with dg.instance_for_test() as instance, pytest.raises(dg.DagsterInvalidSubsetError):
        _launch(small_org, instance, [EMPLOYEES, PUBLICATION], with_checks=False)


def test_publication_refuses_what_was_rebuilt_without_passing_gates(small_org):
    """The publication's own guard, should an asset ever be rebuilt without its gates passing
    (an asset made subsettable, a check defined apart): read from real runs' events."""
    gates = blocking_checks(all_assets)
    assert {"quarantine_within_threshold", "dataset_expectations"} <= gates[EMPLOYEES]
    with dg.instance_for_test() as instance:
        good = run_pipeline(small_org, quiet=True, instance=instance)
        write(
            small_org.inbox,
            BAD_SNAPSHOT,
            "employee_id,hire_date,job_level\n000001,2019-01-01,99\n000002,2020-03-01,99\n",
        )
        failed = run_pipeline(small_org, quiet=True, instance=instance)
        assert good.published and not failed.published
        assert ungated_assets(instance, good.run_id, gates) == []
        assert (
            "staging/employees (check quarantine_within_threshold did not pass in this run)"
            in ungated_assets(instance, failed.run_id, gates)
        )
