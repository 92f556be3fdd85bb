"""Statistics and analysis of complaint handling (P4.5), scoped to what the actor may view.

Every figure is an aggregate computed by the database (``GROUP BY`` / conditional ``COUNT``) over
:func:`zhidu.complaints.selectors.for_statistics` — the registrations the actor may view
(``complaints.view``) received in the period. Python only formats the few grouped rows.

Definitions (documented on the page and in the Excel export):

- **on-time rate** (P4.4.1, P4.4.2, P4.4.4): of the items closed, those closed by their deadline
  (``closed_on_time``); items closed without a deadline (no reply needed) are left out.
- **satisfaction rate** (P4.4.5, five levels of the 好差评 norm): of the items whose customer gave a
  satisfaction level, those rated 非常满意, 满意 or 基本满意. 不满意 and 非常不满意 count against it;
  items not rated are left out of the denominator (their number is shown next to it).
- **reopen rate** (P4.4.5, P4.4.6): items reopened at least once / all items.
- **spot-check pass rate** (P4.4.6): items verified 验证相符 / items verified (相符 + 不符).

The period is the month of receipt (the day a contact is received decides where it is counted).

**Where the figures come from.** :func:`compute` (the page, the Excel export, the monthly report)
reads the pre-aggregated table ``ComplaintStat`` (``aggregates``: counts per local receipt day,
month, quarter and year × responsible unit × receiving unit × type × category × channel, with the
counts per responsibility class and satisfaction level), refreshed from the complaints' ``updated_at``
first. A range reads the coarsest periods that fit it, so a year is a few thousand small rows
instead of a scan of its registrations. :func:`compute_direct` is the same computation straight over
the complaints table: the reference the tests hold the table to (``source="direct"``).

Access scope is the same for both: the registrations whose responsible or receiving unit the actor
may view come from the table; those the actor may read only because they received, registered or
investigate them (outside those units) are few and are added from the complaints table.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count, F, Field, ForeignKey, Func, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import aggregates, selectors
from .models import (
    Category,
    Channel,
    Complaint,
    Kind,
    ResponsibilityClass,
    Satisfaction,
)
from .models_stats import CLASS_KEYS, COUNT_COLUMNS, PARTS, SAT_KEYS, SAT_PARTS, ComplaintStat, class_column, sat_column

GRANULARITIES = ("month", "quarter", "year")
SATISFIED = (Satisfaction.VERY_SATISFIED.value, Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value)
#: The clauses the figures rest on (cited on the page and in the export).
CLAUSES = ("P4.5", "P4.4.4", "P4.4.5", "P4.4.6", "P4.6")

# The counts behind every rate, as conditional aggregates (one pass over the rows); the table's
# columns are counted with the same conditions.
_PARTS: dict[str, Q | None] = aggregates.PART_CONDITIONS
assert aggregates.SATISFIED == SATISFIED
DIMENSIONS = ("kind", "category", "unit", "channel", "responsibility", "satisfaction")


def _aggregates(prefix: str = "", extra: Q | None = None) -> dict[str, Count]:
    out = {}
    for name, cond in _PARTS.items():
        q = cond if extra is None else (extra if cond is None else extra & cond)
        out[f"{prefix}{name}"] = Count("id", filter=q) if q is not None else Count("id")
    return out


def _rate(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


@dataclass
class Figures:
    """The counts of a group and the four rates derived from them."""

    key: str
    label: str
    n: int = 0
    closed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    spot: int = 0
    spot_pass: int = 0

    @classmethod
    def of(cls, key: str, label: str, row: dict[str, Any], prefix: str = "") -> Figures:
        return cls(key, label, **{name: int(row.get(f"{prefix}{name}") or 0) for name in _PARTS})

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def reopen_rate(self) -> float | None:
        return _rate(self.reopened, self.n)

    @property
    def spot_pass_rate(self) -> float | None:
        return _rate(self.spot_pass, self.spot)


@dataclass
class Statistics:
    start: dt.datetime
    end: dt.datetime
    granularity: str
    unit: OrgUnit | None
    total: Figures
    trend: list[Figures]
    by: dict[str, list[Figures]] = field(default_factory=dict)
    clauses: tuple[str, ...] = CLAUSES

    def top(self, dimension: str, n: int = 5) -> list[Figures]:
        return [f for f in self.by.get(dimension, []) if f.n][:n]


# ------------------------------------------------------------------------------------------ periods


def _local(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(d.year, d.month, d.day), timezone.get_default_timezone())


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def buckets(granularity: str, start: dt.date, end: dt.date) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """The periods (label, start, end) of ``granularity`` covering ``[start, end)`` in local time;
    ``start`` is moved back to the beginning of its period."""
    if granularity not in GRANULARITIES:
        raise ValueError(granularity)
    step = {"month": 1, "quarter": 3, "year": 12}[granularity]
    if granularity == "year":
        cur = dt.date(start.year, 1, 1)
    elif granularity == "quarter":
        cur = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
    else:
        cur = dt.date(start.year, start.month, 1)
    out: list[tuple[str, dt.datetime, dt.datetime]] = []
    while cur < end and len(out) < 240:
        nxt = _add_months(cur, step)
        if granularity == "year":
            label = f"{cur.year}"
        elif granularity == "quarter":
            label = f"{cur.year}Q{(cur.month - 1) // 3 + 1}"
        else:
            label = f"{cur.year}-{cur.month:02d}"
        out.append((label, _local(cur), _local(nxt)))
        cur = nxt
    return out


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, _add_months(start, 1)


# ------------------------------------------------------------------------------------------ figures


def base(actor: access.Actor, start: dt.datetime, end: dt.datetime, *, unit: OrgUnit | None = None,
         kind: str = "", channel: str = "", category: str = "") -> QuerySet[Complaint]:
    qs = selectors.for_statistics(actor, start, end, unit=unit)
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    if category:
        qs = qs.filter(category=category)
    return qs


class _Grouping(Func):
    """The column to group by. On SQLite written ``+column``: the planner then reads the covering
    index ``cmp_stats_cover_idx`` over the period instead of walking a (dimension, received_at)
    index in order with a table lookup per row — 3–4 × faster over a month of a million rows
    (bench/bench_complaints_stats.py)."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


