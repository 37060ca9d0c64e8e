"""Report answers, and the parsing of report parameters every API shares (periods, filters)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, get_origin

import orjson
from pydantic import BaseModel, Field, ValidationError

from ticketry.domain.reports.errors import InvalidExportRequest, InvalidPeriod
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.users.schemas import TeamRef, UserSummary

ExportFormat = Literal["csv", "json", "xlsx"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "json", "xlsx")

# --------------------------------------------------------------------------- periods

_PERIOD = re.compile(r"(\d{1,4})([dwmy])")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
MAX_PERIOD_DAYS = 3650


def parse_period(value: str) -> int:
    """`7d`, `30d`, `12w`, `6m` (30 days each), `1y` (365 days) -> days, at most ten years."""
    match = _PERIOD.fullmatch(value.strip().lower())
    days = int(match[1]) * _UNIT_DAYS[match[2]] if match else 0
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise InvalidPeriod(
            f"period must be a number of days, weeks, months or years such as 7d, 30d, 12w, 6m "
            f"or 1y (at most {MAX_PERIOD_DAYS} days), not {value!r}", field="period")
    return days


def check_period_days(days: int) -> int:
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise InvalidPeriod(f"period must be between 1 and {MAX_PERIOD_DAYS} days, not {days}",
                            field="period")
    return days


# --------------------------------------------------------------------------- export filters

_LIST_FILTERS = {name for name, info in TicketFilters.model_fields.items()
                 if get_origin(info.annotation) is list}


def parse_export_filters(raw: str | None) -> TicketFilters:
    """An export's `filters=` parameter: a JSON object of `TicketFilters` names. A list filter
    takes one value, a comma-separated string or a list (`{"status": "resolved"}` as documented)."""
    if raw is None or not raw.strip():
        return TicketFilters()
    try:
        values = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidExportRequest(f"filters is not valid JSON: {exc}", field="filters") from exc
    if not isinstance(values, dict):
        raise InvalidExportRequest("filters must be a JSON object of filter names and values",
                                   field="filters")
    unknown = sorted(set(values) - set(TicketFilters.model_fields))
    if unknown:
        raise InvalidExportRequest(
            f"unknown filter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            f"known filters: {', '.join(TicketFilters.model_fields)}",
            details=[{"field": f"filters.{name}", "message": "unknown filter"}
                     for name in unknown])
    shaped: dict[str, Any] = {}
    for name, value in values.items():
        if name in _LIST_FILTERS and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        elif name in _LIST_FILTERS and isinstance(value, int | float) \
                and not isinstance(value, bool):
            value = [value]
        shaped[name] = value
    try:
        return TicketFilters.model_validate(shaped)
    except ValidationError as exc:
        details = [{"field": ".".join(["filters", *(str(p) for p in err["loc"])]),
                    "message": err["msg"]} for err in exc.errors()]
        fields = ", ".join(sorted({d["field"] for d in details}))
        raise InvalidExportRequest(f"invalid filters: {fields}", details=details) from exc


# --------------------------------------------------------------------------- answers


class CategoryCount(BaseModel):
    name: str
    count: int


class DashboardTrends(BaseModel):
    """Change against the previous period of the same length, as a signed whole percentage
    (`+12%`, `-8%`, `0%`); null when the previous period has no figure to compare with."""

    ticket_volume: str | None
    resolution_time: str | None
    satisfaction: str | None


class PeriodFigures(BaseModel):
    start: datetime
    end: datetime
    # Tickets created in the period.
    total_tickets: int
    # Tickets resolved in the period, and the figures over them.
    resolved_tickets: int
    avg_resolution_hours: float | None
    # Percentage of those with a resolution target that met it.
    sla_compliance: float | None
    avg_satisfaction: float | None


class DashboardMetrics(BaseModel):
    period_days: int
    period_start: datetime
    period_end: datetime
    # Tickets created in the period, by their current status key and status category.
    total_tickets: int
    by_status: dict[str, int]
    by_status_category: dict[str, int]
    resolved_tickets: int
    avg_resolution_hours: float | None
    sla_compliance: float | None
    avg_satisfaction: float | None
    trends: DashboardTrends
    top_categories: list[CategoryCount]
    previous_period: PeriodFigures


class PerformanceFigures(BaseModel):
    # Tickets created in the range (and assigned now), and those resolved in the range.
    assigned: int
    resolved: int
    avg_resolution_hours: float | None
    avg_first_response_hours: float | None
    sla_compliance: float | None
    avg_satisfaction: float | None


class AgentPerformance(PerformanceFigures):
    agent: UserSummary
    # The internal user id, for documents that number people (not shown by the canonical API).
    user_id: int = Field(exclude=True)


class TeamPerformance(PerformanceFigures):
    team: TeamRef
    team_id: int = Field(exclude=True)


class PerformanceReport(BaseModel):
    start_date: date
    end_date: date
    agents: list[AgentPerformance]
    teams: list[TeamPerformance]
