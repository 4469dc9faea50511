"""Stage survey responses: link them to a person and a wave, parse answers, flag what is
not scored, and keep a respondent's latest scored response per wave.

Outputs:
- `staging.survey_responses`: every loaded response, with `scored`, `unscored_reason` and
  `superseded` flags and the numeric answers;
- `staging.survey_comments`: the free-text comments, which never leave that table;
- `staging.survey_waves`: per wave, its date (median time of its scored responses) and
  counts of responses, scored, unfinished, preview, spam and incomplete instruments;
- `quarantine.surveys`: rows that failed, with reasons (comments withheld), rebuilt from
  `quarantine.survey_reasons`, which keeps the reasons per file so a wave can be re-staged
  alone.
"""

from __future__ import annotations

from datetime import date

import duckdb

from quality.contract import normalise_header
from quality.frames import file_repeats_sql, iso_timestamp_sql, of_files, raw_columns
from quality.staging import (
    FRAME,
    ROW_REASONS,
    StageResult,
    create_frame,
    drop_frame,
    ensure_row_reasons,
    pending_files,
    reconcile_ledger,
    rows_of,
    validate_rows,
    write_quarantine,
)
from surveys.answers import parse_answer
from surveys.instruments import ITEMS_BY_CODE, SCALED_ITEM_CODES
from surveys.scoring import count_incomplete
from warehouse.catalogue import SURVEY_COMMENTS, apply_comments
from warehouse.db import quote_ident

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
    con: duckdb.DuckDBPyConnection,
    respondent_column: str,
    item_map: dict[str, str],
    files: list[str] | None = None,
) -> str:
    """The validation frame of survey rows (of `files`, or all), answers as `<item>__text`."""
    columns = raw_columns(con, "surveys")
    present = set(columns)
    data_columns = [c for c in columns if not c.startswith("_")]
    sources = _answer_sources(item_map)
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
    respondent = _first_present([normalise_header(respondent_column)], present)
    # A repeated row repeats its respondent's text: only those rows are compared.
    repeats = file_repeats_sql("surveys", data_columns, {"respondent": respondent}, files)
    return f"""
        SELECT r._source_file, r._source_line, r._malformed,
            {respondent} AS employee_id,
            coalesce({_first_present(["wave"], present)}, {stem}) AS wave,
            {response_time} AS submitted_at__text,
            {iso_timestamp_sql(response_time)} AS submitted_at,
            CASE WHEN lower({finished}) IN {UNFINISHED} THEN 'unfinished'
                 ELSE CASE lower({status}) {status_cases} END END AS unscored_reason,
            {", ".join(answers)},
            {_first_present(sources[COMMENT], present)} AS comment,
            m._duplicate_of
        FROM raw.surveys r {repeats} {of_files(files)}
    """


def _answer_sources(item_map: dict[str, str]) -> dict[str, list[str]]:
    """Per item code (and the comment), the raw columns that may hold its answer, in order."""
    sources = {code: [code] for code in [*SCALED_ITEM_CODES, COMMENT]}
    for column, code in sorted(item_map.items()):
        if code in sources and column != code:
            sources[code].append(column)
    return sources


def answer_texts_sql(
    con: duckdb.DuckDBPyConnection, item_map: dict[str, str], files: list[str] | None = None
) -> str:
    """SELECT of (code, text): each distinct answer text of each scaled item in the survey
    rows (of `files`, or all), as `survey_frame_sql` reads it into `<item>__text`."""
    present = set(raw_columns(con, "surveys"))
    sources = _answer_sources(item_map)
    texts = ", ".join(
        f"{_first_present(sources[code], present)} AS {code}" for code in SCALED_ITEM_CODES
    )
    return (
        f"SELECT DISTINCT code, text FROM (SELECT {texts} FROM raw.surveys r {of_files(files)}) "
        f"UNPIVOT (text FOR code IN ({', '.join(SCALED_ITEM_CODES)}))"
    )


def scale_descriptions() -> dict[str, str]:
    return {
        code: f"{ITEMS_BY_CODE[code].scale.name} scale ({ITEMS_BY_CODE[code].scale.describe()})"
        for code in SCALED_ITEM_CODES
    }


ANSWERS = "_survey_answers"


def _answers_table(con: duckdb.DuckDBPyConnection, texts_sql: str) -> None:
    """Each distinct answer text of each item (from `texts_sql`), read once on the item's
    scale: (code, text, value), value NULL where it is not on the scale."""
    texts = con.execute(texts_sql).fetchall()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ANSWERS} (code VARCHAR, text VARCHAR, value INTEGER)"
    )
    parsed = [(code, text, parse_answer(text, ITEMS_BY_CODE[code]).value) for code, text in texts]
    if parsed:
        con.executemany(f"INSERT INTO {ANSWERS} VALUES (?, ?, ?)", parsed)


