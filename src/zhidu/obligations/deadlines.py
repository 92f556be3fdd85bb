"""Deadlines as data, and the pure arithmetic behind them.

A deadline is stored with the obligation as a *spec* (JSON) so that it can be recomputed when the
working calendar changes:

* ``{"basis": "working_days", "start": "2026-11-20", "days": 3, "close": "17:30"}`` — the n-th
  working day after the start day (Civil Code art. 201: the start day is not counted), at close
  of business (default: the unit's day end);
* ``{"basis": "working_hours", "start": "2026-11-20T16:00:00+08:00", "hours": 4}`` — working time
  only, within the unit's working hours (use only where the rulebook says working hours);
* ``{"basis": "clock_hours", "start": …, "hours": 24}`` — plain clock hours ("24 小时");
* ``{"basis": "calendar_days", "start": "2026-11-20", "days": 7}`` — the n-th day after the start
  day at close of business, moved to the next working day when it is a rest day (art. 203);
* ``{"basis": "fixed", "due": "2026-11-30T17:30:00+08:00"}``.

No ORM, no clock, no settings: the calendar, the working hours and the time zone are arguments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.selectors import WorkingHours
from zhidu.rulebook.decision import Decision

BASES = ("working_days", "working_hours", "clock_hours", "calendar_days", "fixed")
CALENDAR_BASES = frozenset({"working_days", "working_hours", "calendar_days"})


@dataclass(frozen=True)
class Due:
    """A computed deadline: the instant, whether it rests on unconfirmed calendar years, and the
    first and last calendar day the computation examined (for recomputation)."""

    at: dt.datetime
    provisional: bool
    span_start: dt.date
    span_end: dt.date
    depends_on_calendar: bool


def _iso(value: dt.date | dt.datetime) -> str:
    return value.isoformat()


def working_days(days: int, *, start: dt.date | dt.datetime | None = None, close: dt.time | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"basis": "working_days", "days": int(days)}
    if start is not None:
        spec["start"] = _iso(start)
    if close is not None:
        spec["close"] = close.strftime("%H:%M")
    return spec


def working_hours(hours: float, *, start: dt.datetime | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"basis": "working_hours", "hours": hours}
    if start is not None:
        spec["start"] = _iso(start)
    return spec


def clock_hours(hours: float, *, start: dt.datetime | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"basis": "clock_hours", "hours": hours}
    if start is not None:
        spec["start"] = _iso(start)
    return spec


def calendar_days(days: int, *, start: dt.date | dt.datetime | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"basis": "calendar_days", "days": int(days)}
    if start is not None:
        spec["start"] = _iso(start)
    return spec


def fixed(due: dt.datetime) -> dict[str, Any]:
    return {"basis": "fixed", "due": _iso(due)}


class SpecError(ValueError):
    """The spec is malformed; the message names the key."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


