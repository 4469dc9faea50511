"""Read any inbox file as text columns with the physical line each row came from.

Every format yields the same thing: normalised header names and Arrow record batches of
strings plus `_source_line`. A file that cannot be read raises `RejectedFile` with one
sentence a person can act on. Well-formed text and Parquet are parsed whole by Arrow (the
table is `TableReader.whole`); text that needs the careful reader, and spreadsheets, stream in
batches.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa

from quality.contract import normalise_header

BATCH_ROWS = 100_000
DELIMITERS = (",", ";", "\t", "|")
SNIFF_CHARS = 64 * 1024
LINE_COLUMN = "_source_line"
MALFORMED_COLUMN = "_malformed"
# Columns the reader and the raw layer add to every row; a file's own column of that name is
# renamed like a repeated header, so it can never overwrite or collide with them.
LINEAGE_COLUMNS = ("_source_file", LINE_COLUMN, "_load_id", "_loaded_at", MALFORMED_COLUMN)

csv.field_size_limit(sys.maxsize)


class RejectedFile(Exception):
    """The file cannot be read as its source. The message is one sentence for a person."""


@dataclass
class TableReader:
    """A file opened for reading: its header is known, its rows stream from `batches()`."""

    columns: list[str]
    layout: str  # "plain", "qualtrics", "xlsx" or "parquet"
    encoding: str | None
    delimiter: str | None
    _batches: Iterator[pa.RecordBatch]
    # The whole file, when the reader parsed it in one go (well-formed text, Parquet): DuckDB can
    # then read it where it lies, in parallel, instead of from a stream of batches.
    whole: pa.Table | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self._batches


def open_table(path: Path, batch_rows: int = BATCH_ROWS) -> TableReader:
    """Open a csv/tsv/txt, xlsx or parquet file; raise RejectedFile if it cannot be read."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _open_text(path, batch_rows)
    if suffix == ".xlsx":
        return _open_xlsx(path, batch_rows)
    if suffix == ".parquet":
        return _open_parquet(path, batch_rows)
    raise RejectedFile(
        f"{path.name} has an unknown format '{path.suffix}': "
        "use .csv, .tsv, .txt, .xlsx or .parquet."
    )


# --- text -----------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or cp1252; anything else is rejected.

    The whole file must decode, so reading it later can never fail halfway.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ("utf-16",)
        else:
            candidates = ("utf-8", "cp1252")
        for encoding in candidates:
            handle.seek(0)
            if _decodes(handle, encoding, path.name):
                if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
                    return "utf-8-sig"
                return encoding
    raise RejectedFile(f"{path.name} cannot be decoded as UTF-8, UTF-16 or cp1252 text.")


def _decodes(handle: io.BufferedReader, encoding: str, name: str) -> bool:
    """Whether the rest of the file decodes; NUL bytes outside UTF-16 mean binary data."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := handle.read(1 << 20):
            if encoding != "utf-16" and b"\x00" in chunk:
                raise RejectedFile(f"{name} is not a text file: it contains binary data.")
            decoder.decode(chunk)
        decoder.decode(b"", final=True)  # a multi-byte character cut off at the end
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the header into most columns and the next rows into as many."""
    best, best_width = ",", 1
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:50]
        except csv.Error:
            continue
        rows = [r for r in rows if not _blank(r)]
        if len(rows) > 2:
            rows = rows[:-1]  # the sample may cut the last row short
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows[1:]) >= 0.8 * (len(rows) - 1)
        if width > best_width and consistent:
            best, best_width = delimiter, width
    return best


