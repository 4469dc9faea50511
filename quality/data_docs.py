"""GX Data Docs from the validation results kept in the warehouse.

Each staging step stores GX's own results (`meta.gx_validation_results`, as GX serialises
them); the reports step renders, per suite, the latest into a Data Docs site beside the pages
(`data_docs/index.html`), which the data-quality page links to.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

GX_RESULTS = "meta.gx_validation_results"
# Row values stay out of the pages, as on the data-quality page: the docs show counts and
# shares; the rows themselves are in the warehouse's quarantine schema.
ROW_DETAILS = (
    "partial_unexpected_list",
    "partial_unexpected_index_list",
    "partial_unexpected_counts",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "details",
)
FOLDER = "data_docs"


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {GX_RESULTS} (run_id VARCHAR, source VARCHAR, "
        "suite VARCHAR, result VARCHAR, validated_at TIMESTAMP)"
    )


def store_results(con: duckdb.DuckDBPyConnection, run_id: str, source: str, outcomes: list) -> None:
    """Keep GX's results of this run's validations of `source`, one row per suite."""
    ensure_table(con)
    con.execute(f"DELETE FROM {GX_RESULTS} WHERE run_id = ? AND source = ?", [run_id, source])
    rows = [(run_id, source, o.suite_name, json.dumps(_without_rows(o))) for o in outcomes]
    if rows:
        con.executemany(f"INSERT INTO {GX_RESULTS} VALUES (?, ?, ?, ?, current_timestamp)", rows)


def _without_rows(outcome) -> dict:
    serialised = outcome.to_json_dict()
    for result in serialised.get("results", []):
        for name in ROW_DETAILS:
            (result.get("result") or {}).pop(name, None)
    return serialised


def build_data_docs(con: duckdb.DuckDBPyConnection, reports_folder: Path) -> Path | None:
    """Render the latest result of every suite as GX Data Docs in `reports_folder/data_docs`;
    the site's index page, or None when nothing was ever validated."""
    ensure_table(con)
    latest = con.execute(
        f"SELECT result FROM {GX_RESULTS} QUALIFY row_number() OVER "
        "(PARTITION BY suite ORDER BY validated_at DESC) = 1 ORDER BY suite"
    ).fetchall()
    if not latest:
        return None
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    site = reports_folder / FOLDER
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name="mentorlens",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(site),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    schema = ExpectationSuiteValidationResultSchema()
    for position, (text,) in enumerate(latest):
        result = schema.load(json.loads(text))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=result.meta.get("run_id"),
            batch_identifier=f"batch{position}",
        )
        context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=["mentorlens"])
    return site / "index.html"
