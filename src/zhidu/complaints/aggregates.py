"""The pre-aggregated statistics table (``ComplaintStat``, see ``models_stats``): building it, keeping
it current, and the periods a range reads.

**Refresh from the ``updated_at`` watermark.** Every write that changes a registration's statistics
columns goes through ``Model.save`` (``updated_at`` is ``auto_now``; the services list it in their
``update_fields``). :func:`refresh` recomputes, from the complaints table, the day rows of exactly the
local receipt days of the registrations whose ``updated_at`` is after the watermark (plus the days
of deleted registrations and the former days of registrations whose receipt time moved to another day,
``ComplaintStatDirtyDay``), then the month, quarter and year rows of those
days from the finer rows. A day is always recomputed whole (delete its rows, ``INSERT … SELECT``
grouped from the complaints), so recomputing a day twice is harmless; nothing is ever added to a
count incrementally.

**Nothing is missed.** The new watermark is the latest ``updated_at`` seen, but never later than the
refresh's start minus ``SETTLE``: a transaction that stamped ``updated_at`` but had not committed
when the refresh read the complaints is seen by a later refresh, provided it commits within
``SETTLE`` of its stamp (the services' transactions take milliseconds). The cost is that the days
changed in the last ``SETTLE`` are recomputed again by the next refreshes.

**Two refreshes at once cannot double count.** A refresh runs in one transaction that first locks
the state row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions here are ``IMMEDIATE``, so
a second writer waits, and a deferred one fails instead of writing over a stale read), re-reads the
watermark under the lock, and ends with a compare-and-set of ``version``; the unique key of the table
makes a duplicate row an error, never a double count.

**Cheap when nothing changed:** one query (the state row with ``EXISTS`` over the ``updated_at``
index and over the dirty days). Reads call :func:`refresh` first; ``zhidu tick`` runs it too
(``core.periodic``, job ``complaints.stats``); ``zhidu complaints stats-rebuild`` rebuilds all.

Writes that bypass ``save`` (``QuerySet.update`` or raw SQL on the statistics columns) must set
``updated_at`` themselves, or run ``stats-rebuild``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone

from .models import Complaint, SpotResult
from .models_stats import (
    CLASS_KEYS,
    COUNT_COLUMNS,
    DAY,
    GRAINS,
    KEY_COLUMNS,
    MONTH,
    PARTS,
    QUARTER,
    SAT_KEYS,
    SAT_PARTS,
    YEAR,
    ComplaintStat,
    ComplaintStatDirtyDay,
    ComplaintStatState,
    class_column,
    sat_column,
)

log = logging.getLogger(__name__)

#: How long after stamping ``updated_at`` a write may still commit and be counted by the next refresh.
SETTLE = dt.timedelta(seconds=60)
#: A refresh with more changed days than this rebuilds everything instead (one pass is faster).
REBUILD_OVER_DAYS = 1500
#: Ranges per statement (SQLite limits the depth of an expression).
_SPANS_PER_STATEMENT = 200
STATE_PK = 1

SATISFIED = ("very_satisfied", "satisfied", "basically_satisfied")

# The condition of each count (one pass over the rows; ``stats`` uses the same ones).
PART_CONDITIONS: dict[str, Q | None] = {
    "n": None,
    "closed": Q(closed_on_time__isnull=False),
    "on_time": Q(closed_on_time=True),
    "rated": ~Q(satisfaction=""),
    "satisfied": Q(satisfaction__in=SATISFIED),
    "reopened": Q(reopened_count__gt=0),
    "spot": Q(spot_check_result__in=[SpotResult.PASSED.value, SpotResult.FAILED.value]),
    "spot_pass": Q(spot_check_result=SpotResult.PASSED.value),
}
assert tuple(PART_CONDITIONS) == PARTS


def _and(a: Q | None, b: Q | None) -> Q | None:
    if a is None:
        return b
    return a if b is None else a & b


def column_conditions() -> dict[str, Q | None]:
    """Every count column of ``ComplaintStat`` → its condition over ``Complaint`` rows."""
    out: dict[str, Q | None] = dict(PART_CONDITIONS)
    for value in CLASS_KEYS:
        for part in PARTS:
            out[class_column(value, part)] = _and(Q(responsibility_class=value), PART_CONDITIONS[part])
    for value in SAT_KEYS:
        for part in SAT_PARTS:
            out[sat_column(value, part)] = _and(Q(satisfaction=value), PART_CONDITIONS[part])
    assert tuple(out) == COUNT_COLUMNS
    return out


# ------------------------------------------------------------------------------------------ periods


def add_months(d: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``d``'s month."""
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def period_of(grain: str, d: dt.date) -> dt.date:
    """The first day of the period of ``grain`` containing ``d``."""
    if grain == DAY:
        return d
    if grain == MONTH:
        return d.replace(day=1)
    if grain == QUARTER:
        return dt.date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    return dt.date(d.year, 1, 1)


