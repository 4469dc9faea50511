"""Methodology: how each figure is made, and what it cannot tell."""

from reports.context import RUN_INFO, ReportContext

TITLE = "How these figures are made"


def build(ctx: ReportContext) -> dict:
    as_of_source = ctx.reader.value(f"SELECT as_of_source FROM {RUN_INFO}", [RUN_INFO])
    return {"title": TITLE, "sections": [], "as_of_source": as_of_source}
