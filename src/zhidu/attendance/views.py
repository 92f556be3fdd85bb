"""Pages of attendance: my month (each day says why, with clauses), the unit month sheet (close,
approve, lock, Excel), leave request and approval, punches (import, manual, 补卡), duty-officer
exceptions and roll call, the monthly statement and HR's discipline queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhidu.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed, ZhiduError
from zhidu.core.http import request_actor
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import selectors, services
from .models import (
    DayStatus,
    ExceptionReason,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    LeaveType,
    Presence,
    PunchCorrection,
    StepStatus,
)

_actor = request_actor


def _period_or_404(period: str) -> str:
    try:
        selectors.parse_period(period)
    except ValidationFailed:
        raise Http404 from None
    return period


def _errors(exc: ZhiduError) -> list[str]:
    return [str(exc.message)] + [str(e.message) for e in exc.errors if str(e.message) != str(exc.message)]


def _field_errors(exc: ZhiduError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in exc.errors:
        out.setdefault(e.field, []).append(str(e.message))
    return out


def _current_period() -> str:
    return selectors.period_of(timezone.localdate())


def _parse_dt(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------- index


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    period = _current_period()
    return render(request, "attendance/index.html", {
        "period": period,
        "view_units": list(access.units_in_scope(actor, "attendance.view").order_by("path")),
        "exception_units": list(access.units_in_scope(actor, "attendance.exception").order_by("path")),
        "can_manage": access.can_anywhere(actor, "attendance.manage"),
        "can_punch_manual": access.can_anywhere(actor, "attendance.punch_manual"),
        "can_close": access.can_anywhere(actor, "attendance.close_month"),
        "approvals": len(selectors.leaves_to_approve(actor)) + selectors.corrections_to_decide(actor).count(),
        "today": timezone.localdate(),
    })


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return redirect("attendance:person_month", person_id=actor.pk, period=request.GET.get("period") or _current_period())


# ------------------------------------------------------------------------------------ my attendance


@login_required
@require_GET
def person_month(request: HttpRequest, person_id: int, period: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    person = get_object_or_404(Person, pk=person_id)
    try:
        month = selectors.person_month(actor, person, period)
    except PermissionDeniedError:
        raise Http404 from None
    trace = None
    if request.GET.get("why") == "1":
        trace = selectors.explain_person_month(actor, person, period)
    return render(request, "attendance/month.html", {
        "m": month, "person": person, "period": period, "mine": actor.pk == person.pk, "trace": trace,
        "previous_period": selectors.shift_period(period, -1), "next_period": selectors.shift_period(period, 1),
        "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
        "statuses": DayStatus,
    })


@login_required
@require_GET
def statement(request: HttpRequest, person_id: int, period: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    person = get_object_or_404(Person, pk=person_id)
    try:
        st = selectors.person_statement(actor, person, period)
    except PermissionDeniedError:
        raise Http404 from None
    return render(request, "attendance/statement.html", {
        "st": st, "person": person, "period": period,
        "trace": st.summary.trace_decisions() if st.summary else [],
        "previous_period": selectors.shift_period(period, -1), "next_period": selectors.shift_period(period, 1),
    })


# ------------------------------------------------------------------------------------ month sheet


@login_required
@require_GET
def unit_pick(request: HttpRequest) -> HttpResponse:
    unit_id = request.GET.get("unit", "")
    period = request.GET.get("period", "") or _current_period()
    if not unit_id.isdigit():
        messages.error(request, _("请选择单位。"))
        return redirect("attendance:index")
    try:
        selectors.parse_period(period)
    except ValidationFailed:
        messages.error(request, _("月份格式应为 YYYY-MM。"))
        return redirect("attendance:index")
    return redirect("attendance:sheet", unit_id=int(unit_id), period=period)


def _sheet_page(request: HttpRequest, actor: Person, unit: OrgUnit, period: str, *, status: int = 200,
                errors: list[str] | None = None) -> HttpResponse:
    try:
        sheet = selectors.month_sheet(actor, unit, period)
    except PermissionDeniedError:
        raise Http404 from None
    return render(request, "attendance/sheet.html", {
        "sheet": sheet, "unit": unit, "period": period, "errors": errors or [],
        "can_close": access.can(actor, "attendance.close_month", unit),
        "previous_period": selectors.shift_period(period, -1), "next_period": selectors.shift_period(period, 1),
    }, status=status)


@login_required
@require_GET
def sheet(request: HttpRequest, unit_id: int, period: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    return _sheet_page(request, actor, get_object_or_404(OrgUnit, pk=unit_id), period)


@login_required
@require_GET
def sheet_xlsx(request: HttpRequest, unit_id: int, period: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    try:
        data = selectors.month_sheet_xlsx(selectors.month_sheet(actor, unit, period))
    except PermissionDeniedError:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="attendance-{unit.code}-{period}.xlsx"'
    return response


@login_required
@require_POST
def month_action(request: HttpRequest, unit_id: int, period: str, verb: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    try:
        if verb == "close":
            report = services.close_month(actor, unit, period, reason=request.POST.get("reason", ""))
            messages.success(request, _("%(period)s 已结算：%(people)s 人，第 %(rev)s 次计算。") % {
                "period": period, "people": report.people, "rev": report.close.revision})
        elif verb == "approve":
            services.approve_month(actor, unit, period)
            messages.success(request, _("%(period)s 月报已审核。") % {"period": period})
        else:
            services.lock_month(actor, unit, period)
            messages.success(request, _("%(period)s 已锁定。") % {"period": period})
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        return _sheet_page(request, actor, unit, period, status=422, errors=_errors(exc))
    return redirect("attendance:sheet", unit_id=unit.pk, period=period)


# ------------------------------------------------------------------------------------------- leave


LEAVE_FIELDS = ("kind", "leave_type", "start_date", "end_date", "reason", "special_reason", "marriage_date",
                "pregnancy_months", "notified_at", "certificate_copy", "hospital_certificate", "first_marriage", "person")


def _leave_context(actor: Person, form: dict[str, Any] | None = None, errors: dict[str, list[str]] | None = None,
                   message: str = "") -> dict[str, Any]:
    on_behalf = [e for e in _people_in(actor, "attendance.approve_leave") if e.person_id != actor.pk]
    return {
        "leaves": list(selectors.my_leaves(actor)[:50]), "kinds": LeaveKind.choices,
        "leave_types": list(LeaveType.objects.filter(organization_id=actor.organization_id, active=True)),
        "form": form or {"start_date": timezone.localdate().isoformat(), "end_date": timezone.localdate().isoformat(),
                         "first_marriage": "1"},
        "errors": errors or {}, "message": message, "on_behalf": on_behalf,
    }


@login_required
@require_http_methods(["GET", "POST"])
def leave_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method == "GET":
        return render(request, "attendance/leave.html", _leave_context(actor))
    form = {k: request.POST.get(k, "") for k in LEAVE_FIELDS}
    person = actor
    if form["person"] and form["person"].isdigit() and int(form["person"]) != actor.pk:
        person = get_object_or_404(Person, pk=int(form["person"]))
    leave_type = None
    if form["leave_type"].isdigit():
        leave_type = LeaveType.objects.filter(pk=int(form["leave_type"])).first()
    start, end = _parse_date(form["start_date"]), _parse_date(form["end_date"])
    if start is None or end is None:
        errors = {"start_date" if start is None else "end_date": [_("日期格式应为 YYYY-MM-DD。")]}
        return render(request, "attendance/leave.html", _leave_context(actor, form, errors, _("请假申请有误。")), status=422)
    months = form["pregnancy_months"]
    try:
        leave = services.request_leave(
            actor, person, kind=form["kind"], start_date=start, end_date=end, reason=form["reason"],
            leave_type=leave_type if form["kind"] == LeaveKind.OTHER else None, special_reason=form["special_reason"],
            notified_at=_parse_dt(form["notified_at"]), marriage_date=_parse_date(form["marriage_date"]),
            first_marriage=bool(form["first_marriage"]), certificate_copy=bool(form["certificate_copy"]),
            pregnancy_months=int(months) if months.isdigit() else None,
            hospital_certificate=bool(form["hospital_certificate"]),
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        return render(request, "attendance/leave.html", _leave_context(actor, form, _field_errors(exc), str(exc.message)),
                      status=422)
    messages.success(request, _("请假申请已提交，等待审批。"))
    return redirect("attendance:leave_detail", leave_id=leave.pk)


def _leave_page(request: HttpRequest, actor: Person, leave: LeaveRequest, *, status: int = 200,
                errors: list[str] | None = None) -> HttpResponse:
    from zhidu.rulebook.decision import Decision

    steps = list(leave.steps.select_related("approver", "decided_by").order_by("step"))
    current = next((s for s in steps if s.status == StepStatus.PENDING), None)
    return render(request, "attendance/leave_detail.html", {
        "leave": leave, "steps": steps, "current": current, "errors": errors or [],
        "can_decide": current is not None and services.may_decide_step(actor, current),
        "can_cancel": leave.status in (LeaveStatus.PENDING, LeaveStatus.APPROVED) and (
            actor.pk in (leave.person_id, leave.requested_by_id)) and (
            leave.status == LeaveStatus.PENDING or leave.start_date > timezone.localdate()),
        "can_certificate": leave.kind == LeaveKind.SICK and leave.certificate_at is None and leave.status in (
            LeaveStatus.PENDING, LeaveStatus.APPROVED),
        "eligibility": [Decision.from_dict(d) for d in leave.eligibility],
        "chain": Decision.from_dict(leave.chain_decision) if leave.chain_decision else None,
    }, status=status)


@login_required
@require_GET
def leave_detail(request: HttpRequest, leave_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        leave = selectors.get_leave(actor, leave_id)
    except NotFoundError:
        raise Http404 from None
    return _leave_page(request, actor, leave)


@login_required
@require_POST
def leave_action(request: HttpRequest, leave_id: int, verb: str) -> HttpResponse:
    actor = _actor(request)
    try:
        leave = selectors.get_leave(actor, leave_id)
    except NotFoundError:
        raise Http404 from None
    try:
        if verb == "approve":
            services.approve_leave(actor, leave, note=request.POST.get("note", ""))
            messages.success(request, _("已同意。"))
        elif verb == "reject":
            services.reject_leave(actor, leave, note=request.POST.get("note", ""))
            messages.success(request, _("已驳回。"))
        elif verb == "cancel":
            services.cancel_leave(actor, leave)
            messages.success(request, _("请假已撤销。"))
        else:
            services.submit_certificate(actor, leave, stamped=request.POST.get("stamped", "1") == "1")
            messages.success(request, _("病假单已登记。"))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        leave.refresh_from_db()
        return _leave_page(request, actor, leave, status=422, errors=_errors(exc))
    if verb in ("approve", "reject") and request.POST.get("next") == "approvals":
        return redirect("attendance:approvals")
    return redirect("attendance:leave_detail", leave_id=leave.pk)


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(request, "attendance/approvals.html", {
        "steps": selectors.leaves_to_approve(actor),
        "corrections": list(selectors.corrections_to_decide(actor)[:200]),
    })


# ----------------------------------------------------------------------------------- punches, 补卡


@login_required
@require_POST
def correction_request(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    at = _parse_dt(request.POST.get("at", ""))
    period = request.POST.get("period") or _current_period()
    if at is None:
        messages.error(request, _("补卡时间格式有误。"))
    else:
        try:
            services.request_correction(actor, actor, at=at, reason=request.POST.get("reason", ""))
            messages.success(request, _("补卡申请已提交。"))
        except ValidationFailed as exc:
            for text in _errors(exc):
                messages.error(request, text)
    return redirect("attendance:person_month", person_id=actor.pk, period=_period_or_404(period))


@login_required
@require_POST
def correction_decide(request: HttpRequest, correction_id: int) -> HttpResponse:
    actor = _actor(request)
    corr = get_object_or_404(PunchCorrection, pk=correction_id)
    try:
        services.decide_correction(actor, corr, approve=request.POST.get("approve") == "1",
                                   note=request.POST.get("note", ""))
        messages.success(request, _("补卡申请已处理。"))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        for text in _errors(exc):
            messages.error(request, text)
    return redirect("attendance:approvals")


def _people_in(actor: Person, action: str) -> list[Any]:
    units = list(access.units_in_scope(actor, action))
    if not units:
        return []
    emps: dict[int, Any] = {}
    for unit in units:
        for e in selectors.people_of(unit, timezone.localdate(), timezone.localdate()):
            emps.setdefault(e.person_id, e)
    return sorted(emps.values(), key=lambda e: (e.unit.path, e.person.name))


@login_required
@require_http_methods(["GET", "POST"])
def manual_punch(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not access.can_anywhere(actor, "attendance.punch_manual"):
        raise PermissionDenied
    context: dict[str, Any] = {"people": [e for e in _people_in(actor, "attendance.punch_manual") if e.person_id != actor.pk],
                               "form": {}, "errors": []}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("person", "at", "reason")}
        context["form"] = form
        person = Person.objects.filter(pk=int(form["person"])).first() if form["person"].isdigit() else None
        at = _parse_dt(form["at"])
        if person is None or at is None:
            context["errors"] = [_("请选择人员并填写打卡时间。")]
            return render(request, "attendance/manual_punch.html", context, status=422)
        try:
            services.add_manual_punch(actor, person, at=at, reason=form["reason"])
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            context["errors"] = _errors(exc)
            return render(request, "attendance/manual_punch.html", context, status=422)
        messages.success(request, _("已补录 %(name)s 的打卡记录。") % {"name": person.name})
        return redirect("attendance:manual_punch")
    return render(request, "attendance/manual_punch.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_punches(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    units = list(access.units_in_scope(actor, "attendance.manage").order_by("path"))
    if not units:
        raise PermissionDenied
    context: dict[str, Any] = {"units": units, "report": None, "errors": [], "row_errors": [], "form": {}}
    if request.method == "POST":
        unit_id = request.POST.get("unit", "")
        upload = request.FILES.get("file")
        partial = request.POST.get("partial") == "1"
        check_only = request.POST.get("check") == "1"
        context["form"] = {"unit": unit_id, "partial": partial}
        unit = next((u for u in units if str(u.pk) == unit_id), None)
        if unit is None or upload is None:
            context["errors"] = [_("请选择单位和文件。")]
            return render(request, "attendance/import.html", context, status=422)
        content = upload.read()
        try:
            if check_only:
                context["report"] = services.check_punch_file(actor, unit, filename=upload.name or "", content=content)
            else:
                context["report"] = services.import_punches(actor, unit, filename=upload.name or "", content=content,
                                                            partial=partial)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            context["errors"] = [str(exc.message)]
            context["row_errors"] = [(e.field, str(e.message)) for e in exc.errors]
            return render(request, "attendance/import.html", context, status=422)
    return render(request, "attendance/import.html", context)


# ------------------------------------------------------------------------- P10.2.3 / P10.2.1


@login_required
@require_http_methods(["GET", "POST"])
def exceptions(request: HttpRequest) -> HttpResponse:
    from .models import DutyException

    actor = _actor(request)
    units = list(access.units_in_scope(actor, "attendance.exception").order_by("path"))
    if not units:
        raise PermissionDenied
    context: dict[str, Any] = {
        "units": units, "reasons": ExceptionReason.choices, "form": {"people": []}, "errors": [],
        "people": _people_in(actor, "attendance.exception"),
        "recent": list(DutyException.objects.filter(unit__in=units).select_related("unit", "recorded_by")
                       .prefetch_related("people")[:50]),
    }
    if request.method == "POST":
        form: dict[str, Any] = {k: request.POST.get(k, "") for k in ("unit", "start", "end", "reason", "note")}
        form["people"] = request.POST.getlist("people")
        context["form"] = form
        unit = next((u for u in units if str(u.pk) == form["unit"]), None)
        start, end = _parse_dt(form["start"]), _parse_dt(form["end"])
        if unit is None or start is None or end is None:
            context["errors"] = [_("请选择单位并填写开始和结束时间。")]
            return render(request, "attendance/exceptions.html", context, status=422)
        people = list(Person.objects.filter(pk__in=[int(p) for p in form["people"] if p.isdigit()]))
        try:
            services.record_exception(actor, unit, start=start, end=end, reason=form["reason"], people=people,
                                      note=form["note"])
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            context["errors"] = _errors(exc)
            return render(request, "attendance/exceptions.html", context, status=422)
        messages.success(request, _("考勤异常已记录，考勤按出勤处理（P10.2.3）。"))
        return redirect("attendance:exceptions")
    return render(request, "attendance/exceptions.html", context)


@login_required
@require_GET
def roll_call_pick(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    unit_id = request.GET.get("unit", "")
    day = request.GET.get("day", "") or timezone.localdate().isoformat()
    if unit_id.isdigit() and _parse_date(day):
        return redirect("attendance:roll_call", unit_id=int(unit_id), day=day)
    return render(request, "attendance/roll_call_pick.html", {
        "units": list(access.units_in_scope(actor, "attendance.exception").order_by("path")),
        "day": day,
    })


def _roll_call_page(request: HttpRequest, actor: Person, unit: OrgUnit, day: dt.date, *, status: int = 200,
                    errors: list[str] | None = None) -> HttpResponse:
    try:
        roll, lines = selectors.roll_call_sheet(actor, unit, day)
    except PermissionDeniedError:
        raise Http404 from None
    return render(request, "attendance/roll_call.html", {
        "unit": unit, "day": day, "roll": roll, "lines": lines, "presences": Presence.choices,
        "errors": errors or [],
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def roll_call(request: HttpRequest, unit_id: int, day: str) -> HttpResponse:
    actor = _actor(request)
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    date = _parse_date(day)
    if date is None:
        raise Http404
    if request.method == "POST":
        marks = {int(k[2:]): str(request.POST.get(k, "")) for k in request.POST if k.startswith("p-") and k[2:].isdigit()}
        notes = {int(k[2:]): str(request.POST.get(k, "")) for k in request.POST if k.startswith("n-") and k[2:].isdigit()}
        try:
            services.record_roll_call(actor, unit, date, marks, notes)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            return _roll_call_page(request, actor, unit, date, status=422, errors=_errors(exc))
        messages.success(request, _("点名已记录。"))
        return redirect("attendance:roll_call", unit_id=unit.pk, day=date.isoformat())
    return _roll_call_page(request, actor, unit, date)


@login_required
@require_POST
def roll_call_report(request: HttpRequest, unit_id: int, day: str) -> HttpResponse:
    from .models import RollCall

    actor = _actor(request)
    date = _parse_date(day)
    if date is None:
        raise Http404
    roll = get_object_or_404(RollCall, unit_id=unit_id, date=date)
    try:
        services.report_roll_call(actor, roll, note=request.POST.get("note", ""))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        return _roll_call_page(request, actor, roll.unit, date, status=422, errors=_errors(exc))
    messages.success(request, _("已向领导通报（P10.2.1）。"))
    return redirect("attendance:roll_call", unit_id=unit_id, day=date.isoformat())


# ------------------------------------------------------------------------------------- discipline


@login_required
@require_GET
def discipline(request: HttpRequest) -> HttpResponse:
    """HR's discipline queue: the suspensions and dismissals attendance proposed (P7.12 / P7.3), each
    confirmed or rejected on the sanctions ledger's page."""
    from zhidu.sanctions import selectors as ledger

    actor = _actor(request)
    items = [p for p in ledger.pending_actions(actor) if p.entry.source_module == services.MODULE]
    return render(request, "attendance/discipline.html", {"items": items})