def _grouped(qs: QuerySet[Complaint], column: str, *, also: str = "") -> list[dict[str, Any]]:
    def grouping(name: str) -> _Grouping:
        field = Complaint._meta.get_field(name.removesuffix("_id"))
        return _Grouping(F(name), output_field=cast(Field, field.target_field if isinstance(field, ForeignKey) else field))

    extra = {"_a": grouping(also)} if also else {}
    rows = (qs.order_by().annotate(_g=grouping(column), **extra)
            .values("_g", *extra).annotate(**_aggregates()).order_by("-n", "_g"))
    out = []
    for r in rows:
        row = {column: r.pop("_g"), **r}
        if also:
            row[also] = row.pop("_a")
        out.append(row)
    # ties in the order of the values (Python's, whatever the database's collation)
    out.sort(key=lambda r: (-r["n"], r[column]))
    return out


TREND_PERIODS = {"month": 12, "quarter": 8, "year": 5}


def trend_start(granularity: str, start: dt.date, end: dt.date) -> dt.date:
    """The trend shows the selected range, and at least the last 12 months / 8 quarters / 5 years."""
    months = {"month": 1, "quarter": 3, "year": 12}[granularity] * TREND_PERIODS[granularity]
    return min(start, _add_months(dt.date(end.year, end.month, 1), -months + (0 if end.day == 1 else 1)))


