"""Whatever lands in the inbox, reading it ends in a clean rejection or rows with line numbers.

Random bytes and random delimited text (any delimiter, quotes, embedded newlines, any of the
supported encodings, duplicate and blank column names, ragged rows, truncated files) go
through `open_table` and `read_into_landing`; well-formed CSV written by Python's csv module
must read back cell for cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest.inbox import InboxFile, file_sha256
from ingest.landing import LANDING, LINEAGE, read_into_landing
from ingest.readers import (
    DELIMITERS,
    LINE_COLUMN,
    MALFORMED_COLUMN,
    RejectedFile,
    _open_text,
    _well_formed_text,
    detect_encoding,
    open_table,
    unique_headers,
)
from quality.contract import normalise_header
from warehouse.db import ensure_schemas

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet", ".json")
RESERVED = (*LINEAGE, MALFORMED_COLUMN)  # what the reader and the raw layer add to every row
BOMS = (b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# The first example pays for imports (openpyxl, pyarrow): no deadline. The module-scoped folder
# and connection are reused on purpose: every example overwrites the file and
# `read_into_landing` replaces the landing table, so no state leaks between examples.
PROPERTY = settings(max_examples=200, deadline=None)

awkward_names = st.sampled_from(
    ["employee_id", "Employee ID", "", " ", "a", "a", "a_2", "column_2", "x-y", *RESERVED]
)
column_names = st.one_of(awkward_names, st.text(max_size=8))
cells = st.one_of(
    st.sampled_from(["", " ", '"', '""', "\n", "\r\n", "\r", '{"ImportId":"x"}', ",", ";"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=10),
)


@st.composite
def delimited_text(draw: st.DrawFn) -> bytes:
    """Delimited text as exporters and hand edits produce it, quoting right or not at all."""
    header = draw(st.lists(column_names, min_size=1, max_size=6))
    width = len(header)
    rows = draw(
        st.lists(st.lists(cells, min_size=max(width - 2, 0), max_size=width + 2), max_size=8)
    )
    delimiter = draw(st.sampled_from(DELIMITERS))
    if draw(st.booleans()):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter)
        writer.writerows([header, *rows])
        text = buffer.getvalue()
    else:  # naive join: stray quotes, unescaped delimiters and newlines
        newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        text = "".join(delimiter.join(row) + newline for row in [header, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    cut = draw(st.none() | st.integers(min_value=0, max_value=len(data)))
    return data if cut is None else data[:cut]


random_bytes = st.builds(lambda bom, body: bom + body, st.sampled_from(BOMS), st.binary())


def _workbook_members() -> dict[str, bytes]:
    workbook = openpyxl.Workbook()
    for row in (["employee_id", "hire_date"], ["E1", "2020-01-01"], ["E2", None]):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"employee_id": ["E1", "E2"], "job_level": [3, None]}), buffer)
    return buffer.getvalue()


WORKBOOK = _workbook_members()
PARQUET = _parquet_bytes()


def workbook_with(member: str, content: bytes | None) -> bytes:
    """The sample workbook with one part replaced, or dropped when content is None."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, original in WORKBOOK.items():
            if name != member:
                archive.writestr(name, original)
            elif content is not None:
                archive.writestr(name, content)
    return buffer.getvalue()


@st.composite
def damaged_workbooks(draw: st.DrawFn) -> bytes:
    """A real workbook with one part dropped, cut short or replaced by noise."""
    member = draw(st.sampled_from(sorted(WORKBOOK)))
    original = WORKBOOK[member]
    content = draw(
        st.none()
        | st.integers(0, len(original)).map(lambda cut: original[:cut])
        | st.binary(max_size=64)
    )
    return workbook_with(member, content)


@st.composite
def damaged_parquet(draw: st.DrawFn) -> bytes:
    """A real Parquet file with a stretch of its bytes overwritten."""
    start = draw(st.integers(0, len(PARQUET) - 1))
    noise = draw(st.binary(min_size=1, max_size=16))
    return PARQUET[:start] + noise + PARQUET[start + len(noise) :]


