"""Pages of complaint handling, one per role: the agent's registration form (keyboard first, duplicate
hints via htmx), the handler's queue, the investigator's list, the item page with the actions the
viewer may take, the verifier's spot checks, the manager's overview, and the public form and
tracking page (no login)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhidu.core.errors import FieldError, NotFoundError, PermissionDeniedError, ValidationFailed, ZhiduError
from zhidu.core.http import request_actor
from zhidu.org import access
from zhidu.org.models import Organization, OrgUnit, Person

from . import ratelimit, selectors, services
from .forms import IntakeForm, PublicForm, TrackForm
from .models import (
    Adoption,
    Attachment,
    Complaint,
    FeedbackMethod,
    Kind,
    RectificationPlan,
    ResponsibilityClass,
    Satisfaction,
    Severity,
    SpotCheckItem,
    State,
)

PUBLIC_TRACK_LIMIT = 30


_actor = request_actor


def _errors(exc: ZhiduError) -> list[str]:
    return [str(exc.message)] + [f"{e.field}: {e.message}" for e in exc.errors]


def _require_any(actor: Person, *actions: str) -> None:
    if not any(access.can_anywhere(actor, a) for a in actions):
        raise PermissionDenied


# ------------------------------------------------------------------------------------------ overview


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The manager's overview (counts by state and type) and the way to each role's page."""
    actor = _actor(request)
    _require_any(actor, "complaints.view", "complaints.intake")
    counts = selectors.state_counts(actor)
    rows = [(State(s).label, s, [counts["table"].get((s, k), 0) for k in Kind.values], counts["by_state"][s])
            for s in State.values]
    return render(request, "complaints/index.html", {
        "counts": counts, "rows": rows, "kinds": Kind.choices,
        "can_intake": access.can_anywhere(actor, "complaints.intake"),
        "can_handle": access.can_anywhere(actor, "complaints.handle"),
        "can_verify": access.can_anywhere(actor, "complaints.verify"),
        "recent": list(selectors.visible(actor).select_related("responsible_unit")[:20]), "now": timezone.now(),
    })


