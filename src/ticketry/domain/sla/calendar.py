"""Business-hours arithmetic: when a target that counts only working time falls due, and how much
working time lies between two instants.

Working hours are wall-clock times of the calendar's time zone, so a window is as long as the
clock says it is on that day (a window spanning a DST change is an hour shorter or longer).
Long spans skip whole weeks at a time: the cost grows with the number of weeks, not minutes.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_ZERO = timedelta(0)
_MINUTES_PER_DAY = 24 * 60


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business-hours arithmetic needs timezone-aware datetimes")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """`hours[weekday]` is (start, end) in minutes after local midnight, end up to 24:00;
    weekdays without an entry and `holidays` have no working time. No time zone: 24x7."""

    timezone: ZoneInfo | None = None
    hours: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    holidays: tuple[date, ...] = ()
    # Working time of a week without holidays or clock changes.
    _week: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for weekday, (start, end) in self.hours.items():
            if weekday not in range(7) or not 0 <= start < end <= _MINUTES_PER_DAY:
                raise ValueError(f"invalid working hours for weekday {weekday}: {start}-{end}")
        if self.timezone is not None and not self.hours:
            raise ValueError("a business-hours calendar needs at least one working day")
        object.__setattr__(self, "holidays", tuple(sorted(set(self.holidays))))
        object.__setattr__(self, "_week", timedelta(
            minutes=sum(end - start for start, end in self.hours.values())))

    @classmethod
    def always(cls) -> BusinessCalendar:
        """Round the clock, every day: business time is elapsed time."""
        return cls()

    @classmethod
    def weekly(cls, timezone: str, hours: Mapping[int, tuple[int, int]],
               holidays: Iterable[date] = ()) -> BusinessCalendar:
        return cls(ZoneInfo(timezone), dict(hours), tuple(holidays))

    @property
    def is_always(self) -> bool:
        return self.timezone is None

    # ------------------------------------------------------------------ the two questions

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant when `minutes` of working time have passed since `start` (which may lie
        outside working hours: the count starts at the next opening). Returns UTC."""
        start = _utc(start)
        if self.timezone is None:
            return start + timedelta(minutes=minutes)
        remaining = timedelta(minutes=minutes)
        if remaining <= _ZERO:
            return start
        day = self._local_date(start)
        # The first day counts from `start`; later days count whole.
        window = self._window(day)
        if window is not None:
            begin = max(window[0], start)
            if begin < window[1]:
                if remaining <= window[1] - begin:
                    return begin + remaining
                remaining -= window[1] - begin
        day += _DAY
        while True:
            week = self._block(day)
            if remaining > week:
                remaining -= week
                day += _WEEK
                continue
            for _ in range(7):
                window = self._window(day)
                if window is not None:
                    length = window[1] - window[0]
                    if remaining <= length:
                        return window[0] + remaining
                    remaining -= length
                day += _DAY
            # Unreachable: the week held at least `remaining`.
            raise AssertionError("business-hours arithmetic lost time")  # pragma: no cover

    def business_minutes_between(self, a: datetime, b: datetime) -> float:
        """Working minutes from `a` to `b` (negative when `b` is earlier)."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.business_minutes_between(b, a)
        if self.timezone is None:
            return (b - a) / timedelta(minutes=1)
        first, last = self._local_date(a), self._local_date(b)
        total = self._clipped(first, a, b)
        day = first + _DAY
        # Days strictly between the first and the last lie wholly inside [a, b].
        while day + _WEEK <= last:
            total += self._block(day)
            day += _WEEK
        while day <= last:
            total += self._clipped(day, a, b)
            day += _DAY
        return total / timedelta(minutes=1)

    # ------------------------------------------------------------------ days and weeks

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    def _at(self, day: date, minute: int) -> datetime:
        """Local wall-clock `minute` after midnight of `day`, as UTC (24:00 is next midnight)."""
        day += timedelta(days=minute // _MINUTES_PER_DAY)
        minute %= _MINUTES_PER_DAY
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.timezone)
        return local.astimezone(UTC)

    def _is_holiday(self, day: date) -> bool:
        i = bisect.bisect_left(self.holidays, day)
        return i < len(self.holidays) and self.holidays[i] == day

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.hours.get(day.weekday())
        if hours is None or self._is_holiday(day):
            return None
        return self._at(day, hours[0]), self._at(day, hours[1])

    def _clipped(self, day: date, a: datetime, b: datetime) -> timedelta:
        window = self._window(day)
        if window is None:
            return _ZERO
        return max(min(window[1], b) - max(window[0], a), _ZERO)

    def _block(self, day: date) -> timedelta:
        """Working time of the seven days from `day`."""
        end = day + _WEEK
        if self._offset(day) == self._offset(end):
            # No clock change that week: the nominal week less its holidays.
            total = self._week
            lo = bisect.bisect_left(self.holidays, day)
            hi = bisect.bisect_left(self.holidays, end)
            for holiday in self.holidays[lo:hi]:
                hours = self.hours.get(holiday.weekday())
                if hours is not None:
                    total -= timedelta(minutes=hours[1] - hours[0])
            return total
        total = _ZERO
        for n in range(7):
            window = self._window(day + timedelta(days=n))
            if window is not None:
                total += window[1] - window[0]
        return total

    def _offset(self, day: date) -> timedelta | None:
        return datetime.combine(day, time(0), tzinfo=self.timezone).utcoffset()