def compute_direct(actor: access.Actor, *, start: dt.date, end: dt.date, granularity: str = "month",
                   unit: OrgUnit | None = None, kind: str = "", channel: str = "", category: str = "",
                   dimensions: tuple[str, ...] = DIMENSIONS, trend: bool = True) -> Statistics:
    """:func:`compute` straight over the complaints table (the reference; seconds over a year of a
    million registrations)."""
    if granularity not in GRANULARITIES:
        raise ValueError(granularity)
    lo, hi = _local(start), _local(end)
    qs = base(actor, lo, hi, unit=unit, kind=kind, channel=channel, category=category)
    trend_rows: list[Figures] = []
    total: Figures | None = None
    if trend:
        periods = buckets(granularity, trend_start(granularity, start, end), end)
        # one aggregate per period over its range of the covering index: no GROUP BY (no sort of the
        # rows), the query count grows with the periods (12 months, 8 quarters, 5 years), not the rows
        for label, p_start, p_end in periods:
            p_qs = base(actor, p_start, min(p_end, hi), unit=unit, kind=kind, channel=channel, category=category)
            trend_rows.append(Figures.of(label, label, p_qs.order_by().aggregate(**_aggregates())))
        inside = [f for f, (_l, p_start, _e) in zip(trend_rows, periods, strict=True) if p_start >= lo]
        if any(p_start == lo for _l, p_start, _e in periods):
            # the range starts on a period boundary: its totals are the sums of its periods' counts
            total = Figures("total", _("合计"), **{name: sum(getattr(f, name) for f in inside) for name in _PARTS})
    if total is None:
        total = Figures.of("total", _("合计"), qs.order_by().aggregate(**_aggregates()))
    stats = Statistics(lo, hi, granularity, unit, total, trend_rows)

    if "kind" in dimensions:
        labels = dict(Kind.choices)
        stats.by["kind"] = [Figures.of(r["kind"], str(labels.get(r["kind"], r["kind"])), r)
                            for r in _grouped(qs, "kind")]
    if "category" in dimensions:
        cat_labels = {c.code: c.label() for c in Category.objects.all()}
        stats.by["category"] = [Figures.of(r["category"], cat_labels.get(r["category"], r["category"]), r)
                                for r in _grouped(qs, "category")]
    if "unit" in dimensions:
        rows = _grouped(qs, "responsible_unit_id")
        names = dict(OrgUnit.objects.filter(pk__in=[r["responsible_unit_id"] for r in rows]).values_list("pk", "name"))
        stats.by["unit"] = [Figures.of(str(r["responsible_unit_id"]), names.get(r["responsible_unit_id"], "?"), r)
                            for r in rows]
    if "channel" in dimensions:
        labels = dict(Channel.choices)
        stats.by["channel"] = [Figures.of(r["channel"], str(labels.get(r["channel"], r["channel"])), r)
                               for r in _grouped(qs, "channel")]
    if "responsibility" in dimensions:
        labels = dict(ResponsibilityClass.choices)
        # grouped by (type, class) and the complaints kept: a filter on the type would lead SQLite to the
        # (kind, received_at) index and a table lookup per row
        stats.by["responsibility"] = [
            Figures.of(r["responsibility_class"], str(labels.get(r["responsibility_class"], _("未定性"))), r)
            for r in _grouped(qs, "responsibility_class", also="kind") if r["kind"] == Kind.COMPLAINT]
    if "satisfaction" in dimensions:
        labels = dict(Satisfaction.choices)
        rows = _grouped(qs, "satisfaction")
        order = {v: i for i, v in enumerate([*Satisfaction.values, ""])}
        rows.sort(key=lambda r: order.get(r["satisfaction"], 99))
        stats.by["satisfaction"] = [Figures.of(r["satisfaction"] or "none",
                                               str(labels.get(r["satisfaction"], _("未评价"))), r) for r in rows]
    return stats


# ------------------------------------------------------------------------------------------ from the table

Vector = dict[str, int]


def _day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value, timezone.get_default_timezone()).date()


def _add(into: Vector, other: Vector) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _sums(columns: Iterable[str]) -> dict[str, Sum]:
    return {f"s_{c}": Sum(c) for c in columns}


def _vector(row: dict[str, Any], columns: Iterable[str]) -> Vector:
    return {c: int(row.get(f"s_{c}") or 0) for c in columns}


@dataclass
class _Extra:
    """A registration the actor may read only as its receiver, registrar or investigator."""

    day: dt.date
    kind: str
    category: str
    channel: str
    responsible_unit_id: int
    counts: Vector


def _counts_of(kind: str, responsibility_class: str, satisfaction: str, closed_on_time: bool | None,
               reopened_count: int, spot_check_result: str) -> Vector:
    """One registration's contribution to every count column (the conditions of ``_PARTS``)."""
    parts = {
        "n": 1, "closed": int(closed_on_time is not None), "on_time": int(closed_on_time is True),
        "rated": int(satisfaction != ""), "satisfied": int(satisfaction in SATISFIED),
        "reopened": int(reopened_count > 0), "spot": int(spot_check_result in ("passed", "failed")),
        "spot_pass": int(spot_check_result == "passed"),
    }
    out = dict(parts)
    if responsibility_class in CLASS_KEYS:
        out.update({class_column(responsibility_class, p): parts[p] for p in PARTS})
    if satisfaction in SAT_KEYS:
        out.update({sat_column(satisfaction, p): parts[p] for p in SAT_PARTS})
    return out


