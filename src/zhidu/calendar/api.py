"""Calendar endpoints (mounted at /api/v1/calendar).

Reading needs any authenticated caller (the schedule is public); importing needs ``calendar.manage``.
Day answers share one shape with the CLI's ``--json``: ``{date, working, kind, name, provisional}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from zhidu.core.errors import FieldError, NotFoundError, ValidationFailed, ZhiduError
from zhidu.org import access

from . import selectors, services
from .formats import MAX_YEAR, MIN_YEAR, parse_date
from .rules import DayInfo

router = Router(tags=["calendar"])


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[ErrorItem]


class DayOut(Schema):
    date: date
    working: bool
    kind: str
    name: str
    provisional: bool


class ExplicitDayOut(Schema):
    date: date
    working: bool
    kind: str
    name: str
    source: str


class YearOut(Schema):
    year: int
    known: bool
    provisional: bool
    source: str
    confirmed_by: str
    confirmed_at: str | None
    days: list[ExplicitDayOut]


class RowErrorOut(Schema):
    line: int
    field: str
    message: str
    date: str | None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    deleted: int
    changed_dates: list[str]
    confirmed_years: list[int]
    errors: list[RowErrorOut]


def _day(info: DayInfo, provisional: bool | None = None) -> dict[str, Any]:
    return {"date": info.date, "working": info.working, "kind": info.kind.value, "name": info.name,
            "provisional": info.provisional if provisional is None else provisional}


def _parse(value: str, field: str) -> date:
    try:
        return parse_date(value)
    except ValueError as exc:
        raise ValidationFailed(_("请求参数有误。"), [FieldError(field, str(exc))]) from None


def _year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NotFoundError(_("年份须在 %(lo)d–%(hi)d 之间。") % {"lo": MIN_YEAR, "hi": MAX_YEAR})
    return year


ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/days/{day}", response={200: DayOut, **ERRORS})
def day(request: HttpRequest, day: str) -> dict[str, Any]:
    """One day: working or not, its kind and name, and whether it is provisional."""
    return _day(selectors.work_calendar().info(_parse(day, "date")))


@router.get("/add-workdays", response={200: DayOut, **ERRORS})
def add_workdays(request: HttpRequest, date: str, n: int) -> dict[str, Any]:
    """The n-th working day after ``date`` (not counted; n < 0 counts back), with the result's kind and
    name; ``provisional`` is that of the computation (any day examined in an unknown year)."""
    start = _parse(date, "date")
    cal = selectors.work_calendar()
    try:
        result, provisional = cal.add_working_days(start, n)
    except (ValueError, OverflowError):
        raise ValidationFailed(_("请求参数有误。"), [FieldError("n", _("结果超出支持的日期范围。"))]) from None
    return _day(cal.info(result), provisional)


@router.get("/years/{year}", response={200: YearOut, **ERRORS})
def year_detail(request: HttpRequest, year: int) -> dict[str, Any]:
    """A year: whether it is known (else every date is provisional) and its explicit days."""
    _year(year)
    snap = selectors.snapshot()
    rec = snap.year(year)
    known = snap.is_known(year)
    return {
        "year": year, "known": known, "provisional": not known, "source": rec.source,
        "confirmed_by": rec.confirmed_by, "confirmed_at": rec.confirmed_at.isoformat() if rec.confirmed_at else None,
        "days": [{"date": d.date, "working": d.working, "kind": d.kind.value, "name": d.name, "source": d.source}
                 for d in snap.days_in_year(year)],
    }


@router.get("/{year}.ics", response={200: None, **ERRORS})
def export_ics(request: HttpRequest, year: int) -> HttpResponse:
    """A year's holidays and make-up working days as iCalendar (importable back)."""
    response = HttpResponse(services.export_ics(_year(year)), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="workcalendar-{year}.ics"'
    return response


@router.post("/import", response={200: ImportOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def import_days(request: HttpRequest, file: UploadedFile = File(...), format: str = Form(""),  # noqa: B008
                partial: bool = Form(False), replace: bool = Form(False), source: str = Form("")) -> Any:
    """Import a CSV or ICS schedule (administrators).  Every bad row is reported in ``errors`` as
    ``{field: "<line>:<field>", message}``; nothing is written unless ``partial`` is true."""
    actor = access.actor_for_user(request.user)
    if actor is None:
        raise ZhiduError(_("此账户未关联人员档案。"), code="no_person", status=403)
    result = services.import_file(actor, file.read(), filename=file.name or "", fmt=format or None,
                                  partial=partial, replace=replace, source=source.strip() or (file.name or ""))
    return result.as_dict()
