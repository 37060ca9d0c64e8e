"""Ticket rows as CSV, JSON and XLSX byte streams, batch by batch, in bounded memory.

Spreadsheets run text that looks like a formula (`=HYPERLINK(...)`, `+cmd|...`, `@SUM(...)`):
a CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
which spreadsheets read as "this is text". In XLSX every text is written as a string cell (never
a formula), and such cells also carry the quote-prefix style, Excel's and LibreOffice's own
"this is text" mark, so editing the cell keeps it text while its value stays exactly as stored.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import xlsxwriter  # type: ignore[import-untyped]  # ships no type information

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGERS = frozenset(FORMULA_TRIGGERS)
TAG_SEPARATOR = ";"  # as `ticketry import` reads CSV tags
XLSX_MAX_ROWS = 1_048_576  # per worksheet, header included
FILE_CHUNK = 64 * 1024

Row = Sequence[Any]
# What a column holds: text, a UTC timestamp, a timestamp already as RFC 3339 text, a number,
# a list of texts (tags), the same list still as JSON text, an id (UUID).
Kind = Literal["text", "time", "stamp", "number", "list", "json_list", "id"]
Column = tuple[str, Kind]


def starts_like_formula(text: str) -> bool:
    return text[:1] in _TRIGGERS


def neutralise_formula(text: str) -> str:
    return "'" + text if text[:1] in _TRIGGERS else text


def _timestamp(value: datetime) -> str:
    # Columns of timestamps come from UTCDateTime, always in UTC.
    return value.isoformat().replace("+00:00", "Z")


def _joined(values: list[Any]) -> str:
    return TAG_SEPARATOR.join(str(v) for v in values)


# --------------------------------------------------------------------------- CSV

# Per kind, a cell as CSV text: chosen once per column, not per cell (2.8 million cells for
# 100 000 tickets).
_CSV_CELL: dict[str, Callable[[Any], Any]] = {
    "text": lambda v: "" if v is None else ("'" + v if v[:1] in _TRIGGERS else v),
    "time": lambda v: "" if v is None else _timestamp(v),
    "stamp": lambda v: "" if v is None else v,
    "number": lambda v: "" if v is None else v,
    "list": lambda v: neutralise_formula(_joined(v)) if v else "",
    "json_list": lambda v: neutralise_formula(_joined(orjson.loads(v))) if v else "",
    "id": lambda v: "" if v is None else str(v),
}


# Kinds the csv module writes as they come (None as an empty cell, numbers as their text).
_CSV_AS_IS = frozenset({"stamp", "number"})


def csv_chunks(columns: Sequence[Column], batches: Iterable[Sequence[Row]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so spreadsheets pick the right encoding), one chunk a batch."""
    converted = [(at, _CSV_CELL[kind]) for at, (_, kind) in enumerate(columns)
                 if kind not in _CSV_AS_IS]
    width = len(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    yield ("\ufeff" + buffer.getvalue()).encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        if converted:
            rows: list[list[Any]] = []
            for row in batch:
                if len(row) != width:
                    raise ValueError(f"a row of {len(row)} cells for {width} columns")
                cells = list(row)
                for at, cell in converted:
                    cells[at] = cell(cells[at])
                rows.append(cells)
            writer.writerows(rows)
        else:
            writer.writerows(batch)
        yield buffer.getvalue().encode()


# --------------------------------------------------------------------------- JSON


def json_chunks(columns: Sequence[Column], batches: Iterable[Sequence[Row]]) -> Iterator[bytes]:
    """One JSON array of objects, streamed; timestamps as RFC 3339 in UTC."""
    names = [name for name, _ in columns]
    # JSON text from the database goes into the output as it is.
    embedded = [i for i, (_, kind) in enumerate(columns) if kind == "json_list"]
    yield b"["
    separator = b""
    for batch in batches:
        if embedded:
            batch = [_embed(row, embedded) for row in batch]
        if batch:
            # One call per batch: orjson sizes each result generously, so a bytes object per
            # row would hold ~15 KiB each.
            items = orjson.dumps([dict(zip(names, row, strict=True)) for row in batch],
                                 option=orjson.OPT_UTC_Z)
            yield separator + items[1:-1]
            separator = b","
    yield b"]\n"


def _embed(row: Row, columns: list[int]) -> list[Any]:
    values = list(row)
    for i in columns:
        if values[i] is not None:
            values[i] = orjson.Fragment(values[i])
    return values


# --------------------------------------------------------------------------- XLSX


def xlsx_chunks(columns: Sequence[Column], batches: Iterable[Sequence[Row]], *,
                sheet_name: str = "Tickets") -> Iterator[bytes]:
    """The workbook is written row by row to a temporary file (xlsxwriter's constant-memory mode
    keeps one row in memory), then streamed in chunks; the file is removed however it ends."""
    descriptor, path = tempfile.mkstemp(prefix="ticketry-export-", suffix=".xlsx")
    os.close(descriptor)
    try:
        _write_workbook(path, columns, batches, sheet_name)
        with open(path, "rb") as workbook:
            while chunk := workbook.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _write_workbook(path: str, columns: Sequence[Column], batches: Iterable[Sequence[Row]],
                    sheet_name: str) -> None:
    workbook = xlsxwriter.Workbook(path, {
        "constant_memory": True,
        # Only `write()` would interpret text; these keep even that path literal.
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    header = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    as_text = workbook.add_format({"quote_prefix": True})
    sheets = 0

    def new_sheet() -> Any:
        nonlocal sheets
        sheets += 1
        sheet = workbook.add_worksheet(sheet_name if sheets == 1 else f"{sheet_name} ({sheets})")
        for col, (name, _) in enumerate(columns):
            sheet.write_string(0, col, name, header)
        sheet.freeze_panes(1, 0)
        return sheet

    sheet = new_sheet()
    row_number = 1
    for batch in batches:
        for row in batch:
            if row_number >= XLSX_MAX_ROWS:
                sheet = new_sheet()
                row_number = 1
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    # Excel has no time zones: UTC, as the column names say.
                    sheet.write_datetime(row_number, col,
                                         value.astimezone(UTC).replace(tzinfo=None), stamp)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(row_number, col, value)
                else:
                    text = _joined(value) if isinstance(value, list) else str(value)
                    sheet.write_string(row_number, col, text,
                                       as_text if text[:1] in _TRIGGERS else None)
            row_number += 1
    workbook.close()