def _parse_datetime(raw: Any, tz: dt.tzinfo, key: str) -> dt.datetime:
    try:
        value = raw if isinstance(raw, dt.datetime) else dt.datetime.fromisoformat(str(raw))
    except ValueError:
        raise SpecError(key, f"not an ISO date-time: {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def _parse_start_date(raw: Any, tz: dt.tzinfo) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.astimezone(tz).date() if raw.tzinfo else raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw)
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return _parse_start_date(dt.datetime.fromisoformat(text), tz)
    except ValueError:
        raise SpecError("start", f"not an ISO date: {raw!r}") from None


def normalize(spec: dict[str, Any], opened_at: dt.datetime, tz: dt.tzinfo) -> dict[str, Any]:
    """The spec with its start filled in (the opening instant by default) and its fields checked."""
    if not isinstance(spec, dict):
        raise SpecError("basis", "a deadline spec is a mapping")
    basis = spec.get("basis")
    if basis not in BASES:
        raise SpecError("basis", f"one of {list(BASES)}, not {basis!r}")
    out = dict(spec)
    if basis == "fixed":
        if "due" not in out:
            raise SpecError("due", "missing")
        out["due"] = _parse_datetime(out["due"], tz, "due").isoformat()
        return out
    start = out.get("start", opened_at)
    if basis in ("working_days", "calendar_days"):
        out["start"] = _parse_start_date(start, tz).isoformat()
        days = out.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise SpecError("days", f"a whole number ≥ 0, not {days!r}")
        if "close" in out:
            try:
                dt.time.fromisoformat(str(out["close"]))
            except ValueError:
                raise SpecError("close", f"not a time HH:MM: {out['close']!r}") from None
    else:
        out["start"] = _parse_datetime(start, tz, "start").astimezone(tz).isoformat()
        hours = out.get("hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
            raise SpecError("hours", f"a number ≥ 0, not {hours!r}")
    return out


def compute(spec: dict[str, Any], cal: WorkCalendar, hours: WorkingHours, tz: dt.tzinfo) -> Due:
    """The deadline a normalized spec gives under this calendar and these working hours."""
    basis = spec["basis"]
    if basis == "fixed":
        at = _parse_datetime(spec["due"], tz, "due")
        local = at.astimezone(tz).date()
        return Due(at, False, local, local, False)
    if basis == "clock_hours":
        start = _parse_datetime(spec["start"], tz, "start")
        at = start + dt.timedelta(hours=float(spec["hours"]))
        return Due(at, False, start.astimezone(tz).date(), at.astimezone(tz).date(), False)
    if basis == "working_hours":
        start = _parse_datetime(spec["start"], tz, "start").astimezone(tz)
        naive, provisional = cal.add_working_hours(start.replace(tzinfo=None), float(spec["hours"]), **hours.kwargs())
        at = naive.replace(tzinfo=tz)
        return Due(at, provisional, start.date(), naive.date(), True)
    start_day = dt.date.fromisoformat(spec["start"])
    close = dt.time.fromisoformat(spec["close"]) if spec.get("close") else hours.day_end
    if basis == "working_days":
        day, provisional = cal.add_working_days(start_day, int(spec["days"]))
    else:  # calendar_days (art. 201 and 203)
        day = start_day + dt.timedelta(days=int(spec["days"]))
        provisional = cal.span_provisional(start_day, day)
        if not cal.is_working_day(day):
            day, p = cal.next_working_day(day)
            provisional = provisional or p
    at = dt.datetime.combine(day, close, tzinfo=tz)
    return Due(at, provisional, start_day, day, True)


def explain(spec: dict[str, Any], due: Due, kind_clauses: tuple[str, ...], tz: dt.tzinfo) -> Decision:
    """The "why" of a deadline when the opening module gave none of its own."""
    due_text = due.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    basis = spec["basis"]
    args: dict[str, Any] = {"due": due_text}
    if basis == "working_days":
        reason = gettext_noop("自 %(start)s 起 %(days)s 个工作日内（不含当日），截止 %(due)s")
        args.update(start=spec["start"], days=spec["days"])
    elif basis == "working_hours":
        reason = gettext_noop("自 %(start)s 起 %(hours)s 个工作小时内，截止 %(due)s")
        args.update(start=spec["start"][:16].replace("T", " "), hours=spec["hours"])
    elif basis == "clock_hours":
        reason = gettext_noop("自 %(start)s 起 %(hours)s 小时内，截止 %(due)s")
        args.update(start=spec["start"][:16].replace("T", " "), hours=spec["hours"])
    elif basis == "calendar_days":
        reason = gettext_noop("自 %(start)s 起 %(days)s 日内（不含当日，末日为休息日的顺延），截止 %(due)s")
        args.update(start=spec["start"], days=spec["days"])
    else:
        reason = gettext_noop("截止 %(due)s")
    return Decision(
        rule="obligations.deadline", value=due.at.isoformat(), clauses=kind_clauses, reason=reason,
        reason_args=args, facts={"spec": dict(spec)}, provisional=due.provisional,
    )


def reminder_at(opened_at: dt.datetime, due_at: dt.datetime, lead_fraction: float, lead_working_hours: float,
                cal: WorkCalendar, hours: WorkingHours, tz: dt.tzinfo) -> dt.datetime:
    """When the one reminder before the deadline is due: ``due − lead``, the lead being the shorter of
    ``lead_fraction`` of the span and ``lead_working_hours`` of working time; never before opening."""
    span = max(due_at - opened_at, dt.timedelta())
    by_fraction = due_at - span * lead_fraction
    by_hours = subtract_working_hours(cal, due_at.astimezone(tz), lead_working_hours, hours)
    return max(opened_at, by_fraction, by_hours)


def _segments(hours: WorkingHours) -> list[tuple[dt.time, dt.time]]:
    if hours.break_start is not None and hours.break_end is not None:
        return [seg for seg in ((hours.day_start, hours.break_start), (hours.break_end, hours.day_end)) if seg[0] < seg[1]]
    return [(hours.day_start, hours.day_end)]


def subtract_working_hours(cal: WorkCalendar, end: dt.datetime, amount: float, hours: WorkingHours) -> dt.datetime:
    """The instant ``amount`` working hours before ``end`` (aware, wall-clock arithmetic in its zone)."""
    tz = end.tzinfo
    remaining = dt.timedelta(hours=amount)
    day = end.date()
    limit: dt.time | None = end.time()
    for _ in range(3660):  # ten years of days: far beyond any lead time
        if cal.is_working_day(day):
            for seg_start, seg_end in reversed(_segments(hours)):
                hi = seg_end if limit is None else min(seg_end, limit)
                if hi <= seg_start:
                    continue
                hi_dt = dt.datetime.combine(day, hi, tzinfo=tz)
                avail = hi_dt - dt.datetime.combine(day, seg_start, tzinfo=tz)
                if remaining <= avail:
                    return hi_dt - remaining
                remaining -= avail
        day -= dt.timedelta(days=1)
        limit = None
    return end - dt.timedelta(hours=amount)


def in_working_time(at: dt.datetime, cal: WorkCalendar, hours: WorkingHours) -> bool:
    """Is the (local, aware) instant within working hours on a working day?"""
    if not cal.is_working_day(at.date()):
        return False
    t = at.timetz().replace(tzinfo=None)
    return any(s <= t < e for s, e in _segments(hours))


def next_working_start(at: dt.datetime, cal: WorkCalendar, hours: WorkingHours) -> dt.datetime:
    """The first instant at or after ``at`` (local, aware) that lies within working hours."""
    if in_working_time(at, cal, hours):
        return at
    tz = at.tzinfo
    t = at.timetz().replace(tzinfo=None)
    if cal.is_working_day(at.date()):
        for seg_start, _seg_end in _segments(hours):
            if t < seg_start:
                return dt.datetime.combine(at.date(), seg_start, tzinfo=tz)
    day, _p = cal.next_working_day(at.date())
    return dt.datetime.combine(day, _segments(hours)[0][0], tzinfo=tz)


def add_working_days_at(at: dt.datetime, days: int, cal: WorkCalendar) -> dt.datetime:
    """The same wall-clock time ``days`` working days later (escalation intervals)."""
    day, _p = cal.add_working_days(at.date(), days)
    return dt.datetime.combine(day, at.timetz().replace(tzinfo=None), tzinfo=at.tzinfo)
