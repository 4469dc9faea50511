"""The marts and effect estimates of the demo organisation (5,000 employees), whole job once."""

import runpy
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from demo import write_demo_inbox
from effects.outcomes import DAYS_PER_MONTH
from effects.program_effects import METHODS, OUTCOMES
from marts.legacy import TABLES as LEGACY_TABLES
from pipelines.runner import run_pipeline
from reports.audit import page_figures
from stats.competing import aalen_johansen
from stats.survival import km_at
from tests.conftest import settings_under
from warehouse.catalogue import TABLES

RELATIONSHIP_TYPES = ("ally", "coach", "mentor", "sponsor")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("marts")
    settings = settings_under(root)
    summary = write_demo_inbox(settings.inbox)
    outcome = run_pipeline(settings, quiet=True, instance=dg.DagsterInstance.ephemeral())
    assert outcome.success, outcome.failures
    return settings, summary


@pytest.fixture(scope="module")
def demo(demo_run):
    settings, summary = demo_run
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        yield con, summary


def frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {table}").df()


def effect(
    effects: pd.DataFrame, program_id: str, relationship_type: str, outcome: str, method: str
) -> pd.Series:
    row = effects.loc[
        (effects["program_id"] == program_id)
        & (effects["relationship_type"] == relationship_type)
        & (effects["outcome"] == outcome)
        & (effects["method"] == method)
    ]
    assert len(row) == 1
    return row.iloc[0]


def test_the_required_marts_exist(demo):
    con, _ = demo
    marts = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
        ).fetchall()
    }
    required = {"dim_employee", "fct_pairing", "fct_survey_score", "program_outcomes"}
    assert required | {"program_effects"} <= marts


@pytest.mark.parametrize("table", [t.name for t in LEGACY_TABLES])
def test_legacy_views_show_arm_under_its_old_name_group(demo, table):
    con, _ = demo
    current = frame(con, f"marts.{table}")
    legacy = frame(con, f"legacy.{table}")
    assert "group" not in current and "arm" not in legacy
    assert list(legacy.columns) == [("group" if c == "arm" else c) for c in current.columns]
    assert len(legacy) == len(current) > 0
    assert (legacy["group"].to_numpy() == current["arm"].to_numpy()).all()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_mart_has_its_table_and_column_comments(demo, table):
    con, _ = demo
    schema, name = table.split(".")
    (comment,) = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    assert comment
    columns = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? "
        "AND table_name = ?",
        [schema, name],
    ).fetchall()
    assert columns and all(c for _, c in columns), [n for n, c in columns if not c]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_catalogued_table_is_built_as_declared(demo, table):
    """Names, order and types of the demo warehouse's columns are the catalogue's."""
    con, _ = demo
    schema, name = table.split(".")
    built = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
        "AND table_name = ? ORDER BY column_index",
        [schema, name],
    ).fetchall()
    assert built == list(TABLES[table].types().items())


