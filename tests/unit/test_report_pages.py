"""The report pages, built from a small hand-made warehouse in a few seconds.

The marts are written with the marts' own column lists, so these tests break when a mart the
pages read changes shape.
"""

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from effects.outcomes import COLUMNS as OUTCOME_COLUMNS
from effects.program_effects import COLUMNS as EFFECT_COLUMNS
from effects.program_effects import SUBGROUP_COLUMNS
from marts.career_loneliness import COLUMNS as CAREER_COLUMNS
from marts.program_health import COLUMNS as HEALTH_COLUMNS
from marts.sponsorship import ACCESS_COLUMNS, PATHWAY_COLUMNS
from reports.audit import audit_folder, page_figures
from reports.build import build_reports
from reports.pages import PAGES
from warehouse.db import ensure_schemas
from warehouse.tables import write_frame

PAYLOAD = "<img src=x onerror=window.__xss=1><script>window.__xss=1</script>"
PROGRAM = f"Mentoring {PAYLOAD}"
DEPARTMENT = f"Sales {PAYLOAD}"
K = 5
# Values planted on hidden cells: they must appear nowhere in the report.
SECRET_RETENTION = 0.123456789
SECRET_SHARE = 0.987654321


def frame(columns, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))


def outcome_row(group: str, subgroup: str, n: int, retention: float = 0.9) -> dict:
    row = {"program_id": "P1", "relationship_type": "mentor", "arm": group}
    events = n // 2 if n >= 2 * K else 0
    row |= {"subgroup": subgroup, "n": n, "voluntary_exits": events, "promotions": events}
    for name, value in (("retention", retention), ("promoted", 0.2)):
        for months in (6, 12, 24):
            row |= {
                f"{name}_{months}m": value,
                f"{name}_{months}m_ci_low": value - 0.05,
                f"{name}_{months}m_ci_high": min(value + 0.05, 1),
            }
    row |= {"survey_n": n, "loneliness_baseline": 5.0, "loneliness_followup": 4.5}
    row |= {"engagement_baseline": 4.0, "engagement_followup": 4.2}
    row |= {"career_lonely_baseline": 0.5, "career_lonely_followup": 0.4}
    return row


GENDERS = {"participant": (30, 8, 2), "comparison": (150, 140, 10)}


def outcomes() -> pd.DataFrame:
    rows = [outcome_row("advisor", "all", 3)]
    for group, sizes in GENDERS.items():
        rows.append(outcome_row(group, "all", sum(sizes)))
        for gender, n in zip(("Man", "Non-binary", "Woman"), sorted(sizes)[::-1], strict=True):
            secret = SECRET_RETENTION if n < K else 0.9
            rows.append(outcome_row(group, f"gender={gender}", n, secret))
    return frame(OUTCOME_COLUMNS, rows)


def effect_rows(subgroups: dict[str, tuple[int, int]] | None = None) -> list[dict]:
    rows = []
    for subgroup, (treated, control) in (subgroups or {None: (40, 300)}).items():
        for outcome in (
            "voluntary_exit_hr",
            "promotion_hr",
            "retention_12m_diff",
            "loneliness_did",
            "engagement_did",
            "career_lonely_did",
        ):
            for method, estimate in (("naive", 0.7), ("adjusted", 0.8)):
                rows.append(
                    {
                        "program_id": "P1",
                        "relationship_type": "mentor",
                        "subgroup": subgroup,
                        "outcome": outcome,
                        "method": method,
                        "estimate": estimate,
                        "ci_low": estimate - 0.3,
                        "ci_high": estimate + 0.3,
                        "p_value": 0.04,
                        "p_value_holm": 0.12,
                        "n_treated": treated,
                        "n_control": control,
                    }
                )
    return rows


def health() -> pd.DataFrame:
    row = {"program_id": "P1", "program_name": PROGRAM, "relationship_type": "mentor"}
    row |= {"pairings": 40, "participants": 40, "pairing_months": 300.0}
    row |= {"meetings_completed": 200, "meetings_per_pairing_month": 0.7}
    row |= {"mean_meeting_rating": 4.1, "meeting_ratings": 150}
    for name in [c for c in HEALTH_COLUMNS if c.endswith("_rate")]:
        row |= {name: 0.5, f"{name}_ci_low": 0.4, f"{name}_ci_high": 0.6, f"{name}_n": 40}
    return frame(HEALTH_COLUMNS, [row])


