"""The calendar in force, for services, jobs, pages and the API.

``work_calendar()`` returns the pure :class:`~zhidu.calendar.rules.WorkCalendar` built from the
database (``CalendarDay`` + ``CalendarYear``).  It is built once per process and rebuilt when the
calendar changed: every process checks the one-row ``CalendarVersion`` token (a primary-key query)
at most once per ``CHECK_INTERVAL`` seconds, so a committed change reaches every process within a
second (the writing process at once).  Between checks a call costs a few attribute reads.  A thread
that changed the calendar in a still-open transaction checks at every call and sees its own change
in a private snapshot; other threads keep the committed calendar until the commit.

When the tables are missing (database not migrated), empty, or the database cannot be read, the
calendar falls back to the ``chinese_calendar`` package seed: nothing crashes for want of a database.

``working_hours_for(unit)`` gives a unit's working hours: its own ``WorkingHours`` row, else its
nearest ancestor's, else the default 08:30–17:30 with no midday break.
"""

from __future__ import annotations

import logging
import threading
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .formats import DayRow
from .rules import DEFAULT_DAY_END, DEFAULT_DAY_START, DayInfo, DayKind, WorkCalendar, close_of_business
from .seed import chinese_calendar_days, package_source

__all__ = [
    "CHECK_INTERVAL",
    "CalendarSnapshot",
    "WorkingHours",
    "YearRecord",
    "add_working_days",
    "add_working_hours",
    "day_info",
    "invalidate",
    "snapshot",
    "work_calendar",
    "working_days_deadline",
    "working_hours_for",
]

log = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0  # seconds between two version checks of one process


@dataclass(frozen=True)
class WorkingHours:
    day_start: time = DEFAULT_DAY_START
    day_end: time = DEFAULT_DAY_END
    break_start: time | None = None
    break_end: time | None = None
    unit_id: int | None = None  # the unit whose row applies (None: the default)

    def kwargs(self) -> dict[str, Any]:
        return {"day_start": self.day_start, "day_end": self.day_end, "break_start": self.break_start,
                "break_end": self.break_end}


@dataclass(frozen=True)
class YearRecord:
    year: int
    known: bool
    source: str
    confirmed_by: str = ""
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class CalendarSnapshot:
    """The calendar in force with what it was built from (explicit days with sources, years)."""

    calendar: WorkCalendar
    days: Mapping[date, DayRow]
    years: Mapping[int, YearRecord]
    token: str | None
    from_db: bool
    hours: dict[tuple[int, str], WorkingHours] = field(default_factory=dict, compare=False, repr=False)

    def days_in_year(self, year: int) -> list[DayRow]:
        return sorted((d for d in self.days.values() if d.date.year == year), key=lambda r: r.date)

    def year(self, year: int) -> YearRecord:
        return self.years.get(year) or YearRecord(year, False, "")

    def is_known(self, year: int) -> bool:
        return year in self.calendar.known_years


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.snapshot: CalendarSnapshot | None = None  # shared by the process's threads: committed data only
        self.checked_at = float("-inf")
        self.tables_ok = False


class _Local(threading.local):
    """Per thread: calendar writes of this thread's open transaction, and the private snapshot that
    shows them (never shared: the other threads must not see uncommitted or rolled-back days)."""

    def __init__(self) -> None:
        self.pending = 0
        self.snapshot: CalendarSnapshot | None = None


_state = _State()
_local = _Local()


@lru_cache(maxsize=1)
def _seed_snapshot() -> CalendarSnapshot:
    explicit, years = chinese_calendar_days()
    source = package_source()
    days = {d: DayRow(d, w, DayKind(k), n, source) for d, (w, k, n) in explicit.items()}
    return CalendarSnapshot(
        calendar=WorkCalendar(explicit, years), days=days,
        years={y: YearRecord(y, True, source) for y in years}, token=None, from_db=False,
    )


