"""Pages: meet from the inbox (htmx), an obligation's detail with extend / waive, compliance
figures with their Excel export, and the signed-in person's notifications."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhidu.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed, ZhiduError
from zhidu.core.http import request_actor
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import selectors, services

_actor = request_actor


def _error_text(exc: ZhiduError) -> str:
    return str(exc)


@login_required
@require_POST
def meet(request: HttpRequest, obligation_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        ob = selectors.get_obligation(actor, obligation_id)
        ob = services.meet(actor, ob, note=request.POST.get("note", ""))
        error = ""
    except NotFoundError:
        raise Http404 from None
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        ob = selectors.get_obligation(actor, obligation_id)
        error = _error_text(exc)
    if getattr(request, "htmx", False):
        return render(request, "obligations/_meet_result.html", {
            "item": selectors.item(actor, ob), "error": error, "count": selectors.inbox_count(actor),
        })
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已办结：%(title)s") % {"title": ob.title_text()})
    return redirect(request.POST.get("next") or "web:my_work")


def _parse_due(raw: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return timezone.make_aware(value, timezone.get_default_timezone()) if timezone.is_naive(value) else value


@login_required
def detail(request: HttpRequest, obligation_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        ob = selectors.get_obligation(actor, obligation_id)
    except NotFoundError:
        raise Http404 from None
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "extend":
                new_due = _parse_due(request.POST.get("new_due", ""))
                if new_due is None:
                    raise ValidationFailed(_("延期信息有误。"), [])
                approver = None
                if request.POST.get("approver"):
                    approver = Person.objects.filter(pk=request.POST["approver"]).first()
                services.extend(actor, ob, new_due=new_due, reason=request.POST.get("reason", ""), approver=approver)
                messages.success(request, _("已延期。"))
            elif action == "waive":
                services.waive(actor, ob, reason=request.POST.get("reason", ""))
                messages.success(request, _("已豁免。"))
            elif action == "meet":
                services.meet(actor, ob, note=request.POST.get("note", ""))
                messages.success(request, _("已办结：%(title)s") % {"title": ob.title_text()})
            else:
                raise Http404
            return redirect("obligations:detail", obligation_id=ob.pk)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            error = _error_text(exc)
        ob = selectors.get_obligation(actor, obligation_id)
    return render(request, "obligations/detail.html", {
        "ob": ob, "item": selectors.item(actor, ob), "error": error,
        "may_waive": access.can(actor, "obligations.waive", ob.responsible_unit),
        "may_extend": access.can(actor, "obligations.extend_approve", ob.responsible_unit)
        or access.can(actor, "obligations.manage", ob.responsible_unit),
    })


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today.replace(day=1)
    try:
        end = dt.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    return start, end


def _report(request: HttpRequest, actor: Person) -> tuple[list[OrgUnit], selectors.ComplianceReport | None, str]:
    units = list(access.units_in_scope(actor, "obligations.view_compliance").order_by("path"))
    if not units:
        raise PermissionDenied
    unit = next((u for u in units if str(u.pk) == request.GET.get("unit")), units[0])
    start, end = _period(request)
    try:
        return units, selectors.compliance(actor, unit, start, end), ""
    except ValidationFailed as exc:
        return units, None, _error_text(exc)


@login_required
@require_GET
def compliance(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    units, report, error = _report(request, actor)
    start, end = _period(request)
    return render(request, "obligations/compliance.html", {
        "units": units, "report": report, "error": error, "start": start, "end": end,
        "query": request.GET.urlencode(),
    })


@login_required
@require_GET
def compliance_export(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _units, report, error = _report(request, actor)
    if report is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        selectors.compliance_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"compliance-{report.unit.code}-{report.start.isoformat()}-{report.end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        raw = request.POST.get("id", "")
        services.mark_read(actor, int(raw) if raw.isdigit() else None)
        return redirect("obligations:notifications")
    return render(request, "obligations/notifications.html", {
        "notes": selectors.notifications(actor), "unread": selectors.unread_count(actor),
    })
