"""The last step of a run: publish the warehouse and the pages, all or nothing."""

import dagster as dg

from marts.documentation import document_warehouse
from warehouse.publishing import publish_run, record_published_run
from warehouse.resources import ReportsResource, WarehouseResource

PUBLICATION = dg.AssetKey(["meta", "publication"])


def publication_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(key=PUBLICATION, group_name="publish", kinds={"duckdb"}, deps=upstream)
    def publication(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
    ) -> dg.MaterializeResult:
        """The published warehouse and reports: replaced when every blocking check passed."""
        run_id = context.run.run_id
        record = context.instance.get_run_record_by_id(run_id)
        started = record.start_time if record is not None else None
        with warehouse.connect() as con:
            record_published_run(con, run_id, started)
            tables = document_warehouse(con)
        context.log.info(f"Every column of {tables} tables commented.")
        publish_run(
            run_id,
            working=warehouse.working,
            published=warehouse.published,
            reports_building=reports.building,
            reports=reports.published,
            pseudonymize_key=warehouse.pseudonymize_key,
            log=context.log.info,
        )
        context.log.info(f"Published {warehouse.published} and {reports.published}.")
        return dg.MaterializeResult(
            metadata={
                "path": str(warehouse.published),
                "pseudonymised": bool(warehouse.pseudonymize_key),
            }
        )

    return publication
