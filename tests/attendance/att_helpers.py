"""Builders for attendance engine and CLI tests: a roster entry, a month of on-time punches with
exceptions, lookups in a result."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from zhidu.attendance.engine import DayResult, MonthResult, PersonMonth, Punch, RosterEntry
from zhidu.attendance.engine import default_calendar as _default_calendar

D = dt.date
T = dt.time


HIRED = D(2020, 1, 1)
BORN = D(1995, 1, 1)


def entry(pid: str = "a", rank: str = "staff", *, start: str = "08:30", end: str = "17:30", salary: str = "3000",
          hired: dt.date | None = HIRED, gender: str = "F", birth: dt.date | None = BORN) -> RosterEntry:
    return RosterEntry(pid, f"员工{pid}", rank, hired, gender, birth, Decimal(salary), T.fromisoformat(start),
                       T.fromisoformat(end))


DayPunches = tuple[str | None, str | None] | None


def month_punches(e: RosterEntry, month: str, overrides: Mapping[dt.date, DayPunches] | None = None,
                  *, on_time: tuple[int, int] = (-5, 5)) -> list[Punch]:
    """Punches for every working day of ``month``: in ``on_time[0]`` minutes from the shift start and
    out ``on_time[1]`` minutes after its end (an overnight shift ends the next day). ``overrides``:
    a day → None (no punch) or (in "HH:MM[:SS]" | None, out "HH:MM[:SS]" | None), an out time at or
    before the in time being on the next day."""
    overrides = overrides or {}
    year, mon = int(month[:4]), int(month[5:])
    cal = _default_calendar()
    out: list[Punch] = []
    for day in range(1, calendar.monthrange(year, mon)[1] + 1):
        d = D(year, mon, day)
        start = dt.datetime.combine(d, e.shift_start)
        end = dt.datetime.combine(d, e.shift_end)
        if end <= start:
            end += dt.timedelta(days=1)
        if d in overrides:
            spec = overrides[d]
            if spec is None:
                continue
            t_in, t_out = spec
            if t_in is not None:
                start_at = dt.datetime.combine(d, T.fromisoformat(t_in))
                out.append(Punch(e.person_id, start_at))
            if t_out is not None:
                at = dt.datetime.combine(d, T.fromisoformat(t_out))
                if (t_in is not None and at <= dt.datetime.combine(d, T.fromisoformat(t_in))) or (
                        t_in is None and e.shift_end <= e.shift_start):
                    at += dt.timedelta(days=1)
                out.append(Punch(e.person_id, at))
            continue
        if not cal.is_working_day(d):
            continue
        out.append(Punch(e.person_id, start + dt.timedelta(minutes=on_time[0])))
        out.append(Punch(e.person_id, end + dt.timedelta(minutes=on_time[1])))
    return out


def person(result: MonthResult, pid: str = "a") -> PersonMonth:
    return next(p for p in result.people if p.person_id == pid)


def day(result: MonthResult, d: dt.date, pid: str = "a") -> DayResult:
    return next(x for x in person(result, pid).days if x.date == d)