def access() -> pd.DataFrame:
    rows = []
    for dimension, category, n in (
        ("all", "all", 983),
        ("gender", "Man", 480),
        ("gender", "Non-binary", 3),
        ("gender", "Woman", 500),
    ):
        share = SECRET_SHARE if n < K else 0.1
        row = {"dimension": dimension, "category": category}
        for name in ("sponsored_now", "ever_sponsored"):
            row |= {name: share, f"{name}_ci_low": 0.05, f"{name}_ci_high": 0.15, f"{name}_n": n}
        rows.append(row)
    return frame(ACCESS_COLUMNS, rows)


def cohort() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    groups = ["participant"] * 40 + ["comparison"] * 300 + ["advisor"] * 3
    days = rng.integers(30, 900, len(groups))
    return pd.DataFrame(
        {
            "program_id": "P1",
            "relationship_type": "mentor",
            "arm": groups,
            "exit_days": days,
            "exit_event": rng.integers(0, 2, len(groups)),
            "promotion_days": days,
            "promotion_event": rng.integers(0, 2, len(groups)),
            "exit_type": rng.choice(np.array(["voluntary", None], dtype=object), len(groups)),
            "sampling_weight": 1.0,
        }
    )


def pairings() -> pd.DataFrame:
    # 40 matched, 38 met (2 never met: the "met" stage must be hidden), 30 with a milestone,
    # 20 certified.
    met = [1] * 38 + [0] * 2
    milestones = [1] * 30 + [0] * 10
    certified = [True] * 20 + [False] * 20
    return pd.DataFrame(
        {
            "pairing_id": [f"X{i}" for i in range(40)],
            "program_id": "P1",
            "relationship_type": "mentor",
            "meetings_completed": met,
            "milestones_completed": milestones,
            "certificate_eligible": certified,
        }
    )


def employees() -> pd.DataFrame:
    departments = [DEPARTMENT] * 60 + ["Legal"] * 3 + ["Engineering"] * 40 + [None] * 8
    return pd.DataFrame(
        {
            "employee_id": [f"{i:04d}" for i in range(len(departments))],
            "department": departments,
            "is_employed": True,
            "is_mentee": [i % 3 == 0 for i in range(len(departments))],
            "is_protege": False,
            "has_ally": False,
            "is_coachee": False,
        }
    )


def agreement_flags(item: str, answer: int | None) -> dict:
    """`<item>_fav` / `_neutral` / `_unfav` of a 1–5 answer, as surveys.scoring makes them."""
    bands = {"fav": (4, 5), "neutral": (3,), "unfav": (1, 2)}
    return {f"{item}_{b}": None if answer is None else answer in a for b, a in bands.items()}


def survey_scores() -> pd.DataFrame:
    """Two waves of the employees' answers: every in-program respondent of wave B promotes
    (a 100% that must be hidden), and all but three agree someone senior advocates for them
    (three neutral, none unfavourable: both hidden, and favourable with them)."""
    ids = [f"{i:04d}" for i in range(111)]
    rows = []
    for wave, day in (("A", "2025-03-01"), ("B", "2026-03-01")):
        for n, employee in enumerate(ids):
            in_program = n % 3 == 0
            enps = 10 if wave == "B" and in_program else (n * 7) % 11
            safety = None if n == 1 else 1 + n % 5
            advocate = (5, 3, 1, 2)[n % 4]
            if wave == "B" and in_program:
                advocate = 3 if n < 9 else 4
            rows.append(
                {
                    "employee_id": employee,
                    "wave": wave,
                    "wave_date": pd.Timestamp(day).date(),
                    "enps": enps,
                    **agreement_flags("psych_safety", safety),
                    **agreement_flags("has_advocate", advocate),
                }
            )
    return pd.DataFrame(rows)


