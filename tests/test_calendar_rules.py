"""Pure working-day calendar (zhidu.calendar.rules); spec "Counting conventions", Civil Code art. 201."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhidu.calendar.rules import DayKind, WorkCalendar, close_of_business
from zhidu.calendar.seed import chinese_calendar_days, from_chinese_calendar

CAL = from_chinese_calendar()

dates_2000_2030 = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
any_date = st.dates(min_value=date.min, max_value=date.max)


def _walk(cal: WorkCalendar, start: date, n: int) -> tuple[date, bool]:
    """Reference implementation: step day by day (Civil Code art. 201, start day not counted)."""
    d, left, step, prov = start, abs(n), (1 if n > 0 else -1), False
    while left:
        d += timedelta(days=step)
        info = cal.info(d)
        prov = prov or info.provisional
        if info.working:
            left -= 1
    return d, prov


# ---------------------------------------------------------------- agreement with the data source


def test_known_years_match_package_support() -> None:
    _, years = chinese_calendar_days()
    assert CAL.known_years == frozenset(years)
    assert min(years) == 2004 and max(years) >= 2026
    chinese_calendar.is_workday(date(min(years), 1, 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(max(years) + 1, 1, 1))


def test_agrees_with_chinese_calendar_every_day() -> None:
    _, years = chinese_calendar_days()
    d, end = date(2004, 1, 1), date(max(years), 12, 31)
    assert end >= date(2026, 12, 31)
    while d <= end:
        expected = chinese_calendar.is_workday(d)
        assert CAL.is_working_day(d) is expected, d
        info = CAL.info(d)
        assert info.working is expected and not info.provisional, d
        d += timedelta(days=1)


def test_day_kinds_and_names() -> None:
    assert CAL.info(date(2026, 10, 1)).kind is DayKind.HOLIDAY
    assert CAL.info(date(2026, 10, 1)).name == "国庆节"
    assert CAL.info(date(2026, 10, 3)).kind is DayKind.HOLIDAY  # Saturday inside the holiday block
    makeup = CAL.info(date(2026, 10, 10))  # Saturday make-up working day (调休)
    assert makeup.working and makeup.kind is DayKind.MAKEUP and makeup.name == "国庆节"
    assert CAL.info(date(2026, 10, 12)).kind is DayKind.WORKDAY
    assert CAL.info(date(2026, 10, 11)).kind is DayKind.WEEKEND
    assert CAL.info(date(2024, 2, 10)).name == "春节"


# ---------------------------------------------------------------- add_working_days examples


def test_national_day_2026_lands_on_makeup_saturday() -> None:
    assert CAL.add_working_days(date(2026, 9, 30), 3) == (date(2026, 10, 10), False)
    assert CAL.add_working_days(date(2026, 9, 30), 1) == (date(2026, 10, 8), False)
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_unknown_year_is_weekends_only_and_provisional() -> None:
    d = date(2027, 10, 1)  # a Friday; real 2027 National Day is not in the data
    info = CAL.info(d)
    assert info.provisional and info.working and info.kind is DayKind.WORKDAY
    assert CAL.info(date(2027, 10, 2)).kind is DayKind.WEEKEND
    assert CAL.add_working_days(d, 1) == (date(2027, 10, 4), True)
    assert CAL.add_working_days(date(2027, 1, 1), 0) == (date(2027, 1, 1), False)


def test_add_across_year_boundary_into_unknown_year_is_provisional() -> None:
    assert CAL.add_working_days(date(2026, 12, 30), 1) == (date(2026, 12, 31), False)
    assert CAL.add_working_days(date(2026, 12, 30), 2) == (date(2027, 1, 1), True)
    # Backwards out of an unknown year into a known one examines 2027 days too.
    assert CAL.add_working_days(date(2027, 1, 4), -2) == (date(2026, 12, 31), True)
    # Backwards from 2027-01-01 only examines 2026 days.
    assert CAL.add_working_days(date(2027, 1, 1), -1) == (date(2026, 12, 31), False)
    assert CAL.span_provisional(date(2026, 12, 1), date(2027, 1, 1))
    assert not CAL.span_provisional(date(2026, 12, 1), date(2026, 12, 31))


def test_negative_n() -> None:
    assert CAL.add_working_days(date(2026, 10, 8), -1) == (date(2026, 9, 30), False)
    assert CAL.add_working_days(date(2026, 10, 12), -3) == (date(2026, 10, 8), False)
    assert CAL.add_working_days(date(2026, 10, 10), -1) == (date(2026, 10, 9), False)
    # Backwards: working days in [2026-09-30, 2026-10-12) → 9-30, 10-8, 10-9, 10-10.
    assert CAL.working_days_between(date(2026, 10, 12), date(2026, 9, 30)) == -4
    assert CAL.working_days_between(date(2026, 10, 11), date(2026, 9, 30)) == -4  # from a Sunday
    assert CAL.add_working_days(date(2026, 10, 11), -4) == (date(2026, 9, 30), False)


def test_zero_and_next_previous() -> None:
    holiday = date(2026, 10, 3)
    assert CAL.add_working_days(holiday, 0) == (holiday, False)
    assert CAL.next_working_day(holiday) == (date(2026, 10, 8), False)
    assert CAL.next_working_day(date(2026, 10, 9)) == (date(2026, 10, 10), False)
    assert CAL.next_working_day(date(2026, 10, 9), include_self=True) == (date(2026, 10, 9), False)
    assert CAL.previous_working_day(holiday) == (date(2026, 9, 30), False)


# ---------------------------------------------------------------- properties


@settings(max_examples=500, deadline=None)
@given(start=dates_2000_2030, n=st.integers(min_value=-400, max_value=400))
def test_add_then_between_roundtrip(start: date, n: int) -> None:
    result, prov = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, result) == n
    if n != 0:
        assert CAL.is_working_day(result)
    if n > 0:
        assert result > start
    elif n < 0:
        assert result < start
    else:
        assert result == start and not prov
    assert (result, prov) == _walk(CAL, start, n)
    assert prov is CAL.span_provisional(start, result)


@settings(max_examples=200, deadline=None)
@given(start=dates_2000_2030, n=st.integers(min_value=-60, max_value=60))
def test_matches_day_by_day_reference(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n) == _walk(CAL, start, n)


@settings(max_examples=300, deadline=None)
@given(a=dates_2000_2030, b=dates_2000_2030, c=dates_2000_2030)
def test_between_mirror_and_additivity(a: date, b: date, c: date) -> None:
    a, mid, b = sorted((a, b, c))
    forward = CAL.working_days_between(a, b)
    assert forward == sum(1 for i in range(1, (b - a).days + 1) if CAL.is_working_day(a + timedelta(i)))
    assert forward == CAL.working_days_between(a, mid) + CAL.working_days_between(mid, b)
    # Backwards counts [b ... a) — start excluded, far end included — so the two directions differ
    # exactly by the rest/working status of the two end points.
    backward = CAL.working_days_between(b, a)
    assert forward + backward == int(CAL.is_working_day(b)) - int(CAL.is_working_day(a))
    if a < b:
        unknown = any(y not in CAL.known_years for y in range((a + timedelta(1)).year, b.year + 1))
        assert CAL.span_provisional(a, b) is unknown
        unknown = any(y not in CAL.known_years for y in range(a.year, (b - timedelta(1)).year + 1))
        assert CAL.span_provisional(b, a) is unknown


@settings(max_examples=300, deadline=None)
@given(start=any_date, n=st.integers(min_value=-1000, max_value=1000))
def test_any_date_roundtrip_or_value_error(start: date, n: int) -> None:
    try:
        result, _ = CAL.add_working_days(start, n)
    except ValueError:
        far = date.min if n < 0 else date.max
        assert abs((far - start).days) < 2 * abs(n) + 7
        return
    assert CAL.working_days_between(start, result) == n


def test_slow_path_matches_reference_outside_range() -> None:
    lo, hi = CAL.precomputed_range
    for start in (lo - timedelta(days=3), lo, hi - timedelta(days=2), hi, hi + timedelta(days=5)):
        for n in (-30, -7, -1, 0, 1, 7, 30):
            assert CAL.add_working_days(start, n) == _walk(CAL, start, n), (start, n)


# ---------------------------------------------------------------- extremes


def test_extreme_dates_do_not_crash() -> None:
    assert CAL.info(date.min).provisional and CAL.info(date.max).provisional
    assert CAL.add_working_days(date(1, 1, 1), 1) == (date(1, 1, 2), True)
    assert CAL.add_working_days(date(9999, 12, 31), -1) == (date(9999, 12, 30), True)
    assert CAL.add_working_days(date(1, 1, 1), 0) == (date(1, 1, 1), False)
    assert CAL.add_working_days(date(9999, 12, 31), 0) == (date(9999, 12, 31), False)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(1, 1, 1), -1)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(9999, 12, 31), 1)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 1), 10**9)
    total = CAL.working_days_between(date.min, date.max)
    assert CAL.add_working_days(date.min, total) == (date.max, True)
    assert CAL.add_working_days(date.max, -total + 1) == (date(1, 1, 2), True)
    assert CAL.is_working_day(date.min) and CAL.is_working_day(date.max)


# ---------------------------------------------------------------- working hours


def test_add_working_hours_friday_before_holiday() -> None:
    # 2026-04-03 is a Friday; 4–6 April is the 清明 holiday, so work resumes Tuesday 7 April.
    assert CAL.add_working_hours(datetime(2026, 4, 3, 16, 30), 2) == (datetime(2026, 4, 7, 9, 30), False)


def test_add_working_hours_starts_at_opening() -> None:
    assert CAL.add_working_hours(datetime(2026, 4, 7, 7, 0), 1) == (datetime(2026, 4, 7, 9, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 7, 7, 0), 0) == (datetime(2026, 4, 7, 8, 30), False)
    # Starting after hours / on a holiday begins at the next working day's opening.
    assert CAL.add_working_hours(datetime(2026, 4, 3, 19, 0), 1) == (datetime(2026, 4, 7, 9, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 3, 19, 0), 0) == (datetime(2026, 4, 7, 8, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 7, 17, 30), 0) == (datetime(2026, 4, 8, 8, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 5, 10, 0), 1) == (datetime(2026, 4, 7, 9, 30), False)


def test_add_working_hours_exact_fill_ends_at_close() -> None:
    assert CAL.add_working_hours(datetime(2026, 4, 7, 16, 30), 1) == (datetime(2026, 4, 7, 17, 30), False)
    # 9 h per day: 18 h from opening ends at close of the second working day.
    assert CAL.add_working_hours(datetime(2026, 4, 7, 8, 30), 18) == (datetime(2026, 4, 8, 17, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 7, 8, 30), 18.5) == (datetime(2026, 4, 9, 9, 0), False)


def test_add_working_hours_with_midday_break() -> None:
    kw = {"break_start": time(12, 0), "break_end": time(13, 30)}
    assert CAL.add_working_hours(datetime(2026, 4, 7, 11, 0), 2, **kw) == (datetime(2026, 4, 7, 14, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 7, 11, 0), 1, **kw) == (datetime(2026, 4, 7, 12, 0), False)
    assert CAL.add_working_hours(datetime(2026, 4, 7, 12, 30), 1, **kw) == (datetime(2026, 4, 7, 14, 30), False)
    # 7.5 working hours a day with the break: 16:30 + 2 h → next day 09:30.
    assert CAL.add_working_hours(datetime(2026, 4, 7, 16, 30), 2, **kw) == (datetime(2026, 4, 8, 9, 30), False)
    assert CAL.add_working_hours(datetime(2026, 4, 7, 8, 30), 15, **kw) == (datetime(2026, 4, 8, 17, 30), False)


def test_add_working_hours_into_unknown_year_is_provisional() -> None:
    end, prov = CAL.add_working_hours(datetime(2026, 12, 31, 17, 0), 1)
    assert end == datetime(2027, 1, 1, 9, 0) and prov


def test_add_working_hours_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_hours(datetime(2026, 4, 7, 9, 0), -1)
    with pytest.raises(ValueError):
        CAL.add_working_hours(datetime(2026, 4, 7, 9, 0), 1, day_start=time(18), day_end=time(9))
    with pytest.raises(ValueError):
        CAL.add_working_hours(datetime(2026, 4, 7, 9, 0), 1, break_start=time(12))


@settings(max_examples=1000, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2026, 6, 30)),
    minutes=st.integers(min_value=0, max_value=60 * 200),
)
def test_add_working_hours_lands_in_working_time(start: datetime, minutes: int) -> None:
    end, prov = CAL.add_working_hours(start, minutes / 60)
    assert not prov and end >= start
    assert CAL.is_working_day(end.date())
    assert time(8, 30) <= end.time() <= time(17, 30)


def _working_time(cal: WorkCalendar, a: datetime, b: datetime, segs: list[tuple[time, time]]) -> timedelta:
    """Reference: working time inside [a, b], summed day by day."""
    total, d = timedelta(), a.date()
    while d <= b.date():
        if cal.is_working_day(d):
            for s, e in segs:
                lo, hi = max(a, datetime.combine(d, s)), min(b, datetime.combine(d, e))
                if hi > lo:
                    total += hi - lo
        d += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2026, 6, 30)),
    minutes=st.integers(min_value=0, max_value=60 * 100),
    with_break=st.booleans(),
)
def test_add_working_hours_consumes_exactly_the_working_time(
    start: datetime, minutes: int, with_break: bool
) -> None:
    if with_break:
        segs = [(time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))]
        end, _ = CAL.add_working_hours(start, minutes / 60, break_start=time(12), break_end=time(13, 30))
    else:
        segs = [(time(8, 30), time(17, 30))]
        end, _ = CAL.add_working_hours(start, minutes / 60)
    assert _working_time(CAL, start, end, segs) == timedelta(minutes=minutes)
    if minutes:  # no idle time is left at the end: the deadline sits inside or at the end of a period
        assert any(s < end.time() <= e for s, e in segs)


def test_close_of_business() -> None:
    assert close_of_business(date(2026, 10, 10)) == datetime(2026, 10, 10, 17, 30)
    assert close_of_business(date(2026, 10, 10), time(18, 0)).tzinfo is None
    from datetime import timezone

    tz = timezone(timedelta(hours=8))
    assert close_of_business(date(2026, 10, 10), time(17, 0, tzinfo=tz)).utcoffset() == timedelta(hours=8)
    assert close_of_business(date(2026, 10, 10), tz=tz) == datetime(2026, 10, 10, 17, 30, tzinfo=tz)
