"""Every table of the pages as a CSV file, and all of them as one XLSX workbook.

A cell is written as the text the page shows (hidden cells read as on the page). A cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is neutralised with a leading
apostrophe, so a spreadsheet never runs it as a formula (CSV/formula injection).
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from markupsafe import Markup

from reports.layout import Table

FOLDER = "downloads"
WORKBOOK = "mentorlens-tables.xlsx"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def cell_text(cell: Any) -> str:
    """The text a person reads in the cell, without markup."""
    if cell is None:
        return ""
    if isinstance(cell, str) and not isinstance(cell, Markup):
        return cell
    html = str(Markup("{}").format(cell)).replace("<br>", " ")
    return Markup(html).striptags()


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass
class Download:
    page: str
    title: str
    table: Table

    def rows(self) -> list[list[str]]:
        header = [neutralise(cell_text(c)) for c in self.table.columns]
        body = [[neutralise(cell_text(c)) for c in row] for row in self.table.rows]
        return [header, *body]


def name_downloads(page_file: str, sections: Iterable) -> list[Download]:
    """Give each table of a page its CSV's name (shown as a link under the table)."""
    stem = page_file.removesuffix(".html")
    found = []
    for section in sections:
        for exhibit in section.exhibits:
            if exhibit.table is None:
                continue
            number = len(found) + 1
            exhibit.table.download = f"{FOLDER}/{stem}-{number:02d}.csv"
            found.append(Download(page_file, f"{section.title}: {exhibit.title}", exhibit.table))
    return found


def write_downloads(folder: Path, downloads: list[Download]) -> None:
    target = folder / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    contents = workbook.active
    contents.title = "Contents"
    contents.append(["Sheet", "Page", "Table", "About", "CSV file"])
    used: set[str] = {"Contents"}
    for number, download in enumerate(downloads, start=1):
        rows = download.rows()
        path = folder / download.table.download
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(rows)
        sheet_name = _sheet_name(number, download.title, used)
        sheet = workbook.create_sheet(sheet_name)
        for row in rows:
            sheet.append(row)
        contents.append(
            [
                sheet_name,
                download.page,
                neutralise(download.title),
                neutralise(cell_text(download.table.caption)),
                Path(download.table.download).name,
            ]
        )
    workbook.save(target / WORKBOOK)


def _sheet_name(number: int, title: str, used: set[str]) -> str:
    name = f"{number:03d} " + SHEET_FORBIDDEN.sub(" ", title).strip("'")
    name = name[:31].rstrip()
    used.add(name)
    return name
