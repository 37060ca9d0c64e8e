"""Dashboard metrics, performance reports and ticket exports.

Who may read what: the dashboard and the performance report are for agents (engineers, team
leads, managers, administrators); end users are refused. An export is open to everyone signed
in, and holds exactly the tickets its reader may see (an end user's own). Every figure counts
only tickets the reader may see (`permissions.visible_tickets`) and never deleted ones.

Everything is computed by the database: each report is a fixed, small number of aggregate
statements (COUNT/SUM/AVG over CASE, grouped), whatever the number of tickets; exports read
one query's plain rows a batch at a time.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import QueryableAttribute, Session, aliased
from sqlalchemy.sql import Subquery

from ticketry.db import utcnow
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.queues.models import Queue
from ticketry.domain.queues.service import find_queue_config, get_queue_config
from ticketry.domain.reports import export_formats
from ticketry.domain.reports.errors import InvalidDateRange, InvalidExportRequest
from ticketry.domain.reports.export_formats import FORMULA_TRIGGERS, Column, Kind
from ticketry.domain.reports.index_hints import unindexed
from ticketry.domain.reports.schemas import (
    EXPORT_FORMATS,
    AgentPerformance,
    CategoryCount,
    DashboardMetrics,
    DashboardTrends,
    PerformanceFigures,
    PerformanceReport,
    PeriodFigures,
    TeamPerformance,
    check_period_days,
)
from ticketry.domain.reports.timestamps import minutes_between, utc_text, uuid_text
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.tickets.service import filtered_tickets
from ticketry.domain.users.models import Team, User
from ticketry.domain.users.schemas import TeamRef, UserSummary

# The status categories every dashboard lists, even at zero (deleted tickets are never counted).
DASHBOARD_CATEGORIES = ("new", "open", "pending", "solved", "closed")
TOP_CATEGORIES = 10
MAX_RANGE_DAYS = 3660


def _require_reader(actor: User) -> None:
    if not actor.is_agent:
        raise PermissionDenied("reports are for agents, team leads, managers and administrators")


def _scope(session: Session, actor: User, *, queue: str | None, team_codes: Sequence[int] | None,
           team_id: uuid.UUID | None) -> Select[tuple[Ticket]]:
    """The tickets a report counts: visible to the actor, not deleted, in the queue and teams
    (by the teams' codes, the enterprise `department_id`, or one team's public id)."""
    tickets = filtered_tickets(session, actor, TicketFilters(
        team_codes=list(team_codes or []), team_id=team_id))
    if queue is None:
        return tickets
    # Filtered inside the covering report indexes (0015), which SQLite would otherwise pass
    # over for ix_tickets_queue_created: over 75 000 tickets of one queue, 145 -> 18 ms.
    return tickets.where(unindexed(Ticket.queue_id) == find_queue_config(session, queue).id)


# --------------------------------------------------------------------------- shared figures

_RESOLUTION_MINUTES = func.coalesce(Ticket.resolution_minutes,
                                    minutes_between(Ticket.resolved_at, Ticket.created_at))
_HAS_TARGET = Ticket.resolution_due_at.is_not(None)
# Met: resolved by the (pause-adjusted) due time and never marked breached by the worker.
_TARGET_MET = and_(_HAS_TARGET, Ticket.resolution_breached_at.is_(None),
                   Ticket.resolved_at <= Ticket.resolution_due_at)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _resolution_figures(resolved: ColumnElement[bool]) -> list[ColumnElement[Any]]:
    """Resolved count, average minutes, tickets with a target, targets met, average rating."""
    return [
        _count_if(resolved),
        func.avg(case((resolved, _RESOLUTION_MINUTES))),
        _count_if(and_(resolved, _HAS_TARGET)),
        _count_if(and_(resolved, _TARGET_MET)),
        func.avg(case((resolved, Ticket.satisfaction_rating))),
    ]


def _hours(minutes: Any) -> float | None:
    return None if minutes is None else round(float(minutes) / 60, 2)


def _average(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def signed_percentage(current: float | None, previous: float | None) -> str | None:
    """`+12%`, `-8%`, `0%`: the change from `previous`, rounded half away from zero; None when
    there is nothing to compare with (no previous figure, or a previous figure of zero)."""
    if current is None or previous is None or previous == 0:
        return None
    change = Decimal(str((current - previous) / previous * 100)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP)
    return "0%" if change == 0 else f"{int(change):+d}%"


# --------------------------------------------------------------------------- dashboard


def dashboard_metrics(
    session: Session, *, actor: User, period_days: int = 30, team_codes: list[int] | None = None,
    queue: str | None = None, now: datetime | None = None, top: int = TOP_CATEGORIES,
    team_id: uuid.UUID | None = None,
) -> DashboardMetrics:
    """The period is the `period_days` up to `now`, (now - period, now]; the previous period is
    the one of the same length before it. Counts and top categories are of tickets created in
    the period (by their current status); resolution time, SLA compliance and satisfaction are
    of tickets resolved in it. Two aggregate statements, plus the queues' cached labels."""
    _require_reader(actor)
    check_period_days(period_days)
    now = now or utcnow()
    length = timedelta(days=period_days)
    start, previous_start = now - length, now - 2 * length
    scope = _scope(session, actor, queue=queue, team_codes=team_codes, team_id=team_id)

    current = Ticket.created_at > start
    groups = session.execute(
        scope.with_only_columns(
            Ticket.queue_id, Ticket.status, Ticket.status_category, Ticket.category,
            Ticket.ticket_type, _count_if(current), func.count())
        .where(Ticket.created_at > previous_start, Ticket.created_at <= now)
        .group_by(Ticket.queue_id, Ticket.status, Ticket.status_category, Ticket.category,
                  Ticket.ticket_type)
    ).all()

    resolved_now = Ticket.resolved_at > start
    resolution = session.execute(
        scope.with_only_columns(*_resolution_figures(resolved_now),
                                *_resolution_figures(~resolved_now))
        .where(Ticket.resolved_at > previous_start, Ticket.resolved_at <= now)
    ).one()

    by_status: Counter[str] = Counter()
    by_category: Counter[str] = Counter(dict.fromkeys(DASHBOARD_CATEGORIES, 0))
    if queue is not None:
        by_status.update(dict.fromkeys(find_queue_config(session, queue).statuses, 0))
    total = previous_total = 0
    for _queue_id, status, status_category, _category, _type, in_period, in_both in groups:
        by_status[status] += in_period
        by_category[status_category] += in_period
        total += in_period
        previous_total += in_both - in_period

    this = _period_figures(start, now, total, resolution[:5])
    before = _period_figures(previous_start, start, previous_total, resolution[5:])
    # Trends compare the unrounded averages.
    _, minutes_now, _, _, rating_now = resolution[:5]
    _, minutes_before, _, _, rating_before = resolution[5:]
    return DashboardMetrics(
        period_days=period_days, period_start=start, period_end=now,
        total_tickets=total, by_status=dict(by_status), by_status_category=dict(by_category),
        resolved_tickets=this.resolved_tickets,
        avg_resolution_hours=this.avg_resolution_hours, sla_compliance=this.sla_compliance,
        avg_satisfaction=this.avg_satisfaction,
        trends=DashboardTrends(
            ticket_volume=signed_percentage(total, previous_total),
            resolution_time=signed_percentage(_float(minutes_now), _float(minutes_before)),
            satisfaction=signed_percentage(_float(rating_now), _float(rating_before))),
        top_categories=_top_categories(session, groups, top),
        previous_period=before,
    )


