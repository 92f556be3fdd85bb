"""Statistics pages of complaint handling (P4.5): the statistics page with trend charts (inline SVG,
drawn on the server), its Excel export, the printable monthly analysis report, and the
registration form as a PDF (P4.3.2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhidu.core.errors import NotFoundError
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import reports, selectors, stats
from .models import Category, Channel, Kind

VIEW = "complaints.view"


def _actor(request: HttpRequest) -> Person:
    person = access.actor_for_user(request.user)
    if person is None or not access.can_anywhere(person, VIEW):
        raise PermissionDenied
    return person


@dataclass(frozen=True)
class Filters:
    granularity: str
    start: dt.date
    end: dt.date
    unit: OrgUnit | None
    kind: str
    channel: str
    category: str

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({"granularity": self.granularity, "start": self.start.isoformat(),
                          "end": self.end.isoformat(), "unit": self.unit.pk if self.unit else "",
                          "kind": self.kind, "channel": self.channel, "category": self.category})


def _date(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _filters(request: HttpRequest, actor: Person) -> Filters:
    g = request.GET
    today = timezone.localdate()
    granularity = g.get("granularity") or "month"
    if granularity not in stats.GRANULARITIES:
        granularity = "month"
    # default: this month's figures, with the trend of the last 12 months / 8 quarters / 5 years
    start = _date(g.get("start"), dt.date(today.year, today.month, 1))
    end = _date(g.get("end"), stats._add_months(dt.date(today.year, today.month, 1), 1))
    if end <= start:
        end = stats._add_months(dt.date(start.year, start.month, 1), 1)
    if (end - start).days > 366 * 20:
        start = dt.date(end.year - 20, 1, 1)
    unit = None
    raw_unit = g.get("unit") or ""
    if raw_unit.isdigit():
        unit = access.units_in_scope(actor, VIEW).filter(pk=int(raw_unit)).first()
    kind = g.get("kind") if g.get("kind") in Kind.values else ""
    channel = g.get("channel") if g.get("channel") in Channel.values else ""
    category = g.get("category") or ""
    if category and not Category.objects.filter(code=category).exists():
        category = ""
    return Filters(granularity, start, end, unit, kind or "", channel or "", category)


# ------------------------------------------------------------------------------------------ charts

CHART_W, CHART_H, PAD_L, PAD_R, PAD_B, PAD_T = 640, 220, 44, 40, 28, 12


def _nice_top(value: int) -> int:
    """The axis maximum: 4 × a step of 1, 2 or 5 × 10^k, at least ``value``."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if 4 * m * magnitude >= value:
                return 4 * m * magnitude
        magnitude *= 10


