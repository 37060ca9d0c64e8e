"""Finding tickets: ranked full-text search with filters and sort keys, the ticket list with
keyset cursors, and the incremental export for clients that sync."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from ticketry.db import utcnow
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.search.cursors import decode_cursor, encode_cursor
from ticketry.domain.search.errors import InvalidCursor
from ticketry.domain.search.index import ranked_matches
from ticketry.domain.search.schemas import SortKey, TicketSearch
from ticketry.domain.tickets import permissions
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.tickets.service import (
    _EAGER,
    TicketListPage,
    filtered_tickets,
    load_ticket_views,
    ticket_sort_column,
)
from ticketry.domain.tickets.views import TicketView
from ticketry.domain.users.models import User

# How long the incremental export holds back the newest changes. A ticket's `updated_at` is
# taken when its transaction starts writing, so a change may become visible (commit) a while
# after the time it carries; a reader that had moved past that time would miss it. Holding
# back changes younger than this lets such transactions commit first: longer than a write
# transaction lasts, including a SQLite writer's wait for the lock.
SETTLE_SECONDS = 30

_LIST_CURSOR = "list"
_CHANGES_CURSOR = "changes"


def _count(session: Session, stmt: Select[tuple[Ticket]]) -> int:
    # Through the connection: no entity to load, and the ORM's execute path costs more than
    # the count on small tables.
    count = stmt.with_only_columns(func.count()).select_from(Ticket).order_by(None)
    return session.connection().execute(count).scalar() or 0


# --------------------------------------------------------------------------- search


def search_tickets(session: Session, *, actor: User, search: TicketSearch) -> TicketListPage:
    """Tickets whose title, description or comments match `search.query` (internal comments
    only for agents), within the filters and the actor's permissions, sorted by the keys in
    turn -- by relevance first unless told otherwise when there is a query, else newest first.
    `filters.search` filters the same way; it ranks when there is no `query`."""
    filters = search.filters
    text = search.query
    if text is None and filters.search:
        text, filters = filters.search, filters.model_copy(update={"search": None})
    keys = search.sort or [SortKey(field="relevance" if text else "created_at", order="desc")]
    if text is None and any(key.field == "relevance" for key in keys):
        raise ValidationFailed("sorting by relevance needs a query", field="sort")
    stmt = filtered_tickets(session, actor, filters)
    relevance: ColumnElement[Any] | None = None
    if text is not None:
        matches = ranked_matches(session, text=text, agent=actor.is_agent)
        if matches is None:
            # Text without a single word (punctuation only) matches nothing.
            return TicketListPage([], 0, search.page, search.size)
        stmt = stmt.join(matches, matches.c.ticket_id == Ticket.id)
        relevance = matches.c.relevance
    ordering: list[ColumnElement[Any]] = []
    seen: set[str] = set()
    for key in keys:
        if key.field in seen:
            continue
        seen.add(key.field)
        expression = (ticket_sort_column(session, filters, key.field)
                      if key.field != "relevance" else relevance)
        assert expression is not None  # relevance without a query was refused above
        ordering.append(expression.desc().nulls_last() if key.order == "desc"
                        else expression.asc().nulls_last())
    ordering.append(Ticket.id.desc() if keys[0].order == "desc" else Ticket.id.asc())
    total = _count(session, stmt)
    items = session.scalars(
        stmt.options(*_EAGER).order_by(*ordering)
        .offset((search.page - 1) * search.size).limit(search.size)
    ).unique().all()
    return TicketListPage(items, total, search.page, search.size)


# --------------------------------------------------------------------------- keyset listing


@dataclass(frozen=True, slots=True)
class TicketCursorPage:
    items: Sequence[TicketView]
    total: int
    # None when the page was reached by cursor (its number is not known without counting).
    page: int | None
    size: int
    # The position after the last item; None on the last page.
    next_cursor: str | None

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size) if self.size else 0


def _is_nullable(column: Any) -> bool:
    expression = getattr(column, "expression", column)
    return isinstance(expression, Column) and bool(expression.nullable)


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _position_value(column: Any, raw: Any) -> Any:
    """The cursor's sort value as the column's type, or InvalidCursor."""
    if raw is None:
        return None
    # UTCDateTime (a TypeDecorator) answers for its implementation's type.
    kind = getattr(column.type, "impl", column.type).python_type
    if kind is datetime and isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidCursor("cursor is not one this API issued", field="cursor") from None
        if value.tzinfo is None:
            raise InvalidCursor("cursor is not one this API issued", field="cursor")
        return value.astimezone(UTC)
    if kind in (int, str) and type(raw) is kind:
        return raw
    raise InvalidCursor("cursor does not fit this listing's sort order", field="cursor")


def _after(column: Any, value: Any, last_id: int, *, descending: bool,
           nullable: bool) -> ColumnElement[bool]:
    """Rows after (value, last_id) in ORDER BY column [DESC] NULLS LAST, id [DESC]."""
    id_after = Ticket.id < last_id if descending else Ticket.id > last_id
    if value is None:
        return and_(column.is_(None), id_after)
    beyond = column < value if descending else column > value
    after = or_(beyond, and_(column == value, id_after))
    return or_(after, column.is_(None)) if nullable else after


def browse_tickets(
    session: Session, *, actor: User, filters: TicketFilters, sort_by: str = "created_at",
    order: str = "desc", size: int = 20, page: int = 1, cursor: str | None = None,
) -> TicketCursorPage:
    """A page of the ticket list by number, or -- with `cursor` -- the page after the
    cursor's position (keyset on the sort value and id: rows inserted or deleted meanwhile
    neither repeat nor skip rows). Either way `next_cursor` points after the last item."""
    column = ticket_sort_column(session, filters, sort_by)
    descending = order == "desc"
    stmt = filtered_tickets(session, actor, filters)
    total = _count(session, stmt)
    offset: int = (page - 1) * size
    shown_page: int | None = page
    if cursor is not None:
        position = decode_cursor(cursor, kind=_LIST_CURSOR)
        if position.get("s") != sort_by or position.get("o") != order:
            raise InvalidCursor(
                f"cursor continues the listing sorted by {position.get('s')} "
                f"{position.get('o')}; ask with the same sort_by and order", field="cursor")
        last_id = position.get("i")
        if type(last_id) is not int:
            raise InvalidCursor("cursor is not one this API issued", field="cursor")
        stmt = stmt.where(_after(column, _position_value(column, position.get("v")), last_id,
                                 descending=descending, nullable=_is_nullable(column)))
        offset, shown_page = 0, None
    ordering = [column.desc().nulls_last() if descending else column.asc().nulls_last(),
                Ticket.id.desc() if descending else Ticket.id.asc()]
    # The page's ids first, then their views (`tickets.views`) by a statement built once:
    # SQLAlchemy derives a cache key from every statement it is given, and for one naming the
    # view's seventy columns that cost more than running it.
    page_rows = session.connection().execute(
        stmt.with_only_columns(Ticket.id, column.label("sort_value")).select_from(Ticket)
        .order_by(*ordering).offset(offset).limit(size + 1)
    ).all()
    items = load_ticket_views(session, [row[0] for row in page_rows[:size]])
    next_cursor = None
    if len(page_rows) > size:
        next_cursor = encode_cursor({"k": _LIST_CURSOR, "s": sort_by, "o": order,
                                     "v": _cursor_value(page_rows[size - 1][1]),
                                     "i": items[-1].id})
    return TicketCursorPage(items, total, shown_page, size, next_cursor)


# --------------------------------------------------------------------------- incremental export


@dataclass(frozen=True, slots=True)
class TicketChanges:
    # Changed tickets that still exist, oldest change first.
    items: Sequence[Ticket]
    # Tickets deleted (soft) since the cursor.
    deleted: Sequence[Ticket]
    next_cursor: str
    # Nothing more has settled yet: ask again later with next_cursor.
    end_of_stream: bool


def export_ticket_changes(
    session: Session, *, actor: User, cursor: str | None = None, size: int = 100,
    now: datetime | None = None, settle_seconds: int = SETTLE_SECONDS,
) -> TicketChanges:
    """The tickets the actor may see that changed after the cursor (from the beginning
    without one), in (updated_at, id) order, at most `size`; changes younger than
    `settle_seconds` wait for the next call (see SETTLE_SECONDS)."""
    horizon = (now or utcnow()) - timedelta(seconds=settle_seconds)
    stmt = select(Ticket).where(permissions.visible_tickets(actor), Ticket.updated_at <= horizon)
    start: dict[str, Any] = {"k": _CHANGES_CURSOR, "u": None, "i": 0}
    if cursor is not None:
        start = decode_cursor(cursor, kind=_CHANGES_CURSOR)
        last_id = start.get("i")
        if type(last_id) is not int:
            raise InvalidCursor("cursor is not one this API issued", field="cursor")
        if start.get("u") is not None:
            changed_at = _position_value(Ticket.updated_at, start.get("u"))
            stmt = stmt.where(or_(Ticket.updated_at > changed_at,
                                  and_(Ticket.updated_at == changed_at, Ticket.id > last_id)))
    rows = session.scalars(
        stmt.options(*_EAGER).order_by(Ticket.updated_at, Ticket.id).limit(size + 1)
    ).unique().all()
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = (encode_cursor({"k": _CHANGES_CURSOR, "u": rows[-1].updated_at.isoformat(),
                                  "i": rows[-1].id}) if rows else encode_cursor(start))
    return TicketChanges(
        items=[t for t in rows if t.deleted_at is None],
        deleted=[t for t in rows if t.deleted_at is not None],
        next_cursor=next_cursor, end_of_stream=not more)