def create(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame) -> None:
    con.register("_data", data)
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM _data")
    con.unregister("_data")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "mentorlens.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_schemas(con)
        create(
            con, "staging.programs", pd.DataFrame({"program_id": ["P1"], "program_name": [PROGRAM]})
        )
        create(
            con,
            "staging.pairings",
            pd.DataFrame({"program_id": ["P1"], "relationship_type": ["mentor"]}),
        )
        create(
            con,
            "marts.run_info",
            pd.DataFrame(
                {"as_of": [pd.Timestamp("2026-10-31").date()], "as_of_source": ["setting"]}
            ),
        )
        create(con, "marts.fct_pairing", pairings())
        create(con, "marts.dim_employee", employees())
        create(con, "marts.study_cohort", cohort())
        create(con, "marts.fct_survey_score", survey_scores())
        write_frame(con, "marts.program_outcomes", outcomes(), OUTCOME_COLUMNS)
        write_frame(
            con, "marts.program_effects", frame(EFFECT_COLUMNS, effect_rows()), EFFECT_COLUMNS
        )
        subgroups = {
            "gender=Man": (8, 140),
            "gender=Non-binary": (2, 10),
            "gender=Woman": (30, 150),
        }
        write_frame(
            con,
            "marts.program_effects_by_subgroup",
            frame(SUBGROUP_COLUMNS, effect_rows(subgroups)),
            SUBGROUP_COLUMNS,
        )
        write_frame(con, "marts.program_health", health(), HEALTH_COLUMNS)
        write_frame(con, "marts.sponsorship_access", access(), ACCESS_COLUMNS)
        write_frame(con, "marts.mentor_to_sponsor", frame(PATHWAY_COLUMNS, []), PATHWAY_COLUMNS)
        write_frame(con, "marts.career_loneliness", frame(CAREER_COLUMNS, []), CAREER_COLUMNS)
    return path


