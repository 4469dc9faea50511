"""Typed Dagster resources; their defaults come from `warehouse.settings` (environment)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from warehouse.db import connect, prepare_working_copy
from warehouse.failures import record_abandoned_run
from warehouse.locking import WriterLock, waiting_message
from warehouse.publishing import recover
from warehouse.settings import (
    DEFAULT_LONELY_THRESHOLD,
    DEFAULT_MAX_SNAPSHOT_DROP,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_QUARANTINE_THRESHOLD,
    DEFAULT_RESPONDENT_COLUMN,
    PSEUDONYMIZE_KEY,
    Settings,
    working_copy,
    writer_lock_path,
)


class WarehouseResource(dg.ConfigurableResource):
    """The published DuckDB file, the working copy each run builds in, and the writer lock.

    Every run holds the lock (warehouse/locking.py) from before its first step until after its
    last, so two runs never write the working copy at once. On taking it, a run records a run
    that died holding it and finishes or clears a publication that died half-way. Outside a run
    (a sensor) the resource only names paths and takes nothing."""

    path: str
    # Only ever a dg.EnvVar, so the key never shows in the Dagster UI or the run history.
    pseudonymize_key: str | None = None

    _lock: WriterLock | None = PrivateAttr(default=None)

    @property
    def published(self) -> Path:
        return Path(self.path)

    @property
    def working(self) -> Path:
        return working_copy(self.published)

    @property
    def lock(self) -> WriterLock:
        return WriterLock(writer_lock_path(self.published))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.working) as con:
            yield con

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.run is None:  # a sensor or a schedule reading paths: it writes nothing
            return
        log = context.log.info if context.log else (lambda _message: None)
        lock = self.lock
        abandoned = lock.acquire(
            context.run.run_id, on_wait=lambda holder: log(waiting_message(holder))
        )
        self._lock = lock
        if abandoned and context.instance is not None:
            log(record_abandoned_run(context.instance, abandoned))
        recovered = recover(self.published, self.working)
        if recovered:
            log(recovered)
        # Every run, whatever it selects, starts from the last published state, so no run can
        # publish what an earlier, failed run built.
        prepare_working_copy(self.published, self.working)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is None:
            return
        self._lock.release()
        self._lock = None


class InboxResource(dg.ConfigurableResource):
    """Where exports are dropped, and how survey files name their respondent."""

    path: str
    survey_respondent_column: str = DEFAULT_RESPONDENT_COLUMN
    quarantine_threshold: float = DEFAULT_QUARANTINE_THRESHOLD
    max_snapshot_drop: float = DEFAULT_MAX_SNAPSHOT_DROP
    mapping: str | None = None  # YAML mapping an organisation's export layouts to the contract


class StudyResource(dg.ConfigurableResource):
    """Settings of the analysis: the data's as-of date and the loneliness cut-off."""

    as_of: str | None = None  # ISO date; None: the latest hire, exit or job event not after today
    lonely_threshold: int = DEFAULT_LONELY_THRESHOLD
    survey_item_map: str | None = None  # CSV of source_column,item_code; None: the packaged map


class ReportsResource(dg.ConfigurableResource):
    """The folder of HTML pages for HR, and the smallest group a page may describe."""

    path: str
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    replacement_cost: float | None = None  # cost of replacing one leaver; None: not shown

    @property
    def published(self) -> Path:
        return Path(self.path)

    @property
    def building(self) -> Path:
        """Where a run writes its pages; publishing renames it to `.<name>-<run id>` and points
        the `published` symlink at it (warehouse/publishing.py)."""
        return self.published.parent / f".{self.published.name}.building"


def resources_from(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse),
            pseudonymize_key=dg.EnvVar(PSEUDONYMIZE_KEY) if settings.pseudonymize_key else None,
        ),
        "inbox": InboxResource(
            path=str(settings.inbox),
            survey_respondent_column=settings.survey_respondent_column,
            quarantine_threshold=settings.quarantine_threshold,
            max_snapshot_drop=settings.max_snapshot_drop,
            mapping=str(settings.mapping) if settings.mapping else None,
        ),
        "study": StudyResource(
            as_of=settings.as_of.isoformat() if settings.as_of else None,
            lonely_threshold=settings.lonely_threshold,
            survey_item_map=str(settings.survey_item_map) if settings.survey_item_map else None,
        ),
        "reports": ReportsResource(
            path=str(settings.reports),
            min_group_size=settings.min_group_size,
            replacement_cost=settings.replacement_cost,
        ),
    }


def settings_of(
    warehouse: WarehouseResource,
    inbox: InboxResource,
    study: StudyResource,
    reports: ReportsResource,
    dagster_home: Path,
) -> Settings:
    """The settings these resources were made from (`resources_from`'s inverse), for code
    that takes settings, such as the check for a run with nothing new."""
    return Settings(
        inbox=Path(inbox.path),
        warehouse=Path(warehouse.path),
        reports=Path(reports.path),
        dagster_home=dagster_home,
        as_of=date.fromisoformat(study.as_of) if study.as_of else None,
        quarantine_threshold=inbox.quarantine_threshold,
        max_snapshot_drop=inbox.max_snapshot_drop,
        min_group_size=reports.min_group_size,
        lonely_threshold=study.lonely_threshold,
        survey_respondent_column=inbox.survey_respondent_column,
        survey_item_map=Path(study.survey_item_map) if study.survey_item_map else None,
        mapping=Path(inbox.mapping) if inbox.mapping else None,
        pseudonymize_key=warehouse.pseudonymize_key,
        replacement_cost=reports.replacement_cost,
    )
