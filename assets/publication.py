"""The last step of a run: publish the working warehouse for analysts, atomically."""

import dagster as dg

from pipelines.resources import ReportsResource, WarehouseResource
from pipelines.warehouse import publish, publish_folder

PUBLICATION = dg.AssetKey(["meta", "publication"])


def publication_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(key=PUBLICATION, group_name="publish", kinds={"duckdb"}, deps=upstream)
    def publication(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
    ) -> dg.MaterializeResult:
        """The published warehouse and reports: replaced when every blocking check passed."""
        with warehouse.connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO meta.runs (run_id, finished_at, status) "
                "VALUES (?, current_timestamp, 'published')",
                [context.run.run_id],
            )
        publish(warehouse.working, warehouse.published)
        publish_folder(reports.building, reports.published)
        context.log.info(f"Published {warehouse.published} and {reports.published}.")
        return dg.MaterializeResult(metadata={"path": str(warehouse.published)})

    return publication