@pytest.fixture(scope="module")
def report(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports") / ".reports.building"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_reports(con, folder, K)
    return folder


def every_file(folder: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.suffix in (".html", ".js", ".css") and p.name != "plotly.min.js"
    )


def test_every_page_is_written(report):
    programs = ["program-p1-mentor.html"]  # one page per program and relationship type
    assert sorted(p.name for p in report.glob("*.html")) == sorted(
        [p.file for p in PAGES] + programs
    )
    program = (report / "program-p1-mentor.html").read_text(encoding="utf-8")
    for section in ("Does it work?", "Program health", "Retention", "Equity", "Is the comparison"):
        assert section in program
    assert "Set <code>MENTORLENS_REPLACEMENT_COST</code>" in program


def test_every_figure_agrees_with_the_warehouse_and_no_group_is_under_k(report, warehouse):
    problems, checked = audit_folder(report, warehouse, K)
    assert checked > 100
    assert problems == []


def test_small_groups_read_fewer_than_k_and_their_partners_read_hidden(report):
    equity = (report / "equity.html").read_text(encoding="utf-8")
    assert 'data-hidden="small"' in equity and 'data-hidden="complementary"' in equity
    assert f"fewer than {K}" in equity
    figures = page_figures(report / "equity.html")
    hidden = [f for f in figures if f.hidden]
    assert all("data-value" not in f.attributes for f in hidden)


def test_hidden_values_are_neither_shown_nor_plotted(report):
    text = every_file(report)
    for secret in (SECRET_RETENTION, SECRET_SHARE):
        assert str(secret)[:6] not in text


def test_a_funnel_stage_that_would_reveal_a_small_drop_is_hidden(report):
    health = [
        f for f in page_figures(report / "program-health.html") if f.source == "marts.fct_pairing"
    ]
    by_stage = {f.attributes["data-column"]: f for f in health}
    assert by_stage["count(*)"].attributes["data-value"] == "40"
    met = next(
        f for c, f in by_stage.items() if "meetings_completed > 0)" in c and "milestones" not in c
    )
    assert met.hidden == "complementary"


def test_a_group_under_k_gets_no_curve(report):
    retention = (report / "retention.html").read_text(encoding="utf-8")
    assert "Comparable colleagues" in retention and "Mentors" in retention
    spec = re.findall(
        r'<script type="application/json" id="chart-\d+-spec">(.*?)</script>', retention, re.S
    )
    assert spec and not any("Mentors" in s for s in spec)


def test_text_from_data_is_escaped_everywhere(report):
    text = every_file(report)
    assert PAYLOAD not in text
    assert "<img" not in text and "<script>window" not in text
    assert "Mentoring &lt;img src=x onerror=window.__xss=1&gt;" in text
    assert "Sales &lt;img" in text


def test_the_folder_needs_no_network(report):
    text = every_file(report)
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert (report / "static" / "plotly.min.js").stat().st_size > 1_000_000
    assert len(list(report.rglob("plotly*.js"))) == 1
    for page in report.glob("*.html"):
        assert '<script src="static/plotly.min.js"' in page.read_text(encoding="utf-8")


def test_every_page_carries_the_as_of_date_and_the_data_quality_status(report):
    for page in report.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert '<strong id="as-of"><span class="fig" data-unit="date"' in html
        assert "31 October 2026" in html
        assert 'class="status status-' in html


def test_subgroup_pages_say_p_values_are_holm_adjusted(report):
    assert "Holm-adjusted" in (report / "equity.html").read_text(encoding="utf-8")


def test_tampering_with_a_number_is_caught(report, warehouse, tmp_path):
    tampered = tmp_path / "reports"
    tampered.mkdir()
    html = (report / "retention.html").read_text(encoding="utf-8")
    assert 'data-value="0.9"' in html
    html = html.replace('data-value="0.9"', 'data-value="0.95"', 1)
    (tampered / "retention.html").write_text(html, encoding="utf-8")
    problems, _ = audit_folder(tampered, warehouse, K)
    assert problems and "warehouse has 0.9" in problems[0]


def test_an_empty_warehouse_gives_pages_that_say_not_available_yet(tmp_path):
    path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_schemas(con)
        build_reports(con, tmp_path / "reports", K)
    for page in PAGES:
        html = (tmp_path / "reports" / page.file).read_text(encoding="utf-8")
        assert 'id="as-of"' in html
        if page.file != "methodology.html":
            assert "Not available yet" in html or "No file has been loaded yet" in html, page.file


def test_a_rebuild_starts_from_an_empty_folder(warehouse, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "stale.html").write_text("old", encoding="utf-8")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_reports(con, folder, K)
    assert not (folder / "stale.html").exists()


def test_the_overview_leads_with_verdicts_from_adjusted_rows(report):
    html = (report / "index.html").read_text(encoding="utf-8")
    verdicts = html[html.index('id="verdicts"') : html.index('id="programs"')]
    assert "Evidence it helps" in verdicts and "No clear evidence either way" in verdicts
    keys = re.findall(r'data-key="([^"]*)"', verdicts)
    assert keys and all("&#34;method&#34;: &#34;adjusted&#34;" in k for k in keys if "method" in k)


def test_every_naive_figure_sits_in_a_sentence_or_column_called_raw_comparison(report):
    for page in report.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for item in re.findall(r"<(li|p|span class=\"raw\")>(.*?)</\1>", html, re.S):
            if "&#34;method&#34;: &#34;naive&#34;" in item[1]:
                assert "raw comparison" in item[1].lower(), (page.name, item[1][:300])


def test_every_table_downloads_as_csv_and_all_as_one_workbook_without_formulas(report):
    import csv

    import openpyxl

    csvs = sorted((report / "downloads").glob("*.csv"))
    assert len(csvs) > 10
    for path in csvs:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows and all(
            not c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r
        )
        assert f'href="downloads/{path.name}"' in every_file(report)
    workbook = openpyxl.load_workbook(report / "downloads" / "mentorlens-tables.xlsx")
    assert len(workbook.sheetnames) == len(csvs) + 1
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert cells and not any(c.data_type == "f" for c in cells)


def test_a_cell_that_would_be_a_formula_is_neutralised(tmp_path):
    import csv

    import openpyxl

    from reports.downloads import Download, name_downloads, write_downloads
    from reports.layout import Exhibit, Section, Table

    hostile = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain"]
    table = Table("caption", ["Name", "Value"], [[h, h] for h in hostile])
    downloads = name_downloads("p.html", [Section("S", "s", exhibits=[Exhibit("T", table)])])
    assert isinstance(downloads[0], Download)
    write_downloads(tmp_path, downloads)
    with (tmp_path / table.download).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[0] for r in rows[1:]] == ["'" + h for h in hostile[:-1]] + ["plain"]
    workbook = openpyxl.load_workbook(tmp_path / "downloads" / "mentorlens-tables.xlsx")
    sheet = workbook[workbook.sheetnames[1]]
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"


