"""Reading exported workbooks back with the standard library (zipfile) and defusedxml."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree

NS = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@dataclass
class Cell:
    text: str | None
    kind: str  # "s" shared string, "inlineStr", "n" number, ...
    formula: bool
    quote_prefix: bool


def read_sheets(data: bytes) -> dict[str, list[list[Cell]]]:
    """Every worksheet of a workbook, by name: rows of cells (blank cells as empty ones)."""
    book = zipfile.ZipFile(io.BytesIO(data))
    assert book.testzip() is None
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        shared = ["".join(si.itertext()) for si in
                  ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("s:si", NS)]
    styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    quoted = [xf.get("quotePrefix") == "1"
              for xf in styles.find("s:cellXfs", NS).findall("s:xf", NS)]
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheets = {}
    for number, sheet in enumerate(workbook.find("s:sheets", NS).findall("s:sheet", NS), 1):
        root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{number}.xml"))
        rows = []
        for row in root.find("s:sheetData", NS).findall("s:row", NS):
            cells: list[Cell] = []
            for c in row.findall("s:c", NS):
                column = _column_index(c.get("r"))
                while len(cells) < column:
                    cells.append(Cell(None, "blank", False, False))
                kind = c.get("t", "n")
                if kind == "inlineStr":
                    text = _unescape("".join(c.find("s:is", NS).itertext()))
                elif kind == "s":
                    text = shared[int(c.find("s:v", NS).text)]
                else:
                    value = c.find("s:v", NS)
                    text = value.text if value is not None else None
                cells.append(Cell(text, kind, c.find("s:f", NS) is not None,
                                  quoted[int(c.get("s", "0"))]))
            rows.append(cells)
        sheets[sheet.get("name")] = rows
    return sheets


def _unescape(text: str) -> str:
    """OOXML writes control characters as `_xHHHH_` (a carriage return is `_x000D_`)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text)


def _column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group()
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
