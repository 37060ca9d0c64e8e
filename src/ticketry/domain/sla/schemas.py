"""A queue's business hours as administrators write them and as queue settings store them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ticketry.domain.sla.calendar import WEEKDAYS, BusinessCalendar

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _minutes(text: str, *, end: bool) -> int:
    if end and text == "24:00":
        return 24 * 60
    match = _HHMM.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time of day as HH:MM (00:00-23:59"
                         f"{', or 24:00 for an end' if end else ''})")
    return int(match.group(1)) * 60 + int(match.group(2))


def _checked_end(end: str, info: ValidationInfo) -> str:
    """An end time after its start (when the start itself was valid)."""
    minutes = _minutes(end, end=True)
    start = info.data.get("start")
    if start is not None and _minutes(start, end=False) >= minutes:
        raise ValueError(f"end {end} must be after start {start}")
    return end


class DayHours(BaseModel):
    """Working hours of one weekday that differ from the calendar's usual ones."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(examples=["10:00"])
    end: str = Field(examples=["14:00"])

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        _minutes(value, end=False)
        return value

    @field_validator("end")
    @classmethod
    def _end(cls, value: str, info: ValidationInfo) -> str:
        return _checked_end(value, info)


class BusinessHours(BaseModel):
    """Working days and hours in a time zone, with holidays; SLA clocks run only then."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "timezone": "Europe/Madrid", "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00", "end": "17:00", "hours": {"fri": {"start": "09:00", "end": "14:00"}},
        "holidays": ["2026-12-25", "2027-01-01"]}]})

    timezone: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Madrid")
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), max_length=7,
                            description="working weekdays: mon, tue, wed, thu, fri, sat, sun")
    start: str = Field("09:00", description="opening time, HH:MM")
    end: str = Field("17:00", description="closing time, HH:MM (24:00 for midnight)")
    hours: dict[str, DayHours] = Field(default_factory=dict,
                                       description="working days with other hours than usual")
    holidays: list[str] = Field(default_factory=list, max_length=1000,
                                description="days off, YYYY-MM-DD")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (use an IANA name such as "
                             "Europe/Madrid)") from None
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = {d.strip().lower() for d in value}
        unknown = sorted(days - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {', '.join(map(repr, unknown))}; "
                             f"use {', '.join(WEEKDAYS)}")
        if not days:
            raise ValueError("at least one working day is needed")
        return [d for d in WEEKDAYS if d in days]

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        _minutes(value, end=False)
        return value

    @field_validator("end")
    @classmethod
    def _end(cls, value: str, info: ValidationInfo) -> str:
        return _checked_end(value, info)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, DayHours], info: ValidationInfo) -> dict[str, DayHours]:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {', '.join(map(repr, unknown))}; "
                             f"use {', '.join(WEEKDAYS)}")
        days = info.data.get("days")
        stray = [d for d in WEEKDAYS if d in value and days is not None and d not in days]
        if stray:
            raise ValueError(f"hours are given for {', '.join(stray)}, which "
                             f"{'is' if len(stray) == 1 else 'are'} not among the working days")
        return {d: value[d] for d in WEEKDAYS if d in value}

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        days = set()
        for text in value:
            try:
                if not _ISO_DATE.match(text):
                    raise ValueError
                days.add(date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"holiday {text!r} is not a date as YYYY-MM-DD") from None
        return [d.isoformat() for d in sorted(days)]

    def calendar(self) -> BusinessCalendar:
        usual = (_minutes(self.start, end=False), _minutes(self.end, end=True))
        hours: dict[int, tuple[int, int]] = {}
        for day in self.days:
            own = self.hours.get(day)
            hours[WEEKDAYS.index(day)] = (
                (_minutes(own.start, end=False), _minutes(own.end, end=True)) if own else usual)
        return BusinessCalendar.weekly(self.timezone, hours,
                                       [date.fromisoformat(d) for d in self.holidays])

    def stored(self) -> dict[str, Any]:
        """As kept in the queue's settings (`settings["business_hours"]`)."""
        return self.model_dump(mode="json")


class BusinessHoursRead(BaseModel):
    queue: str
    # No business hours: the queue's SLA clocks run round the clock.
    always_open: bool
    business_hours: BusinessHours | None