# ------------------------------------------------------------------------------------------ intake


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_any(actor, "complaints.intake")
    form = IntakeForm(actor, request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        received = d["received_at"]
        data = services.Intake(
            kind=d["kind"], category=d["category"], channel=d["channel"], content=d["content"],
            receiving_unit=d["receiving_unit"], customer_name=d["customer_name"], customer_phone=d["customer_phone"],
            customer_contact=d["customer_contact"], received_at=received, territory=d["territory"],
            special=d["special"], special_reason=d["special_reason"], special_approver=d["special_approver"],
            reply_needed=d["reply_needed"], promised_reply_on=d["promised_reply_on"],
            answered_on_spot=d["answered_on_spot"], answer=d["answer"], subject_unit=d["subject_unit"],
            subject_staff=d["subject_staff"], forwarded_from=d["forwarded_from"],
            handling_opinion=d["handling_opinion"], attachments=d["attachments"] or (),
        )
        try:
            result = services.register(actor, data)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            for e in exc.errors:
                name = e.field.split(".")[0]
                form.add_error(name if name in form.fields else None, str(e.message))
            errors = [str(exc.message)]
        else:
            c = result.complaint
            messages.success(request, _("已登记 %(number)s，责任单位：%(unit)s。") % {
                "number": c.number, "unit": c.responsible_unit.name})
            if request.POST.get("next") == "new":
                return redirect("complaints:new")
            return redirect("complaints:detail", complaint_id=c.pk)
    return render(request, "complaints/intake.html", {"form": form, "errors": errors},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """htmx: likely duplicates while the agent types (same phone, similar content, recent)."""
    actor = _actor(request)
    unit = OrgUnit.objects.filter(pk=request.GET.get("receiving_unit") or 0).first()
    if unit is None or not access.can(actor, "complaints.intake", unit):
        return render(request, "complaints/_duplicates.html", {"items": []})
    items = selectors.likely_duplicates(actor, unit.organization_id, phone=request.GET.get("customer_phone", ""),
                                        content=request.GET.get("content", ""))
    return render(request, "complaints/_duplicates.html", {"items": items})


# ------------------------------------------------------------------------------------------ queues


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_any(actor, "complaints.handle")
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else None
    items = list(selectors.queue(actor, kind=kind)[:300])
    return render(request, "complaints/queue.html", {
        "items": items, "kind": kind or "", "kinds": Kind.choices, "now": timezone.now(),
    })


@login_required
@require_GET
def investigations(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(request, "complaints/investigations.html", {
        "items": list(selectors.investigations(actor)), "plans": list(selectors.my_plans(actor)),
        "heads": list(selectors.head_decisions_due(actor)), "now": timezone.now(),
    })


# ------------------------------------------------------------------------------------------ detail


def _detail_context(actor: Person, c: Complaint) -> dict[str, Any]:
    org_root = OrgUnit.objects.filter(organization_id=c.organization_id, parent__isnull=True).first()
    can_handle = access.can(actor, "complaints.handle", c.responsible_unit)
    can_investigate = c.investigator_id == actor.pk or access.can(actor, "complaints.investigate", c.responsible_unit)
    can_feedback = can_handle or any(access.can(actor, a, c.receiving_unit)
                                     for a in ("complaints.handle", "complaints.intake"))
    pending = c.state in (State.OPEN, State.INVESTIGATING, State.HANDLED)
    return {
        "c": c, "contact": selectors.contact(actor, c), "timeline": selectors.timeline(actor, c),
        "obligations": selectors.obligations_of(c), "transfers": list(c.transfers.select_related("from_unit", "to_unit", "by")),
        "attachments": list(c.attachments.all()), "faults": list(c.faults.select_related("person")),
        "plans": list(c.plans.select_related("owner")), "criticisms": list(c.criticisms.all()),
        "can_handle": can_handle, "can_investigate": can_investigate, "can_feedback": can_feedback,
        "can_manage": access.can(actor, "complaints.manage", c.responsible_unit),
        "is_head": c.head_id == actor.pk, "pending": pending,
        "staff": selectors.staff_of(c.responsible_unit), "everyone": selectors.staff_of(org_root) if org_root else [],
        "managers": selectors.managers_of(c.responsible_unit),
        "units": list(OrgUnit.objects.filter(organization_id=c.organization_id).order_by("path")),
        "classes": ResponsibilityClass.choices, "satisfactions": Satisfaction.choices,
        "methods": FeedbackMethod.choices, "adoptions": Adoption.choices, "severities": Severity.choices,
        "now": timezone.now(), "overdue": bool(c.due_at and pending and c.due_at < timezone.now()),
        "errors": {},
    }


def _get(actor: Person, complaint_id: int) -> Complaint:
    try:
        return selectors.get_complaint(actor, complaint_id)
    except NotFoundError:
        raise Http404 from None


@login_required
@require_GET
def detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    actor = _actor(request)
    return render(request, "complaints/detail.html", _detail_context(actor, _get(actor, complaint_id)))


def _post_int(request: HttpRequest, name: str) -> int | None:
    raw = (request.POST.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


def _post_date(request: HttpRequest, name: str) -> dt.date | None:
    raw = (request.POST.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationFailed(_("日期格式有误。"), [FieldError(name, _("日期应为 YYYY-MM-DD。"))]) from None


def _post_person(request: HttpRequest, c: Complaint, name: str) -> Person | None:
    pk = _post_int(request, name)
    return Person.objects.filter(pk=pk, organization_id=c.organization_id).first() if pk else None


def _post_unit(request: HttpRequest, c: Complaint, name: str) -> OrgUnit | None:
    pk = _post_int(request, name)
    return OrgUnit.objects.filter(pk=pk, organization_id=c.organization_id).first() if pk else None


def _faults(request: HttpRequest, c: Complaint) -> list[services.Fault]:
    people = request.POST.getlist("fault_person")
    severities = request.POST.getlist("fault_severity")
    out = []
    for pk, severity in zip(people, severities, strict=False):
        if pk.strip().isdigit():
            person = Person.objects.filter(pk=int(pk), organization_id=c.organization_id).first()
            if person is not None:
                out.append(services.Fault(person, severity))
    return out


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise ValidationFailed(_("信息不完整。"), [FieldError(name, _("请选择。"))])
    return value


ACTIONS: dict[str, Callable[[Person, Complaint, HttpRequest], Any]] = {
    "transfer": lambda a, c, r: services.transfer(a, c, to_unit=_required(_post_unit(r, c, "to_unit"), "to_unit"),
                                                  reason=r.POST.get("reason", ""), opinion=r.POST.get("opinion", "")),
    "special": lambda a, c, r: services.mark_special(a, c, reason=r.POST.get("reason", ""),
                                                     approver=_post_person(r, c, "approver")),
    "investigator": lambda a, c, r: services.assign_investigator(
        a, c, investigator=_required(_post_person(r, c, "investigator"), "investigator")),
    "findings": lambda a, c, r: services.record_findings(
        a, c, findings=r.POST.get("findings", ""), responsibility_class=r.POST.get("responsibility_class", ""),
        correction=r.POST.get("correction", ""), explanation=r.POST.get("explanation", ""),
        head=_post_person(r, c, "head"), plan=r.POST.get("plan", ""), plan_owner=_post_person(r, c, "plan_owner"),
        plan_due_on=_post_date(r, "plan_due_on"), faults=_faults(r, c)),
    "head_decision": lambda a, c, r: services.record_head_decision(a, c, decision=r.POST.get("decision", "")),
    "answer": lambda a, c, r: services.answer(a, c, text=r.POST.get("text", ""), adoption=r.POST.get("adoption", ""),
                                              close=bool(r.POST.get("close"))),
    "report": lambda a, c, r: services.report_to_leadership(
        a, c, leader=_required(_post_person(r, c, "leader"), "leader"), instruction=r.POST.get("instruction", "")),
    "feedback": lambda a, c, r: services.record_feedback(
        a, c, method=r.POST.get("method", ""), content=r.POST.get("content", ""),
        satisfaction=r.POST.get("satisfaction", ""), opinion=r.POST.get("opinion", ""),
        reopen_reason=r.POST.get("reopen_reason", "")),
    "close": lambda a, c, r: services.close(a, c, note=r.POST.get("note", "")),
    "reopen": lambda a, c, r: services.reopen(a, c, reason=r.POST.get("reason", ""),
                                              promised_reply_on=_post_date(r, "promised_reply_on")),
    "important": lambda a, c, r: services.mark_important(a, c, important=bool(r.POST.get("important")),
                                                         years=_post_int(r, "years")),
    "attach": lambda a, c, r: services.add_attachments(a, c, r.FILES.getlist("attachments")),
}

DONE = {
    "transfer": gettext_lazy("已转办。"), "special": gettext_lazy("已按特殊情况办理。"),
    "investigator": gettext_lazy("已指定调查人。"), "findings": gettext_lazy("已记录调查结果。"),
    "head_decision": gettext_lazy("已记录处理结果。"), "answer": gettext_lazy("已记录答复。"),
    "report": gettext_lazy("已记录汇报。"), "feedback": gettext_lazy("已记录反馈。"), "close": gettext_lazy("已办结。"),
    "reopen": gettext_lazy("已重新办理。"), "important": gettext_lazy("已更新保存期限。"),
    "attach": gettext_lazy("已添加附件。"),
}


@login_required
@require_POST
def act(request: HttpRequest, complaint_id: int, action: str) -> HttpResponse:
    """One transition of the item (every one permission-checked and audited by its service)."""
    actor = _actor(request)
    c = _get(actor, complaint_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        handler(actor, c, request)
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        context = _detail_context(actor, _get(actor, complaint_id))
        context["errors"] = {action: _errors(exc)}
        return render(request, "complaints/detail.html", context, status=422)
    messages.success(request, str(DONE[action]))
    return redirect("complaints:detail", complaint_id=c.pk)


@login_required
@require_POST
def plan_done(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = _actor(request)
    plan = RectificationPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    try:
        services.complete_plan(actor, plan, note=request.POST.get("note", ""))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        for text in _errors(exc):
            messages.error(request, text)
    else:
        messages.success(request, _("整改方案已完成。"))
    return redirect(request.POST.get("back") or "complaints:investigations")


@login_required
@require_GET
def attachment(request: HttpRequest, complaint_id: int, attachment_id: int) -> FileResponse:
    actor = _actor(request)
    c = _get(actor, complaint_id)
    att = Attachment.objects.filter(pk=attachment_id, complaint=c, deleted_at__isnull=True).first()
    if att is None or not att.file:
        raise Http404
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


# ------------------------------------------------------------------------------------------ spot checks


@login_required
@require_http_methods(["GET", "POST"])
def spot_checks(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_any(actor, "complaints.verify")
    errors: list[str] = []
    if request.method == "POST":
        unit = OrgUnit.objects.filter(pk=request.POST.get("unit") or 0).first()
        kinds = [k for k in request.POST.getlist("kinds") if k] or [Kind.COMPLAINT.value]
        try:
            if unit is None:
                raise ValidationFailed(_("请选择单位。"), [])
            check = services.draw_spot_check(actor, unit=unit, period=request.POST.get("period", ""),
                                             seed=request.POST.get("seed") or None, kinds=kinds)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("已抽取 %(n)s 件。") % {"n": check.items.count()})
            return redirect("complaints:spot_check", check_id=check.pk)
    previous = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return render(request, "complaints/spot_checks.html", {
        "checks": list(selectors.spot_checks(actor)[:50]), "units": selectors.verify_units(actor),
        "period": request.POST.get("period") or previous, "errors": errors, "kinds": Kind.choices,
    }, status=422 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def spot_check(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        check = selectors.get_spot_check(actor, check_id)
    except NotFoundError:
        raise Http404 from None
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        item = SpotCheckItem.objects.filter(pk=_post_int(request, "item") or 0, spot_check=check).first()
        if item is None:
            raise Http404
        try:
            services.record_spot_result(actor, item, passed=request.POST.get("result") == "pass",
                                        notes=request.POST.get("notes", ""))
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ValidationFailed as exc:
            errors[item.pk] = _errors(exc)
        else:
            messages.success(request, _("已记录验证结果。"))
            return redirect("complaints:spot_check", check_id=check.pk)
    from zhidu.rulebook.decision import Decision

    return render(request, "complaints/spot_check.html", {
        "check": check, "items": selectors.spot_items(check), "errors": errors,
        "why": Decision.from_dict(check.decision).explain() if check.decision else "",
    }, status=422 if errors else 200)


# ------------------------------------------------------------------------------------------ public


@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest) -> HttpResponse:
    """The public form: no login; a few registrations per client address per hour."""
    form = PublicForm(request.POST or None)
    errors: list[str] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        org = Organization.objects.filter(code=d["organization"]).first()
        if org is None:
            raise Http404
        limit = services.settings_for(org).public_rate_limit
        if not ratelimit.hit("complaints.public", ratelimit.client_address(request), limit):
            return render(request, "complaints/public_form.html", {
                "form": form, "errors": [_("提交过于频繁，请稍后再试。")]}, status=429)
        try:
            c = services.register_public(organization=org, kind=d["kind"], category=d["category"],
                                         content=d["content"], name=d["name"], phone=d["phone"],
                                         contact=d["contact"], reply_needed=d["reply_needed"])
        except ValidationFailed as exc:
            for e in exc.errors:
                name = {"customer_name": "name", "customer_phone": "phone", "customer_contact": "contact"}.get(e.field, e.field)
                form.add_error(name if name in form.fields else None, str(e.message))
            errors = [str(exc.message)]
            status = 422
        else:
            return render(request, "complaints/public_done.html", {"c": c}, status=201)
    elif request.method == "POST":
        status = 422
    return render(request, "complaints/public_form.html", {"form": form, "errors": errors,
                                                           "open": bool(selectors.public_organizations())},
                  status=status)


@require_GET
def public_track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    result = None
    status = 200
    looked = False
    if request.GET and form.is_valid():
        if not ratelimit.hit("complaints.track", ratelimit.client_address(request), PUBLIC_TRACK_LIMIT):
            return render(request, "complaints/public_track.html", {
                "form": form, "errors": [_("查询过于频繁，请稍后再试。")]}, status=429)
        looked = True
        result = selectors.track(form.cleaned_data["number"], form.cleaned_data["phone_last4"])
        status = 200 if result else 404
    return render(request, "complaints/public_track.html", {"form": form, "result": result, "looked": looked},
                  status=status)