def bar_chart(figures: list[stats.Figures]) -> dict[str, Any]:
    """Bars (count per period) and a line (on-time rate, 0–100 % on the same height) as SVG
    coordinates; the template draws them."""
    n = max(len(figures), 1)
    top = _nice_top(max([f.n for f in figures] + [1]))
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_B - PAD_T
    slot = inner_w / n
    bars, points, sat_points = [], [], []
    for i, f in enumerate(figures):
        h = inner_h * f.n / top
        x = PAD_L + i * slot
        bars.append({"x": round(x + slot * 0.15, 1), "y": round(PAD_T + inner_h - h, 1),
                     "w": round(slot * 0.7, 1), "h": round(h, 1), "label": f.label, "n": f.n,
                     "lx": round(x + slot / 2, 1), "show_label": n <= 16 or i % max(n // 12, 1) == 0})
        cx = round(x + slot / 2, 1)
        if f.on_time_rate is not None:
            points.append(f"{cx},{round(PAD_T + inner_h * (1 - f.on_time_rate / 100), 1)}")
        if f.satisfaction_rate is not None:
            sat_points.append(f"{cx},{round(PAD_T + inner_h * (1 - f.satisfaction_rate / 100), 1)}")
    ticks = [{"y": round(PAD_T + inner_h * (1 - k / 4), 1), "n": top * k // 4} for k in range(5)]
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "line": " ".join(points), "sat_line": " ".join(sat_points),
            "ticks": ticks, "base_y": PAD_T + inner_h, "pad_l": PAD_L, "label_y": CHART_H - 8,
            "right": CHART_W - PAD_R, "pct_x": CHART_W - PAD_R + 4,
            "pct_ticks": [{"y": round(PAD_T + inner_h * (1 - k / 4), 1), "label": f"{k * 25}%"} for k in range(5)]}


def share_bars(figures: list[stats.Figures], limit: int = 10) -> list[dict[str, Any]]:
    """Horizontal bars (share of the total) for a breakdown."""
    rows = figures[:limit]
    total = sum(f.n for f in figures) or 1
    return [{"f": f, "pct": round(100 * f.n / total, 1)} for f in rows]


# ------------------------------------------------------------------------------------------ pages


def _context(request: HttpRequest, actor: Person, f: Filters) -> dict[str, Any]:
    figures = stats.compute(actor, start=f.start, end=f.end, granularity=f.granularity, unit=f.unit,
                            kind=f.kind, channel=f.channel, category=f.category)
    sections = [{"key": key, "label": stats.dimension_label(key), "rows": rows, "bars": share_bars(rows)}
                for key, rows in figures.by.items()]
    return {
        "f": f, "stats": figures, "chart": bar_chart(figures.trend), "sections": sections,
        "granularities": [("month", _("按月")), ("quarter", _("按季")), ("year", _("按年"))],
        "units": list(access.units_in_scope(actor, VIEW).order_by("path")),
        "kinds": Kind.choices, "channels": Channel.choices, "categories": selectors.categories(),
        "definitions": reports.definitions(), "columns": reports.column_labels(),
    }


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(request, "complaints/stats.html", _context(request, actor, _filters(request, actor)))


@login_required
@require_GET
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    f = _filters(request, actor)
    figures = stats.compute(actor, start=f.start, end=f.end, granularity=f.granularity, unit=f.unit,
                            kind=f.kind, channel=f.channel, category=f.category)
    body = reports.statistics_xlsx(figures, title=_("投诉处理统计（P4.5）"))
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="complaints-stats-{f.start}-{f.end}.xlsx"'
    return resp


@login_required
@require_GET
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The printable monthly analysis (P4.5, P4.6): the month's figures against the previous
    month, each type and unit, the top categories and root causes."""
    actor = _actor(request)
    today = timezone.localdate()
    raw = request.GET.get("month") or ""
    try:
        year, month = (int(x) for x in raw.split("-")) if raw else (today.year, today.month)
        start, end = stats.month_range(year, month)
    except ValueError:
        start, end = stats.month_range(today.year, today.month)
    unit = None
    raw_unit = request.GET.get("unit") or ""
    if raw_unit.isdigit():
        unit = access.units_in_scope(actor, VIEW).filter(pk=int(raw_unit)).first()
    prev_start = stats._add_months(start, -1)
    current = stats.compute(actor, start=start, end=end, unit=unit)
    previous = stats.compute(actor, start=prev_start, end=start, unit=unit, dimensions=(), trend=False)
    return render(request, "complaints/stats_report.html", {
        "month": f"{start:%Y-%m}", "unit": unit, "stats": current, "previous": previous.total,
        "chart": bar_chart(current.trend), "top_categories": current.top("category", 5),
        "top_units": current.top("unit", 10), "kinds": current.by.get("kind", []),
        "responsibility": current.by.get("responsibility", []), "satisfaction": current.by.get("satisfaction", []),
        "root_causes": stats.root_causes(actor, current.start, current.end, unit=unit),
        "definitions": reports.definitions(), "printed_at": timezone.localtime(),
        "units": list(access.units_in_scope(actor, VIEW).order_by("path")),
    })


@login_required
@require_GET
def registration_pdf(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """客户投诉登记表 (P4.3.2) as a PDF, for whoever may read the registration."""
    person = access.actor_for_user(request.user)
    if person is None:
        raise PermissionDenied
    try:
        c = selectors.get_complaint(person, complaint_id)
    except NotFoundError:
        from django.http import Http404

        raise Http404 from None
    resp = HttpResponse(reports.registration_pdf(person, c), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="complaint-{c.number}.pdf"'
    return resp
