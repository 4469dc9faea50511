"""Every format and encoding of INPUTS.md reads to the same text, with physical line numbers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.readers import RejectedFile, _positions, open_table
from quality.contract import is_contact_column, source_of


def read_all(path: Path) -> tuple[list[str], dict[str, list]]:
    reader = open_table(path)
    rows: dict[str, list] = {c: [] for c in [*reader.columns, "_source_line", "_malformed"]}
    for batch in reader.batches():
        for name, values in batch.to_pydict().items():
            rows[name] += values
    return reader.columns, rows


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252")],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_text_encodings_and_delimiters(tmp_path, encoding, expected, delimiter):
    text = delimiter.join(["Employee ID", "Hire-Date", "department"]) + "\r\n"
    text += delimiter.join(["000123", "2024-03-01", "Présentation"]) + "\r\n"
    path = tmp_path / "employees.txt"
    path.write_bytes(text.encode(encoding))

    reader = open_table(path)
    columns, rows = read_all(path)

    assert reader.encoding == expected
    assert reader.delimiter == delimiter
    assert columns == ["employee_id", "hire_date", "department"]
    assert rows["employee_id"] == ["000123"]
    assert rows["department"] == ["Présentation"]
    assert rows["_source_line"] == [2]


def test_xlsx_reads_first_sheet_with_date_cells_and_text_ids(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["program_id", "start_date", "planned_milestones", "certificate_threshold"])
    sheet.append(["007", datetime(2024, 3, 1), 4, 0.75])
    sheet.append([None, None, None, None])
    sheet.append(["008", date(2024, 9, 1), 3.0, None])
    workbook.create_sheet("ignored").append(["nothing", "here"])
    path = tmp_path / "programs.xlsx"
    workbook.save(path)

    _, rows = read_all(path)

    assert rows["program_id"] == ["007", "008"]
    assert rows["start_date"] == ["2024-03-01", "2024-09-01"]
    assert rows["planned_milestones"] == ["4", "3"]
    assert rows["certificate_threshold"] == ["0.75", None]
    assert rows["_source_line"] == [2, 4]  # the blank row 3 carries no data


def test_parquet_dates_and_leading_zero_ids(tmp_path):
    table = pa.table(
        {
            "employee_id": ["000123", "000124"],
            "effective_date": pa.array([date(2024, 3, 1), date(2025, 1, 2)], pa.date32()),
            "to_level": pa.array([3, None], pa.int64()),
            "score": [2.5, 3.0],
        }
    )
    path = tmp_path / "job_events.parquet"
    pq.write_table(table, path)

    _, rows = read_all(path)

    assert rows["employee_id"] == ["000123", "000124"]
    assert rows["effective_date"] == ["2024-03-01", "2025-01-02"]
    assert rows["to_level"] == ["3", None]
    assert rows["score"] == ["2.5", "3"]
    assert rows["_source_line"] == [2, 3]


def test_qualtrics_layout_skips_question_and_import_rows(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "StartDate,Finished,employee_id,lon_isolated\n"
        '"Start Date","Finished","employee_id","How often do you feel isolated from others?"\n'
        '"{""ImportId"":""startDate""}","{""ImportId"":""finished""}","{""ImportId"":""e""}",'
        '"{""ImportId"":""QID1""}"\n'
        "2026-03-01 10:00:00,True,000123,Often\n",
        encoding="utf-8",
    )
    reader = open_table(path)
    _, rows = read_all(path)
    assert reader.layout == "qualtrics"
    assert rows["lon_isolated"] == ["Often"]
    assert rows["_source_line"] == [4]


def test_line_numbers_count_physical_lines_across_quoted_newlines(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text('employee_id,comment\n1,"two\nlines"\n\n2,plain\n3\n', encoding="utf-8")
    _, rows = read_all(path)
    assert rows["employee_id"] == ["1", "2", "3"]
    assert rows["comment"] == ["two\nlines", "plain", None]
    assert rows["_source_line"] == [2, 5, 6]
    assert rows["_malformed"] == [None, None, "line has 1 fields where the header has 2"]


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 50])
def test_byte_positions_are_found_across_chunk_boundaries(size):
    raw = np.frombuffer(bytes(b'a\n"\r'[i * 7 % 4] for i in range(size)), np.uint8)
    for character in '\n"\r':
        expected = np.flatnonzero(raw == ord(character))
        assert _positions(raw, character, chunk=7).tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("employees.json", b"{}", "employees.json has an unknown format '.json'"),
        ("employees.csv", b"\x00\x01\x02garbage\x00", "employees.csv is not a text file"),
        ("employees.csv", b"", "employees.csv is empty."),
        ("employees.csv", b"a,b\n\x81\x8d,x\n", "cannot be decoded as UTF-8, UTF-16 or cp1252"),
        ("employees.xlsx", b"PK\x03\x04 not really a zip", "is not a readable .xlsx workbook"),
        ("employees.parquet", b"PAR1 nope", "is not a readable Parquet file"),
    ],
)
def test_unreadable_files_are_rejected_with_one_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RejectedFile) as rejection:
        read_all(path)
    assert message in str(rejection.value)
    assert str(rejection.value).count("\n") == 0


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("Employees_2026-10.CSV", "employees"),
        ("job_events.parquet", "job_events"),
        ("surveys/2026-03_pulse.csv", "surveys"),
        ("Survey-2025.xlsx", "surveys"),
        ("notes.txt", None),
    ],
)
def test_files_are_recognised_by_name(relative, source):
    assert source_of(relative) == source


@pytest.mark.parametrize(
    ("column", "contact"),
    [
        ("work_email", True),
        ("recipientemail", True),
        ("first_name", True),
        ("phone", True),
        ("name", True),
        ("program_name", False),
        ("employee_id", False),
        ("department", False),
    ],
)
def test_contact_columns(column, contact):
    assert is_contact_column(column) is contact