def readme_queries() -> list[str]:
    """The SQL statements of the README's "For analysts" section."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = text.split("## For analysts", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    return [q.strip() for q in block.split(";") if q.strip()]


def test_every_readme_query_runs_and_returns_rows(demo):
    con, _ = demo
    queries = readme_queries()
    assert len(queries) == 7
    for query in queries:
        assert con.execute(query).fetchall(), query


def test_the_readme_counts_mentees_only_from_when_they_joined(demo):
    """Query 3 agrees with marts.survey_wave_summary, and no one is a mentee in a wave before
    their first mentoring pairing (the first wave predates every program)."""
    con, _ = demo
    by_wave = con.execute(readme_queries()[2]).df()
    mentees = by_wave[by_wave["mentee_by_then"]].set_index("wave")["respondents"]
    summary = (
        con.execute(
            "SELECT wave, respondents FROM marts.survey_wave_summary "
            "WHERE relationship_type = 'mentor' AND arm = 'participant'"
        )
        .df()
        .set_index("wave")["respondents"]
    )
    assert mentees.to_dict() == summary.to_dict()
    first_wave = con.execute("SELECT min(wave_date) FROM marts.fct_survey_score").fetchone()[0]
    first_program = con.execute("SELECT min(start_date) FROM marts.dim_program").fetchone()[0]
    assert first_wave < first_program
    assert not by_wave[(by_wave["wave_date"] == first_wave)]["mentee_by_then"].any()


def test_every_table_and_column_of_every_schema_is_commented(demo):
    con, _ = demo
    undocumented = con.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND coalesce(comment, '') = ''"
    ).fetchall()
    assert undocumented == []
    tables = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND coalesce(comment, '') = ''"
    ).fetchall()
    assert tables == []


def test_the_run_is_recorded_in_full(demo):
    con, _ = demo
    runs = con.execute("SELECT * FROM meta.runs").df()
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["started_at"] < run["finished_at"]
    assert run["status"] == "published" and run["message"]
    assert run["files_loaded"] > 0 and run["files_rejected"] >= 0
    assert run["as_of"].date() == con.execute("SELECT as_of FROM marts.run_info").fetchone()[0]


def figure(pages: Path, page: str, source: str, column: str, **key: str) -> float | None:
    """The value a report page shows for `source.column` at `key` (reports.audit's reading);
    None when the page hides it (a small group)."""
    found = [
        f
        for f in page_figures(pages / page)
        if f.source == source and f.attributes.get("data-column") == column and f.key == key
    ]
    assert found, (page, source, column, key)
    value = found[0].attributes.get("data-value")
    return None if value is None else float(value)


def test_the_analyst_notebook_agrees_with_the_report_pages(demo, demo_run, monkeypatch):
    con, _ = demo
    settings, _ = demo_run
    monkeypatch.setenv("MENTORLENS_WAREHOUSE", str(settings.warehouse))
    answers = runpy.run_path(str(Path(__file__).parents[2] / "examples" / "analyst.py"))
    pages = settings.reports
    program = answers["PROGRAM"]
    # 1. Kaplan–Meier from the cohort's people = the equity page's 12-month retention.
    retention = answers["retention_women_mentees"]["retention_12m"]
    for arm in ("participant", "comparison"):
        shown = figure(
            pages,
            "equity.html",
            "marts.program_outcomes",
            "retention_12m",
            program_id=program,
            relationship_type="mentor",
            arm=arm,
            subgroup="gender=Woman",
        )
        assert retention[arm] == pytest.approx(shown, abs=1e-9)
    # 2. Meetings per pairing-month from the activities = the program health page's.
    for (program_id, kind), cadence in answers["meetings_per_pairing_month"].items():
        shown = figure(
            pages,
            "program-health.html",
            "marts.program_health",
            "meetings_per_pairing_month",
            program_id=program_id,
            relationship_type=kind,
        )
        assert cadence == pytest.approx(shown, rel=1e-9)
    assert len(answers["slowest_departments"]) == 3
    # 3. Career loneliness per wave = the wellbeing page's; eNPS = marts.survey_wave_summary.
    for wave, share in answers["career_lonely_by_wave"].itertuples(index=False):
        shown = figure(
            pages, "wellbeing.html", "marts.career_loneliness", "career_lonely", wave=wave
        )
        assert share == pytest.approx(shown, rel=1e-9)
    summary = con.execute(
        "SELECT wave, arm, enps FROM marts.survey_wave_summary WHERE relationship_type = 'mentor'"
    ).df()
    merged = answers["enps_by_wave"].merge(summary, on=["wave", "arm"], suffixes=("", "_mart"))
    assert len(merged) == len(summary) == len(answers["enps_by_wave"])
    assert merged["enps"].to_numpy() == pytest.approx(merged["enps_mart"].to_numpy())
    # 4. The funnel's rates = the program health page's, where the page shows them.
    compared = 0
    for row in answers["funnel"].itertuples():
        for column in ("activation_rate", "certificate_eligible_rate"):
            shown = figure(
                pages,
                "program-health.html",
                "marts.program_health",
                column,
                program_id=row.program_id,
                relationship_type=row.relationship_type,
            )
            if shown is not None:
                assert getattr(row, column) == pytest.approx(shown, rel=1e-9)
                compared += 1
    assert compared >= 2


def test_the_analyst_notebook_runs_as_a_notebook(demo_run, monkeypatch):
    """As `make notebook` opens it: converted by jupytext, executed on an IPython kernel."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    settings, _ = demo_run
    monkeypatch.setenv("MENTORLENS_WAREHOUSE", str(settings.warehouse))
    notebook = jupytext.read(Path(__file__).parents[2] / "examples" / "analyst.py")
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    shown = [c for c in notebook.cells if c.cell_type == "code" and c.get("outputs")]
    assert len(shown) >= 5
    assert not [o for c in shown for o in c["outputs"] if o.get("output_type") == "error"]


def test_the_as_of_date_is_the_demos(demo):
    con, summary = demo
    assert con.execute("SELECT as_of FROM marts.run_info").fetchall() == [(summary.as_of,)]
    assert summary.as_of == date(2026, 10, 31)


def test_one_row_per_employee_and_per_pairing(demo):
    con, _ = demo
    for mart, staging, key in [
        ("dim_employee", "employees", "employee_id"),
        ("fct_pairing", "pairings", "pairing_id"),
    ]:
        rows, keys, staged = con.execute(
            f"SELECT count(*), count(DISTINCT {key}), "
            f"(SELECT count(*) FROM staging.{staging}) FROM marts.{mart}"
        ).fetchone()
        assert rows == keys == staged


def test_program_effects_has_every_method_for_every_outcome_and_type(demo):
    con, _ = demo
    effects = frame(con, "marts.program_effects")
    for kind in RELATIONSHIP_TYPES:
        of_type = effects.loc[effects["relationship_type"] == kind]
        assert set(of_type["program_id"]) >= {"all"}
        for program_id, rows in of_type.groupby("program_id"):
            pairs = set(zip(rows["outcome"], rows["method"], strict=True))
            assert pairs == {(o.code, m) for o in OUTCOMES for m in METHODS}, (kind, program_id)
            # Every type has enough people for every estimate in the demo.
            assert rows["estimate"].notna().all(), rows.loc[rows["estimate"].isna(), "note"]


def test_every_estimate_has_its_group_sizes_and_interval(demo):
    con, _ = demo
    effects = frame(con, "marts.program_effects")
    assert (effects[["n_treated", "n_control"]].notna()).all().all()
    estimated = effects.loc[effects["estimate"].notna()]
    assert estimated[["ci_low", "ci_high", "p_value"]].notna().all().all()
    assert (
        (estimated["ci_low"] <= estimated["estimate"])
        & (estimated["estimate"] <= estimated["ci_high"])
    ).all()


def test_mentoring_retains_as_planted_and_selection_flatters_the_naive_estimate(demo):
    con, summary = demo
    effects = frame(con, "marts.program_effects")
    planted = summary.planted_effects["mentor"]["voluntary_exit_hr"]
    adjusted = effect(effects, "MEN-2024", "mentor", "voluntary_exit_hr", "adjusted")
    naive = effect(effects, "MEN-2024", "mentor", "voluntary_exit_hr", "naive")
    assert adjusted["ci_low"] <= planted <= adjusted["ci_high"], adjusted.to_dict()
    assert naive["estimate"] < adjusted["estimate"]


def test_sponsorship_promotes_as_planted(demo):
    con, summary = demo
    effects = frame(con, "marts.program_effects")
    planted = summary.planted_effects["sponsor"]["promotion_hr"]
    adjusted = effect(effects, "SPO-2025", "sponsor", "promotion_hr", "adjusted")
    assert adjusted["ci_low"] <= planted <= adjusted["ci_high"], adjusted.to_dict()


@pytest.mark.parametrize("outcome", ["loneliness_did", "engagement_did", "career_lonely_did"])
def test_mentoring_changes_survey_scores_as_planted(demo, outcome):
    con, summary = demo
    adjusted = effect(
        frame(con, "marts.program_effects"), "MEN-2024", "mentor", outcome, "adjusted"
    )
    planted = summary.planted_effects["mentor"][outcome]
    assert adjusted["ci_low"] <= planted <= adjusted["ci_high"], adjusted.to_dict()


def test_program_outcomes_describe_every_group(demo):
    con, _ = demo
    outcomes = frame(con, "marts.program_outcomes")
    everyone = outcomes.loc[outcomes["subgroup"] == "all"]
    for kind in RELATIONSHIP_TYPES:
        groups = set(everyone.loc[everyone["relationship_type"] == kind, "arm"])
        assert groups == {"participant", "comparison", "advisor"}
    mentees = everyone.loc[
        (everyone["relationship_type"] == "mentor") & (everyone["arm"] == "participant")
    ].iloc[0]
    assert mentees["retention_12m_ci_low"] <= mentees["retention_12m"]
    assert mentees["retention_12m"] <= mentees["retention_12m_ci_high"]
    assert mentees["survey_n"] > 0 and mentees["loneliness_followup"] > 0
    assert outcomes["subgroup"].str.startswith("gender=").any()


def test_program_outcomes_from_counts_equal_those_of_the_people_counted(demo):
    """The outcomes are computed from the cohort counted in DuckDB; recomputed here from the
    people themselves, for every group of one track and a gender subgroup."""
    con, _ = demo
    cohort = frame(con, "marts.study_cohort")
    outcomes = frame(con, "marts.program_outcomes").set_index(
        ["program_id", "relationship_type", "arm", "subgroup"]
    )
    track = cohort.loc[
        (cohort["program_id"] == "MEN-2024") & (cohort["relationship_type"] == "mentor")
    ]
    checked = 0
    for group, people in track.groupby("arm"):
        for subgroup, members in (
            ("all", people),
            ("gender=Woman", people.loc[people["gender"] == "Woman"]),
        ):
            row = outcomes.loc[("MEN-2024", "mentor", group, subgroup)]
            assert row["n"] == len(members)
            assert row["voluntary_exits"] == members["exit_event"].sum()
            retention = km_at(members["exit_days"], members["exit_event"], [12 * DAYS_PER_MONTH])
            assert row["retention_12m"] == pytest.approx(retention["survival"].iloc[0], nan_ok=True)
            assert row["retention_12m_ci_low"] == pytest.approx(
                retention["ci_low"].iloc[0], nan_ok=True
            )
            # Aalen–Johansen: an exit before a promotion competes with it.
            event = members["promotion_event"].astype("float").to_numpy()
            cause = np.where(event == 1, 1, np.where(members["exit_type"].notna(), 2, 0))
            promoted = aalen_johansen(
                members["promotion_days"].astype("float").to_numpy(),
                np.where(np.isnan(event), np.nan, cause),
                [24 * DAYS_PER_MONTH],
            )
            assert row["promoted_24m"] == pytest.approx(promoted["incidence"].iloc[0], nan_ok=True)
            both = members.loc[members["baseline_wave"].notna() & members["followup_wave"].notna()]
            assert row["survey_n"] == len(both)
            assert row["engagement_followup"] == pytest.approx(
                both["engagement_followup"].mean(), nan_ok=True
            )
            checked += 1
    assert checked == 6


def test_subgroup_effects_carry_holm_adjusted_p_values(demo):
    con, _ = demo
    subgroups = frame(con, "marts.program_effects_by_subgroup")
    tested = subgroups.loc[subgroups["p_value"].notna()]
    assert len(tested) > 0
    assert (tested["p_value_holm"] >= tested["p_value"] - 1e-12).all()
    assert subgroups["subgroup"].str.startswith("ethnicity=").any()


def test_a_rerun_reuses_the_survival_estimates_until_the_cohort_changes(
    demo, tmp_path, monkeypatch
):
    """A new survey wave changes only the cohort's survey columns: the hazard ratios and
    retention differences are recalled, identical, and only the DiD rows are recomputed."""
    import shutil

    from effects import program_effects as effects_module

    con, _ = demo
    source = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(source.fetchone()[0], copy)
    k = settings_under(tmp_path).min_group_size
    published = frame(con, "marts.program_effects")
    published_subgroups = frame(con, "marts.program_effects_by_subgroup")

    def no_refit(*args, **kwargs):
        raise AssertionError("a survival model was refitted")

    with duckdb.connect(str(copy)) as writable, monkeypatch.context() as patched:
        patched.setattr(effects_module, "cox_hazard_ratio_and_ph_check", no_refit)
        patched.setattr(effects_module, "retention_difference", no_refit)
        writable.execute("UPDATE marts.study_cohort SET loneliness_followup = NULL")
        effects_module.build_program_effects(writable, k)
        effects_module.build_program_effects_by_subgroup(writable, k)
        recalled = frame(writable, "marts.program_effects")
        recalled_subgroups = frame(writable, "marts.program_effects_by_subgroup")

        survival = ~published["outcome"].str.endswith("_did")
        pd.testing.assert_frame_equal(recalled.loc[survival], published.loc[survival])
        assert list(recalled["outcome"]) == list(published["outcome"])
        lonely = recalled["outcome"] == "loneliness_did"
        assert recalled.loc[lonely, "estimate"].isna().all()
        assert published.loc[lonely, "estimate"].notna().any()
        kept = ~published_subgroups["outcome"].str.endswith("_did")
        pd.testing.assert_frame_equal(
            recalled_subgroups.loc[kept].reset_index(drop=True),
            published_subgroups.loc[kept].reset_index(drop=True),
        )

        writable.execute("UPDATE marts.study_cohort SET exit_event = 0 WHERE employee_id < '1'")
        with pytest.raises(AssertionError, match="refitted"):
            effects_module.build_program_effects(writable, k)


def test_a_new_wave_reuses_the_weighting_diagnostics_and_refits_only_the_placebo(
    demo, tmp_path, monkeypatch
):
    """Balance, overlap and effective sizes come from the propensity weighting, which no
    survey score enters: a run whose cohort changed only in its survey columns recalls them,
    identical, and computes the placebo afresh; a change elsewhere refits."""
    import shutil

    from effects import diagnostics as diagnostics_module

    con, _ = demo
    source = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(source.fetchone()[0], copy)
    published = {
        t: frame(con, f"marts.{t}")
        for t in ("covariate_balance", "study_diagnostics", "propensity_overlap")
    }

    def no_refit(*args, **kwargs):
        raise AssertionError("the propensity model was refitted")

    with duckdb.connect(str(copy)) as writable, monkeypatch.context() as patched:
        patched.setattr(diagnostics_module, "study_weighting", no_refit)
        # No one has a wave before the baseline any more: every placebo is not estimable.
        writable.execute("UPDATE marts.study_cohort SET baseline_wave_date = DATE '1900-01-01'")
        diagnostics_module.build_study_diagnostics(writable)
        recalled = {t: frame(writable, f"marts.{t}") for t in published}

        for table in ("covariate_balance", "propensity_overlap"):
            pd.testing.assert_frame_equal(recalled[table], published[table])
        weighting = [
            "participants",
            "comparison_people",
            "comparison_rows",
            "trials",
            "effective_comparison_size",
            "share_outside_overlap",
            "max_abs_smd_after",
        ]
        diagnosed = recalled["study_diagnostics"]
        pd.testing.assert_frame_equal(
            diagnosed[weighting], published["study_diagnostics"][weighting]
        )
        assert published["study_diagnostics"]["placebo_estimate"].notna().any()
        assert diagnosed["placebo_estimate"].isna().all()
        assert diagnosed["note"].str.contains("placebo: fewer than").all()

        writable.execute("UPDATE marts.study_cohort SET exit_event = 0 WHERE employee_id < '1'")
        with pytest.raises(AssertionError, match="refitted"):
            diagnostics_module.build_study_diagnostics(writable)
