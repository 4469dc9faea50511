"""Facts of the run every step shares, asked of Dagster rather than of the clock or a global."""

from datetime import date

import dagster as dg

from warehouse.settings import run_date as today


def run_date(context: dg.AssetExecutionContext) -> date:
    """The day the run started (local time), from its run record: every step of one run, even
    one that crosses midnight, judges "in the future" against the same day."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is None or record.create_timestamp is None:
        return today()
    return record.create_timestamp.astimezone().date()
