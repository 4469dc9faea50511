"""Typed Dagster resources; their defaults come from `pipelines.settings` (environment)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.settings import Settings
from pipelines.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The published DuckDB file and the working copy each run builds in."""

    path: str

    @property
    def published(self) -> Path:
        return Path(self.path)

    @property
    def working(self) -> Path:
        return self.published.parent / ".work" / self.published.name

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.working) as con:
            yield con


class InboxResource(dg.ConfigurableResource):
    """Where exports are dropped, and how survey files name their respondent."""

    path: str
    survey_respondent_column: str = "employee_id"
    quarantine_threshold: float = 0.05


class StudyResource(dg.ConfigurableResource):
    """Settings of the analysis: the data's as-of date and the loneliness cut-off."""

    as_of: str | None = None  # ISO date; None: the latest hire, exit or job event not after today
    lonely_threshold: int = 6
    survey_item_map: str | None = None  # CSV of source_column,item_code; None: the packaged map


class ReportsResource(dg.ConfigurableResource):
    """The folder of HTML pages for HR, and the smallest group a page may describe."""

    path: str
    min_group_size: int = 5

    @property
    def published(self) -> Path:
        return Path(self.path)

    @property
    def building(self) -> Path:
        """Where a run writes its pages; publishing swaps this folder in for `published`."""
        return self.published.parent / f".{self.published.name}.building"


def resources_from(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse)),
        "inbox": InboxResource(
            path=str(settings.inbox),
            survey_respondent_column=settings.survey_respondent_column,
            quarantine_threshold=settings.quarantine_threshold,
        ),
        "study": StudyResource(
            as_of=settings.as_of.isoformat() if settings.as_of else None,
            lonely_threshold=settings.lonely_threshold,
            survey_item_map=str(settings.survey_item_map) if settings.survey_item_map else None,
        ),
        "reports": ReportsResource(
            path=str(settings.reports), min_group_size=settings.min_group_size
        ),
    }