def period_end(grain: str, start: dt.date) -> dt.date:
    if grain == DAY:
        return start + dt.timedelta(days=1)
    return add_months(start, {MONTH: 1, QUARTER: 3, YEAR: 12}[grain])


Span = tuple[str, dt.date, dt.date]


def cover(start: dt.date, end: dt.date) -> list[Span]:
    """The rows that make up ``[start, end)`` (local dates): ``(grain, first, end)`` spans, each the
    coarsest whole periods that fit (years, then quarters, months, single days at the edges)."""
    out: list[Span] = []
    cur = start
    while cur < end:
        grain, nxt = DAY, min(end, add_months(cur, 1))
        if cur.day == 1:
            for g, months in ((YEAR, 12), (QUARTER, 3), (MONTH, 1)):
                if period_of(g, cur) == cur and add_months(cur, months) <= end:
                    grain, nxt = g, add_months(cur, months)
                    break
        if out and out[-1][0] == grain and out[-1][2] == cur:
            out[-1] = (grain, out[-1][1], nxt)
        else:
            out.append((grain, cur, nxt))
        cur = nxt
    return out


def merge(spans: Iterable[Span]) -> list[Span]:
    """Adjacent spans of the same grain as one (one range of the key index instead of many)."""
    out: list[Span] = []
    for grain, lo, hi in sorted(spans, key=lambda s: s[1]):
        if out and out[-1][0] == grain and out[-1][2] == lo:
            out[-1] = (grain, out[-1][1], hi)
        else:
            out.append((grain, lo, hi))
    return out


def spans_q(spans: Iterable[Span]) -> Q:
    """``ComplaintStat`` rows of the spans (no rows for no spans)."""
    q = Q(pk__in=[])
    for grain, lo, hi in spans:
        q |= Q(grain=grain, day__gte=lo, day__lt=hi)
    return q


def _merged(grain: str, periods: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    out: list[tuple[dt.date, dt.date]] = []
    for p in sorted(set(periods)):
        e = period_end(grain, p)
        if out and out[-1][1] == p:
            out[-1] = (out[-1][0], e)
        else:
            out.append((p, e))
    return out


def _local(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(d.year, d.month, d.day), timezone.get_default_timezone())


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ------------------------------------------------------------------------------------------ building


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert(grain: str, select: QuerySet[Any]) -> int:
    """``INSERT INTO complaintstat … SELECT`` the rows of ``select`` (aliases ``k_*`` and ``c_*``)."""
    sql, params = select.query.sql_with_params()
    table = ComplaintStat._meta.db_table
    columns = ["grain", "day", *KEY_COLUMNS, *COUNT_COLUMNS]
    sources = ["k_day", "k_resp", "k_recv", "k_kind", "k_category", "k_channel", *(f"c_{c}" for c in COUNT_COLUMNS)]
    statement = (f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))}) "  # noqa: S608 (names from _meta)
                 f"SELECT %s, {', '.join('s.' + _quote(s) for s in sources)} FROM ({sql}) s")
    with connection.cursor() as cur:
        cur.execute(statement, [grain, *params])
        return int(cur.rowcount or 0)


def _keys(day: Any) -> dict[str, Any]:
    return {"k_day": day, "k_resp": F("responsible_unit_id"), "k_recv": F("receiving_unit_id"), "k_kind": F("kind"),
            "k_category": F("category"), "k_channel": F("channel")}


