"""Streaming readers for import files: rows come out one at a time, whatever the file's size.

XML goes through defusedxml: a DTD, entity declarations or external references are refused
before anything is expanded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import ijson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ticketry.domain.imports.errors import MalformedImportFile, UnsupportedImportFormat

FORMATS = ("csv", "json", "xml")
_CONTENT_TYPES = {
    "text/csv": "csv", "application/csv": "csv", "application/vnd.ms-excel": "csv",
    "application/json": "json", "text/json": "json",
    "text/xml": "xml", "application/xml": "xml",
}
UNSUPPORTED = "Unsupported file format. Use csv, json, or xml"

Row = dict[str, Any]


def detect_format(explicit: str | None, filename: str | None, content_type: str | None) -> str:
    """`?format=` first, then the file's extension, then its content type."""
    if explicit:
        if explicit.lower() in FORMATS:
            return explicit.lower()
        raise UnsupportedImportFormat(UNSUPPORTED, field="format")
    if filename and "." in filename:
        ext = filename.rsplit(".", 1)[1].lower()
        if ext in FORMATS:
            return ext
    if content_type:
        found = _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
        if found:
            return found
    raise UnsupportedImportFormat(UNSUPPORTED, field="format")


def _split(value: Any, separator: str) -> Any:
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(separator) if tag.strip()]
    return value


def iter_rows(stream: IO[bytes], fmt: str, *, csv_tag_separator: str = ";",
              xml_tag_separator: str = ",") -> Iterator[tuple[int, Row]]:
    """(row number from 1, fields) for every record of the file."""
    try:
        if fmt == "csv":
            yield from _csv_rows(stream, csv_tag_separator)
        elif fmt == "json":
            yield from _json_rows(stream)
        elif fmt == "xml":
            yield from _xml_rows(stream, xml_tag_separator)
        else:
            raise UnsupportedImportFormat(UNSUPPORTED, field="format")
    except (ijson.JSONError, UnicodeDecodeError, csv.Error) as exc:
        raise MalformedImportFile(f"the {fmt} file is malformed: {exc}") from exc
    except DefusedXmlException as exc:
        raise MalformedImportFile(f"the XML file is refused: {type(exc).__name__} "
                                  "(DTDs and entities are not accepted)") from exc
    except SyntaxError as exc:  # ElementTree.ParseError
        raise MalformedImportFile(f"the XML file is malformed: {exc}") from exc


def _csv_rows(stream: IO[bytes], tag_separator: str) -> Iterator[tuple[int, Row]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(text)
        for number, record in enumerate(reader, start=1):
            row: Row = {k.strip(): (v if v != "" else None) for k, v in record.items()
                        if k is not None}
            if None in record:
                row["__extra__"] = record[None]
            if "tags" in row:
                row["tags"] = _split(row["tags"], tag_separator) or []
            yield number, row
    finally:
        text.detach()


def _json_rows(stream: IO[bytes]) -> Iterator[tuple[int, Row]]:
    for number, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
        yield number, item if isinstance(item, dict) else {"__invalid__": item}


def _xml_rows(stream: IO[bytes], tag_separator: str) -> Iterator[tuple[int, Row]]:
    number = 0
    for event, element in iterparse(stream, events=("end",), forbid_dtd=True,
                                    forbid_entities=True, forbid_external=True):
        if event != "end" or element.tag != "ticket":
            continue
        number += 1
        row: Row = {}
        for child in element:
            if child.tag == "metadata":
                row["metadata"] = {m.tag: (m.text or "").strip() or None for m in child}
            else:
                row[child.tag] = (child.text or "").strip() or None
        if "tags" in row:
            row["tags"] = _split(row["tags"], tag_separator) or []
        element.clear()
        yield number, row
