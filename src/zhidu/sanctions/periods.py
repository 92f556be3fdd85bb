"""Ledger periods ("YYYY-MM") and period locks."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from zhidu.org.models import OrgUnit
from zhidu.org.models import ancestor_paths as _prefixes

from .models import PeriodLock

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def valid_period(period: str) -> bool:
    return bool(PERIOD_RE.match(period or ""))


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a "YYYY-MM" period."""
    m = PERIOD_RE.match(period)
    if not m:
        raise ValueError(f"bad period {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def active_lock(unit: OrgUnit, period: str) -> PeriodLock | None:
    """The lock closing ``period`` for ``unit``: on the unit itself or on a unit above it."""
    return (
        PeriodLock.objects.filter(period=period, unlocked_at__isnull=True, unit__path__in=_prefixes(unit.path))
        .select_related("unit")
        .order_by("unit__path")
        .first()
    )


def is_locked(unit: OrgUnit, period: str) -> bool:
    return active_lock(unit, period) is not None


def shift_period(period: str, months: int) -> str:
    """The period ``months`` months after (or before) ``period``."""
    first, _last = period_bounds(period)
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