def _days_select(where: Q | None) -> QuerySet[Any]:
    """Day rows grouped from the complaints (``where``: which; None: all)."""
    qs = Complaint.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    counts = {f"c_{col}": Count("id", filter=cond) if cond is not None else Count("id")
              for col, cond in column_conditions().items()}
    return qs.values(**_keys(TruncDate("received_at", tzinfo=timezone.get_default_timezone()))).annotate(**counts)


_TRUNC = {MONTH: TruncMonth, QUARTER: TruncQuarter, YEAR: TruncYear}


def _rollup_from(grain: str, where: Q) -> QuerySet[Any]:
    """Rows of ``grain`` summed from the finer rows ``where`` selects."""
    return (ComplaintStat.objects.filter(where).order_by()
            .values(**_keys(_TRUNC[grain]("day"))).annotate(**{f"c_{col}": Sum(col) for col in COUNT_COLUMNS}))


def _rollup_select(grain: str, ranges: Sequence[tuple[dt.date, dt.date]] | None) -> QuerySet[Any]:
    """Rows of ``grain`` summed from the next finer grain's rows of the day ranges (None: all)."""
    finer = GRAINS[GRAINS.index(grain) - 1]
    if ranges is None:
        qs = ComplaintStat.objects.filter(grain=finer).order_by()
    else:
        # each term whole (grain and range) so that SQLite searches the key index once per range
        qs = ComplaintStat.objects.filter(spans_q((finer, lo, hi) for lo, hi in ranges)).order_by()
    return qs.values(**_keys(_TRUNC[grain]("day"))).annotate(**{f"c_{col}": Sum(col) for col in COUNT_COLUMNS})


def _received_on(days: Iterable[dt.date]) -> Iterable[Q]:
    """Conditions on ``received_at`` for the local days (merged into ranges, a bounded number per statement)."""
    for chunk in _chunks(_merged(DAY, days), _SPANS_PER_STATEMENT):
        where = Q(pk__in=[])
        for lo, hi in chunk:
            where |= Q(received_at__gte=_local(lo), received_at__lt=_local(hi))
        yield where


def _recompute_periods(days: set[dt.date]) -> None:
    """Every row of ``days`` and of their months, quarters and years, recomputed whole."""
    periods = {g: {period_of(g, d) for d in days} for g in GRAINS}
    gone = Q(pk__in=[])
    for g in GRAINS:
        gone |= Q(grain=g, day__in=sorted(periods[g]))
    ComplaintStat.objects.filter(gone).delete()
    for where in _received_on(days):
        _insert(DAY, _days_select(where))
    for g in GRAINS[1:]:
        for chunk in _chunks(_merged(g, periods[g]), _SPANS_PER_STATEMENT):
            _insert(g, _rollup_select(g, chunk))


#: Up to this many changed days the refresh compares the day rows and rewrites only the combinations
#: whose counts changed (and their month, quarter and year rows); more, and the periods are rewritten whole.
FINE_DAYS = 31
#: … and up to this many changed combinations.
FINE_KEYS = 400

Key = tuple[Any, ...]  # (day, responsible unit, receiving unit, kind, category, channel)


def _subperiods(grain: str, start: dt.date) -> list[dt.date]:
    """The first days of the finer grain's periods that make up the period of ``grain`` at ``start``."""
    finer = GRAINS[GRAINS.index(grain) - 1]
    out, cur, end = [], start, period_end(grain, start)
    while cur < end:
        out.append(cur)
        cur = period_end(finer, cur)
    return out


