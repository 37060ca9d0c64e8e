"""Reports and analytics: the dashboard, performance per agent and department, exports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from ticketry.api.deps import ActorDep, SessionDep, get_database
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok, stamp
from ticketry.api.dialects.enterprise.lookups import choices, queue_config
from ticketry.api.v1.attachments import content_disposition
from ticketry.db import utcnow
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.reports import service as reports
from ticketry.domain.reports.schemas import (
    DashboardMetrics,
    PerformanceFigures,
    parse_export_filters,
    parse_period,
)
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.users import service as users

router = APIRouter(prefix="/reports", tags=["reports"])

Department = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
# The document's names for ticket filters -> the core's (exports take both).
_EXPORT_FILTERS = {"department_id": "team_codes", "departments": "team_codes",
                   "created_by_id": "requester_ids", "assigned_to_id": "assignee_ids"}
EXPORT_PERMISSION = "export_data"


def _round(value: float | None, digits: int = 1) -> float | None:
    return round(value, digits) if value is not None else None


def _dashboard(metrics: DashboardMetrics) -> dict[str, Any]:
    by_status = metrics.by_status
    return {
        "metrics": {
            "total_tickets": metrics.total_tickets,
            "open_tickets": by_status.get("open", 0),
            "in_progress_tickets": by_status.get("in_progress", 0),
            "resolved_tickets": by_status.get("resolved", 0),
            "closed_tickets": by_status.get("closed", 0),
            # Not in the document's example: the desk's fifth status.
            "pending_approval_tickets": by_status.get("pending_approval", 0),
            # Hours, of the tickets resolved in the period.
            "avg_resolution_time": _round(metrics.avg_resolution_hours),
            "sla_compliance": _round(metrics.sla_compliance),
            "customer_satisfaction": _round(metrics.avg_satisfaction),
        },
        "trends": {
            "ticket_volume_trend": metrics.trends.ticket_volume,
            "resolution_time_trend": metrics.trends.resolution_time,
            "satisfaction_trend": metrics.trends.satisfaction,
        },
        "top_categories": [{"name": c.name, "count": c.count} for c in metrics.top_categories],
        "period": {"days": metrics.period_days, "start": stamp(metrics.period_start),
                   "end": stamp(metrics.period_end)},
    }


@router.get("/dashboard")
def dashboard(
    request: Request, actor: ActorDep, session: SessionDep,
    period: Annotated[str, Query(max_length=16)] = "30d",
    department_id: Department = None,
) -> Response:
    """Tickets created in the period (`7d`, `30d`, `12w`, `6m`, `1y`) by status; resolution
    time (hours), SLA compliance (%) and satisfaction of those resolved in it; trends against
    the period before (null without a baseline); top categories (ticket types here)."""
    metrics = reports.dashboard_metrics(
        session, actor=actor, period_days=parse_period(period),
        queue=queue_config(request, session).key,
        team_codes=[department_id] if department_id is not None else None)
    return ok(request, _dashboard(metrics), "Dashboard metrics retrieved successfully")


def _figures(row: PerformanceFigures) -> dict[str, Any]:
    return {"assigned": row.assigned, "resolved": row.resolved,
            "avg_resolution_time": _round(row.avg_resolution_hours),
            "avg_first_response_time": _round(row.avg_first_response_hours),
            "sla_compliance": _round(row.sla_compliance),
            "customer_satisfaction": _round(row.avg_satisfaction)}


@router.get("/performance")
def performance(
    request: Request, actor: ActorDep, session: SessionDep,
    start_date: date | None = None, end_date: date | None = None,
    department_id: Department = None,
    format_: Annotated[Literal["json"], Query(alias="format")] = "json",
) -> Response:
    """Per agent and per department over the days from `start_date` to `end_date` (included,
    UTC; default the last 30 days): tickets assigned and resolved, average resolution and first
    response times (hours), SLA compliance (%) and satisfaction. JSON only."""
    end = end_date or utcnow().date()
    start = start_date or end - timedelta(days=29)
    report = reports.performance_report(
        session, actor=actor, start=start, end=end, queue=queue_config(request, session).key,
        team_codes=[department_id] if department_id is not None else None)
    people = users.get_users_by_ids(session, {a.user_id for a in report.agents})
    teams = {t.id: t for t in users.list_teams(session, actor=actor)}
    return ok(request, {
        "start_date": report.start_date.isoformat(), "end_date": report.end_date.isoformat(),
        "agents": [{"user": mapping.user_ref(people.get(a.user_id)), **_figures(a)}
                   for a in report.agents],
        "departments": [{"department": mapping.department(teams.get(t.team_id)), **_figures(t)}
                        for t in report.teams],
    }, "Performance report generated successfully")


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"description": "The tickets, as a file", "content": {
                "text/csv": {}, "application/json": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def export(
    request: Request, actor: ActorDep,
    type_: Annotated[Literal["tickets"], Query(alias="type")] = "tickets",
    format_: Annotated[Literal["csv", "json", "xlsx"], Query(alias="format")] = "csv",
    filters: Annotated[str | None, Query(max_length=10_000)] = None,
) -> StreamingResponse:
    """The desk's tickets matching `filters` (a JSON object: `status`, `priority`,
    `created_after`, `department_id`, `tags`, ...), oldest first, streamed as CSV, JSON or
    XLSX; spreadsheet formulas in cells are neutralised."""
    # The rows are read while the response streams, after the request's unit of work has
    # ended: the export reads through a session of its own, closed when the stream ends.
    resources = ExitStack()
    session = resources.enter_context(get_database(request).unit_of_work(write=False))
    try:
        config = queue_config(request, session)
        if EXPORT_PERMISSION not in mapping.permissions(config, actor.role):
            raise PermissionDenied("exports are for staff (the export_data permission)")
        wanted = _export_filters(filters)
        wanted = wanted.model_copy(update={
            "queue": config.key, "status": choices(config, wanted.status, "status"),
            "priority": choices(config, wanted.priority, "priority")})
        result = reports.export_tickets(session, actor=actor, filters=wanted, format=format_)
    except BaseException:
        resources.close()
        raise
    return StreamingResponse(
        _closing(result.chunks, resources), media_type=result.media_type,
        headers={"Content-Disposition": content_disposition(result.filename),
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


def _export_filters(raw: str | None) -> TicketFilters:
    """The core's filter parser, after the document's names are given the core's."""
    if raw:
        try:
            given = orjson.loads(raw)
        except orjson.JSONDecodeError:
            given = None
        if isinstance(given, dict):
            renamed = {_EXPORT_FILTERS.get(k, k): v for k, v in given.items()}
            renamed.pop("queue", None)
            raw = orjson.dumps(renamed).decode()
    return parse_export_filters(raw)


def _closing(chunks: Iterator[bytes], resources: ExitStack) -> Iterator[bytes]:
    with resources:
        yield from chunks