class _View:
    """What one actor may see of the table, with the page's filters, and the registrations they
    may read outside those units (``extras``, from the complaints table)."""

    def __init__(self, actor: access.Actor, *, unit: OrgUnit | None = None, kind: str = "", channel: str = "",
                 category: str = "") -> None:
        filters = Q()
        if unit is not None:
            filters &= Q(responsible_unit_id__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk"))
        for name, value in (("kind", kind), ("channel", channel), ("category", category)):
            if value:
                filters &= Q(**{name: value})
        self.filters = filters
        # the unit part of selectors.scope_q; the person part is what the table cannot hold
        self.unit_scope: Q | None = None
        self.person: int | None = None
        if access.scope_paths(actor, selectors.VIEW) is not None:
            ids = access.units_in_scope(actor, selectors.VIEW).values("pk")
            self.unit_scope = Q(responsible_unit_id__in=ids) | Q(receiving_unit_id__in=ids)
            if isinstance(actor, Person):
                self.person = actor.pk
        rows = ComplaintStat.objects.filter(filters)
        self.rows = rows if self.unit_scope is None else rows.filter(self.unit_scope)
        self.extras: list[_Extra] = []

    def load_extras(self, start: dt.date, end: dt.date) -> None:
        """The registrations received in ``[start, end)`` the actor may read only as a person."""
        if self.person is None:
            return
        # investigator OR receiving person OR registrar, as a union of three index searches: an OR of
        # the three (or with the period) lets SQLite scan the period instead
        mine = [Complaint.objects.order_by().filter(**{column: self.person}).values("pk")
                for column in ("investigator_id", "receiving_person_id", "registered_by_id")]
        qs = Complaint.objects.filter(pk__in=mine[0].union(*mine[1:], all=True),
                                      received_at__gte=_local(start), received_at__lt=_local(end))
        qs = qs.filter(self.filters)
        if self.unit_scope is not None:
            qs = qs.exclude(self.unit_scope)
        self.extras = [
            _Extra(_day(received), kind_, category_, channel_, unit_id,
                   _counts_of(kind_, klass, sat, on_time, reopened, spot))
            for received, kind_, category_, channel_, unit_id, klass, sat, on_time, reopened, spot in qs.order_by()
            .values_list("received_at", "kind", "category", "channel", "responsible_unit_id", "responsibility_class",
                         "satisfaction", "closed_on_time", "reopened_count", "spot_check_result")]

    def _extras_in(self, start: dt.date, end: dt.date) -> list[_Extra]:
        return [e for e in self.extras if start <= e.day < end]

    def by_period(self, periods: list[tuple[dt.date, dt.date]]) -> list[Vector]:
        """The eight counts of each of the consecutive periods ``[start, end)``."""
        out: list[Vector] = [dict.fromkeys(PARTS, 0) for _p in periods]
        if not periods:
            return out
        starts = [p_start for p_start, _e in periods]

        def slot(day: dt.date) -> int | None:
            i = bisect.bisect_right(starts, day) - 1
            return i if i >= 0 and day < periods[i][1] else None

        spans = aggregates.merge(span for p_start, p_end in periods for span in aggregates.cover(p_start, p_end))
        for row in self.rows.filter(aggregates.spans_q(spans)).values("grain", "day").annotate(**_sums(PARTS)):
            i = slot(row["day"])
            assert i is not None, row
            _add(out[i], _vector(row, PARTS))
        for e in self.extras:
            i = slot(e.day)
            if i is not None:
                _add(out[i], {p: e.counts[p] for p in PARTS})
        return out

    def total(self, start: dt.date, end: dt.date) -> Vector:
        out = _vector(self.rows.filter(aggregates.spans_q(aggregates.cover(start, end))).aggregate(**_sums(PARTS)),
                      PARTS)
        for e in self._extras_in(start, end):
            _add(out, {p: e.counts[p] for p in PARTS})
        return out

    def grouped(self, column: str, start: dt.date, end: dt.date) -> list[tuple[Any, Vector]]:
        """``(value, counts)`` per value of a key column, most first (ties by value)."""
        groups: dict[Any, Vector] = {}
        for row in (self.rows.filter(aggregates.spans_q(aggregates.cover(start, end))).order_by()
                    .values(_g=F(column)).annotate(**_sums(PARTS))):
            groups[row["_g"]] = _vector(row, PARTS)
        for e in self._extras_in(start, end):
            _add(groups.setdefault(getattr(e, column), dict.fromkeys(PARTS, 0)), {p: e.counts[p] for p in PARTS})
        return sorted(((k, v) for k, v in groups.items() if v["n"]), key=lambda kv: (-kv[1]["n"], kv[0]))

    def columns(self, columns: tuple[str, ...], start: dt.date, end: dt.date, *, kind: str = "") -> Vector:
        """Sums of count columns over the range (of one type when ``kind``)."""
        rows = self.rows.filter(aggregates.spans_q(aggregates.cover(start, end)))
        if kind:
            rows = rows.filter(kind=kind)
        out = _vector(rows.aggregate(**_sums(columns)), columns)
        for e in self._extras_in(start, end):
            if not kind or e.kind == kind:
                _add(out, {c: e.counts.get(c, 0) for c in columns})
        return out


_CLASS_COLUMNS = tuple(class_column(c, p) for c in CLASS_KEYS for p in PARTS)
_SAT_COLUMNS = tuple(sat_column(s, p) for s in SAT_KEYS for p in SAT_PARTS)
assert set(_CLASS_COLUMNS) | set(_SAT_COLUMNS) | set(PARTS) == set(COUNT_COLUMNS)


def _of(key: str, label: str, counts: Vector) -> Figures:
    return Figures(key, label, **{p: counts[p] for p in PARTS})


def compute(actor: access.Actor, *, start: dt.date, end: dt.date, granularity: str = "month",
            unit: OrgUnit | None = None, kind: str = "", channel: str = "", category: str = "",
            dimensions: tuple[str, ...] = DIMENSIONS, trend: bool = True, source: str = "table") -> Statistics:
    """Every figure of the statistics page: totals and breakdowns for registrations received in
    ``[start, end)`` (local dates), optionally of ``unit``'s subtree (as responsible unit) and one
    type/channel/category; the trend by ``granularity`` over the range (at least the last 12
    months, 8 quarters or 5 years up to ``end``). From the pre-aggregated table, refreshed first;
    ``source="direct"``: :func:`compute_direct`."""
    if source == "direct":
        return compute_direct(actor, start=start, end=end, granularity=granularity, unit=unit, kind=kind,
                              channel=channel, category=category, dimensions=dimensions, trend=trend)
    if granularity not in GRANULARITIES:
        raise ValueError(granularity)
    aggregates.refresh()
    view = _View(actor, unit=unit, kind=kind, channel=channel, category=category)
    lo, hi = _local(start), _local(end)
    periods: list[tuple[str, dt.date, dt.date]] = []
    if trend:
        periods = [(label, _day(p_start), min(_day(p_end), end))
                   for label, p_start, p_end in buckets(granularity, trend_start(granularity, start, end), end)]
    view.load_extras(min([start, *(p_start for _l, p_start, _e in periods)]), end)
    trend_rows: list[Figures] = []
    total: Figures | None = None
    if periods:
        counts = view.by_period([(p_start, p_end) for _l, p_start, p_end in periods])
        trend_rows = [_of(label, label, c) for (label, _s, _e), c in zip(periods, counts, strict=True)]
        if any(p_start == start for _l, p_start, _e in periods):
            inside = [f for f, (_l, p_start, _e) in zip(trend_rows, periods, strict=True) if p_start >= start]
            total = Figures("total", _("合计"), **{name: sum(getattr(f, name) for f in inside) for name in PARTS})
    if total is None:
        total = _of("total", _("合计"), view.total(start, end))
    stats = Statistics(lo, hi, granularity, unit, total, trend_rows)

    if "kind" in dimensions:
        labels = dict(Kind.choices)
        stats.by["kind"] = [_of(k, str(labels.get(k, k)), c) for k, c in view.grouped("kind", start, end)]
    if "category" in dimensions:
        cat_labels = {c.code: c.label() for c in Category.objects.all()}
        stats.by["category"] = [_of(k, cat_labels.get(k, k), c) for k, c in view.grouped("category", start, end)]
    if "unit" in dimensions:
        unit_rows = view.grouped("responsible_unit_id", start, end)
        names = dict(OrgUnit.objects.filter(pk__in=[k for k, _c in unit_rows]).values_list("pk", "name"))
        stats.by["unit"] = [_of(str(k), names.get(k, "?"), c) for k, c in unit_rows]
    if "channel" in dimensions:
        labels = dict(Channel.choices)
        stats.by["channel"] = [_of(k, str(labels.get(k, k)), c) for k, c in view.grouped("channel", start, end)]
    if "responsibility" in dimensions:
        labels = dict(ResponsibilityClass.choices)
        sums = view.columns(_CLASS_COLUMNS, start, end, kind=Kind.COMPLAINT)
        rows = [(value, {p: sums[class_column(value, p)] for p in PARTS}) for value in CLASS_KEYS]
        rows = sorted((r for r in rows if r[1]["n"]), key=lambda r: (-r[1]["n"], r[0]))
        stats.by["responsibility"] = [_of(value, str(labels.get(value, _("未定性"))), c) for value, c in rows]
    if "satisfaction" in dimensions:
        labels = dict(Satisfaction.choices)
        sums = view.columns(_SAT_COLUMNS, start, end)
        figures = []
        for value in [*Satisfaction.values, ""]:
            c = {p: sums[sat_column(value, p)] for p in SAT_PARTS}
            if not c["n"]:
                continue
            c["rated"] = c["n"] if value else 0
            c["satisfied"] = c["n"] if value in SATISFIED else 0
            figures.append(_of(value or "none", str(labels.get(value, _("未评价"))), c))
        stats.by["satisfaction"] = figures
    return stats


DIMENSION_LABELS = {
    "kind": gettext_noop("类型"), "category": gettext_noop("类别"), "unit": gettext_noop("责任单位"),
    "channel": gettext_noop("受理渠道"), "responsibility": gettext_noop("调查定性（投诉）"),
    "satisfaction": gettext_noop("满意度"),
}


def dimension_label(key: str) -> str:
    return _(DIMENSION_LABELS[key])


def root_causes_direct(actor: access.Actor, start: dt.datetime, end: dt.datetime, *, unit: OrgUnit | None = None,
                       limit: int = 5) -> list[dict[str, Any]]:
    """:func:`root_causes` straight over the complaints table (the reference)."""
    qs = base(actor, start, end, unit=unit).filter(kind=Kind.COMPLAINT,
                                                   responsibility_class__in=[ResponsibilityClass.VIOLATION,
                                                                             ResponsibilityClass.MISTAKE])
    rows = list(qs.order_by().values("category", "responsibility_class").annotate(n=Count("id"))
                .order_by("-n", "category", "responsibility_class")[:limit])
    cat_labels = {c.code: c.label() for c in Category.objects.all()}
    labels = dict(ResponsibilityClass.choices)
    return [{"category": cat_labels.get(r["category"], r["category"]), "category_code": r["category"],
             "responsibility": str(labels.get(r["responsibility_class"], "")), "n": r["n"]} for r in rows]


def root_causes(actor: access.Actor, start: dt.datetime, end: dt.datetime, *, unit: OrgUnit | None = None,
                limit: int = 5, source: str = "table") -> list[dict[str, Any]]:
    """The month's most frequent (category, responsibility class) pairs of complaints found at fault
    (classes a and b, P4.4.3): where the summary looks for root causes (P4.6). From the table
    (``start``/``end`` at local midnight); ``source="direct"``: :func:`root_causes_direct`."""
    lo, hi = _day(start), _day(end)
    if source == "direct" or _local(lo) != start or _local(hi) != end:
        return root_causes_direct(actor, start, end, unit=unit, limit=limit)
    aggregates.refresh()
    view = _View(actor, unit=unit)
    view.load_extras(lo, hi)
    at_fault = (ResponsibilityClass.VIOLATION.value, ResponsibilityClass.MISTAKE.value)
    columns = {value: class_column(value, "n") for value in at_fault}
    pairs: dict[tuple[str, str], int] = {}
    rows = (view.rows.filter(aggregates.spans_q(aggregates.cover(lo, hi)), kind=Kind.COMPLAINT).order_by()
            .values(_g=F("category")).annotate(**_sums(columns.values())))
    for row in rows:
        for value, column in columns.items():
            pairs[(row["_g"], value)] = pairs.get((row["_g"], value), 0) + int(row[f"s_{column}"] or 0)
    for e in view._extras_in(lo, hi):
        if e.kind == Kind.COMPLAINT:
            for value, column in columns.items():
                if e.counts.get(column):
                    pairs[(e.category, value)] = pairs.get((e.category, value), 0) + e.counts[column]
    top = sorted(((n, cat, value) for (cat, value), n in pairs.items() if n), key=lambda t: (-t[0], t[1], t[2]))[:limit]
    cat_labels = {c.code: c.label() for c in Category.objects.all()}
    labels = dict(ResponsibilityClass.choices)
    return [{"category": cat_labels.get(cat, cat), "category_code": cat, "responsibility": str(labels.get(value, "")),
             "n": n} for n, cat, value in top]
