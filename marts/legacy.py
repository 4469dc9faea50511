"""Views that keep renamed columns under their old names for one release.

`group` (an SQL keyword, quoted in every query) became `arm`; `legacy.<table>` is the
table with `arm` shown as `"group"`, so an old query runs with `marts.` changed to `legacy.`.
To be dropped in the release after next.
"""

import duckdb

from warehouse.catalogue import (
    MENTOR_TO_SPONSOR,
    PROGRAM_OUTCOMES,
    PROPENSITY_OVERLAP,
    STUDY_COHORT,
)
from warehouse.db import table_exists
from warehouse.sql import quote_ident, quote_literal

SCHEMA = "legacy"
RENAMED = {"arm": "group"}
TABLES = (STUDY_COHORT, PROGRAM_OUTCOMES, MENTOR_TO_SPONSOR, PROPENSITY_OVERLAP)


def create_legacy_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create the views over the tables this run built; returns their names."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    renames = ", ".join(f'{new} AS "{old}"' for new, old in RENAMED.items())
    made = []
    for table in TABLES:
        if not table_exists(con, str(table)):
            continue
        view = f"{SCHEMA}.{table.name}"
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * RENAME ({renames}) FROM {table}")
        con.execute(
            f"COMMENT ON VIEW {view} IS "
            + quote_literal(
                f'Deprecated: {table} with its column arm under its old name "group", kept for '
                "one release so that old queries run. Use the table and arm instead."
            )
        )
        for column in table.columns:
            name = quote_ident(RENAMED.get(column.name, column.name))
            description = quote_literal(column.description)
            con.execute(f"COMMENT ON COLUMN {view}.{name} IS {description}")
        made.append(view)
    return made
