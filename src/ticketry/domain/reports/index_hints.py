"""`unindexed(column)`: the column, read so that SQLite will not search an index by it.

SQLite keeps no statistics of value ranges, so for `queue_id = ? AND created_at BETWEEN ...`
it prefers `ix_tickets_queue_created` (a table lookup and a sort per ticket) over the reports'
covering indexes, whatever the range (migration 0015). A unary plus makes the comparison one
the planner cannot search an index by; the covering index then filters the column in place.
PostgreSQL has range statistics and plans without help: the column is left as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class unindexed(FunctionElement[Any]):  # named as the SQL function it reads as
    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> None:
        super().__init__(column)
        self.type = self.clauses.clauses[0].type


def _argument(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    [column] = [compiler.process(arg, **kw) for arg in element.clauses]
    return column


@compiles(unindexed)
def _as_is(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return _argument(element, compiler, **kw)


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{_argument(element, compiler, **kw)}"