documents = {
    ".csv": st.one_of(random_bytes, delimited_text()),
    ".xlsx": st.one_of(random_bytes, damaged_workbooks()),
    ".parquet": st.one_of(random_bytes, damaged_parquet()),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reader_properties")


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_schemas(connection)
    yield connection
    connection.close()


def drop(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"employees_drop{suffix}"
    path.write_bytes(data)
    return path


def assert_clean_rejection(rejection: RejectedFile, path: Path) -> None:
    message = str(rejection)
    assert path.name in message
    assert "\n" not in message and "\r" not in message, message


def assert_line_numbers(lines: list[int]) -> None:
    assert all(line >= 2 for line in lines), lines
    assert all(a < b for a, b in itertools.pairwise(lines)), lines


def read_lines(path: Path) -> list[int]:
    reader = open_table(path)
    assert len(set(reader.columns)) == len(reader.columns)
    assert not set(reader.columns) & set(RESERVED)
    lines: list[int] = []
    for batch in reader.batches():
        assert batch.schema.names == [*reader.columns, LINE_COLUMN, MALFORMED_COLUMN]
        lines += batch.column(LINE_COLUMN).to_pylist()
    return lines


@PROPERTY
@given(data=st.data(), suffix=st.sampled_from(SUFFIXES))
def test_open_table_rejects_cleanly_or_numbers_every_row(
    folder: Path, data: st.DataObject, suffix: str
) -> None:
    path = drop(folder, suffix, data.draw(documents.get(suffix, documents[".csv"])))
    try:
        lines = read_lines(path)
    except RejectedFile as rejection:
        assert_clean_rejection(rejection, path)
    else:
        assert_line_numbers(lines)


@PROPERTY
@given(
    data=st.data(),
    suffix=st.sampled_from(sorted(documents)),
    required=st.sampled_from([[], ["employee_id"], ["employee_id", "hire_date", "job_level"]]),
)
def test_landing_rejects_cleanly_or_lands_numbered_rows(
    folder: Path,
    con: duckdb.DuckDBPyConnection,
    data: st.DataObject,
    suffix: str,
    required: list[str],
) -> None:
    path = drop(folder, suffix, data.draw(documents[suffix]))
    item = InboxFile(path.name, path, "employees", file_sha256(path), path.stat().st_size)
    try:
        landed = read_into_landing(con, item, required)
    except RejectedFile as rejection:
        assert_clean_rejection(rejection, path)
        return
    lines = [line for (line,) in con.execute(f"SELECT {LINE_COLUMN} FROM {LANDING}").fetchall()]
    assert landed.rows_read == len(lines) > 0
    assert_line_numbers(lines)


# header, rows, delimiter, encoding, line end
CsvTable = tuple[list[str], list[list[str]], str, str, str]


@st.composite
def csv_tables(draw: st.DrawFn) -> CsvTable:
    """A header, rows of text cells, and how to write them: delimiter, encoding, line end."""
    delimiter = draw(st.sampled_from(DELIMITERS))
    encoding = draw(st.sampled_from(ENCODINGS))
    line_end = draw(st.sampled_from(["\r\n", "\n"]))
    # The other delimiters would make the sniffing ambiguous for a person too; NUL is binary.
    # With "\n" line ends Python's csv writer leaves a lone "\r" unquoted, which no reader
    # could tell from a line break.
    excluded = [d for d in DELIMITERS if d != delimiter] + ["\x00"]
    if line_end == "\n":
        excluded.append("\r")
    codec = "cp1252" if encoding == "cp1252" else "utf-8"
    cell = st.text(
        alphabet=st.characters(codec=codec, exclude_characters="".join(excluded)), max_size=8
    )
    name = st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -éß", max_size=8
    ).filter(lambda n: normalise_header(n) != "" and not normalise_header(n).startswith("_"))
    header = draw(st.lists(name, min_size=1, max_size=5, unique_by=normalise_header))
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=8))
    return header, rows, delimiter, encoding, line_end


def written(table: CsvTable) -> bytes:
    header, rows, delimiter, encoding, line_end = table
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