def _open_text(path: Path, batch_rows: int, fast: bool = True) -> TableReader:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(SNIFF_CHARS)
    if not sample.strip():
        raise RejectedFile(f"{path.name} is empty.")
    delimiter = sniff_delimiter(sample)
    if fast and (table := _well_formed_text(path, encoding, delimiter, batch_rows)) is not None:
        return table
    handle = path.open(encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        # Blank lines above the header carry nothing; the header is the first line with text.
        header = next((row for row in reader if not _blank(row)), None)
        rows, layout = _skip_qualtrics_headers(reader)
    except csv.Error as error:
        handle.close()
        raise _unreadable_text(path, error) from None
    if header is None:
        handle.close()
        raise RejectedFile(f"{path.name} is empty: no line holds a column name.")
    columns = unique_headers(header)
    return TableReader(
        columns,
        layout,
        encoding,
        delimiter,
        _text_batches(path, handle, reader, rows, columns, batch_rows),
    )


def _well_formed_text(
    path: Path, encoding: str, delimiter: str, batch_rows: int
) -> TableReader | None:
    """The fast path: Arrow's C++ CSV parser, for files where it must agree with Python's
    csv module cell for cell; None for any other file, which the careful reader then reads.

    Arrow does not report line numbers, so they are found in the bytes: a newline ends a
    record unless an odd number of quotes precede it. The file qualifies when every record
    has the header's width, no line is blank or ends in a lone carriage return, and the
    quotes pair up as RFC 4180 quoting (`"a"b`, `a"b` and an unclosed quote go the careful
    way).
    """
    import pyarrow.csv as pacsv

    data = path.read_bytes()
    if encoding == "utf-8-sig":
        data = data[len(codecs.BOM_UTF8) :]
    elif encoding != "utf-8":
        data = data.decode(encoding).encode("utf-8")
    raw = np.frombuffer(data, np.uint8)
    newlines = _positions(raw, "\n")
    before_newlines = raw[newlines[newlines > 0] - 1]
    if _positions(raw, "\r").size != np.count_nonzero(before_newlines == ord("\r")):
        return None  # a carriage return that does not end a line
    quotes = _positions(raw, '"')
    if not _quotes_at_field_edges(raw, quotes, ord(delimiter)):
        return None
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [raw.size]])
    if stops[-1] == starts[-1]:
        starts, stops = starts[:-1], stops[:-1]  # the file ends with a newline
    lengths = stops - starts - (raw[np.maximum(stops - 1, 0)] == ord("\r"))
    if starts.size < 2 or (lengths <= 0).any():
        return None
    first_records = data[: stops[min(2, starts.size - 1)]].decode("utf-8")
    head = list(csv.reader(io.StringIO(first_records, newline=""), delimiter=delimiter))
    if _blank(head[0]):
        return None
    qualtrics = len(head) >= 3 and any(c.lstrip().startswith('{"ImportId"') for c in head[2])
    first_data = 3 if qualtrics else 1
    columns = unique_headers(head[0])
    names = [f"f{i}" for i in range(len(columns))]
    body = starts[first_data] if starts.size > first_data else raw.size
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)[body:]),  # the rows, not copied
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        return None  # a row of another width: the careful reader marks it malformed
    if table.num_rows != max(starts.size - first_data, 0):
        return None
    lines = 1 + np.searchsorted(newlines, starts[first_data:])
    keep = _not_blank(table)
    if not keep.all():
        table, lines = table.filter(pa.array(keep)), lines[keep]
    if table.num_rows == 0:
        return None  # let the careful reader decide what an empty file is
    table = (
        table.rename_columns(columns)
        .append_column(LINE_COLUMN, pa.array(lines, pa.int64()))
        .append_column(MALFORMED_COLUMN, pa.nulls(table.num_rows, pa.string()))
    )
    layout = "qualtrics" if qualtrics else "plain"
    return TableReader(
        columns,
        layout,
        encoding,
        delimiter,
        iter(table.to_batches(max_chunksize=batch_rows)),
        whole=table,
    )


