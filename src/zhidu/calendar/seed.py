"""Build a :class:`~zhidu.calendar.rules.WorkCalendar` from the ``chinese_calendar`` package.

``chinese_calendar`` (PyPI ``chinesecalendar``) ships the State Council holiday schedule as three
dicts keyed by date: ``holidays`` (rest days of a statutory holiday block, weekends inside the block
included), ``workdays`` (调休 make-up working days on weekends) and ``in_lieu_days`` (a subset of
``holidays``).  In version 1.11 the values are the ``Holiday`` enum's *value*, i.e. the English name
(``"National Day"``); the Chinese name is ``Holiday(value).chinese``.  The package only supports the
years between the first and last year of ``holidays`` (2004 … 2026 in 1.11) and raises
``NotImplementedError`` elsewhere; exactly those years become the calendar's *known* years, and every
other year is provisional (spec "Counting conventions").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from zhidu.calendar.rules import DayKind, WorkCalendar

__all__ = ["chinese_calendar_days", "from_chinese_calendar", "package_source"]


def _chinese_name(value: Any) -> str:
    """Chinese holiday name for a value found in the ``chinese_calendar`` dicts."""
    import chinese_calendar

    holiday_cls = chinese_calendar.Holiday
    if isinstance(value, holiday_cls):
        return str(getattr(value, "chinese", value.value))
    if isinstance(value, tuple) and len(value) >= 2:  # older/newer layouts: (english, chinese, days)
        return str(value[1])
    try:
        return str(getattr(holiday_cls(value), "chinese", value))
    except ValueError:
        return str(value)


def chinese_calendar_days() -> tuple[dict[date, tuple[bool, DayKind, str]], range]:
    """Explicit days and known years (as a ``range``) taken from ``chinese_calendar``."""
    import chinese_calendar

    explicit: dict[date, tuple[bool, DayKind, str]] = {}
    for d, value in chinese_calendar.holidays.items():
        explicit[d] = (False, DayKind.HOLIDAY, _chinese_name(value))
    for d, value in chinese_calendar.workdays.items():
        kind = DayKind.MAKEUP if d.weekday() >= 5 else DayKind.WORKDAY
        explicit[d] = (True, kind, _chinese_name(value))
    # Same rule the package itself uses to decide which years it supports (utils._validate_date).
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    return explicit, range(first, last + 1)


def from_chinese_calendar(**kwargs: Any) -> WorkCalendar:
    """A :class:`WorkCalendar` seeded from ``chinese_calendar``; ``kwargs`` go to the constructor."""
    explicit, years = chinese_calendar_days()
    return WorkCalendar(explicit, years, **kwargs)


def package_source() -> str:
    """The ``source`` recorded for days and years taken from ``chinese_calendar``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover - installed from source
        ver = "?"
    return f"国务院办公厅关于部分节假日安排的通知（chinesecalendar {ver}）"