def _fetch(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values``/``values_list`` query as the driver returns them, in its select order
    (no per-value conversion: a day's rows are read twice per refresh)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _key(values: Sequence[Any]) -> Key:
    """(day, unit ids, kind, category, channel) with the day as a date whatever the driver gave."""
    day = values[0]
    if isinstance(day, dt.datetime):
        day = day.date()
    elif isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return (day, *values[1:])


def _key_q(grain: str, day: Any, key: Key) -> Q:
    return Q(grain=grain, day=day, **dict(zip(KEY_COLUMNS, key, strict=True)))


def _recompute(days: set[dt.date]) -> int:
    """Recompute the day rows of ``days`` from the complaints and the rows above them; returns the
    number of (day, combination) rows whose counts changed."""
    if not days:
        return 0
    if len(days) > FINE_DAYS:
        _recompute_periods(days)
        return -1
    width = 1 + len(KEY_COLUMNS)
    old: dict[Key, tuple[int, tuple[int, ...]]] = {}
    for row in _fetch(ComplaintStat.objects.filter(grain=DAY, day__in=sorted(days)).order_by()
                      .values_list("pk", "day", *KEY_COLUMNS, *COUNT_COLUMNS)):
        old[_key(row[1:1 + width])] = (row[0], tuple(row[1 + width:]))
    new: dict[Key, tuple[int, ...]] = {}
    for where in _received_on(days):
        for row in _fetch(_days_select(where)):
            new[_key(row[:width])] = tuple(row[width:])
    changed = sorted((k for k in old.keys() | new.keys() if (old[k][1] if k in old else None) != new.get(k)),
                     key=repr)
    if len(changed) > FINE_KEYS:
        _recompute_periods(days)
        return len(changed)
    if not changed:
        return 0
    ComplaintStat.objects.filter(pk__in=[old[k][0] for k in changed if k in old]).delete()
    ComplaintStat.objects.bulk_create([
        ComplaintStat(grain=DAY, day=k[0], **dict(zip(KEY_COLUMNS, k[1:], strict=True)),
                      **dict(zip(COUNT_COLUMNS, new[k], strict=True)))
        for k in changed if k in new], batch_size=200)
    for g in GRAINS[1:]:
        finer = GRAINS[GRAINS.index(g) - 1]
        targets = sorted({(period_of(g, k[0]), *k[1:]) for k in changed}, key=repr)
        for chunk in _chunks(targets, _SPANS_PER_STATEMENT):
            gone, sources = Q(pk__in=[]), Q(pk__in=[])
            for period, *key in chunk:
                gone |= _key_q(g, period, tuple(key))
                sources |= Q(grain=finer, day__in=_subperiods(g, period), **dict(zip(KEY_COLUMNS, key, strict=True)))
            ComplaintStat.objects.filter(gone).delete()
            _insert(g, _rollup_from(g, sources))
    return len(changed)


def _build_all() -> None:
    ComplaintStat.objects.all().delete()
    _insert(DAY, _days_select(None))
    for g in GRAINS[1:]:
        _insert(g, _rollup_select(g, None))


# ------------------------------------------------------------------------------------------ state


@dataclass
class RefreshReport:
    rebuilt: bool = False
    days: int = 0
    unchanged: bool = False
    conflict: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"rebuilt": self.rebuilt, "days": self.days, "unchanged": self.unchanged, "conflict": self.conflict,
                "seconds": round(self.seconds, 3)}


class _Conflict(Exception):
    """Another refresh moved the state on meanwhile: this one's work is rolled back."""


def _zone() -> str:
    return str(settings.TIME_ZONE)


def _locked_state() -> ComplaintStatState:
    """The state row, locked until the end of the transaction (created if missing)."""
    state = ComplaintStatState.objects.select_for_update().filter(pk=STATE_PK).first()
    if state is None:
        ComplaintStatState.objects.bulk_create([ComplaintStatState(pk=STATE_PK)], ignore_conflicts=True)
        state = ComplaintStatState.objects.select_for_update().get(pk=STATE_PK)
    return state


def _save_state(state: ComplaintStatState, **values: Any) -> None:
    """Compare-and-set: only over the version read under the lock."""
    updated = ComplaintStatState.objects.filter(pk=STATE_PK, version=state.version).update(
        version=state.version + 1, **values)
    if updated != 1:
        raise _Conflict


def _watermark(old: dt.datetime | None, latest_seen: dt.datetime | None, started: dt.datetime) -> dt.datetime | None:
    if latest_seen is None:
        return old if old is not None else started - SETTLE
    new = min(latest_seen, started - SETTLE)
    return new if old is None else max(old, new)


def rebuild() -> RefreshReport:
    """Recompute the whole table from the complaints (``zhidu complaints stats-rebuild``)."""
    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            state = _locked_state()
            started = timezone.now()
            latest = Complaint.objects.aggregate(m=Max("updated_at"))["m"]
            ComplaintStatDirtyDay.objects.all().delete()
            _build_all()
            _save_state(state, watermark=_watermark(None, latest, started), built_at=started, refreshed_at=started,
                        time_zone=_zone())
    except _Conflict:
        return RefreshReport(conflict=True, seconds=time.perf_counter() - t0)
    return RefreshReport(rebuilt=True, seconds=time.perf_counter() - t0)


def refresh() -> RefreshReport:
    """Bring the table up to date (see the module docstring); one query when nothing changed."""
    t0 = time.perf_counter()
    # The latest ``updated_at`` (one step down the index from its end) compared with the watermark
    # here: asked as EXISTS(updated_at > watermark), PostgreSQL expected a third of the table to match
    # and read all of it to find none — 290 ms on every statistics page over 1,000,000 registrations.
    info = (ComplaintStatState.objects.filter(pk=STATE_PK)
            .annotate(latest=Subquery(Complaint.objects.order_by("-updated_at").values("updated_at")[:1]),
                      dirty=Exists(ComplaintStatDirtyDay.objects.all()))
            .values("built_at", "time_zone", "watermark", "latest", "dirty").first())
    if info is not None:
        info["changed"] = info["latest"] is not None and info["watermark"] is not None \
            and info["latest"] > info["watermark"]
    if info is None or info["built_at"] is None or info["watermark"] is None or info["time_zone"] != _zone():
        return rebuild()
    if not info["changed"] and not info["dirty"]:
        return RefreshReport(unchanged=True, seconds=time.perf_counter() - t0)
    report = RefreshReport()
    try:
        with transaction.atomic():
            state = _locked_state()
            if state.built_at is None or state.watermark is None or state.time_zone != _zone():
                raise _Conflict
            started = timezone.now()
            dirty = list(ComplaintStatDirtyDay.objects.values_list("day", flat=True)) if info["dirty"] else []
            if dirty:
                # consumed before recomputing: a deletion committed after this refresh marks its day again
                ComplaintStatDirtyDay.objects.filter(day__in=dirty).delete()
            changed = list(Complaint.objects.filter(updated_at__gt=state.watermark).order_by()
                           .values(d=TruncDate("received_at", tzinfo=timezone.get_default_timezone()))
                           .annotate(latest=Max("updated_at")))
            days = {r["d"] for r in changed} | set(dirty)
            latest = max((r["latest"] for r in changed), default=None)
            if len(days) > REBUILD_OVER_DAYS:
                _build_all()
                report.rebuilt = True
            else:
                _recompute(days)
            report.days = len(days)
            _save_state(state, watermark=_watermark(state.watermark, latest, started), refreshed_at=started)
    except _Conflict:
        report = RefreshReport(conflict=True)
    report.seconds = time.perf_counter() - t0
    return report


# ------------------------------------------------------------------------------------------ hooks


def _mark(received_at: dt.datetime | None) -> None:
    if received_at is not None:
        day = timezone.localtime(received_at, timezone.get_default_timezone()).date()
        ComplaintStatDirtyDay.objects.bulk_create([ComplaintStatDirtyDay(day=day)], ignore_conflicts=True)


def on_complaint_deleted(sender: Any, instance: Complaint, **kwargs: Any) -> None:
    """``post_delete`` of a registration: recompute its receipt day at the next refresh."""
    _mark(instance.received_at)


def on_complaint_saving(sender: Any, instance: Complaint, update_fields: Any = None, raw: bool = False,
                        **kwargs: Any) -> None:
    """``pre_save`` of an existing registration that may change its receipt time (a full save, or
    one listing ``received_at``): when the local day changes, the old day is recomputed too (the
    watermark only shows the new one). The services' transitions save named fields without
    ``received_at`` and cost nothing here; a full save costs one primary-key read."""
    if raw or instance.pk is None or instance._state.adding:
        return
    if update_fields is not None and "received_at" not in update_fields:
        return
    old = Complaint.objects.filter(pk=instance.pk).values_list("received_at", flat=True).first()
    if old is None or instance.received_at is None:
        return
    zone = timezone.get_default_timezone()
    if timezone.localtime(old, zone).date() != timezone.localtime(instance.received_at, zone).date():
        _mark(old)


def periodic_job(now: dt.datetime) -> dict[str, Any]:
    """``zhidu tick``: keep the table warm (the watermark is real time, not the tick's ``now``)."""
    return refresh().as_dict()