def test_pages_tell_of_failed_runs_before_and_after_them(warehouse, tmp_path):
    import json

    from reports.freshness import RUN_STATUS, record_failed_run

    log = tmp_path / "mentorlens-failures.jsonl"
    entry = {"at": "2026-11-02T10:00:00+00:00", "run_id": "r1", "message": "check <b> failed"}
    log.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    folder = tmp_path / "reports"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_reports(con, folder, K, failures_log=log)
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "The run before this one failed" in html and "check &lt;b&gt; failed" in html
    assert '<script src="static/run-status.js">' in html and 'id="failed-run"' in html
    status = (folder / "static" / RUN_STATUS).read_text(encoding="utf-8")
    assert '"failed_after": []' in status
    later = entry | {"at": "2026-12-01T09:30:00+00:00", "message": "</script><b>x"}
    assert record_failed_run(folder, later)
    status = (folder / "static" / RUN_STATUS).read_text(encoding="utf-8")
    assert "1 December 2026, 09:30 UTC" in status and "</script>" not in status


def test_subgroup_effects_read_the_interaction_test_when_the_warehouse_has_it():
    from reports.context import Track
    from reports.pages.equity import interaction_finding

    class Ctx:
        pass

    track = Track("P1", "mentor", "Mentoring")
    effects = pd.DataFrame(
        {
            "program_id": "P1",
            "relationship_type": "mentor",
            "outcome": "retention_12m_diff",
            "method": "adjusted",
            "subgroup": ["gender=Man", "gender=Woman", "ethnicity=White"],
            "p_interaction": [0.01, 0.01, 0.4],
        }
    )
    said = " ".join(
        str(s)
        for s in interaction_finding(Ctx(), track, effects, "retention_12m_diff", "retention")
    )
    assert "by gender: the effect differs between them" in said and "p = 0.010" in said
    assert "by ethnicity: no clear evidence that the effect differs" in said
    effects = effects.assign(outcome="x")
    assert interaction_finding(Ctx(), track, effects.drop(columns="p_interaction"), "x", "r") == []


