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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.org import access
from zhidu.org.models import OrgUnit

from . import selectors
from .models import (
    Category,
    Channel,
    Complaint,
    Kind,
    ResponsibilityClass,
    Satisfaction,
    SpotResult,
)

GRANULARITIES = ("month", "quarter", "year")
SATISFIED = (Satisfaction.VERY_SATISFIED.value, Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value)
#: The clauses the figures rest on (cited on the page and in the export).
CLAUSES = ("P4.5", "P4.4.4", "P4.4.5", "P4.4.6", "P4.6")

# The counts behind every rate, as conditional aggregates (one pass over the rows).
_Q_CLOSED = Q(closed_on_time__isnull=False)
_Q_ON_TIME = Q(closed_on_time=True)
_Q_RATED = ~Q(satisfaction="")
_Q_SATISFIED = Q(satisfaction__in=SATISFIED)
_Q_REOPENED = Q(reopened_count__gt=0)
_Q_SPOT = Q(spot_check_result__in=[SpotResult.PASSED.value, SpotResult.FAILED.value])
_Q_SPOT_PASS = Q(spot_check_result=SpotResult.PASSED.value)
_PARTS: dict[str, Q | None] = {
    "n": None, "closed": _Q_CLOSED, "on_time": _Q_ON_TIME, "rated": _Q_RATED, "satisfied": _Q_SATISFIED,
    "reopened": _Q_REOPENED, "spot": _Q_SPOT, "spot_pass": _Q_SPOT_PASS,
}


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


def _grouped(qs: QuerySet[Complaint], column: str) -> list[dict[str, Any]]:
    return list(qs.order_by().values(column).annotate(**_aggregates()).order_by("-n", column))


def compute(actor: access.Actor, *, start: dt.date, end: dt.date, granularity: str = "month",
            unit: OrgUnit | None = None, kind: str = "", channel: str = "", category: str = "",
            dimensions: tuple[str, ...] = ("kind", "category", "unit", "channel", "responsibility", "satisfaction"),
            ) -> Statistics:
    """Every figure of the statistics page for registrations received in ``[start, end)`` (local
    dates), optionally of ``unit``'s subtree (as responsible unit) and one type/channel/category."""
    periods = buckets(granularity, start, end)
    lo, hi = (periods[0][1], periods[-1][2]) if periods else (_local(start), _local(end))
    qs = base(actor, lo, hi, unit=unit, kind=kind, channel=channel, category=category)

    # One pass: the totals and each period's counts (conditional aggregates on received_at ranges).
    aggs: dict[str, Count] = _aggregates("t_")
    for i, (_label, p_start, p_end) in enumerate(periods):
        aggs.update(_aggregates(f"p{i}_", Q(received_at__gte=p_start, received_at__lt=p_end)))
    row = qs.order_by().aggregate(**aggs)
    total = Figures.of("total", _("合计"), row, "t_")
    trend = [Figures.of(label, label, row, f"p{i}_") for i, (label, _s, _e) in enumerate(periods)]
    stats = Statistics(lo, hi, granularity, unit, total, trend)

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
        stats.by["responsibility"] = [
            Figures.of(r["responsibility_class"], str(labels.get(r["responsibility_class"], _("未定性"))), r)
            for r in _grouped(qs.filter(kind=Kind.COMPLAINT), "responsibility_class")]
    if "satisfaction" in dimensions:
        labels = dict(Satisfaction.choices)
        rows = _grouped(qs, "satisfaction")
        order = {v: i for i, v in enumerate([*Satisfaction.values, ""])}
        rows.sort(key=lambda r: order.get(r["satisfaction"], 99))
        stats.by["satisfaction"] = [Figures.of(r["satisfaction"] or "none",
                                               str(labels.get(r["satisfaction"], _("未评价"))), r) for r in rows]
    return stats


DIMENSION_LABELS = {
    "kind": "类型", "category": "类别", "unit": "责任单位", "channel": "受理渠道",
    "responsibility": "调查定性（投诉）", "satisfaction": "满意度",
}


def dimension_label(key: str) -> str:
    return _(DIMENSION_LABELS[key])


def root_causes(actor: access.Actor, start: dt.datetime, end: dt.datetime, *, unit: OrgUnit | None = None,
                limit: int = 5) -> list[dict[str, Any]]:
    """The month's most frequent (category, responsibility class) pairs of complaints found at fault
    (classes a and b, P4.4.3): where the summary looks for root causes (P4.6)."""
    qs = base(actor, start, end, unit=unit).filter(kind=Kind.COMPLAINT,
                                                   responsibility_class__in=[ResponsibilityClass.VIOLATION,
                                                                             ResponsibilityClass.MISTAKE])
    rows = list(qs.order_by().values("category", "responsibility_class").annotate(n=Count("id"))
                .order_by("-n", "category", "responsibility_class")[:limit])
    cat_labels = {c.code: c.label() for c in Category.objects.all()}
    labels = dict(ResponsibilityClass.choices)
    return [{"category": cat_labels.get(r["category"], r["category"]), "category_code": r["category"],
             "responsibility": str(labels.get(r["responsibility_class"], "")), "n": r["n"]} for r in rows]
