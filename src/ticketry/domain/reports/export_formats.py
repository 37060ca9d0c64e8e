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
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import xlsxwriter  # type: ignore[import-untyped]  # ships no type information

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TAG_SEPARATOR = ";"  # as `ticketry import` reads CSV tags
XLSX_MAX_ROWS = 1_048_576  # per worksheet, header included
FILE_CHUNK = 64 * 1024

Row = Sequence[Any]


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def neutralise_formula(text: str) -> str:
    return "'" + text if starts_like_formula(text) else text


def _text(value: Any) -> str | None:
    """A value as the text a spreadsheet cell shows; None stays empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return TAG_SEPARATOR.join(str(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- CSV


def csv_chunks(columns: Sequence[str], batches: Iterable[Sequence[Row]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so spreadsheets pick the right encoding), one chunk a batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            writer.writerow([_csv_cell(value) for value in row])
        yield buffer.getvalue().encode()


def _csv_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return "" if value is None else value
    return neutralise_formula(_text(value) or "")


# --------------------------------------------------------------------------- JSON


def json_chunks(columns: Sequence[str], batches: Iterable[Sequence[Row]]) -> Iterator[bytes]:
    """One JSON array of objects, streamed; timestamps as RFC 3339 in UTC."""
    yield b"["
    separator = b"\n"
    for batch in batches:
        parts = [orjson.dumps(dict(zip(columns, row, strict=True)), option=orjson.OPT_UTC_Z) for row in batch]
        if parts:
            yield separator + b",\n".join(parts)
            separator = b",\n"
    yield b"\n]\n"


# --------------------------------------------------------------------------- XLSX


def xlsx_chunks(columns: Sequence[str], batches: Iterable[Sequence[Row]], *,
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


def _write_workbook(path: str, columns: Sequence[str], batches: Iterable[Sequence[Row]],
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
        for col, name in enumerate(columns):
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
                    text = _text(value) or ""
                    sheet.write_string(row_number, col, text,
                                       as_text if starts_like_formula(text) else None)
            row_number += 1
    workbook.close()
