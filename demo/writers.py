"""Byte-for-byte reproducible file writers for the formats the inbox accepts."""

import csv
import io
import zipfile
from codecs import BOM_UTF8, BOM_UTF16_LE
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl.writer.excel import ExcelWriter

# encoding name -> (byte-order mark, codec)
TEXT_ENCODINGS: dict[str, tuple[bytes, str]] = {
    "utf-8": (b"", "utf-8"),
    "utf-8-bom": (BOM_UTF8, "utf-8"),
    "utf-16": (BOM_UTF16_LE, "utf-16-le"),
    "cp1252": (b"", "cp1252"),
}
# Stamped into xlsx metadata and zip entries instead of the time of writing.
FIXED_TIMESTAMP = datetime(2026, 10, 31, 18, 0, 0)


def delimited_text(
    frame: pd.DataFrame,
    sep: str = ",",
    lineterminator: str = "\n",
    extra_header_rows: Sequence[Sequence[str]] = (),
) -> str:
    """The frame as delimited text: its header, any extra header rows, then the rows."""
    header = io.StringIO()
    writer = csv.writer(header, delimiter=sep, lineterminator=lineterminator)
    writer.writerow(frame.columns)
    writer.writerows(extra_header_rows)
    body = frame.to_csv(index=False, header=False, sep=sep, lineterminator=lineterminator)
    return header.getvalue() + body


def write_delimited(
    frame: pd.DataFrame,
    path: Path,
    *,
    encoding: str = "utf-8",
    sep: str = ",",
    lineterminator: str = "\n",
    extra_header_rows: Sequence[Sequence[str]] = (),
) -> None:
    """Write text in one of TEXT_ENCODINGS; missing values are written as empty fields."""
    bom, codec = TEXT_ENCODINGS[encoding]
    text = delimited_text(frame, sep, lineterminator, extra_header_rows)
    path.write_bytes(bom + text.encode(codec))


def write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str = "Sheet1") -> None:
    """One sheet; `date` values become real date cells. Metadata and zip entry times are
    fixed, so the same frame always gives the same bytes."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(value) else value for value in row])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if cell.is_date:
                cell.number_format = "yyyy-mm-dd"
    workbook.properties.creator = "mentorlens demo"
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    unstamped = io.BytesIO()
    with zipfile.ZipFile(unstamped, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    path.write_bytes(restamped_zip(unstamped.getvalue()))


def restamped_zip(data: bytes) -> bytes:
    """The same archive with every entry dated FIXED_TIMESTAMP."""
    stamped = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(stamped, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry.filename))
    return stamped.getvalue()


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path)
