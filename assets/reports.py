"""Reports layer: the HTML pages for HR, built beside the published folder."""

from datetime import date

import dagster as dg
import duckdb

from assets.effects import effects_assets
from assets.marts import marts_assets
from assets.run_facts import run_date
from assets.staging import staging_assets
from assets.surveys import survey_assets
from marts.run_info import resolve_as_of
from quality.data_docs import build_data_docs
from reports.build import build_reports, folder_size
from reports.reader import Reader
from warehouse.resources import ReportsResource, StudyResource, WarehouseResource

# Every table the pages read is built by one of these; a mart added later joins by itself.
UPSTREAM = [
    key for a in (*staging_assets, *survey_assets, *marts_assets, *effects_assets) for key in a.keys
]


def _as_of_without_marts(
    con: duckdb.DuckDBPyConnection, study: StudyResource, day: date
) -> date | None:
    """The as-of date the marts would use, for a run whose marts are not built (yet)."""
    reader = Reader(con)
    if reader.has("marts.run_info") or not reader.has("staging.employees", "staging.job_events"):
        return None
    return resolve_as_of(con, study.as_of, day)[0]


@dg.asset(key_prefix="reports", name="pages", group_name="reports", kinds={"html"}, deps=UPSTREAM)
def report_pages(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    reports: ReportsResource,
    study: StudyResource,
) -> dg.MaterializeResult:
    """The HTML pages for HR, one per topic, small groups hidden; swapped in at publication."""
    folder = reports.building
    with warehouse.connect() as con:
        as_of = _as_of_without_marts(con, study, run_date(context))
        pages = build_reports(
            con,
            folder,
            reports.min_group_size,
            as_of_fallback=as_of,
            replacement_cost=reports.replacement_cost,
        )
        docs = build_data_docs(con, folder)
    context.log.info(f"{len(pages)} report pages written to {folder}.")
    if docs is not None:
        context.log.info(f"GX Data Docs of the latest validations: {docs}.")
    return dg.MaterializeResult(
        metadata={
            "pages": len(pages),
            # Where HR opens them once the run publishes (this run's building folder is
            # renamed at publication and the published path then points to it).
            "folder": dg.MetadataValue.path(str(reports.published)),
            "index": dg.MetadataValue.url(
                reports.published.absolute().joinpath("index.html").as_uri()
            ),
            "bytes": folder_size(folder),
            "min_group_size": reports.min_group_size,
        }
    )


report_assets: list[dg.AssetsDefinition] = [report_pages]
