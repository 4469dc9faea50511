"""A small demo organisation whose program names, departments and survey comments carry
script-injection payloads."""

import csv
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from warehouse.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
# A department that a spreadsheet would run as a formula if a download left it live.
FORMULA_DEPARTMENT = '=HYPERLINK("http://example.invalid","Legal")'
COMMENT_MARKER = "PRIVATE-COMMENT-7F3A"
EMPLOYEES = 150


@dataclass(frozen=True)
class HostileOrganisation:
    settings: Settings
    comment: str


def _rewrite_csv(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for row in rows:
        change(row)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def plant_payloads(inbox: Path, comment: str) -> None:
    """Program names, one department and some survey comments carry the payload."""
    book = openpyxl.load_workbook(inbox / "programs.xlsx")
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    name_column = header.index("program_name") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=name_column)
        cell.value = f"{cell.value} {PAYLOAD}"
    book.save(inbox / "programs.xlsx")

    def department(row: dict) -> None:
        if row["department"] == "Sales":
            row["department"] = f"Sales {PAYLOAD}"
        elif row["department"] == "Legal":
            row["department"] = FORMULA_DEPARTMENT

    _rewrite_csv(inbox / "employees_2026-10.csv", department)
    surveys = sorted((inbox / "surveys").glob("*.csv"))
    plain = next(p for p in surveys if p.read_text(encoding="utf-8").startswith("employee_id"))

    def remark(row: dict) -> None:
        row["comment"] = comment

    _rewrite_csv(plain, remark)
