"""Business-hours arithmetic: working time counts only on working days, inside working hours,
outside holidays, by the wall clock of the calendar's time zone (so DST days are as long as the
clock says), and long spans are counted week by week rather than day by day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ticketry.domain.sla.calendar import WEEKDAYS, BusinessCalendar
from ticketry.domain.sla.schemas import BusinessHours

MADRID = ZoneInfo("Europe/Madrid")
# Office hours in Madrid, Christmas and New Year off.
OFFICE = BusinessHours(timezone="Europe/Madrid", days=["mon", "tue", "wed", "thu", "fri"],
                       start="09:00", end="17:00",
                       holidays=["2026-12-25", "2027-01-01"]).calendar()


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


# --------------------------------------------------------------------------- adding time


@pytest.mark.parametrize(("start", "minutes", "due"), [
    (madrid(2026, 6, 1, 10, 0), 60, madrid(2026, 6, 1, 11, 0)),
    (madrid(2026, 6, 1, 16, 0), 60, madrid(2026, 6, 1, 17, 0)),
    (madrid(2026, 6, 1, 16, 30), 60, madrid(2026, 6, 2, 9, 30)),
    (madrid(2026, 6, 1, 7, 0), 60, madrid(2026, 6, 1, 10, 0)),
    (madrid(2026, 6, 1, 19, 0), 60, madrid(2026, 6, 2, 10, 0)),
    (madrid(2026, 6, 5, 16, 0), 120, madrid(2026, 6, 8, 10, 0)),
    (madrid(2026, 6, 6, 12, 0), 30, madrid(2026, 6, 8, 9, 30)),
    (madrid(2026, 6, 1, 9, 0), 480 * 5, madrid(2026, 6, 5, 17, 0)),
    (madrid(2026, 12, 24, 16, 0), 120, madrid(2026, 12, 28, 10, 0)),
    (madrid(2026, 12, 31, 16, 0), 120, madrid(2027, 1, 4, 10, 0)),
], ids=["within-the-day", "ends-at-closing", "carries-over-to-the-next-morning",
        "starts-before-opening", "starts-after-closing", "skips-the-weekend",
        "starts-on-a-saturday", "a-whole-working-week", "skips-christmas-and-the-weekend",
        "skips-new-year-and-the-weekend"])
def test_working_time_is_added_only_in_working_hours(start: datetime, minutes: int,
                                                     due: datetime) -> None:
    assert OFFICE.add_business_minutes(start, minutes) == due


def test_due_times_come_back_in_utc() -> None:
    due = OFFICE.add_business_minutes(madrid(2026, 6, 1, 10, 0), 60)

    assert due.tzinfo is UTC
    assert due == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # 11:00 CEST


def test_no_time_to_add_is_the_start_itself() -> None:
    saturday = madrid(2026, 6, 6, 12, 0)

    assert OFFICE.add_business_minutes(saturday, 0) == saturday


def test_without_business_hours_the_clock_runs_round_the_clock() -> None:
    always = BusinessCalendar.always()
    start = datetime(2026, 6, 6, 23, 30, tzinfo=UTC)

    assert always.is_always
    assert always.add_business_minutes(start, 90) == start + timedelta(minutes=90)
    assert always.business_minutes_between(start, start + timedelta(days=2)) == 2 * 24 * 60


def test_hours_can_differ_by_weekday() -> None:
    short_fridays = BusinessHours(timezone="Europe/Madrid", start="09:00", end="17:00",
                                  hours={"fri": {"start": "09:00", "end": "14:00"}}).calendar()

    assert short_fridays.add_business_minutes(madrid(2026, 6, 5, 13, 0), 120) == \
        madrid(2026, 6, 8, 10, 0)
    assert short_fridays.business_minutes_between(madrid(2026, 6, 1, 0, 0),
                                                  madrid(2026, 6, 8, 0, 0)) == 4 * 480 + 300


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.add_business_minutes(datetime(2026, 6, 1, 10, 0), 60)


def test_a_calendar_needs_a_working_day() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessCalendar.weekly("Europe/Madrid", {})


# --------------------------------------------------------------------------- counting time


@pytest.mark.parametrize(("a", "b", "minutes"), [
    (madrid(2026, 6, 1, 10, 0), madrid(2026, 6, 1, 11, 30), 90),
    (madrid(2026, 6, 1, 6, 0), madrid(2026, 6, 1, 20, 0), 480),
    (madrid(2026, 6, 5, 16, 0), madrid(2026, 6, 8, 10, 0), 120),
    (madrid(2026, 6, 6, 8, 0), madrid(2026, 6, 7, 20, 0), 0),
    (madrid(2026, 12, 21, 0, 0), madrid(2026, 12, 28, 0, 0), 4 * 480),
    (madrid(2026, 6, 1, 0, 0), madrid(2026, 6, 29, 0, 0), 20 * 480),
], ids=["within-the-day", "a-whole-day-from-before-to-after", "over-a-weekend",
        "a-weekend-has-none", "christmas-week", "four-weeks"])
def test_working_time_between_two_instants(a: datetime, b: datetime, minutes: int) -> None:
    assert OFFICE.business_minutes_between(a, b) == minutes


def test_counting_backwards_is_negative() -> None:
    a, b = madrid(2026, 6, 1, 10, 0), madrid(2026, 6, 1, 11, 0)

    assert OFFICE.business_minutes_between(b, a) == -60


def test_a_working_year_is_counted_week_by_week(monkeypatch: pytest.MonkeyPatch) -> None:
    """52 weeks of office hours with Christmas and New Year's Day off: the end is two working
    days later, and the calendar looks at a handful of single days, not every day of the year."""
    looked_at: list[date] = []
    window = BusinessCalendar._window

    def spy(self: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
        looked_at.append(day)
        return window(self, day)

    monkeypatch.setattr(BusinessCalendar, "_window", spy)
    start = madrid(2026, 1, 5, 9, 0)

    due = OFFICE.add_business_minutes(start, 52 * 5 * 480)
    minutes = OFFICE.business_minutes_between(start, due)

    assert due == madrid(2027, 1, 5, 17, 0)
    assert minutes == 52 * 5 * 480
    # Single days only around the ends and the two weeks with a clock change.
    assert len(looked_at) < 60


# --------------------------------------------------------------------------- daylight saving


def test_working_hours_follow_the_local_clock_across_the_spring_change() -> None:
    """Madrid moves from UTC+1 to UTC+2 on Sunday 29 March 2026: Friday 16:00 is 15:00 UTC,
    Monday 10:00 is 08:00 UTC; two working hours lie between them, not 65 minus one."""
    friday = madrid(2026, 3, 27, 16, 0)

    due = OFFICE.add_business_minutes(friday, 120)

    assert due == madrid(2026, 3, 30, 10, 0)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert OFFICE.business_minutes_between(friday, due) == 120


def test_working_hours_follow_the_local_clock_across_the_autumn_change() -> None:
    friday = madrid(2026, 10, 23, 16, 0)  # UTC+2; Monday 26 October is UTC+1

    due = OFFICE.add_business_minutes(friday, 120)

    assert due == madrid(2026, 10, 26, 10, 0)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


ROUND_THE_CLOCK_MADRID = BusinessHours(timezone="Europe/Madrid", days=list(WEEKDAYS),
                                       start="00:00", end="24:00").calendar()


@pytest.mark.parametrize(("day", "hours"), [
    (date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 7), 24)],
    ids=["spring-change-day", "autumn-change-day", "ordinary-sunday"])
def test_a_day_of_working_time_is_as_long_as_the_clock_says(day: date, hours: int) -> None:
    midnight = datetime(day.year, day.month, day.day, tzinfo=MADRID)
    next_midnight = datetime(day.year, day.month, day.day + 1, tzinfo=MADRID)

    assert ROUND_THE_CLOCK_MADRID.business_minutes_between(midnight, next_midnight) == hours * 60
    assert ROUND_THE_CLOCK_MADRID.add_business_minutes(midnight, hours * 60) == next_midnight


def test_night_hours_spanning_the_spring_change_lose_the_skipped_hour() -> None:
    """Sunday 01:00-04:00 on the night the clocks jump from 02:00 to 03:00: two hours."""
    night = BusinessHours(timezone="Europe/Madrid", days=["sun"], start="01:00",
                          end="04:00").calendar()
    opening = madrid(2026, 3, 29, 1, 0)

    assert night.business_minutes_between(opening, madrid(2026, 3, 29, 5, 0)) == 120
    assert night.add_business_minutes(opening, 120) == madrid(2026, 3, 29, 4, 0)
    assert night.add_business_minutes(opening, 121) == madrid(2026, 4, 5, 1, 1)


# --------------------------------------------------------------------------- properties


MIXED = BusinessHours(
    timezone="Europe/Madrid", days=["mon", "tue", "wed", "thu", "fri", "sun"], start="08:30",
    end="18:15", hours={"fri": {"start": "08:00", "end": "15:00"},
                        "sun": {"start": "01:00", "end": "04:00"}},
    holidays=["2026-03-19", "2026-10-12", "2026-11-02"]).calendar()


def minute_by_minute(calendar: BusinessCalendar, a: datetime, b: datetime) -> int:
    """The slow, obvious count: every minute whose local time is in that day's hours."""
    assert calendar.timezone is not None
    count = 0
    t = a
    while t < b:
        local = t.astimezone(calendar.timezone)
        hours = calendar.hours.get(local.weekday())
        if hours is not None and local.date() not in calendar.holidays:
            minute = local.hour * 60 + local.minute
            count += hours[0] <= minute < hours[1]
        t += timedelta(minutes=1)
    return count