def _float(value: Any) -> float | None:
    # PostgreSQL averages integers as numeric (Decimal).
    return None if value is None else float(value)


def _period_figures(start: datetime, end: datetime, total: int,
                    figures: Sequence[Any]) -> PeriodFigures:
    resolved, minutes, with_target, met, rating = figures
    return PeriodFigures(start=start, end=end, total_tickets=total, resolved_tickets=int(resolved),
                         avg_resolution_hours=_hours(minutes),
                         sla_compliance=_percent(int(met), int(with_target)),
                         avg_satisfaction=_average(rating))


def _top_categories(session: Session, groups: Sequence[Any], top: int) -> list[CategoryCount]:
    """Category labels from each queue's configuration; a queue without categories (the
    enterprise desk) is counted by its ticket types' labels instead."""
    counts: Counter[str] = Counter()
    for queue_id, _status, _status_category, category, ticket_type, in_period, _ in groups:
        if not in_period:
            continue
        config = get_queue_config(session, queue_id)
        if config.categories:
            item, key = config.categories.get(category or ""), category
        else:
            item, key = config.ticket_types.get(ticket_type or ""), ticket_type
        name = item.label if item is not None else key
        if name:
            counts[name] += in_period
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [CategoryCount(name=name, count=count) for name, count in ranked[:top]]


# --------------------------------------------------------------------------- performance


