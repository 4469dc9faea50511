"""Estimates that no survey score enters, remembered between runs, so a new survey wave does
not refit them.

Hazard ratios and retention differences (`survival`), and the propensity weighting's balance,
overlap and effective sizes (`weighting`), depend on the cohort's people, follow-up and
covariates, never on survey scores; a new wave changes only the difference-in-differences
rows and the placebo. Each table's rows of a kind are kept in `meta.<table>_<kind>_memo` with
a digest of everything they were computed from: the cohort without its survey columns, the
settings that shape them, and the source code of the effects package (a new release
refits). A run whose digest matches reuses the rows; any other run recomputes and replaces
them.
"""

import hashlib
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from effects.cohorts import DIGEST_COLUMN, STUDY_COHORT, SURVEY_COLUMNS
from warehouse.db import table_exists, table_fingerprint
from warehouse.tables import write_frame


def non_survey_inputs_digest(con: duckdb.DuckDBPyConnection, *settings: object) -> str:
    """A digest of `marts.study_cohort`'s non-survey columns and `settings`."""
    cohort = table_fingerprint(con, STUDY_COHORT, lambda name: name not in SURVEY_COLUMNS)
    digest = hashlib.blake2b(repr((cohort, settings)).encode(), digest_size=20)
    digest.update(_code_digest().encode())
    return digest.hexdigest()


@cache
def _code_digest() -> str:
    # The estimates are made by this package and the plain statistics it calls.
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(digest_size=20)
    for module in sorted([*(root / "effects").glob("*.py"), *(root / "stats").glob("*.py")]):
        digest.update(module.name.encode() + module.read_bytes())
    return digest.hexdigest()


SURVIVAL, WEIGHTING = "survival", "weighting"


def memo_table(table: str, kind: str = SURVIVAL) -> str:
    return f"meta.{str(table).split('.')[-1]}_{kind}_memo"


def recall(
    con: duckdb.DuckDBPyConnection, table: str, digest: str, kind: str = SURVIVAL
) -> pd.DataFrame | None:
    """The rows of `kind` remembered for `table` under this digest, or None."""
    memo = memo_table(table, kind)
    if not table_exists(con, memo):
        return None
    rows = con.execute(
        f"SELECT * EXCLUDE ({DIGEST_COLUMN}) FROM {memo} WHERE {DIGEST_COLUMN} = ?", [digest]
    ).df()
    return rows if len(rows) else None


def remember(
    con: duckdb.DuckDBPyConnection,
    table: str,
    digest: str,
    rows: pd.DataFrame,
    columns: dict[str, str],
    kind: str = SURVIVAL,
) -> None:
    """Keep `rows` (with the table's `columns`) as the rows of `kind` of `table` for
    `digest`."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    write_frame(
        con,
        memo_table(table, kind),
        rows.assign(**{DIGEST_COLUMN: digest}),
        {**columns, DIGEST_COLUMN: "VARCHAR"},
    )