def _read_token() -> tuple[bool, str | None]:
    """``(ok, token)``: ok is False when the calendar tables cannot be read."""
    from .models import CalendarDay, CalendarVersion, CalendarYear

    try:
        if not _state.tables_ok:
            names = set(connection.introspection.table_names())
            needed = {CalendarDay._meta.db_table, CalendarYear._meta.db_table, CalendarVersion._meta.db_table}
            if not needed <= names:
                return False, None
            _state.tables_ok = True
        # Raw SQL: this runs up to once a second in every process, the ORM would triple its cost.
        table = connection.ops.quote_name(CalendarVersion._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token FROM {table} WHERE id = %s", [1])  # noqa: S608 - table name from the model
            row = cursor.fetchone()
        token = row[0] if row else None
    except Exception as exc:  # unmigrated, unreachable, or DB access blocked: fall back, never crash
        log.debug("work calendar: database not readable (%s); using the package seed", exc)
        return False, None
    return True, token or ""


def _build_from_db(token: str | None) -> CalendarSnapshot:
    from .models import CalendarDay, CalendarYear

    rows = CalendarDay.objects.values_list("date", "working", "kind", "name", "source")
    days = {d: DayRow(d, w, DayKind(k), n, s) for d, w, k, n, s in rows}
    years = {
        y: YearRecord(y, known, source, by or "", at)
        for y, known, source, by, at in CalendarYear.objects.values_list(
            "year", "known", "source", "confirmed_by__name", "confirmed_at")
    }
    if not days and not years:
        seed = _seed_snapshot()
        return CalendarSnapshot(seed.calendar, seed.days, seed.years, token, from_db=False)
    explicit = {d: (r.working, r.kind, r.name) for d, r in days.items()}
    cal = WorkCalendar(explicit, [y for y, r in years.items() if r.known])
    return CalendarSnapshot(cal, days, years, token, from_db=True)


def snapshot() -> CalendarSnapshot:
    """The calendar in force and what it was built from (checked against the version token)."""
    if _local.pending:
        return _own_snapshot()
    snap = _state.snapshot
    if snap is not None and _time.monotonic() - _state.checked_at < CHECK_INTERVAL:
        return snap
    with _state.lock:
        snap = _state.snapshot
        now = _time.monotonic()
        if snap is not None and now - _state.checked_at < CHECK_INTERVAL:
            return snap
        ok, token = _read_token()
        snap = _refreshed(snap, ok, token)
        _state.snapshot = snap
        _state.checked_at = now
        return snap


def _refreshed(snap: CalendarSnapshot | None, ok: bool, token: str | None) -> CalendarSnapshot:
    if not ok:
        return snap or _seed_snapshot()
    if snap is None or snap.token != token or (not snap.from_db and token is not None):
        try:
            return _build_from_db(token)
        except Exception as exc:  # pragma: no cover - the database went away between two queries
            log.warning("work calendar: cannot read the calendar tables (%s); using the package seed", exc)
            return snap or _seed_snapshot()
    return snap


def _own_snapshot() -> CalendarSnapshot:
    """This thread changed the calendar in its open transaction: check the token at every call."""
    ok, token = _read_token()
    if not connection.in_atomic_block:  # the transaction ended (rolled back: on commit we were told)
        _local.pending = 0
        _local.snapshot = None
        with _state.lock:
            _state.checked_at = float("-inf")
        return snapshot()
    shared = _state.snapshot
    if ok and shared is not None and shared.token == token:
        return shared
    own = _refreshed(_local.snapshot, ok, token)
    _local.snapshot = own
    return own


def work_calendar() -> WorkCalendar:
    """The working-day calendar in force (database, else the ``chinese_calendar`` seed)."""
    return snapshot().calendar


def invalidate() -> None:
    """Forget the cached calendar (and this thread's pending writes); the next call re-reads."""
    with _state.lock:
        _state.snapshot = None
        _state.checked_at = float("-inf")
    _local.pending = 0
    _local.snapshot = None


def _note_write() -> None:
    """Called by the services when they change the calendar inside a transaction."""
    _local.pending += 1
    transaction.on_commit(_note_committed)


def _note_committed() -> None:
    _local.pending = max(0, _local.pending - 1)
    if not _local.pending:
        _local.snapshot = None
    with _state.lock:
        _state.checked_at = float("-inf")


# ------------------------------------------------------------------------------- conveniences


def day_info(d: date) -> DayInfo:
    """One day of the calendar in force (``provisional`` when its year is not covered)."""
    return work_calendar().info(d)


def add_working_days(start: date, n: int) -> tuple[date, bool]:
    """``(result, provisional)``: the n-th working day after ``start`` (Civil Code art. 201)."""
    return work_calendar().add_working_days(start, n)


def add_working_hours(start: datetime, hours: float, unit: Any = None) -> tuple[datetime, bool]:
    """Add ``hours`` of the unit's *working* time to ``start``; ``(deadline, provisional)``.

    An aware ``start`` is converted to local time (``TIME_ZONE``) first and the result is aware; a
    start outside working time begins at the next working start.
    """
    hours_ = working_hours_for(unit)
    cal = work_calendar()
    if timezone.is_aware(start):
        local = timezone.localtime(start)
        result, provisional = cal.add_working_hours(local.replace(tzinfo=None), hours, **hours_.kwargs())
        return timezone.make_aware(result), provisional
    return cal.add_working_hours(start, hours, **hours_.kwargs())


def working_days_deadline(start: date | datetime, n: int, unit: Any = None) -> tuple[datetime, bool]:
    """End of "within n working days" counted from ``start``: the n-th working day at the unit's
    closing time, as an aware datetime; ``(deadline, provisional)``.  The starting day is not counted."""
    if isinstance(start, datetime):
        start = timezone.localtime(start).date() if timezone.is_aware(start) else start.date()
    day, provisional = work_calendar().add_working_days(start, n)
    end = working_hours_for(unit).day_end
    return close_of_business(day, end, tz=timezone.get_current_timezone()), provisional


# ------------------------------------------------------------------------------ working hours


def _unit_key(unit: Any) -> tuple[int, str] | None:
    if unit is None:
        return None
    if isinstance(unit, int):
        from zhidu.org.models import OrgUnit

        path = OrgUnit.objects.filter(pk=unit).values_list("path", flat=True).first()
        return (unit, path or "")
    pk = getattr(unit, "pk", None)
    if pk is None:
        return None
    return (int(pk), str(getattr(unit, "path", "") or ""))


def working_hours_for(unit: Any) -> WorkingHours:
    """The unit's working hours: its own row, else the nearest ancestor's, else 08:30–17:30."""
    try:
        key = _unit_key(unit)
    except Exception:  # database unreachable
        return WorkingHours()
    if key is None:
        return WorkingHours()
    snap = snapshot()
    hit = snap.hours.get(key)
    if hit is not None:
        return hit
    pk, path = key
    chain = [int(p) for p in path.split("/") if p.isdigit()] or [pk]
    if chain[-1] != pk:
        chain.append(pk)
    from .models import WorkingHours as WorkingHoursRow

    try:
        rows = {
            r[0]: r for r in WorkingHoursRow.objects.filter(unit_id__in=chain).values_list(
                "unit_id", "day_start", "day_end", "break_start", "break_end")
        }
    except Exception as exc:  # unmigrated or unreachable: the default hours
        log.debug("working hours: database not readable (%s)", exc)
        return WorkingHours()
    result = WorkingHours()
    for unit_id in reversed(chain):
        row = rows.get(unit_id)
        if row is not None:
            result = WorkingHours(row[1], row[2], row[3], row[4], unit_id=row[0])
            break
    if snap.from_db or snap.token is not None:
        snap.hours[key] = result
    return result