def test_retention_value_is_shown_with_its_interval_and_assumption_and_audited(warehouse, tmp_path):
    folder = tmp_path / "reports"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_reports(con, folder, K, replacement_cost=40000)
    html = (folder / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="retention-value"') :]
    assert "at 40,000 per leaver replaced" in section and "95% CI" in section
    assert "an assumption set in <code>MENTORLENS_REPLACEMENT_COST</code>" in section
    assert "round(n_treated * estimate / 100 * 40000" in section
    problems, _ = audit_folder(folder, warehouse, K)
    assert problems == []


def test_enps_psychological_safety_and_advocacy_are_shown_by_wave_and_group(report):
    html = (report / "wellbeing.html").read_text(encoding="utf-8")
    climate = html[html.index('id="climate"') :]
    assert "eNPS" in climate and "Psychological safety" in climate and "advocates for me" in climate
    assert "hidden: fewer than 5 did" in climate  # wave B: no in-program passive or detractor
    assert climate.count('data-source="marts.fct_survey_score"') > 20


def exhibit(html: str, title: str) -> str:
    start = html.index(title)
    end = html.find("<h3", start)
    return html[start : end if end > 0 else None]


def test_psychological_safety_and_advocacy_show_three_bands_per_wave_and_group(report):
    html = (report / "wellbeing.html").read_text(encoding="utf-8")
    climate = html[html.index('id="climate"') :]
    assert "counted together" not in climate and "cannot be separated" not in climate
    for item, title in (("psych_safety", "Psychological safety"), ("has_advocate", "Sponsorship")):
        section = exhibit(climate, title)
        for band in ("Favourable (4–5)", "Neutral (3)", "Unfavourable (1–2)"):
            assert band in section
        for band in ("fav", "neutral", "unfav"):
            assert f"CASE WHEN {item}_{band} THEN" in section
        for wave in ("A", "B"):
            for group in ("in a program", "everyone else"):
                assert f"{wave}: {group}" in section  # a bar per wave and group
    # Wave A, everyone else: the shares of the people who answered (one did not), by band.
    answers = [1 + n % 5 for n in range(111) if n % 3 != 0 and n != 1]
    expected = {
        "fav": sum(a >= 4 for a in answers) / len(answers),
        "neutral": answers.count(3) / len(answers),
        "unfav": sum(a <= 2 for a in answers) / len(answers),
    }
    figures = [f for f in page_figures(report / "wellbeing.html") if f.source]
    for band, share in expected.items():
        [figure] = [
            f
            for f in figures
            if f.key == {"wave": "A"}
            and f.attributes["data-column"].startswith(f"avg(CASE WHEN psych_safety_{band} ")
            and "NOT (employee_id IN" in f.attributes["data-column"]
        ]
        assert float(figure.attributes["data-value"]) == pytest.approx(share)
        assert not figure.hidden
    # Wave B, in a program: three neutral and none unfavourable hide both, and favourable too
    # (else 100% minus it would give the hidden three away).
    advocacy = exhibit(climate, "Sponsorship")
    hidden = [
        f.hidden
        for f in figures
        if f.key == {"wave": "B"}
        and "has_advocate" in f.attributes["data-column"]
        and "NOT (employee_id IN" not in f.attributes["data-column"]
        and f.unit == "percent"
    ]
    assert sorted(hidden) == ["complementary", "few-with", "few-with"]
    assert "hidden: fewer than 5 did" in advocacy


def test_pages_read_the_columns_and_tables_issues_16_and_17_add(warehouse, tmp_path):
    """ipw rows, e_value / e_value_ci, a not-estimable row with NULL figures and a note, and
    marts.study_diagnostics: read when present, never a crash, every figure still audited."""
    import shutil

    copy = tmp_path / "later.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("ALTER TABLE marts.program_effects ADD COLUMN IF NOT EXISTS e_value DOUBLE")
        con.execute("ALTER TABLE marts.program_effects ADD COLUMN IF NOT EXISTS e_value_ci DOUBLE")
        con.execute("UPDATE marts.program_effects SET e_value = 2.4, e_value_ci = 1.6")
        con.execute(
            "INSERT INTO marts.program_effects BY NAME SELECT * REPLACE ('ipw' AS method) "
            "FROM marts.program_effects WHERE method = 'adjusted'"
        )
        con.execute(
            "UPDATE marts.program_effects SET estimate = NULL, ci_low = NULL, ci_high = NULL, "
            "p_value = NULL, note = 'too few events to fit the model' "
            "WHERE outcome = 'promotion_hr' AND method = 'adjusted'"
        )
        con.execute(
            "CREATE TABLE marts.study_diagnostics AS SELECT 'P1' AS program_id, "
            "'mentor' AS relationship_type, 40 AS participants, 300 AS comparison_people, "
            "12 AS trials, 250.5 AS effective_comparison_size, 0.02 AS share_outside_overlap, "
            "0.04 AS max_abs_smd_after"
        )
    folder = tmp_path / "reports"
    with duckdb.connect(str(copy), read_only=True) as con:
        build_reports(con, folder, K)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "Not enough data" in index and "too few events to fit the model" in index
    assert "E-value" in index and "a fair comparison" in index
    program = (folder / "program-p1-mentor.html").read_text(encoding="utf-8")
    assert "Study diagnostics" in program and "max abs smd after" in program
    problems, _ = audit_folder(folder, copy, K)
    assert problems == []


def test_a_warehouse_without_the_neutral_and_unfavourable_flags_says_so(warehouse, tmp_path):
    import shutil

    copy = tmp_path / "older.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("ALTER TABLE marts.fct_survey_score DROP COLUMN psych_safety_neutral")
    folder = tmp_path / "reports"
    with duckdb.connect(str(copy), read_only=True) as con:
        build_reports(con, folder, K)
    html = (folder / "wellbeing.html").read_text(encoding="utf-8")
    climate = html[html.index('id="climate"') :]
    assert "predates the neutral and unfavourable answers" in climate
    assert audit_folder(folder, copy, K)[0] == []


def test_the_fairness_page_shows_balance_overlap_and_the_placebo(warehouse, tmp_path):
    import shutil

    copy = tmp_path / "fair.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "CREATE TABLE marts.covariate_balance AS SELECT * FROM (VALUES "
            "('P1', 'mentor', 'performance_rating', NULL, 3.6, 3.0, 3.5, 0.71, 0.05), "
            "('P1', 'mentor', 'gender', 'woman', 0.6, 0.45, 0.62, 0.30, -0.14)) "
            "t(program_id, relationship_type, covariate, category, treated_mean, "
            "comparison_mean, comparison_mean_weighted, smd_before, smd_after)"
        )
        con.execute(
            "CREATE TABLE marts.study_diagnostics AS SELECT 'P1' AS program_id, "
            "'mentor' AS relationship_type, 40 AS participants, 300 AS comparison_people, "
            "310 AS comparison_rows, 12 AS trials, 250.5 AS effective_comparison_size, "
            "0.12 AS share_outside_overlap, 0.14 AS max_abs_smd_after, "
            "-0.4 AS placebo_estimate, -0.7 AS placebo_ci_low, -0.1 AS placebo_ci_high, "
            "90 AS placebo_n, NULL AS note"
        )
        con.execute(
            "CREATE TABLE marts.propensity_overlap AS SELECT * FROM (VALUES "
            "('P1', 'mentor', 'participant', 0.0, 0.5, 3), "
            "('P1', 'mentor', 'participant', 0.5, 1.0, 37), "
            "('P1', 'mentor', 'comparison', 0.0, 0.5, 280), "
            "('P1', 'mentor', 'comparison', 0.5, 1.0, 30)) "
            "t(program_id, relationship_type, arm, bin_low, bin_high, people)"
        )
    folder = tmp_path / "reports"
    with duckdb.connect(str(copy), read_only=True) as con:
        build_reports(con, folder, K)
    page = (folder / "fairness.html").read_text(encoding="utf-8")
    assert "12% of mentees have no comparable colleague" in page
    assert "Gender: woman" in page and "above the usual mark of 0.1" in page
    assert "already drifting apart" in page
    assert "Love plot" in page
    assert "Propensity histogram" in page and "92.5%" in page  # 37 of 40
    assert "hidden: fewer than" in page  # 3 participants in the low bin
    assert 'href="fairness.html"' in (folder / "index.html").read_text(encoding="utf-8")
    problems, _ = audit_folder(folder, copy, K)
    assert problems == []


def _placebo_figures(folder: Path, page: str) -> list:
    return [
        f
        for f in page_figures(folder / page)
        if f.source == "marts.study_diagnostics" and f.attributes["data-column"] == "placebo_n"
    ]


@pytest.mark.parametrize(
    ("placebo", "said"),
    [
        ((0.1, -0.3, 0.5, 412), "loneliness moved alike (difference 0.10 UCLA-3 points, 95% CI"),
        ((-0.4, -0.7, -0.1, 90), "loneliness changed differently (difference −0.40 UCLA-3 points"),
        ((None, None, None, 3), "no pre-program check possible: too few people with two"),
        ((0.2, -0.5, 0.9, K - 1), f"not shown: fewer than {K} people answered two surveys"),
    ],
)
def test_each_wellbeing_finding_has_the_pre_trend_check_beside_it(
    warehouse, tmp_path, placebo, said
):
    import shutil

    copy = tmp_path / "placebo.duckdb"
    shutil.copy(warehouse, copy)
    estimate, low, high, n = placebo
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "CREATE TABLE marts.study_diagnostics AS SELECT 'P1' AS program_id, "
            "'mentor' AS relationship_type, 40 AS participants, 0.04 AS max_abs_smd_after, "
            "?::DOUBLE AS placebo_estimate, ?::DOUBLE AS placebo_ci_low, "
            "?::DOUBLE AS placebo_ci_high, ?::BIGINT AS placebo_n",
            [estimate, low, high, n],
        )
    folder = tmp_path / "reports"
    with duckdb.connect(str(copy), read_only=True) as con:
        build_reports(con, folder, K)
    wellbeing = (folder / "wellbeing.html").read_text(encoding="utf-8")
    findings = re.findall(r"<li>(.*?)</li>", wellbeing, re.S)
    for measure in ("Loneliness (", "Engagement (", "Feel alone in their career ("):
        finding = next(f for f in findings if f.startswith(measure))
        text = re.sub(r"<[^>]+>", "", finding)
        assert said in text, text
        # Beside engagement and career loneliness, a check made says it was made on loneliness.
        made = estimate is not None and n >= K
        other_measure = measure != "Loneliness ("
        assert ("made on loneliness" in text) == (made and other_measure), text
    if said.startswith("loneliness changed differently"):
        assert "read this finding with care" in wellbeing
    # The figures are bound to the warehouse's cells and audited; none when not estimable.
    figures = _placebo_figures(folder, "wellbeing.html")
    if estimate is None or n < K:
        # Nothing of the placebo is shown: neither the estimate nor its n.
        assert figures == [] and 'data-column="placebo_estimate"' not in wellbeing
    else:
        assert len(figures) == 3 and {f.text for f in figures} == {f"{n:,}"}
    # The survey differences on the overview's and the program page's cards carry it too.
    for page in ("index.html", "program-p1-mentor.html"):
        cards = re.sub(r"<[^>]+>", "", (folder / page).read_text(encoding="utf-8"))
        assert said in cards, page
    problems, _ = audit_folder(folder, copy, K)
    assert problems == []
