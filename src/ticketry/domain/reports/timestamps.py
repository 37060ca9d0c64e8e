"""Timestamp arithmetic and formatting done by the database, per backend.

- `minutes_between(later, earlier)`: the time between two timestamp columns, in minutes.
- `utc_text(column)`: a timestamp as RFC 3339 text in UTC with milliseconds
  (`2025-06-02T10:00:00.000Z`), so exports need not parse and re-format each value in Python.
- `uuid_text(column)`: a UUID column as its canonical text (`8-4-4-4-12` lower-case hex),
  likewise.

SQLite keeps timestamps as UTC text (julianday/strftime read it); PostgreSQL has timestamptz.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class minutes_between(FunctionElement[float]):  # named as the SQL function it reads as
    type = Float()
    inherit_cache = True
    name = "minutes_between"


class utc_text(FunctionElement[str]):  # named as the SQL function it reads as
    type = String()
    inherit_cache = True
    name = "utc_text"


def _arguments(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(minutes_between)
def _interval_minutes(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _arguments(element, compiler, **kw)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60.0)"


@compiles(minutes_between, "sqlite")
def _julian_minutes(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _arguments(element, compiler, **kw)
    return f"((julianday({later}) - julianday({earlier})) * 1440.0)"


@compiles(utc_text)
def _to_char(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    [column] = _arguments(element, compiler, **kw)
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


@compiles(utc_text, "sqlite")
def _strftime(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    [column] = _arguments(element, compiler, **kw)
    return f"strftime('%Y-%m-%dT%H:%M:%fZ', {column})"


class uuid_text(FunctionElement[str]):  # named as the SQL function it reads as
    type = String()
    inherit_cache = True
    name = "uuid_text"


@compiles(uuid_text)
def _uuid_cast(element: uuid_text, compiler: SQLCompiler, **kw: Any) -> str:
    [column] = _arguments(element, compiler, **kw)
    return f"CAST({column} AS TEXT)"


@compiles(uuid_text, "sqlite")
def _uuid_dashes(element: uuid_text, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy's Uuid keeps 32 hex digits on SQLite.
    [column] = _arguments(element, compiler, **kw)
    parts = " || '-' || ".join(f"substr({column}, {start}, {length})"
                               for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
    return f"lower({parts})"