@PROPERTY
@given(table=csv_tables())
def test_csv_written_by_python_reads_back_cell_for_cell(folder: Path, table: CsvTable) -> None:
    header, rows, _, encoding, _ = table
    data = written(table)
    # cp1252 bytes that happen to be valid UTF-8 are UTF-8 to any reader.
    assume(encoding != "cp1252" or data.isascii() or not _is_utf8(data))
    # A second row starting like Qualtrics' ImportId row is read as that layout, by design.
    assume(not any(c.lstrip().startswith('{"ImportId"') for r in rows[1:2] for c in r))
    path = drop(folder, ".csv", data)

    reader = open_table(path)
    got = [
        [batch.column(c)[i].as_py() for c in reader.columns]
        for batch in reader.batches()
        for i in range(batch.num_rows)
    ]

    assert reader.columns == [normalise_header(h) for h in header]
    # Rows of blank cells carry no data and are skipped.
    expected = [[c or None for c in row] for row in rows if any(c.strip() for c in row)]
    assert got == expected


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(st.lists(st.one_of(column_names, st.none()), max_size=12))
def test_unique_headers_are_unique_and_never_lineage_columns(header: list[str | None]) -> None:
    names = unique_headers(header)
    assert len(names) == len(header)
    assert len(set(names)) == len(names)
    assert all(names) and not set(names) & set(RESERVED)


SHEET = "xl/worksheets/sheet1.xml"


# Files these properties found crashing the reader or misread, kept as fixed examples.
@pytest.mark.parametrize(
    ("suffix", "data", "problem"),
    [
        (".csv", b"\xff\xfe\x00", "cannot be decoded as UTF-8, UTF-16 or cp1252 text."),
        (".csv", b"\xfe\xff\x00a\xdc\x00", "cannot be decoded as UTF-8, UTF-16 or cp1252 text."),
        (".csv", b" , \n\n", "is empty: no line holds a column name."),
        (".xlsx", workbook_with(SHEET, None), "is empty: it has no sheet."),
        (".xlsx", workbook_with(SHEET, WORKBOOK[SHEET][:200]), "is not a readable .xlsx"),
        (".xlsx", workbook_with("xl/styles.xml", b"<x"), "is not a readable .xlsx workbook"),
        # pyarrow's message for a damaged page header runs over several lines
        (".parquet", PARQUET[:4] + b"\xff" * 4 + PARQUET[8:], "is not a readable Parquet file"),
    ],
)
def test_found_files_are_clean_rejections(
    folder: Path, suffix: str, data: bytes, problem: str
) -> None:
    path = drop(folder, suffix, data)
    with pytest.raises(RejectedFile) as rejection:
        read_lines(path)
    assert str(rejection.value).startswith(f"{path.name} {problem}")
    assert_clean_rejection(rejection.value, path)


@pytest.mark.parametrize(
    ("data", "columns", "lines"),
    [
        (b"employee_id,_source_line\nE1,7\n", ["employee_id", "_source_line_2"], [2]),
        (b"a,a,a_2\n1,2,3\n", ["a", "a_2", "a_2_2"], [2]),
        (b"\n\nemployee_id\nE1\n", ["employee_id"], [4]),
        (b"employee_id\nE1\xc3", ["employee_id"], [2]),  # UTF-8 cut inside a character
    ],
)
def test_found_files_read(folder: Path, data: bytes, columns: list[str], lines: list[int]) -> None:
    path = drop(folder, ".csv", data)
    assert open_table(path).columns == columns
    assert read_lines(path) == lines


def _read_all(reader) -> tuple:
    rows = [batch.to_pylist() for batch in reader.batches()]
    return reader.columns, reader.layout, reader.encoding, reader.delimiter, rows


def _outcome(path: Path, fast: bool) -> tuple:
    try:
        return _read_all(_open_text(path, batch_rows=3, fast=fast))
    except RejectedFile as rejection:
        return ("rejected", str(rejection))


@PROPERTY
@given(data=st.one_of(delimited_text(), csv_tables().map(written)))
def test_the_fast_text_path_reads_exactly_what_the_careful_reader_reads(
    folder: Path, data: bytes
) -> None:
    path = drop(folder, ".csv", data)
    assert _outcome(path, fast=True) == _outcome(path, fast=False)


def test_well_formed_exports_take_the_fast_path(folder: Path) -> None:
    text = 'employee_id,note\n"000001","two\nlines"\n000002,"say ""hi"""\n,\n000003,x\n'
    for encoding in ENCODINGS:
        path = drop(folder, ".csv", text.encode(encoding))
        detected = detect_encoding(path)
        fast = _well_formed_text(path, detected, ",", batch_rows=10)
        assert fast is not None, encoding
        lines = [row[LINE_COLUMN] for batch in fast.batches() for row in batch.to_pylist()]
        assert lines == [2, 4, 6]  # the row of empty cells on line 5 is skipped
