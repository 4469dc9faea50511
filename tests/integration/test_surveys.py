"""Survey exports in both layouts and both Qualtrics encodings, through the whole job."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import query, write

TAGS = [
    "StartDate", "EndDate", "Status", "Finished", "RecordedDate", "ResponseId",
    "RecipientEmail", "ExternalReference", "Q1_1", "Q1_2", "Q1_3",
    "eng_vigor", "eng_dedication", "eng_absorption", "career_alone", "enps", "comment",
]  # fmt: skip
QUESTIONS = [
    "Start Date", "End Date", "Response Type", "Finished", "Recorded Date", "Response ID",
    "Recipient Email", "External Data Reference",
    "How often do you feel that you lack companionship?", "How often do you feel left out?",
    "How often do you feel isolated from others?", "At my work, I feel bursting with energy",
    "I am enthusiastic about my job", "I am immersed in my work",
    "I feel alone in determining my career development",
    "How likely are you to recommend this company as a place to work?",
    "Anything else you want to tell us?",
]  # fmt: skip
# (status, finished, recorded, respondent, UCLA x3, UWES x3, career_alone, enps, comment)
RESPONSES = [
    ("IP Address", "True", "2026-03-02 09:00:00", "000001", "Often", "Often", "Some of the time",
     "A few times a month", "Every day", "Always", "Agree", "10", "Great <b>team</b>"),
    ("IP Address", "True", "2026-03-03 09:00:00", "000002", "hardly ever", "Hardly Ever",
     "Hardly ever", "3", "4", "5", "Strongly disagree", "6", ""),
    ("IP Address", "True", "2026-03-04 09:00:00", "000002", "Often", "Often", "Often",
     "Never", "Never", "Never", "Strongly agree", "0", ""),
    ("IP Address", "True", "2026-03-05 09:00:00", "000003", "Often", "", "",
     "Sometimes", "Sometimes", "", "Neither agree nor disagree", "8", ""),
    ("IP Address", "False", "2026-03-05 10:00:00", "000004", "Often", "", "", "", "", "", "", "",
     ""),
    ("Survey Preview", "True", "2026-03-01 08:00:00", "", "", "", "", "", "", "", "", "", ""),
    ("Spam", "True", "2026-03-06 08:00:00", "000004", "Often", "Often", "Often", "Never", "Never",
     "Never", "Agree", "1", "buy now"),
    ("IP Address", "True", "2026-03-06 09:00:00", "000004", "Sometimes-ish", "Often", "Often",
     "Never", "Never", "Never", "Agree", "1", ""),
]  # fmt: skip


def qualtrics_export(path: Path, tsv: bool) -> Path:
    """A Qualtrics export: tags, question texts, ImportId JSON, then one row per response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if tsv else ",", lineterminator="\r\n")
    writer.writerow(TAGS)
    writer.writerow(QUESTIONS)
    writer.writerow([f'{{"ImportId":"{tag}"}}' for tag in TAGS])
    for n, (status, finished, recorded, who, *answers, comment) in enumerate(RESPONSES):
        writer.writerow(
            [recorded, recorded, status, finished, recorded, f"R_{n}", f"p{n}@example.com", who,
             *answers, comment]
        )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-16" if tsv else "utf-8"))
    return path


@pytest.fixture(params=["utf8_csv", "utf16_tsv"])
def qualtrics_run(request, small_org, run, monkeypatch):
    monkeypatch.setenv("MENTORLENS_SURVEY_RESPONDENT_COLUMN", "ExternalReference")
    monkeypatch.setenv("MENTORLENS_QUARANTINE_THRESHOLD", "0.5")
    tsv = request.param == "utf16_tsv"
    name = "surveys/2026-03_pulse." + ("tsv" if tsv else "csv")
    qualtrics_export(small_org.inbox / name, tsv=tsv)
    settings = small_org.from_env()
    outcome = run(settings)
    assert outcome.success, outcome.failures
    return settings


def test_qualtrics_counts_scored_incomplete_unfinished_preview_and_spam(qualtrics_run):
    wave = query(
        qualtrics_run.warehouse,
        "SELECT wave, responses, scored, superseded, unfinished, preview, spam, "
        "incomplete_loneliness, incomplete_engagement FROM staging.survey_waves",
    )
    # 8 rows: 1 quarantined (unknown label); of 7 loaded, 000002 answered twice (1 superseded),
    # 1 unfinished, 1 preview, 1 spam, leaving 3 scored; 000003 answered part of each scale.
    assert wave == [("2026-03_pulse", 7, 3, 1, 1, 1, 1, 1, 1)]


def test_qualtrics_unknown_label_is_quarantined_with_its_reason(qualtrics_run):
    rows = query(qualtrics_run.warehouse, "SELECT _source_line, reasons FROM quarantine.surveys")
    assert rows == [
        (
            11,
            "lon_companionship answer 'Sometimes-ish' is not on the UCLA-3 scale "
            "(Hardly ever, Some of the time, Often or 1–3)",
        )
    ]


def test_qualtrics_scores_match_hand_computed_values(qualtrics_run):
    scores = query(
        qualtrics_run.warehouse,
        "SELECT employee_id, loneliness, lonely, engagement, career_lonely, enps "
        "FROM marts.fct_survey_score ORDER BY employee_id",
    )
    assert scores == [
        # Often(3)+Often(3)+Some of the time(2); UWES 3,6,6 → 5.0; Agree → career lonely
        ("000001", 8, True, 5.0, True, 10),
        # the later response (all Often / Never / Strongly agree) replaces the earlier
        ("000002", 9, True, 0.0, True, 0),
        # partial answers: no loneliness or engagement score
        ("000003", None, None, None, False, 8),
    ]


def test_comments_stay_in_their_table_and_contacts_in_raw(qualtrics_run):
    comments = query(qualtrics_run.warehouse, "SELECT comment FROM staging.survey_comments")
    assert ("Great <b>team</b>",) in comments
    flag = query(
        qualtrics_run.warehouse,
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'survey_comments'",
    )[0][0]
    assert flag.startswith("SENSITIVE")
    for schema_table in (
        "quarantine.surveys",
        "staging.survey_responses",
        "marts.fct_survey_score",
    ):
        columns = {r[0] for r in query(qualtrics_run.warehouse, f"DESCRIBE {schema_table}")}
        assert "comment" not in columns and "recipientemail" not in columns, schema_table


def test_the_wave_comes_from_a_wave_column_when_present(small_org, run):
    write(
        small_org.inbox,
        "surveys/export.csv",
        "wave,employee_id,submitted_at,lon_companionship,lon_left_out,lon_isolated\n"
        "2025-Q1,000001,2025-03-01,1,1,1\n"
        "2025-Q1,000002,2025-03-03,3,3,3\n"
        "2025-Q1,000003,2025-03-09,2,2,2\n",
    )
    assert run(small_org).success
    waves = query(small_org.warehouse, "SELECT wave, wave_date, scored FROM staging.survey_waves")
    assert [(w, str(d), n) for w, d, n in waves] == [("2025-Q1", "2025-03-03", 3)]
