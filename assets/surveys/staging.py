"""Stage survey responses: link them to a person and a wave, parse answers, flag what is
not scored, and keep a respondent's latest scored response per wave.

Outputs:
- `staging.survey_responses`: every loaded response, with `scored`, `unscored_reason` and
  `superseded` flags and the numeric answers;
- `staging.survey_comments`: the free-text comments, which never leave that table;
- `staging.survey_waves`: per wave, its date (median time of its scored responses) and
  counts of responses, scored, unfinished, preview, spam and incomplete instruments;
- `quarantine.surveys`: rows that failed, with reasons (comments withheld).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from assets.staging.build import StageResult, reconcile_ledger, validate_rows, write_quarantine
from assets.staging.frames import raw_columns
from assets.surveys.answers import parse_answers
from assets.surveys.instruments import ITEMS_BY_CODE, SCALED_ITEM_CODES
from assets.surveys.scoring import count_incomplete
from pipelines.warehouse import quote_ident
from quality.contract import normalise_header

COMMENT = "comment"
RESPONSE_TIME_COLUMNS = ("submitted_at", "recordeddate", "enddate")
UNFINISHED = ("false", "0", "no")
# Qualtrics writes Status as text, or as a code in numeric exports (1 preview, 8 spam).
STATUS_NOT_SCORED = {"survey preview": "preview", "1": "preview", "spam": "spam", "8": "spam"}


def _text(column: str | None) -> str:
    return f"nullif(trim(r.{quote_ident(column)}), '')" if column else "NULL::VARCHAR"


def _first_present(candidates: list[str], present: set[str]) -> str:
    texts = [_text(c) for c in candidates if c in present]
    if not texts:
        return "NULL::VARCHAR"
    return texts[0] if len(texts) == 1 else f"coalesce({', '.join(texts)})"


def survey_frame_sql(
    con: duckdb.DuckDBPyConnection, respondent_column: str, item_map: dict[str, str]
) -> str:
    """The validation frame of every survey row, answers still as text (`<item>__text`)."""
    columns = raw_columns(con, "surveys")
    present = set(columns)
    data_columns = [c for c in columns if not c.startswith("_")]
    sources = {code: [code] for code in [*SCALED_ITEM_CODES, COMMENT]}
    for column, code in sorted(item_map.items()):
        if code in sources and column != code:
            sources[code].append(column)
    answers = [
        f"{_first_present(names, present)} AS {code}__text"
        for code, names in sources.items()
        if code != COMMENT
    ]
    response_time = _first_present(list(RESPONSE_TIME_COLUMNS), present)
    status_cases = " ".join(
        f"WHEN '{code}' THEN '{reason}'" for code, reason in STATUS_NOT_SCORED.items()
    )
    finished = _first_present(["finished"], present)
    status = _first_present(["status"], present)
    stem = r"regexp_replace(regexp_extract(r._source_file, '[^/]+$'), '\.[^.]*$', '')"
    identical = ", ".join(["r._source_file", *(f"r.{quote_ident(c)}" for c in data_columns)])
    return f"""
        SELECT r._source_file, r._source_line, r._malformed,
            {_first_present([normalise_header(respondent_column)], present)} AS employee_id,
            coalesce({_first_present(["wave"], present)}, {stem}) AS wave,
            {response_time} AS submitted_at__text,
            coalesce(try_cast({response_time} AS TIMESTAMP),
                     try_cast(try_cast({response_time} AS DATE) AS TIMESTAMP)) AS submitted_at,
            CASE WHEN lower({finished}) IN {UNFINISHED} THEN 'unfinished'
                 ELSE CASE lower({status}) {status_cases} END END AS unscored_reason,
            {", ".join(answers)},
            {_first_present(sources[COMMENT], present)} AS comment,
            CASE WHEN row_number() OVER same_row > 1
                 THEN min(r._source_line) OVER same_row END AS _duplicate_of
        FROM raw.surveys r
        WINDOW same_row AS (PARTITION BY {identical} ORDER BY r._source_line)
        ORDER BY r._source_file, r._source_line
    """


def scale_descriptions() -> dict[str, str]:
    return {
        code: f"{ITEMS_BY_CODE[code].scale.name} scale ({ITEMS_BY_CODE[code].scale.describe()})"
        for code in SCALED_ITEM_CODES
    }


def parsed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the numeric answer of every item beside its text; NA where it does not parse."""
    texts = frame[[f"{code}__text" for code in SCALED_ITEM_CODES]]
    numeric, _ = parse_answers(texts.rename(columns=lambda c: c.removesuffix("__text")))
    frame = frame.assign(_scored=frame["unscored_reason"].isna())
    return pd.concat([frame, numeric[list(SCALED_ITEM_CODES)]], axis=1)


