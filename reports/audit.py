"""Check a built report folder against the warehouse it was built from.

Every figure on a page names its source (`data-source`, `data-column`, `data-key`); the audit
reads each one back from the warehouse and reports any page whose number differs, any shown
figure about fewer than k people, any hidden figure that was not small, and any breakdown whose
hidden cells add up to fewer than k (so could be worked out by subtraction).
"""

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb

from reports.figures import (
    DATE,
    MINUS,
    PERCENT,
    RECORDS,
)
from reports.suppression import PRIMARY


@dataclass(frozen=True)
class PageFigure:
    page: str
    text: str
    attributes: dict[str, str]

    @property
    def source(self) -> str | None:
        return self.attributes.get("data-source")

    @property
    def key(self) -> dict[str, Any]:
        return json.loads(self.attributes.get("data-key") or "{}")

    @property
    def hidden(self) -> str | None:
        return self.attributes.get("data-hidden")

    @property
    def unit(self) -> str:
        return self.attributes["data-unit"]

    @property
    def n_columns(self) -> list[str]:
        columns = self.attributes.get("data-n-column")
        return columns.split(",") if columns else []

    @property
    def parts(self) -> list[str]:
        parts = self.attributes.get("data-parts")
        return parts.split("|") if parts else []


class _FigureParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.figures: list[PageFigure] = []
        self._open: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "span" and "data-unit" in found:
            self._open, self._text = found, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._open is not None:
            self.figures.append(PageFigure(self.page, "".join(self._text), self._open))
            self._open = None


def page_figures(path: Path) -> list[PageFigure]:
    parser = _FigureParser(path.name)
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.figures


def _where(key: dict[str, Any]) -> tuple[str, list]:
    clauses = [f'"{c}" IS NULL' if v is None else f'"{c}" = ?' for c, v in key.items()]
    return " AND ".join(clauses) or "true", [v for v in key.values() if v is not None]


def _read(con: duckdb.DuckDBPyConnection, figure: PageFigure, column: str) -> list[tuple]:
    where, params = _where(figure.key)
    return con.execute(f"SELECT {column} FROM {figure.source} WHERE {where}", params).fetchall()


def _number(text: str) -> tuple[float, float] | None:
    """The number a text shows and half a unit in its last place (its rounding)."""
    cleaned = text.replace(MINUS, "-").replace(",", "").replace("%", "").strip()
    try:
        number = float(cleaned)
    except ValueError:
        return None  # "< 0.001"
    decimals = len(cleaned.partition(".")[2])
    return number, 0.5 * 10**-decimals + 1e-9


def _value_problem(figure: PageFigure, warehouse: Any) -> str | None:
    shown = figure.attributes.get("data-value")
    if figure.attributes.get("data-missing"):
        return None if warehouse is None else f"shows no value but the warehouse has {warehouse!r}"
    if warehouse is None:
        return f"shows {figure.text!r} but the warehouse has NULL"
    if figure.unit == DATE:
        expected = (
            warehouse.isoformat() if isinstance(warehouse, (date, datetime)) else str(warehouse)
        )
        return None if expected == shown else f"shows {shown} but the warehouse has {expected}"
    value = float(warehouse)
    if not math.isclose(float(shown), value, rel_tol=1e-9, abs_tol=1e-12):
        return f"data-value {shown} but the warehouse has {value}"
    read = _number(figure.text)
    scale = 100 if figure.unit == PERCENT else 1
    if read is not None and abs(read[0] - scale * value) > read[1]:
        return f"reads {figure.text!r} for a value of {value}"
    return None


def audit_figure(con: duckdb.DuckDBPyConnection, figure: PageFigure, k: int) -> list[str]:
    where = f"{figure.page}: {figure.source}.{figure.attributes.get('data-column')} {figure.key}"
    rows = _read(con, figure, figure.attributes["data-column"])
    if len(rows) != 1:
        return [f"{where}: the key matches {len(rows)} rows, not one"]
    problems = []
    if not figure.hidden:
        problem = _value_problem(figure, rows[0][0])
        if problem:
            problems.append(f"{where}: {problem}")
    if figure.unit != RECORDS and figure.n_columns:
        small = _describes_fewer_than_k(con, figure, k)
        if not figure.hidden and small:
            problems.append(f"{where}: shown, but {small} (k = {k})")
        # A share of exactly none or all (its interval's ends too) is hidden as well.
        share = figure.attributes["data-column"].removesuffix("_ci_low").removesuffix("_ci_high")
        extreme = figure.unit == PERCENT and _read(con, figure, share)[0][0] in (0, 1)
        if figure.hidden in PRIMARY and not small and not extreme:
            problems.append(f"{where}: hidden as small, but no group under k is involved")
    return problems


def _describes_fewer_than_k(con: duckdb.DuckDBPyConnection, figure: PageFigure, k: int) -> str:
    """Why the figure describes fewer than k people ('' when it does not): a population
    under k, or a share whose people with (or without) the attribute are fewer than k, zero
    included."""
    for column in figure.n_columns:
        size = int(_read(con, figure, column)[0][0] or 0)
        if size < k:
            return f"describes {size} people"
    for part in figure.parts:
        size = int(_read(con, figure, part)[0][0] or 0)
        if size < k:
            return f"is a share one side of which is {size} people"
    return ""


def audit_breakdowns(
    con: duckdb.DuckDBPyConnection, figures: list[PageFigure], k: int
) -> list[str]:
    """In each breakdown, the hidden rows' people must add up to k or more, per n column."""
    groups: dict[tuple[str, str], dict[str, list[PageFigure]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for figure in figures:
        breakdown = figure.attributes.get("data-breakdown")
        if breakdown and figure.n_columns:
            groups[(figure.page, breakdown)][json.dumps(figure.key, sort_keys=True)].append(figure)
    problems = []
    for (page, breakdown), rows in groups.items():
        hidden_rows = [fs for fs in rows.values() if any(f.hidden for f in fs)]
        if not hidden_rows or len(hidden_rows) == len(rows):
            continue
        for column in hidden_rows[0][0].n_columns:
            total = sum(int(_read(con, fs[0], column)[0][0] or 0) for fs in hidden_rows)
            if total < k:
                problems.append(
                    f"{page}: breakdown {breakdown}: hidden cells of {column} add up to {total}, "
                    f"fewer than {k}, so they can be worked out by subtraction"
                )
    return problems


def audit_folder(folder: Path, warehouse: Path, k: int) -> tuple[list[str], int]:
    """(problems, figures checked) for every page of `folder` against the warehouse file."""
    figures = [f for page in sorted(folder.glob("*.html")) for f in page_figures(page)]
    sourced = [f for f in figures if f.source]
    problems: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for figure in sourced:
            problems += audit_figure(con, figure, k)
        problems += audit_breakdowns(con, sourced, k)
    return problems, len(sourced)
