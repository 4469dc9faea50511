"""The last step of a run: publish the warehouse and the pages, all or nothing."""

from collections.abc import Sequence

import dagster as dg

from marts.documentation import document_warehouse
from marts.legacy import create_legacy_views
from warehouse.build import build_digest, settings_digest
from warehouse.publishing import publish_run, record_published_run
from warehouse.resources import InboxResource, ReportsResource, StudyResource, WarehouseResource

PUBLICATION = dg.AssetKey(["meta", "publication"])


def blocking_checks(assets: Sequence[dg.AssetsDefinition]) -> dict[dg.AssetKey, set[str]]:
    """{asset: names of its blocking checks} for the assets that have any."""
    gates: dict[dg.AssetKey, set[str]] = {}
    for asset in assets:
        for spec in asset.check_specs:
            if spec.blocking:
                gates.setdefault(spec.asset_key, set()).add(spec.name)
    return gates


def ungated_assets(
    instance: dg.DagsterInstance, run_id: str, gates: dict[dg.AssetKey, set[str]]
) -> list[str]:
    """Assets this run rebuilt without every blocking check of theirs passing in this run.

    Dagster stops what depends on a failed blocking check, but a selection launched from the UI
    can leave a check out; the asset is then rebuilt and nothing stops it. Assets the run did not
    rebuild are as the last published run left them (every run starts from that copy)."""
    built = {
        entry.dagster_event.asset_key
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    }
    passed = {
        (
            entry.dagster_event.event_specific_data.asset_key,
            entry.dagster_event.event_specific_data.check_name,
        )
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        if entry.dagster_event.event_specific_data.passed
    }
    return sorted(
        f"{key.to_user_string()} (check {name} did not pass in this run)"
        for key in built & gates.keys()
        for name in sorted(gates[key])
        if (key, name) not in passed
    )


def publication_asset(upstream: Sequence[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    gates = blocking_checks(upstream)

    @dg.asset(
        key=PUBLICATION,
        group_name="publish",
        kinds={"duckdb"},
        deps=[key for asset in upstream for key in asset.keys],
    )
    def publication(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        inbox: InboxResource,
        study: StudyResource,
        reports: ReportsResource,
    ) -> dg.MaterializeResult:
        """The published warehouse and reports: replaced when every blocking check passed."""
        run_id = context.run.run_id
        ungated = ungated_assets(context.instance, run_id, gates)
        if ungated:
            raise dg.Failure(
                "Nothing was published: this run rebuilt "
                + "; ".join(ungated)
                + ". Run the whole job (or include the checks) to publish."
            )
        record = context.instance.get_run_record_by_id(run_id)
        started = record.start_time if record is not None else None
        with warehouse.connect() as con:
            settings = settings_digest(
                {"warehouse": warehouse, "inbox": inbox, "study": study, "reports": reports},
                warehouse.pseudonymize_key,
            )
            record_published_run(con, run_id, started, build_digest(con, settings))
            create_legacy_views(con)
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
