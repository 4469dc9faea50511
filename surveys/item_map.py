"""The mapping from a survey tool's column names (e.g. Qualtrics' `Q1_3`) to item codes."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from quality.contract import normalise_header
from surveys.instruments import ITEMS_BY_CODE

DEFAULT_ITEM_MAP = Path(__file__).with_name("item_map.csv")
ITEM_MAP_COLUMNS = ("source_column", "item_code")


def load_item_map(path: Path | None = None) -> dict[str, str]:
    """Normalised source column → item code, read from a `source_column,item_code` CSV.

    Raises ValueError naming the file and line for a wrong header, an unknown item code or a
    source column mapped twice.
    """
    path = path or DEFAULT_ITEM_MAP
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = tuple(normalise_header(name) for name in next(reader, ()))
        if header != ITEM_MAP_COLUMNS:
            raise ValueError(f"{path}: the header must be {','.join(ITEM_MAP_COLUMNS)}")
        mapping: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            source, item_code = _checked_row(row, mapping, f"{path}, line {line}")
            mapping[source] = item_code
    return mapping


def _checked_row(row: list[str], mapping: Mapping[str, str], where: str) -> tuple[str, str]:
    if len(row) != 2:
        raise ValueError(f"{where}: expected source_column,item_code, got {row!r}")
    source, item_code = normalise_header(row[0]), row[1].strip()
    if item_code not in ITEMS_BY_CODE:
        raise ValueError(f"{where}: {item_code!r} is not an item code")
    if source in mapping:
        raise ValueError(f"{where}: column {row[0].strip()!r} is mapped twice")
    return source, item_code


def apply_item_map(columns: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """The rename {column: item code} for the columns of one file that the mapping names.

    Raises ValueError when two columns would end up as the same item, including a column
    already named by the item code beside one mapped to it.
    """
    lookup = {normalise_header(source): code for source, code in mapping.items()}
    rename = {
        column: lookup[normalise_header(column)]
        for column in columns
        if normalise_header(column) in lookup
    }
    _refuse_clashes(columns, rename)
    return rename


def _refuse_clashes(columns: Sequence[str], rename: Mapping[str, str]) -> None:
    sources_by_item: dict[str, list[str]] = {}
    for column in columns:
        sources_by_item.setdefault(rename.get(column, column), []).append(column)
    clashes = {
        item: sources
        for item, sources in sources_by_item.items()
        if len(sources) > 1 and item in ITEMS_BY_CODE
    }
    if clashes:
        described = "; ".join(
            f"{' and '.join(cols)} would all become {item}" for item, cols in clashes.items()
        )
        raise ValueError(f"columns clash after the item map: {described}")
