"""The calendar page: a year's holidays and make-up days, a day look-up, and (for administrators)
import from CSV/ICS and confirming a year."""

from __future__ import annotations

import calendar as pycalendar
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhidu.core.errors import ValidationFailed
from zhidu.org import access

from . import selectors, services
from .formats import MAX_YEAR, MIN_YEAR, DayRow, RowError, parse_date
from .models import DayKindChoices
from .rules import DayKind

MAX_UPLOAD_BYTES = 2 * 1024 * 1024

_CSS = {
    DayKind.HOLIDAY: "holiday",
    DayKind.MAKEUP: "makeup",
    DayKind.WEEKEND: "weekend",
    DayKind.WORKDAY: "workday",
}


def _year_param(request: HttpRequest) -> int:
    raw = request.GET.get("year") or request.POST.get("year")
    if not raw:
        return timezone.localdate().year
    try:
        year = int(raw)
    except ValueError:
        raise Http404 from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    return year


def _groups(days: list[DayRow]) -> list[dict[str, Any]]:
    """Consecutive days with the same kind and name, for the list under the year view."""
    out: list[dict[str, Any]] = []
    for day in days:
        if out:
            last = out[-1]
            if (last["end"] + timedelta(days=1) == day.date and last["kind"] == day.kind.value
                    and last["name"] == day.name and last["working"] == day.working):
                last["end"] = day.date
                last["count"] += 1
                continue
        out.append({"start": day.date, "end": day.date, "count": 1, "kind": day.kind.value,
                    "kind_label": DayKindChoices(day.kind.value).label, "name": day.name,
                    "working": day.working, "source": day.source, "css": _CSS[day.kind]})
    return out


def _months(year: int, snap: selectors.CalendarSnapshot) -> list[dict[str, Any]]:
    cal = snap.calendar
    grid = pycalendar.Calendar(firstweekday=0)
    months = []
    for month in range(1, 13):
        weeks = []
        for week in grid.monthdatescalendar(year, month):
            cells: list[dict[str, Any] | None] = []
            for d in week:
                if d.month != month:
                    cells.append(None)
                    continue
                info = cal.info(d)
                cells.append({"day": d.day, "date": d, "css": _CSS[info.kind], "name": info.name,
                              "title": f"{d.isoformat()} {DayKindChoices(info.kind.value).label} {info.name}".strip()})
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


def _lookup(request: HttpRequest) -> dict[str, Any] | None:
    raw = (request.GET.get("date") or "").strip()
    if not raw:
        return None
    try:
        d = parse_date(raw)
    except ValueError as exc:
        return {"error": str(exc), "raw": raw}
    cal = selectors.work_calendar()
    info = cal.info(d)
    out: dict[str, Any] = {"info": info, "kind_label": DayKindChoices(info.kind.value).label, "raw": raw}
    raw_n = (request.GET.get("n") or "").strip()
    if raw_n:
        try:
            n = int(raw_n)
        except ValueError:
            out["n_error"] = _("工作日数“%(v)s”有误。") % {"v": raw_n}
            return out
        try:
            result, provisional = cal.add_working_days(d, n)
        except (ValueError, OverflowError):
            out["n_error"] = _("结果超出支持的日期范围。")
        else:
            out.update(n=n, result=result, result_provisional=provisional)
    return out


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    actor = access.actor_for_user(request.user)
    year = _year_param(request)
    can_manage = actor is not None and services.can_manage(actor)
    import_errors: list[RowError] = []
    form_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not can_manage or actor is None:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "confirm":
                services.confirm_year(actor, year, source=request.POST.get("source", ""))
                messages.success(request, _("已确认 %(year)d 年的节假日安排。") % {"year": year})
                return HttpResponseRedirect(f"{reverse('calendar:index')}?year={year}")
            if action == "import":
                upload = request.FILES.get("file")
                if upload is None:
                    form_errors.append(_("请选择要导入的文件。"))
                elif upload.size and upload.size > MAX_UPLOAD_BYTES:
                    form_errors.append(_("文件过大（上限 2 MB）。"))
                else:
                    result = services.import_file(
                        actor, upload.read(), filename=upload.name or "", fmt=request.POST.get("format") or None,
                        partial=bool(request.POST.get("partial")), replace=bool(request.POST.get("replace")),
                        source=request.POST.get("source", "").strip() or (upload.name or ""),
                    )
                    text = _("导入完成：新增 %(c)d 天，修改 %(u)d 天，未变 %(s)d 天，删除 %(d)d 天。") % {
                        "c": result.created, "u": result.updated, "s": result.unchanged, "d": result.deleted}
                    messages.success(request, text)
                    for err in result.errors:
                        messages.warning(request, str(err))
                    target = result.confirmed_years[0] if result.confirmed_years else year
                    return HttpResponseRedirect(f"{reverse('calendar:index')}?year={target}")
            else:
                form_errors.append(_("未知的操作。"))
        except services.ImportFailed as exc:
            import_errors = exc.rows
            form_errors.append(str(exc.message))
        except ValidationFailed as exc:
            form_errors.append(str(exc))
        status = 422
    snap = selectors.snapshot()
    record = snap.year(year)
    hours = []
    if actor is not None:
        for emp in actor.employments.select_related("unit").filter(ended_on__isnull=True):
            hours.append({"unit": emp.unit, "hours": selectors.working_hours_for(emp.unit)})
    context = {
        "year": year,
        "prev_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "known": snap.is_known(year),
        "record": record,
        "groups": _groups(snap.days_in_year(year)),
        "months": _months(year, snap),
        "weekday_labels": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
        "lookup": _lookup(request),
        "can_manage": can_manage,
        "import_errors": import_errors,
        "form_errors": form_errors,
        "hours": hours,
        "today": timezone.localdate(),
    }
    return render(request, "calendar/index.html", context, status=status)


def _export(year: int, fmt: str) -> HttpResponse:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    if fmt == "ics":
        response = HttpResponse(services.export_ics(year), content_type="text/calendar; charset=utf-8")
    else:
        response = HttpResponse(services.export_csv(year), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="workcalendar-{year}.{fmt}"'
    return response


@login_required
@require_GET
def export_ics(request: HttpRequest, year: int) -> HttpResponse:
    return _export(year, "ics")


@login_required
@require_GET
def export_csv(request: HttpRequest, year: int) -> HttpResponse:
    return _export(year, "csv")


__all__ = ["export_csv", "export_ics", "index"]