@pytest.mark.parametrize("around", [datetime(2026, 3, 29, tzinfo=UTC),
                                    datetime(2026, 10, 25, tzinfo=UTC)],
                         ids=["spring-change", "autumn-change"])
def test_counting_agrees_with_the_minute_by_minute_count(around: datetime) -> None:
    rng = random.Random(around.month)
    for _ in range(25):
        a = around + timedelta(minutes=rng.randint(-14 * 1440, 14 * 1440))
        b = a + timedelta(minutes=rng.randint(0, 12 * 1440))

        assert MIXED.business_minutes_between(a, b) == minute_by_minute(MIXED, a, b), (a, b)


@pytest.mark.parametrize("calendar", [OFFICE, MIXED, ROUND_THE_CLOCK_MADRID],
                         ids=["office", "mixed", "round-the-clock-madrid"])
def test_adding_then_counting_gives_the_same_minutes(calendar: BusinessCalendar) -> None:
    rng = random.Random(7)
    for _ in range(300):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 500_000))
        minutes = rng.choice([1, 59, 60, 240, 480, 1440, 4320, 10080, rng.randint(1, 200_000)])

        due = calendar.add_business_minutes(start, minutes)

        assert calendar.business_minutes_between(start, due) == minutes, (start, minutes)
        # And the due time is the first such instant: a minute earlier is not enough.
        assert calendar.business_minutes_between(start, due - timedelta(minutes=1)) < minutes


def test_counting_then_adding_lands_on_a_working_instant() -> None:
    rng = random.Random(11)
    for _ in range(200):
        a = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 500_000))
        day = (a + timedelta(days=rng.randint(0, 60))).astimezone(MADRID).date()
        b = datetime(day.year, day.month, day.day, 12, 0, tzinfo=MADRID)  # inside hours
        if b <= a or day.weekday() >= 5 or day in OFFICE.holidays:
            continue

        assert OFFICE.add_business_minutes(a, OFFICE.business_minutes_between(a, b)) == b
