"""Every setting mentorlens reads, with its default. `.env.example` documents the same list."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path


def _path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default).expanduser().resolve()


def _link_path(name: str, default: str) -> Path:
    """Absolute, but the last part is kept as given: the reports path is a symlink that each
    publication re-points (warehouse/publishing.py), so it must not be resolved to its target."""
    path = Path(os.environ.get(name) or default).expanduser()
    return path.parent.resolve() / path.name


def _optional_date(name: str) -> date | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingError(f"{name}={value!r} is not an ISO date such as 2026-10-31.") from None


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number.") from None
    if not low <= value <= high:
        raise SettingError(f"{name}={raw} must be between {low:g} and {high:g}.")
    return value


def _optional_number(name: str, low: float, high: float) -> float | None:
    if not os.environ.get(name, "").strip():
        return None
    return _number(name, 0.0, low, high)


PSEUDONYMIZE_KEY = "MENTORLENS_PSEUDONYMIZE_KEY"

# Each default once: `Settings` and the Dagster resources (warehouse/resources.py) both use these.
DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse/mentorlens.duckdb"
DEFAULT_REPORTS = "data/reports"
DEFAULT_DAGSTER_HOME = "data/dagster_home"
DEFAULT_DEMO = "data/demo"
DEFAULT_QUARANTINE_THRESHOLD = 0.05
DEFAULT_MAX_SNAPSHOT_DROP = 0.10
DEFAULT_MIN_GROUP_SIZE = 5
DEFAULT_LONELY_THRESHOLD = 6
DEFAULT_RESPONDENT_COLUMN = "employee_id"


def run_date() -> date:
    """The day of the run: what "in the future" is measured against. The one call of
    `date.today()`; a run asks once, as it starts (assets/run_facts.py), and every step uses it."""
    return date.today()


def working_copy(published: Path) -> Path:
    """The database runs build in; analysts only ever see the published copy."""
    return published.parent / ".work" / published.name


def writer_lock_path(published: Path) -> Path:
    """The file every writing run holds a lock on (warehouse/locking.py)."""
    return working_copy(published).parent / "writer.lock"


class SettingError(ValueError):
    """A setting has a value mentorlens cannot use."""


@dataclass(frozen=True)
class Settings:
    inbox: Path
    warehouse: Path
    reports: Path
    dagster_home: Path
    as_of: date | None = None
    quarantine_threshold: float = DEFAULT_QUARANTINE_THRESHOLD
    max_snapshot_drop: float = DEFAULT_MAX_SNAPSHOT_DROP
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    lonely_threshold: int = DEFAULT_LONELY_THRESHOLD
    survey_respondent_column: str = DEFAULT_RESPONDENT_COLUMN
    survey_item_map: Path | None = None
    mapping: Path | None = None
    pseudonymize_key: str | None = field(default=None, repr=False)
    replacement_cost: float | None = None  # cost of replacing one leaver; None: not shown

    @classmethod
    def from_env(cls) -> Settings:
        item_map = os.environ.get("MENTORLENS_SURVEY_ITEM_MAP", "").strip()
        mapping = os.environ.get("MENTORLENS_MAPPING", "").strip()
        return cls(
            inbox=_path("MENTORLENS_INBOX", DEFAULT_INBOX),
            warehouse=_path("MENTORLENS_WAREHOUSE", DEFAULT_WAREHOUSE),
            reports=_link_path("MENTORLENS_REPORTS", DEFAULT_REPORTS),
            dagster_home=_path("DAGSTER_HOME", DEFAULT_DAGSTER_HOME),
            as_of=_optional_date("MENTORLENS_AS_OF"),
            quarantine_threshold=_number(
                "MENTORLENS_QUARANTINE_THRESHOLD", DEFAULT_QUARANTINE_THRESHOLD, 0.0, 1.0
            ),
            max_snapshot_drop=_number(
                "MENTORLENS_MAX_SNAPSHOT_DROP", DEFAULT_MAX_SNAPSHOT_DROP, 0.0, 1.0
            ),
            min_group_size=int(
                _number("MENTORLENS_MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE, 1, 1000)
            ),
            lonely_threshold=int(
                _number("MENTORLENS_LONELY_THRESHOLD", DEFAULT_LONELY_THRESHOLD, 3, 9)
            ),
            survey_respondent_column=(
                os.environ.get("MENTORLENS_SURVEY_RESPONDENT_COLUMN", "").strip()
                or DEFAULT_RESPONDENT_COLUMN
            ),
            survey_item_map=Path(item_map).expanduser().resolve() if item_map else None,
            mapping=Path(mapping).expanduser().resolve() if mapping else None,
            pseudonymize_key=os.environ.get(PSEUDONYMIZE_KEY) or None,
            replacement_cost=_optional_number("MENTORLENS_REPLACEMENT_COST", 0.0, 1e12),
        )

    def for_demo(self) -> Settings:
        """The built-in demo's own inbox, warehouse, reports and run history, all under
        `MENTORLENS_DEMO`: the demo never reads or writes the user's."""
        root = _path("MENTORLENS_DEMO", DEFAULT_DEMO)
        return replace(
            self,
            inbox=root / "inbox",
            warehouse=root / "warehouse" / "mentorlens.duckdb",
            reports=root / "reports",
            dagster_home=root / "dagster_home",
        )

    @property
    def working_warehouse(self) -> Path:
        return working_copy(self.warehouse)

    @property
    def writer_lock(self) -> Path:
        return writer_lock_path(self.warehouse)