def _positions(raw: np.ndarray, character: str, chunk: int = 1 << 22) -> np.ndarray:
    """Where `character` occurs in `raw`, found a few MiB at a time through one small mask:
    a mask the size of the file is fresh memory, and faulting it in cost more than the
    comparison (a 270 MB file: 0.6 s against 0.08)."""
    byte = ord(character)
    mask = np.empty(min(chunk, raw.size), dtype=bool)
    found = []
    for start in range(0, raw.size, chunk):
        part = raw[start : start + chunk]
        found.append(np.flatnonzero(np.equal(part, byte, out=mask[: part.size])) + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _quotes_at_field_edges(raw: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """Whether the quotes pair up as RFC 4180 quoting, so that counting them tells which
    newlines are inside a field.

    Taken in order, odd quotes open and even quotes close (a doubled quote inside a field
    closes and reopens). An opening quote must start a field or follow a closing one; a closing
    quote must end a field or precede an opening one; and every quote must be closed. A
    quote inside an unquoted field (`a"b`, `;"` with a comma delimiter) breaks the pairing.
    """
    if not quotes.size:
        return True
    if quotes.size % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    before = np.where(opening > 0, raw[np.maximum(opening - 1, 0)], ord("\n"))
    after = np.where(closing < raw.size - 1, raw[np.minimum(closing + 1, raw.size - 1)], ord("\n"))
    opens_field = np.isin(before, [delimiter, ord("\n")])
    reopens = np.isin(opening - 1, closing)
    closes_field = np.isin(after, [delimiter, ord("\n"), ord("\r")])
    doubled = np.isin(closing + 1, opening)
    return bool((opens_field | reopens).all() and (closes_field | doubled).all())


def _not_blank(table: pa.Table) -> np.ndarray:
    """Rows with some cell holding more than whitespace (the careful reader's `_blank`)."""
    import pyarrow.compute as pc

    kept = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        # Only rows no earlier column has shown to hold text: after the first column of a
        # typical file, a handful.
        undecided = np.flatnonzero(~kept)
        if not undecided.size:
            break
        if undecided.size < table.num_rows:
            column = column.take(undecided)
        text = pc.fill_null(pc.utf8_trim_whitespace(column), "")
        kept[undecided] = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    return kept


def _skip_qualtrics_headers(reader: csv.reader) -> tuple[list[tuple[int, list[str]]], str]:
    """Qualtrics exports carry question text and ImportId JSON as rows 2 and 3: skip both."""
    peeked: list[tuple[int, list[str]]] = []
    line = reader.line_num
    for row in reader:
        peeked.append((line + 1, row))
        line = reader.line_num
        if len(peeked) == 2:
            break
    if len(peeked) == 2 and any(cell.lstrip().startswith('{"ImportId"') for cell in peeked[1][1]):
        return [], "qualtrics"
    return peeked, "plain"


def _text_batches(
    path: Path,
    handle: io.TextIOBase,
    reader: csv.reader,
    peeked: list[tuple[int, list[str]]],
    columns: list[str],
    batch_rows: int,
) -> Iterator[pa.RecordBatch]:
    width = len(columns)
    lines: list[int] = []
    rows: list[list[str]] = []
    malformed: list[str | None] = []

    def numbered_rows() -> Iterator[tuple[int, list[str]]]:
        yield from peeked
        start = reader.line_num + 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1

    try:
        with handle:
            for line, row in numbered_rows():
                if _blank(row):
                    continue  # blank line or a row of empty cells carries no data
                problem = None
                if len(row) != width:
                    problem = f"line has {len(row)} fields where the header has {width}"
                    row = (row + [""] * width)[:width]
                lines.append(line)
                rows.append(row)
                malformed.append(problem)
                if len(rows) >= batch_rows:
                    yield _batch(columns, rows, lines, malformed)
                    lines, rows, malformed = [], [], []
    except (csv.Error, UnicodeDecodeError) as error:
        raise _unreadable_text(path, error) from None
    if rows:
        yield _batch(columns, rows, lines, malformed)


def _unreadable_text(path: Path, error: Exception) -> RejectedFile:
    return RejectedFile(f"{path.name} is not readable as delimited text: {_one_line(error)}.")


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _one_line(error: BaseException) -> str:
    """A library's error message, fit for the one sentence of a rejection."""
    printable = "".join(c if c.isprintable() else " " for c in str(error))
    return " ".join(printable.split()).rstrip(".") or type(error).__name__


def _batch(
    columns: list[str], rows: list[list[str]], lines: list[int], malformed: list[str | None]
) -> pa.RecordBatch:
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    arrays = [pa.array([v if v != "" else None for v in col], pa.string()) for col in values]
    arrays.append(pa.array(lines, pa.int64()))
    arrays.append(pa.array(malformed, pa.string()))
    return pa.RecordBatch.from_arrays(arrays, names=[*columns, LINE_COLUMN, MALFORMED_COLUMN])


def unique_headers(header: list[str]) -> list[str]:
    """Normalise header names; blanks become column_N, repeats get a _2, _3 suffix.

    A suffixed name never collides with a later header of that name, nor with the lineage
    columns: `a, a, a_2` gives `a, a_2, a_2_2`; `_source_line` gives `_source_line_2`.
    """
    taken = set(LINEAGE_COLUMNS)
    result = []
    for position, raw in enumerate(header, start=1):
        base = normalise_header(str(raw) if raw is not None else "") or f"column_{position}"
        name, count = base, 1
        while name in taken:
            count += 1
            name = f"{base}_{count}"
        taken.add(name)
        result.append(name)
    return result


# --- spreadsheets and parquet ----------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """A spreadsheet cell as the text a CSV export would hold; dates become ISO 8601."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _unreadable_xlsx(path: Path, error: Exception) -> RejectedFile:
    return RejectedFile(f"{path.name} is not a readable .xlsx workbook ({_one_line(error)}).")


# openpyxl reports a damaged workbook with whatever its zip and XML layers raise (BadZipFile,
# KeyError, IndexError, ElementTree's ParseError, zlib.error, ...): any exception while it
# parses the file means the file cannot be read.
def _open_xlsx(path: Path, batch_rows: int) -> TableReader:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise _unreadable_xlsx(path, error) from None
    try:
        if not workbook.worksheets:
            raise RejectedFile(f"{path.name} is empty: it has no sheet.")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
    except RejectedFile:
        workbook.close()
        raise
    except Exception as error:
        workbook.close()
        raise _unreadable_xlsx(path, error) from None
    if header is None or not any(cell is not None for cell in header):
        workbook.close()
        raise RejectedFile(f"{path.name} is empty: its first sheet has no header row.")
    columns = unique_headers([cell_text(c) or "" for c in header])

    def batches() -> Iterator[pa.RecordBatch]:
        lines: list[int] = []
        texts: list[list[str]] = []
        malformed: list[str | None] = []
        try:
            for line, row in enumerate(rows, start=2):
                cells = [cell_text(c) or "" for c in row][: len(columns)]
                if not any(cells):
                    continue
                texts.append(cells + [""] * (len(columns) - len(cells)))
                lines.append(line)
                malformed.append(None)
                if len(texts) >= batch_rows:
                    yield _batch(columns, texts, lines, malformed)
                    lines, texts, malformed = [], [], []
        except Exception as error:
            raise _unreadable_xlsx(path, error) from None
        finally:
            workbook.close()
        if texts:
            yield _batch(columns, texts, lines, malformed)

    return TableReader(columns, "xlsx", None, None, batches())


def _open_parquet(path: Path, batch_rows: int) -> TableReader:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        columns = unique_headers(parquet.schema_arrow.names)
    except _PARQUET_ERRORS as error:
        raise _unreadable_parquet(path, error) from None

    def as_text(array: pa.Array) -> pa.Array:
        if pa.types.is_timestamp(array.type):
            return pc.strftime(array, format="%Y-%m-%d %H:%M:%S")
        if pa.types.is_floating(array.type):
            whole = pc.equal(array, pc.floor(array))
            ints = pc.cast(pc.floor(array), pa.int64(), safe=False)
            return pc.if_else(whole, pc.cast(ints, pa.string()), pc.cast(array, pa.string()))
        return pc.cast(array, pa.string())

    try:
        table = parquet.read()
        arrays = [as_text(column) for column in table.columns]
        arrays = [pc.if_else(pc.equal(a, ""), None, a) for a in arrays]
    except _PARQUET_ERRORS as error:
        raise _unreadable_parquet(path, error) from None
    count = table.num_rows
    arrays.append(pa.array(np.arange(2, count + 2), pa.int64()))  # as if the header were line 1
    arrays.append(pa.nulls(count, pa.string()))
    text = pa.table(arrays, names=[*columns, LINE_COLUMN, MALFORMED_COLUMN])
    return TableReader(
        columns,
        "parquet",
        None,
        None,
        iter(text.to_batches(max_chunksize=batch_rows)),
        whole=text if count else None,
    )


# A damaged footer can also hold names that are not UTF-8: pyarrow then raises
# UnicodeDecodeError, a ValueError.
_PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError)


def _unreadable_parquet(path: Path, error: Exception) -> RejectedFile:
    return RejectedFile(f"{path.name} is not a readable Parquet file ({_one_line(error)}).")