def _day_range(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise InvalidDateRange(f"end_date ({end}) is before start_date ({start})",
                               field="end_date")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidDateRange(f"a report spans at most {MAX_RANGE_DAYS} days", field="end_date")
    return (datetime.combine(start, time.min, UTC),
            datetime.combine(end + timedelta(days=1), time.min, UTC))


def performance_report(
    session: Session, *, actor: User, start: date, end: date, queue: str | None = None,
    team_codes: list[int] | None = None, team_id: uuid.UUID | None = None,
) -> PerformanceReport:
    """Per agent (the tickets' assignee) and per team (the tickets' team), over the days from
    `start` to `end` inclusive (UTC): `assigned` counts tickets created in the range that are
    assigned to the agent; resolution time, SLA compliance and satisfaction are of tickets
    resolved in the range; first response time of tickets created in it. Two statements."""
    _require_reader(actor)
    begin, finish = _day_range(start, end)
    scope = _scope(session, actor, queue=queue, team_codes=team_codes, team_id=team_id)
    created = scope.where(Ticket.created_at >= begin, Ticket.created_at < finish)
    resolved = scope.where(Ticket.resolved_at >= begin, Ticket.resolved_at < finish)

    per_agent = _per_owner(created, resolved, Ticket.assignee_id)
    agents = session.execute(
        select(User.id, User.public_id, User.username, User.full_name, User.email,
               *list(per_agent.c)[1:])
        .join(per_agent, per_agent.c.owner == User.id).order_by(User.username)
    ).all()
    per_team = _per_owner(created, resolved, Ticket.team_id)
    teams = session.execute(
        select(Team.id, Team.public_id, Team.key, Team.name, Team.code, *list(per_team.c)[1:])
        .join(per_team, per_team.c.owner == Team.id).order_by(Team.key)
    ).all()
    return PerformanceReport(
        start_date=start, end_date=end,
        agents=[AgentPerformance(
            user_id=row[0], agent=UserSummary(id=row[1], username=row[2], full_name=row[3],
                                              email=row[4]),
            **_performance_figures(row[5:]).model_dump()) for row in agents],
        teams=[TeamPerformance(
            team_id=row[0], team=TeamRef(id=row[1], key=row[2], name=row[3], code=row[4]),
            **_performance_figures(row[5:]).model_dump()) for row in teams],
    )


def _per_owner(created: Select[tuple[Ticket]], resolved: Select[tuple[Ticket]],
               owner: QueryableAttribute[int | None]) -> Subquery:
    """The figures per owner (assignee or team): those of the tickets created in the range and
    those of the tickets resolved in it, each aggregated over its own range (one index range
    each, migration 0015) and put side by side, aggregated from the tickets before the owners
    are joined (joined first, a planner may search the tickets once per team)."""
    absent = null()
    response = minutes_between(Ticket.first_response_at, Ticket.created_at)
    of_created = (created.with_only_columns(
        owner.label("owner"), func.count().label("assigned"), func.avg(response).label("response"),
        *(absent.label(name) for name in ("resolved", "minutes", "with_target", "met", "rating")))
        .where(owner.is_not(None)).group_by(owner))
    of_resolved = (resolved.with_only_columns(
        owner.label("owner"), absent.label("assigned"), absent.label("response"),
        func.count().label("resolved"), func.avg(_RESOLUTION_MINUTES).label("minutes"),
        _count_if(_HAS_TARGET).label("with_target"), _count_if(_TARGET_MET).label("met"),
        func.avg(Ticket.satisfaction_rating).label("rating"))
        .where(owner.is_not(None)).group_by(owner))
    both = union_all(of_created, of_resolved).subquery()
    # Each figure comes from one side only: the other side's is NULL.
    return (select(both.c.owner, func.coalesce(func.sum(both.c.assigned), 0),
                   func.coalesce(func.sum(both.c.resolved), 0), func.max(both.c.minutes),
                   func.max(both.c.response), func.coalesce(func.sum(both.c.with_target), 0),
                   func.coalesce(func.sum(both.c.met), 0), func.max(both.c.rating))
            .group_by(both.c.owner).subquery())


def _performance_figures(row: Sequence[Any]) -> PerformanceFigures:
    assigned, resolved, minutes, response_minutes, with_target, met, rating = row
    return PerformanceFigures(
        assigned=int(assigned), resolved=int(resolved), avg_resolution_hours=_hours(minutes),
        avg_first_response_hours=_hours(response_minutes),
        sla_compliance=_percent(int(met), int(with_target)), avg_satisfaction=_average(rating))


# --------------------------------------------------------------------------- exports

_Requester = aliased(User, name="requester")
_Assignee = aliased(User, name="assignee")

# Every column an export may have, in the default order, with what it holds.
_EXPORT_COLUMNS: dict[str, tuple[ColumnElement[Any] | QueryableAttribute[Any], Kind]] = {
    "key": (Ticket.key, "text"),
    "id": (Ticket.public_id, "id"),
    "queue": (Queue.key, "text"),
    "title": (Ticket.title, "text"),
    "description": (Ticket.description, "text"),
    "status": (Ticket.status, "text"),
    "status_category": (Ticket.status_category, "text"),
    "priority": (Ticket.priority, "text"),
    "ticket_type": (Ticket.ticket_type, "text"),
    "category": (Ticket.category, "text"),
    "tags": (Ticket.tags, "list"),
    "requester": (_Requester.username, "text"),
    "assignee": (func.coalesce(_Assignee.username, Ticket.assignee_ref), "text"),
    "team": (Team.key, "text"),
    "customer_name": (Ticket.customer_name, "text"),
    "customer_email": (Ticket.customer_email, "text"),
    "created_at": (Ticket.created_at, "time"),
    "updated_at": (Ticket.updated_at, "time"),
    "first_response_at": (Ticket.first_response_at, "time"),
    "resolved_at": (Ticket.resolved_at, "time"),
    "closed_at": (Ticket.closed_at, "time"),
    "due_at": (Ticket.due_at, "time"),
    "response_due_at": (Ticket.response_due_at, "time"),
    "resolution_due_at": (Ticket.resolution_due_at, "time"),
    "response_breached_at": (Ticket.response_breached_at, "time"),
    "resolution_breached_at": (Ticket.resolution_breached_at, "time"),
    "resolution_minutes": (Ticket.resolution_minutes, "number"),
    "satisfaction_rating": (Ticket.satisfaction_rating, "number"),
}
EXPORT_COLUMNS: tuple[str, ...] = tuple(_EXPORT_COLUMNS)
EXPORT_BATCH = 2000

_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_WRITERS: dict[str, Callable[[Sequence[Column], Iterable[Sequence[Any]]], Iterator[bytes]]] = {
    "csv": export_formats.csv_chunks, "json": export_formats.json_chunks,
            "xlsx": export_formats.xlsx_chunks}


@dataclass(frozen=True, slots=True)
class TicketExport:
    """`chunks` reads the database as it is consumed: keep the session open until it is done."""

    media_type: str
    filename: str
    columns: tuple[str, ...]
    chunks: Iterator[bytes]


def export_tickets(
    session: Session, *, actor: User, filters: TicketFilters, format: str,
    columns: Sequence[str] | None = None, now: datetime | None = None,
    batch_size: int = EXPORT_BATCH,
) -> TicketExport:
    """The tickets matching `filters` that the actor may see, oldest first, as CSV, JSON (one
    array) or XLSX. Everything is checked here (format, columns, filters such as an unknown
    queue), before a byte is produced; the rows are read as `chunks` is consumed, a batch at
    a time from one query, so memory stays bounded however many tickets match."""
    if format not in EXPORT_FORMATS:
        raise InvalidExportRequest(
            f"format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}", field="format")
    chosen = tuple(columns) if columns else EXPORT_COLUMNS
    unknown = [name for name in chosen if name not in _EXPORT_COLUMNS]
    if unknown:
        raise InvalidExportRequest(
            f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            f"columns: {', '.join(EXPORT_COLUMNS)}", field="columns")
    selected = [_export_column(name, format) for name in chosen]
    query = (
        filtered_tickets(session, actor, filters)
        .with_only_columns(*(expression for expression, _ in selected))
        .select_from(Ticket)
        .join(Queue, Queue.id == Ticket.queue_id)
        .outerjoin(_Requester, _Requester.id == Ticket.requester_id)
        .outerjoin(_Assignee, _Assignee.id == Ticket.assignee_id)
        .outerjoin(Team, Team.id == Ticket.team_id)
        .order_by(Ticket.id)
    )
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    return TicketExport(media_type=_MEDIA_TYPES[format], filename=f"tickets-{stamp}.{format}",
                        columns=chosen,
                        chunks=_WRITERS[format](
                            [(name, kind) for name, (_, kind) in zip(chosen, selected, strict=True)],
                            _row_batches(session, query, batch_size)))


def _export_column(name: str, format: str) -> tuple[Any, Kind]:
    expression, kind = _EXPORT_COLUMNS[name]
    if format != "xlsx":
        # Text formats take timestamps, ids and tags as the database's text, not parsed and
        # re-formatted per value in Python (spreadsheets get dates).
        if kind == "time":
            return utc_text(expression), "stamp"
        if kind == "id":
            return uuid_text(expression), "stamp"
        if kind == "list":
            return cast(expression, Text), "json_list"
        if kind == "text" and format == "csv":
            # A cell a spreadsheet would run as a formula gets a leading quote, by the
            # database: 1.2 million Python calls fewer per 100 000 tickets.
            return case((func.substr(expression, 1, 1).in_(FORMULA_TRIGGERS),
                         literal("'", Text) + expression), else_=expression), "stamp"
    return expression, kind


def _row_batches(session: Session, query: Select[Any],
                 batch_size: int) -> Iterator[Sequence[Sequence[Any]]]:
    """One query, read `batch_size` rows at a time as it is consumed (PostgreSQL: a server-side
    cursor), so memory stays bounded. Columns only: through the connection, without the ORM's
    per-row result handling."""
    result = session.connection().execute(query.execution_options(yield_per=batch_size))
    yield from result.partitions()