def _build_frame(con: duckdb.DuckDBPyConnection, sql: str, texts_sql: str) -> None:
    """The validation table of survey rows: the frame of `survey_frame_sql`, `_scored`, and
    every item's answer as a number beside its text. The answer texts are read from raw
    (`texts_sql`), so the rows are materialised once, as the frame."""
    _answers_table(con, texts_sql)
    values = ", ".join(f"{code}.value AS {code}" for code in SCALED_ITEM_CODES)
    joins = " ".join(
        f"LEFT JOIN {ANSWERS} {code} ON {code}.code = '{code}' AND {code}.text = f.{code}__text"
        for code in SCALED_ITEM_CODES
    )
    create_frame(
        con, f"SELECT f.*, f.unscored_reason IS NULL AS _scored, {values} FROM ({sql}) f {joins}"
    )
    con.execute(f"DROP TABLE {ANSWERS}")


def stage_surveys(
    con: duckdb.DuckDBPyConnection,
    run_date: date,
    respondent_column: str = "employee_id",
    item_map: dict[str, str] | None = None,
) -> list[StageResult]:
    """Validate and stage the survey rows of files never validated (the ledger says which),
    leaving every other file's rows as they are. One result per wave validated."""
    from quality.suites import survey_suite

    _ensure_tables(con)
    ensure_row_reasons(con)
    todo = pending_files(con, "surveys")
    if not todo:
        return []
    # The waves whose rows change: those these files staged before, and those they hold now.
    waves = set(_staged_waves(con, todo))
    _forget(con, todo)
    item_map = item_map or {}
    rows = rows_of(con, "surveys", todo)
    _build_frame(
        con,
        survey_frame_sql(con, respondent_column, item_map, rows),
        answer_texts_sql(con, item_map, rows),
    )
    overall = StageResult("surveys")
    try:
        validate_rows(con, "surveys", todo, survey_suite(scale_descriptions(), run_date), overall)
        results = _wave_results(con, overall)
        waves |= {r.source.removeprefix("surveys wave ") for r in results}
        _insert(con, sorted(waves))
    finally:
        drop_frame(con)
    _refresh(con, sorted(waves))
    return results


def _wave_results(con: duckdb.DuckDBPyConnection, overall: StageResult) -> list[StageResult]:
    """Per wave of the validation table: rows read and quarantined, and its most common
    reasons. GX's results (one run over every wave) go with the first wave."""
    reasons = f"(SELECT * FROM {ROW_REASONS} WHERE source = 'surveys')"
    counted = con.execute(
        f"SELECT f.wave, count(*), count(q._source_line) FROM {FRAME} f "
        f"LEFT JOIN {reasons} q USING (_source_file, _source_line) GROUP BY f.wave ORDER BY 1"
    ).fetchall()
    results = []
    for wave, read, quarantined in counted:
        top = con.execute(
            f"SELECT reason, count(*) FROM (SELECT unnest(string_split(q.reasons, '; ')) AS reason "
            f"FROM {FRAME} f JOIN {reasons} q USING (_source_file, _source_line) "
            "WHERE f.wave IS NOT DISTINCT FROM ?) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
            [wave],
        ).fetchall()
        results.append(
            StageResult(
                f"surveys wave {wave}",
                rows_read=read,
                rows_quarantined=quarantined,
                top_reasons=[(r, n) for r, n in top],
            )
        )
    if results:
        results[0].results = overall.results
        results[0].gx_results = overall.gx_results
    return results