def stage_surveys(
    con: duckdb.DuckDBPyConnection,
    run_date: date,
    respondent_column: str = "employee_id",
    item_map: dict[str, str] | None = None,
) -> list[StageResult]:
    """Validate and stage every survey row; one result per wave (each is its own source)."""
    from quality.suites import survey_suite

    _create_empty(con)
    if not raw_columns(con, "surveys"):
        return []
    frame = con.execute(survey_frame_sql(con, respondent_column, item_map or {})).df()
    frame = parsed_frame(frame)
    suite = survey_suite(scale_descriptions(), run_date)
    results, passed_parts, quarantined_parts = [], [], []
    for wave, rows in frame.groupby("wave", sort=True, dropna=False):
        result = StageResult(f"surveys wave {wave}")
        passed, quarantined = validate_rows(rows, suite, result)
        results.append(result)
        passed_parts.append(passed)
        quarantined_parts.append(quarantined)
    quarantined = pd.concat(quarantined_parts)
    write_quarantine(con, "surveys", quarantined, withheld=(COMMENT,))
    _write_responses(con, pd.concat(passed_parts))
    reconcile_ledger(
        con, "surveys", "(SELECT * FROM staging.survey_responses WHERE NOT superseded)"
    )
    _write_waves(con)
    return results


def _create_empty(con: duckdb.DuckDBPyConnection) -> None:
    answers = ", ".join(f"{code} INTEGER" for code in SCALED_ITEM_CODES)
    con.execute(
        "CREATE OR REPLACE TABLE staging.survey_responses (employee_id VARCHAR, wave VARCHAR, "
        "submitted_at TIMESTAMP, scored BOOLEAN, unscored_reason VARCHAR, superseded BOOLEAN, "
        f"{answers}, _source_file VARCHAR, _source_line BIGINT)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE staging.survey_comments (employee_id VARCHAR, wave VARCHAR, "
        "comment VARCHAR, _source_file VARCHAR, _source_line BIGINT)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE staging.survey_waves (wave VARCHAR, wave_date DATE, "
        "responses BIGINT, scored BIGINT, superseded BIGINT, unfinished BIGINT, preview BIGINT, "
        "spam BIGINT, incomplete_loneliness BIGINT, incomplete_engagement BIGINT)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE quarantine.surveys "
        "(_source_file VARCHAR, _source_line BIGINT, reasons VARCHAR)"
    )


def _write_responses(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Among scored rows, a respondent's later response in a wave supersedes the earlier."""
    answers = ", ".join(f"CAST({code} AS INTEGER) AS {code}" for code in SCALED_ITEM_CODES)
    con.register("_responses", rows)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE staging.survey_responses AS
        SELECT employee_id, wave, CAST(submitted_at AS TIMESTAMP) AS submitted_at,
            unscored_reason IS NULL AS scored, unscored_reason,
            unscored_reason IS NULL AND row_number() OVER (
                PARTITION BY wave, employee_id, unscored_reason IS NULL
                ORDER BY submitted_at DESC NULLS LAST, _source_file DESC, _source_line DESC
            ) > 1 AS superseded,
            {answers}, _source_file, _source_line
        FROM _responses ORDER BY wave, employee_id, submitted_at
        """
    )
    con.execute(
        "CREATE OR REPLACE TABLE staging.survey_comments AS "
        "SELECT employee_id, wave, comment, _source_file, _source_line FROM _responses "
        "WHERE comment IS NOT NULL ORDER BY wave, _source_file, _source_line"
    )
    con.unregister("_responses")


def _write_waves(con: duckdb.DuckDBPyConnection) -> None:
    counted = con.execute(
        """
        SELECT wave,
            CAST(median(submitted_at) FILTER (WHERE scored AND NOT superseded) AS DATE),
            count(*), count(*) FILTER (WHERE scored AND NOT superseded),
            count(*) FILTER (WHERE superseded),
            count(*) FILTER (WHERE unscored_reason = 'unfinished'),
            count(*) FILTER (WHERE unscored_reason = 'preview'),
            count(*) FILTER (WHERE unscored_reason = 'spam')
        FROM staging.survey_responses GROUP BY wave ORDER BY wave
        """
    ).fetchall()
    for wave, wave_date, *counts in counted:
        answers = con.execute(
            f"SELECT {', '.join(SCALED_ITEM_CODES)} FROM staging.survey_responses "
            "WHERE wave = ? AND scored AND NOT superseded",
            [wave],
        ).df()
        incomplete = count_incomplete(answers.astype("Int64"))
        con.execute(
            "INSERT INTO staging.survey_waves VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [wave, wave_date, *counts, incomplete["loneliness"], incomplete["engagement"]],
        )
