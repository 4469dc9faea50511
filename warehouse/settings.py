"""Every setting mentorlens reads, with its default. `.env.example` documents the same list."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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


class SettingError(ValueError):
    """A setting has a value mentorlens cannot use."""


@dataclass(frozen=True)
class Settings:
    inbox: Path
    warehouse: Path
    reports: Path
    dagster_home: Path
    as_of: date | None = None
    quarantine_threshold: float = 0.05
    min_group_size: int = 5
    lonely_threshold: int = 6
    survey_respondent_column: str = "employee_id"
    survey_item_map: Path | None = None
    pseudonymize_key: str | None = field(default=None, repr=False)
    replacement_cost: float | None = None  # cost of replacing one leaver; None: not shown

    @classmethod
    def from_env(cls) -> Settings:
        item_map = os.environ.get("MENTORLENS_SURVEY_ITEM_MAP", "").strip()
        return cls(
            inbox=_path("MENTORLENS_INBOX", "data/inbox"),
            warehouse=_path("MENTORLENS_WAREHOUSE", "data/warehouse/mentorlens.duckdb"),
            reports=_link_path("MENTORLENS_REPORTS", "data/reports"),
            dagster_home=_path("DAGSTER_HOME", "data/dagster_home"),
            as_of=_optional_date("MENTORLENS_AS_OF"),
            quarantine_threshold=_number("MENTORLENS_QUARANTINE_THRESHOLD", 0.05, 0.0, 1.0),
            min_group_size=int(_number("MENTORLENS_MIN_GROUP_SIZE", 5, 1, 1000)),
            lonely_threshold=int(_number("MENTORLENS_LONELY_THRESHOLD", 6, 3, 9)),
            survey_respondent_column=(
                os.environ.get("MENTORLENS_SURVEY_RESPONDENT_COLUMN", "").strip() or "employee_id"
            ),
            survey_item_map=Path(item_map).expanduser().resolve() if item_map else None,
            pseudonymize_key=os.environ.get(PSEUDONYMIZE_KEY) or None,
            replacement_cost=_optional_number("MENTORLENS_REPLACEMENT_COST", 0.0, 1e12),
        )

    @property
    def working_warehouse(self) -> Path:
        """The database runs build in; analysts only ever see the published copy."""
        return self.warehouse.parent / ".work" / self.warehouse.name
