"""The last step of a run: publish the warehouse and the pages, all or nothing."""

import dagster as dg

from warehouse.publishing import publish_run
from warehouse.resources import ReportsResource, WarehouseResource

PUBLICATION = dg.AssetKey(["meta", "publication"])


def publication_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(key=PUBLICATION, group_name="publish", kinds={"duckdb"}, deps=upstream)
    def publication(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
    ) -> dg.MaterializeResult:
        """The published warehouse and reports: replaced when every blocking check passed."""
        run_id = context.run.run_id
        with warehouse.connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO meta.runs (run_id, finished_at, status) "
                "VALUES (?, current_timestamp, 'published')",
                [run_id],
            )
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