def _staged_waves(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[str]:
    return [
        wave
        for (wave,) in con.execute(
            "SELECT DISTINCT wave FROM staging.survey_responses "
            "WHERE _source_file IN (SELECT unnest(?))",
            [files],
        ).fetchall()
    ]


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    answers = ", ".join(f"{code} INTEGER" for code in SCALED_ITEM_CODES)
    con.execute(
        "CREATE TABLE IF NOT EXISTS staging.survey_responses (employee_id VARCHAR, "
        "wave VARCHAR, submitted_at TIMESTAMP, scored BOOLEAN, unscored_reason VARCHAR, "
        f"superseded BOOLEAN, {answers}, _source_file VARCHAR, _source_line BIGINT)"
    )
    con.execute(SURVEY_COMMENTS.ddl(if_not_exists=True))
    apply_comments(con, SURVEY_COMMENTS)
    con.execute(
        "CREATE TABLE IF NOT EXISTS staging.survey_waves (wave VARCHAR, wave_date DATE, "
        "responses BIGINT, scored BIGINT, superseded BIGINT, unfinished BIGINT, preview BIGINT, "
        "spam BIGINT, incomplete_loneliness BIGINT, incomplete_engagement BIGINT)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS quarantine.survey_reasons "
        "(_source_file VARCHAR, _source_line BIGINT, reasons VARCHAR)"
    )


STAGED_TABLES = ("staging.survey_responses", "staging.survey_comments", "quarantine.survey_reasons")


def _forget(con: duckdb.DuckDBPyConnection, files: list[str] | None) -> None:
    """Drop what earlier runs staged from these files (from every file when `files` is None)."""
    for table in STAGED_TABLES:
        if files is None:
            con.execute(f"DELETE FROM {table}")
        else:
            con.execute(f"DELETE FROM {table} WHERE _source_file IN (SELECT unnest(?))", [files])


def _insert(con: duckdb.DuckDBPyConnection, waves: list[str]) -> None:
    """The validation table's rows that passed into staging, its waves (`waves` holds them
    all) written again with them; every failure's reasons are already in ROW_REASONS, and are
    copied to `quarantine.survey_reasons`."""
    answers = ", ".join(f"CAST({code} AS INTEGER)" for code in SCALED_ITEM_CODES)
    reasons = f"(SELECT * EXCLUDE (source) FROM {ROW_REASONS} WHERE source = 'surveys')"
    passed = f"(SELECT f.* FROM {FRAME} f ANTI JOIN {reasons} q USING (_source_file, _source_line))"
    _restage(
        con,
        waves,
        "SELECT employee_id, wave, CAST(submitted_at AS TIMESTAMP), unscored_reason IS NULL, "
        f"unscored_reason, false, {answers}, _source_file, _source_line FROM {passed}",
    )
    # The frame's rows come in no particular order: the comments are kept in file order.
    con.execute(
        "INSERT INTO staging.survey_comments SELECT employee_id, wave, comment, _source_file, "
        f"_source_line FROM {passed} WHERE comment IS NOT NULL ORDER BY _source_file, _source_line"
    )
    con.execute(
        f"INSERT INTO quarantine.survey_reasons SELECT q.* FROM {reasons} q "
        f"SEMI JOIN {FRAME} f USING (_source_file, _source_line)"
    )


def _restage(con: duckdb.DuckDBPyConnection, waves: list[str], new: str) -> None:
    """The staged responses of `waves` and the rows of `new` (a SELECT of rows of
    `staging.survey_responses`, all of those waves), written once, sorted; then each scored
    response is marked superseded when its respondent has a later one in the wave (a
    response can only supersede one of its own wave)."""
    of_waves, params = _of_waves(waves)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _kept AS "
        f"SELECT * FROM staging.survey_responses WHERE {of_waves}",
        params,
    )
    con.execute(f"DELETE FROM staging.survey_responses WHERE {of_waves}", params)
    con.execute(
        "INSERT INTO staging.survey_responses SELECT * REPLACE (false AS superseded) "
        f"FROM (SELECT * FROM _kept UNION ALL {new}) ORDER BY wave, employee_id, submitted_at"
    )
    con.execute("DROP TABLE _kept")
    # Then only respondents with several scored responses in a wave are ranked: a window
    # over every response took a third of the write (xl: 2.7 s, now 1.9).
    responses = "staging.survey_responses"
    con.execute(
        f"""
        UPDATE {responses} SET superseded = true FROM (
            SELECT _source_file, _source_line FROM {responses} r SEMI JOIN (
                SELECT wave, employee_id FROM {responses} WHERE scored AND {of_waves}
                GROUP BY ALL HAVING count(*) > 1
            ) d ON d.wave = r.wave AND d.employee_id IS NOT DISTINCT FROM r.employee_id
            WHERE r.scored
            QUALIFY row_number() OVER (
                PARTITION BY r.wave, r.employee_id
                ORDER BY submitted_at DESC NULLS LAST, _source_file DESC, _source_line DESC
            ) > 1
        ) later
        WHERE later._source_file = {responses}._source_file
            AND later._source_line = {responses}._source_line
        """,
        params,
    )


def _of_waves(waves: list[str]) -> tuple[str, dict]:
    """A predicate keeping the rows of `waves`, and its parameters."""
    return "wave IN (SELECT unnest($waves::VARCHAR[]))", {"waves": waves}


def _refresh(con: duckdb.DuckDBPyConnection, waves: list[str]) -> None:
    """Recompute what spans files: the quarantine, the ledger and the counts of `waves`."""
    if raw_columns(con, "surveys"):
        write_quarantine(con, "surveys", "quarantine.survey_reasons", withheld=(COMMENT,))
        reconcile_ledger(
            con, "surveys", "(SELECT * FROM staging.survey_responses WHERE NOT superseded)"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TABLE quarantine.surveys "
            "(_source_file VARCHAR, _source_line BIGINT, reasons VARCHAR)"
        )
    _write_waves(con, *_of_waves(waves))


def _write_waves(con: duckdb.DuckDBPyConnection, of_waves: str, params: dict) -> None:
    """Count the waves selected by the predicate `of_waves` again; drop waves left empty."""
    con.execute(
        f"DELETE FROM staging.survey_waves w WHERE {of_waves} OR NOT EXISTS "
        "(SELECT 1 FROM staging.survey_responses r WHERE r.wave = w.wave)",
        params,
    )
    counted = con.execute(
        f"""
        SELECT wave,
            CAST(median(submitted_at) FILTER (WHERE scored AND NOT superseded) AS DATE),
            count(*), count(*) FILTER (WHERE scored AND NOT superseded),
            count(*) FILTER (WHERE superseded),
            count(*) FILTER (WHERE unscored_reason = 'unfinished'),
            count(*) FILTER (WHERE unscored_reason = 'preview'),
            count(*) FILTER (WHERE unscored_reason = 'spam')
        FROM staging.survey_responses WHERE {of_waves} GROUP BY wave ORDER BY wave
        """,
        params,
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
