"""A new survey wave is loaded alone: the sensor requests a run of the wave job, which stages
only the survey files the ledger has not validated, leaving the other waves and sources as
they were."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import duckdb

from pipelines.definitions import build_definitions
from pipelines.runner import run_pipeline
from pipelines.sensors import survey_wave_sensor
from surveys.staging import stage_surveys
from tests.conftest import query, write

WAVE = "employee_id,submitted_at,lon_companionship,lon_left_out,lon_isolated\n"
FIRST = WAVE + "000001,2026-03-02,1,1,1\n000002,2026-03-03,2,2,2\n000004,2026-03-04,3,3,3\n"
SECOND = WAVE + "000001,2026-06-02,3,3,3\n000002,2026-06-03,1,1,1\n"


def evaluate_sensor(settings, instance, cursor=None):
    defs = build_definitions(settings)
    resources = {name: defs.resources[name] for name in ("inbox", "warehouse")}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return survey_wave_sensor(context)


def test_a_second_wave_is_validated_alone(small_org):
    instance = dg.DagsterInstance.ephemeral()
    write(small_org.inbox, "surveys/2026-03_pulse.csv", FIRST)
    assert run_pipeline(small_org, quiet=True, instance=instance).success
    first = evaluate_sensor(small_org, instance)
    before = query(
        small_org.warehouse,
        "SELECT * FROM staging.survey_responses WHERE wave = '2026-03_pulse' ORDER BY employee_id",
    )
    load_ids = query(small_org.warehouse, "SELECT DISTINCT _load_id FROM raw.employees")

    write(small_org.inbox, "surveys/2026-06_pulse.csv", SECOND)
    second = evaluate_sensor(small_org, instance, cursor=first.cursor)

    assert [r.run_key.split(":")[0] for r in second.run_requests] == ["2026-06_pulse"]
    outcome = run_pipeline(small_org, quiet=True, instance=instance, surveys_only=True)
    assert outcome.success, outcome.failures

    assert instance.get_run_by_id(outcome.run_id).job_name == "survey_wave_job"
    materialized = instance.get_latest_materialization_event(
        dg.AssetKey(["staging", "survey_responses"])
    ).asset_materialization
    assert materialized.partition is None
    assert materialized.metadata["waves_validated"].value == ["surveys wave 2026-06_pulse"]
    assert materialized.metadata["rows_validated"].value == 2
    # the first wave's rows and the HR sources were left alone
    assert (
        query(
            small_org.warehouse,
            "SELECT * FROM staging.survey_responses WHERE wave = '2026-03_pulse' "
            "ORDER BY employee_id",
        )
        == before
    )
    assert query(small_org.warehouse, "SELECT DISTINCT _load_id FROM raw.employees") == load_ids
    waves = query(small_org.warehouse, "SELECT wave, scored FROM staging.survey_waves ORDER BY 1")
    assert waves == [("2026-03_pulse", 3), ("2026-06_pulse", 2)]
    scores = query(
        small_org.warehouse,
        "SELECT wave, loneliness FROM marts.fct_survey_score WHERE employee_id = '000001' "
        "ORDER BY wave",
    )
    assert scores == [("2026-03_pulse", 3), ("2026-06_pulse", 9)]


def test_a_changed_file_requests_its_wave_again_and_nothing_else(small_org):
    instance = dg.DagsterInstance.ephemeral()
    write(small_org.inbox, "surveys/2026-03_pulse.csv", FIRST)
    write(small_org.inbox, "surveys/2026-06_pulse.csv", SECOND)
    first = evaluate_sensor(small_org, instance)
    # One run stages both new waves: the wave job is one run, whatever the number of waves.
    assert [r.run_key.split(":")[0] for r in first.run_requests] == ["2026-03_pulse,2026-06_pulse"]
    assert not evaluate_sensor(small_org, instance, cursor=first.cursor).run_requests

    write(small_org.inbox, "surveys/2026-03_pulse.csv", FIRST + "000003,2026-03-05,1,2,1\n")
    again = evaluate_sensor(small_org, instance, cursor=first.cursor)
    assert [r.run_key.split(":")[0] for r in again.run_requests] == ["2026-03_pulse"]
    assert again.run_requests[0].run_key != first.run_requests[0].run_key


def test_a_wave_run_stages_what_restaging_every_wave_would(small_org, tmp_path):
    """The wave run recounts and re-ranks only its own wave; the result must be the one a
    restaging of every file gives (a repeat response superseded, the other wave as it was)."""
    instance = dg.DagsterInstance.ephemeral()
    write(small_org.inbox, "surveys/2026-03_pulse.csv", FIRST)
    assert run_pipeline(small_org, quiet=True, instance=instance).success
    repeated = SECOND + "000001,2026-06-09,2,2,2\n"
    write(small_org.inbox, "surveys/2026-06_pulse.csv", repeated)
    assert run_pipeline(small_org, quiet=True, instance=instance, surveys_only=True).success

    tables = {
        "staging.survey_responses": "wave, employee_id, submitted_at",
        "staging.survey_waves": "wave",
        "quarantine.surveys": "_source_file, _source_line",
    }
    copy = tmp_path / "restaged.duckdb"
    shutil.copy(small_org.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        stage_surveys(con, date.today())
        restaged = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall() for t, o in tables.items()
        }
    staged = {
        t: query(small_org.warehouse, f"SELECT * FROM {t} ORDER BY {o}") for t, o in tables.items()
    }
    assert staged == restaged
    assert ("2026-06_pulse", 3) in {(w[0], w[2]) for w in staged["staging.survey_waves"]}
    assert sum(row[5] for row in staged["staging.survey_responses"]) == 1  # superseded
