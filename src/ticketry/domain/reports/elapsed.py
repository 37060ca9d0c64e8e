"""`minutes_between(later, earlier)`: the time between two timestamp columns, in SQL, as minutes.

SQLite keeps timestamps as text (julianday reads them); PostgreSQL subtracts them to an interval.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class minutes_between(FunctionElement[float]):  # named as the SQL function it reads as
    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between)
def _interval_minutes(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60.0)"


@compiles(minutes_between, "sqlite")
def _julian_minutes(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 1440.0)"
