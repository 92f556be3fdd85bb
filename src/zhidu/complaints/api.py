"""JSON API of complaint handling, mounted at /api/v1/complaints by ``zhidu.api.api``.

The whole lifecycle: intake (``POST /complaints``; hotline and 12345 systems send an
``Idempotency-Key`` header — a retried request returns the first registration with
``replayed: true``, never a second one), transfer, special case, investigator, findings, answer,
leadership report, feedback, close, reopen, retention flag, attachments, spot checks, rectification
plans; the public form and tracking lookup (no login, rate-limited per client address).

Import ``zhidu.api.api`` (which adds this router), not this module directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from zhidu.api.api import ErrorOut, current_actor
from zhidu.core.errors import FieldError, NotFoundError, ValidationFailed, ZhiduError
from zhidu.org import selectors as org_selectors
from zhidu.org.models import Organization, OrgUnit, Person
from zhidu.rulebook.selectors import params_for

from . import ratelimit, selectors, services
from .models import Attachment, Complaint, Kind, RectificationPlan, SpotCheck, SpotCheckItem

router = Router(tags=["complaints"])

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PUBLIC_TRACK_LIMIT = 30  # lookups per client address per hour


class TooManyRequests(ZhiduError):
    def __init__(self) -> None:
        super().__init__(_("提交过于频繁，请稍后再试。"), [], "rate_limited", 429)


# ------------------------------------------------------------------------------------------ schemas


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_at: dt.datetime
    deleted: bool


class ComplaintOut(Schema):
    id: int
    number: str
    kind: str
    category: str
    channel: str
    territory: str
    state: str
    customer_id: int | None
    customer_name: str
    customer_phone: str
    customer_contact: str
    contact_masked: bool
    content: str
    subject_unit_id: int | None
    subject_staff: str
    forwarded_from: str
    handling_opinion: str
    received_at: dt.datetime
    registered_at: dt.datetime
    receiving_unit_id: int
    receiving_unit: str
    receiving_person_id: int | None
    receiving_person_name: str
    responsible_unit_id: int
    responsible_unit: str
    route_basis: str
    route_explanation: str
    transfer_count: int
    due_at: dt.datetime | None
    deadline_provisional: bool
    deadline_clauses: list[str]
    deadline_explanation: str
    special: bool
    special_reason: str
    special_approver_id: int | None
    reply_needed: bool
    promised_reply_on: dt.date | None
    answered_on_spot: bool
    answer: str
    answered_at: dt.datetime | None
    adoption: str
    reported_to_id: int | None
    leadership_report: str
    investigator_id: int | None
    findings: str
    responsibility_class: str
    correction: str
    explanation: str
    head_id: int | None
    head_decision: str
    feedback_method: str
    feedback: str
    fed_back_at: dt.datetime | None
    satisfaction: str
    customer_opinion: str
    closed_at: dt.datetime | None
    closed_on_time: bool | None
    reopened_count: int
    reopen_reason: str
    spot_check_result: str
    important: bool
    retain_until: dt.date | None
    anonymized: bool
    external_ref: str
    attachments: list[AttachmentOut]
    replayed: bool = False


def _out(actor: Any, c: Complaint, *, replayed: bool = False,
         attachments: list[Attachment] | None = None) -> dict[str, Any]:
    """``attachments``: the registration's attachments when the caller has them (just stored)."""
    who = selectors.contact(actor, c)
    deadline = c.deadline_why()
    route = c.route_why()
    return {
        "id": c.pk, "number": c.number, "kind": c.kind, "category": c.category, "channel": c.channel,
        "territory": c.territory, "state": c.state, "customer_id": c.customer_id if not who.masked else None,
        "customer_name": who.name, "customer_phone": who.phone, "customer_contact": who.other,
        "contact_masked": who.masked, "content": c.content, "subject_unit_id": c.subject_unit_id,
        "subject_staff": c.subject_staff, "forwarded_from": c.forwarded_from, "handling_opinion": c.handling_opinion,
        "received_at": c.received_at, "registered_at": c.registered_at, "receiving_unit_id": c.receiving_unit_id,
        "receiving_unit": c.receiving_unit.name, "receiving_person_id": c.receiving_person_id,
        "receiving_person_name": c.receiving_person_name, "responsible_unit_id": c.responsible_unit_id,
        "responsible_unit": c.responsible_unit.name, "route_basis": c.route_basis,
        "route_explanation": route.explain() if route else "", "transfer_count": c.transfer_count,
        "due_at": c.due_at, "deadline_provisional": c.deadline_provisional,
        "deadline_clauses": list(deadline.clauses) if deadline else [],
        "deadline_explanation": deadline.explain() if deadline else "", "special": c.special,
        "special_reason": c.special_reason, "special_approver_id": c.special_approver_id,
        "reply_needed": c.reply_needed, "promised_reply_on": c.promised_reply_on,
        "answered_on_spot": c.answered_on_spot, "answer": c.answer, "answered_at": c.answered_at,
        "adoption": c.adoption, "reported_to_id": c.reported_to_id, "leadership_report": c.leadership_report,
        "investigator_id": c.investigator_id, "findings": c.findings, "responsibility_class": c.responsibility_class,
        "correction": c.correction, "explanation": c.explanation, "head_id": c.head_id,
        "head_decision": c.head_decision, "feedback_method": c.feedback_method, "feedback": c.feedback,
        "fed_back_at": c.fed_back_at, "satisfaction": c.satisfaction, "customer_opinion": c.customer_opinion,
        "closed_at": c.closed_at, "closed_on_time": c.closed_on_time, "reopened_count": c.reopened_count,
        "reopen_reason": c.reopen_reason, "spot_check_result": c.spot_check_result, "important": c.important,
        "retain_until": c.retain_until, "anonymized": c.anonymized_at is not None, "external_ref": c.external_ref,
        "attachments": [{"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type,
                         "uploaded_at": a.uploaded_at, "deleted": a.deleted_at is not None}
                        for a in (c.attachments.all() if attachments is None else attachments)],
        "replayed": replayed,
    }


def _built(data: dict[str, Any]) -> ComplaintOut:
    """``_out``'s dict as the response model, without validating it again: every value comes from a
    stored registration with the schema's types (tests/complaints/test_complaints_api.py checks that
    the body equals the validated one). Saves a fifth of the intake API's own time (≈ 70 fields)."""
    return ComplaintOut.model_construct(**data | {
        "attachments": [AttachmentOut.model_construct(**a) for a in data["attachments"]]})


def _get(actor: Any, complaint_id: int) -> Complaint:
    return selectors.get_complaint(actor, complaint_id)


def _fresh(actor: Any, c: Complaint) -> dict[str, Any]:
    return _out(actor, selectors.get_complaint(actor, c.pk))


def _unit(unit_id: int | None, field: str, *, required: bool = True) -> OrgUnit | None:
    if unit_id is None:
        if required:
            raise ValidationFailed(_("请求参数有误。"), [FieldError(field, _("请指定单位。"))])
        return None
    unit = org_selectors.unit_by_id(unit_id)
    if unit is None:
        raise ValidationFailed(_("请求参数有误。"), [FieldError(field, _("未知的单位。"))])
    return unit


def _person(person_id: int | None, field: str, *, required: bool = False) -> Person | None:
    if person_id is None:
        if required:
            raise ValidationFailed(_("请求参数有误。"), [FieldError(field, _("请指定人员。"))])
        return None
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationFailed(_("请求参数有误。"), [FieldError(field, _("未知的人员。"))])
    return person


# ------------------------------------------------------------------------------------------ intake


class ComplaintIn(Schema):
    kind: str
    category: str
    channel: str
    content: str
    receiving_unit_id: int
    customer_id: int | None = None
    customer_name: str = ""
    customer_phone: str = ""
    customer_contact: str = ""
    received_at: dt.datetime | None = None
    receiving_person_id: int | None = None
    receiving_person_name: str = ""
    territory: str = ""
    special: bool = False
    special_reason: str = ""
    special_approver_id: int | None = None
    reply_needed: bool = True
    promised_reply_on: dt.date | None = None
    answered_on_spot: bool = False
    answer: str = ""
    subject_unit_id: int | None = None
    subject_staff: str = ""
    forwarded_from: str = ""
    handling_opinion: str = ""
    external_ref: str = ""
    idempotency_key: str | None = None


@router.post("", response={200: ComplaintOut, 201: ComplaintOut, **ERRORS})
def register(request: HttpRequest, payload: ComplaintIn) -> Status[Any]:
    """Register a contact (P4.3.2). Send ``Idempotency-Key`` (or ``idempotency_key``): a retry
    returns the first registration (200, ``replayed: true``); the key with other content is 409."""
    actor = current_actor(request)
    unit = _unit(payload.receiving_unit_id, "receiving_unit_id")
    assert unit is not None
    customer = _person(payload.customer_id, "customer_id")
    intake = services.Intake(
        kind=payload.kind, category=payload.category, channel=payload.channel, content=payload.content,
        receiving_unit=unit, customer=customer, customer_name=payload.customer_name,
        customer_phone=payload.customer_phone, customer_contact=payload.customer_contact,
        received_at=payload.received_at, receiving_person=_person(payload.receiving_person_id, "receiving_person_id"),
        receiving_person_name=payload.receiving_person_name, territory=payload.territory, special=payload.special,
        special_reason=payload.special_reason,
        special_approver=_person(payload.special_approver_id, "special_approver_id"),
        reply_needed=payload.reply_needed, promised_reply_on=payload.promised_reply_on,
        answered_on_spot=payload.answered_on_spot, answer=payload.answer,
        subject_unit=_unit(payload.subject_unit_id, "subject_unit_id", required=False),
        subject_staff=payload.subject_staff, forwarded_from=payload.forwarded_from,
        handling_opinion=payload.handling_opinion, external_ref=payload.external_ref,
    )
    key = request.headers.get("Idempotency-Key") or payload.idempotency_key
    result = services.register(actor, intake, idempotency_key=key)
    if result.created:  # the registrant may always read it (selectors.scope_q): answer from what was stored
        return Status(201, _built(_out(actor, result.complaint, attachments=list(result.attachments))))
    c = result.complaint
    if isinstance(actor, Person) and c.registered_by_id == actor.pk:  # a retry: the registrant may read it
        return Status(200, _built(_out(actor, c, replayed=True)))
    return Status(200, _fresh(actor, c) | {"replayed": True})


@router.get("", response={200: list[ComplaintOut], **ERRORS})
def list_complaints(request: HttpRequest, state: str | None = None, kind: str | None = None,
                    unit_id: int | None = None, queue: bool = False, limit: int = 100,
                    offset: int = 0) -> list[dict[str, Any]]:
    """Registrations the caller may view, newest first; ``queue=true``: the handler's pending queue."""
    actor = current_actor(request)
    unit = _unit(unit_id, "unit_id", required=False)
    qs = selectors.queue(actor, unit=unit) if queue else selectors.visible(actor)
    if unit is not None and not queue:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    limit = max(1, min(limit, 500))
    rows = qs.select_related("responsible_unit", "receiving_unit").prefetch_related("attachments")[offset:offset + limit]
    return [_out(actor, c) for c in rows]


class DuplicateOut(Schema):
    id: int
    number: str
    kind: str
    state: str
    received_at: dt.datetime
    responsible_unit: str
    similarity: float
    likely: bool
    content: str


@router.get("/duplicates", response={200: list[DuplicateOut], **ERRORS})
def duplicates(request: HttpRequest, unit_id: int, phone: str = "", content: str = "",
               customer_id: int | None = None) -> list[dict[str, Any]]:
    """Likely duplicates for the agent: the same customer within the window, by content similarity."""
    actor = current_actor(request)
    unit = _unit(unit_id, "unit_id")
    assert unit is not None
    from zhidu.org import access

    access.require(actor, "complaints.intake", unit)
    return [{"id": d.complaint.pk, "number": d.complaint.number, "kind": d.complaint.kind,
             "state": d.complaint.state, "received_at": d.complaint.received_at,
             "responsible_unit": d.complaint.responsible_unit.name, "similarity": d.similarity,
             "likely": d.likely, "content": d.content}
            for d in selectors.likely_duplicates(actor, unit.organization_id, phone=phone, content=content,
                                                 customer_id=customer_id)]


class OverviewOut(Schema):
    by_state: dict[str, int]
    by_kind: dict[str, int]
    total: int
    overdue: int
    provisional: int
    reopened: int
    criticisms_open: int


@router.get("/overview", response={200: OverviewOut, **ERRORS})
def overview(request: HttpRequest, unit_id: int | None = None) -> dict[str, Any]:
    actor = current_actor(request)
    counts = selectors.state_counts(actor, unit=_unit(unit_id, "unit_id", required=False))
    counts.pop("table")
    return counts


class DeadlineOut(Schema):
    due_at: dt.datetime | None
    provisional: bool
    clauses: list[str]
    explanation: str


@router.get("/deadline", response={200: DeadlineOut, **ERRORS})
def deadline(request: HttpRequest, type: str, received: dt.datetime, special: bool = False,
             special_reason: str = "", promised: dt.date | None = None, unit_id: int | None = None) -> dict[str, Any]:
    """The deadline of a contact received at ``received`` (P4.4.1, P4.4.2, P4.4.4), with the
    parameters in force for ``unit_id`` (default: organization-wide)."""
    current_actor(request)
    if type not in Kind.values:
        raise ValidationFailed(_("请求参数有误。"), [FieldError("type", _("类型应为 inquiry、suggestion 或 complaint。"))])
    if timezone.is_naive(received):
        received = timezone.make_aware(received, timezone.get_default_timezone())
    unit = _unit(unit_id, "unit_id", required=False)
    d = services.compute_deadline(type, received, params_for(unit, timezone.localtime(received).date()),
                                  special=special, special_reason=special_reason or ("-" if special else ""),
                                  promised=promised)
    return {"due_at": d.due, "provisional": d.provisional, "clauses": list(d.decision.clauses),
            "explanation": d.decision.explain()}


@router.get("/{int:complaint_id}", response={200: ComplaintOut, **ERRORS})
def get(request: HttpRequest, complaint_id: int) -> dict[str, Any]:
    actor = current_actor(request)
    return _out(actor, _get(actor, complaint_id))


# ------------------------------------------------------------------------------------------ transitions


class TransferIn(Schema):
    to_unit_id: int
    reason: str
    opinion: str = ""


@router.post("/{int:complaint_id}/transfer", response={200: ComplaintOut, **ERRORS})
def transfer(request: HttpRequest, complaint_id: int, payload: TransferIn) -> dict[str, Any]:
    actor = current_actor(request)
    to_unit = _unit(payload.to_unit_id, "to_unit_id")
    assert to_unit is not None
    c = services.transfer(actor, _get(actor, complaint_id), to_unit=to_unit, reason=payload.reason,
                          opinion=payload.opinion)
    return _fresh(actor, c)


class SpecialIn(Schema):
    reason: str
    approver_id: int | None = None


@router.post("/{int:complaint_id}/special", response={200: ComplaintOut, **ERRORS})
def special(request: HttpRequest, complaint_id: int, payload: SpecialIn) -> dict[str, Any]:
    actor = current_actor(request)
    c = services.mark_special(actor, _get(actor, complaint_id), reason=payload.reason,
                              approver=_person(payload.approver_id, "approver_id"))
    return _fresh(actor, c)


class InvestigatorIn(Schema):
    investigator_id: int


@router.post("/{int:complaint_id}/investigator", response={200: ComplaintOut, **ERRORS})
def investigator(request: HttpRequest, complaint_id: int, payload: InvestigatorIn) -> dict[str, Any]:
    actor = current_actor(request)
    person = _person(payload.investigator_id, "investigator_id", required=True)
    assert person is not None
    return _fresh(actor, services.assign_investigator(actor, _get(actor, complaint_id), investigator=person))


class FaultIn(Schema):
    person_id: int
    severity: str
    source: str = "customer"
    amount: Decimal | None = None


class FindingsIn(Schema):
    findings: str
    responsibility_class: str
    correction: str = ""
    explanation: str = ""
    head_id: int | None = None
    plan: str = ""
    plan_owner_id: int | None = None
    plan_due_on: dt.date | None = None
    faults: list[FaultIn] = []


@router.post("/{int:complaint_id}/findings", response={200: ComplaintOut, **ERRORS})
def findings(request: HttpRequest, complaint_id: int, payload: FindingsIn) -> dict[str, Any]:
    actor = current_actor(request)
    faults = []
    for i, f in enumerate(payload.faults):
        person = _person(f.person_id, f"faults.{i}.person_id", required=True)
        assert person is not None
        faults.append(services.Fault(person, f.severity, f.source, f.amount))
    c = services.record_findings(
        actor, _get(actor, complaint_id), findings=payload.findings, responsibility_class=payload.responsibility_class,
        correction=payload.correction, explanation=payload.explanation, head=_person(payload.head_id, "head_id"),
        plan=payload.plan, plan_owner=_person(payload.plan_owner_id, "plan_owner_id"),
        plan_due_on=payload.plan_due_on, faults=faults)
    return _fresh(actor, c)


class HeadDecisionIn(Schema):
    decision: str


@router.post("/{int:complaint_id}/head-decision", response={200: ComplaintOut, **ERRORS})
def head_decision(request: HttpRequest, complaint_id: int, payload: HeadDecisionIn) -> dict[str, Any]:
    actor = current_actor(request)
    return _fresh(actor, services.record_head_decision(actor, _get(actor, complaint_id), decision=payload.decision))


class AnswerIn(Schema):
    text: str
    adoption: str = ""
    close: bool = False


@router.post("/{int:complaint_id}/answer", response={200: ComplaintOut, **ERRORS})
def answer(request: HttpRequest, complaint_id: int, payload: AnswerIn) -> dict[str, Any]:
    actor = current_actor(request)
    c = services.answer(actor, _get(actor, complaint_id), text=payload.text, adoption=payload.adoption,
                        close=payload.close)
    return _fresh(actor, c)


class ReportIn(Schema):
    leader_id: int
    instruction: str = ""


@router.post("/{int:complaint_id}/report", response={200: ComplaintOut, **ERRORS})
def report(request: HttpRequest, complaint_id: int, payload: ReportIn) -> dict[str, Any]:
    actor = current_actor(request)
    leader = _person(payload.leader_id, "leader_id", required=True)
    assert leader is not None
    c = services.report_to_leadership(actor, _get(actor, complaint_id), leader=leader, instruction=payload.instruction)
    return _fresh(actor, c)


class FeedbackIn(Schema):
    method: str
    content: str
    satisfaction: str = ""
    opinion: str = ""
    reopen_reason: str = ""


@router.post("/{int:complaint_id}/feedback", response={200: ComplaintOut, **ERRORS})
def feedback(request: HttpRequest, complaint_id: int, payload: FeedbackIn) -> dict[str, Any]:
    actor = current_actor(request)
    c = services.record_feedback(actor, _get(actor, complaint_id), method=payload.method, content=payload.content,
                                 satisfaction=payload.satisfaction, opinion=payload.opinion,
                                 reopen_reason=payload.reopen_reason)
    return _fresh(actor, c)


class CloseIn(Schema):
    note: str = ""


@router.post("/{int:complaint_id}/close", response={200: ComplaintOut, **ERRORS})
def close(request: HttpRequest, complaint_id: int, payload: CloseIn) -> dict[str, Any]:
    actor = current_actor(request)
    return _fresh(actor, services.close(actor, _get(actor, complaint_id), note=payload.note))


class ReopenIn(Schema):
    reason: str
    promised_reply_on: dt.date | None = None


@router.post("/{int:complaint_id}/reopen", response={200: ComplaintOut, **ERRORS})
def reopen(request: HttpRequest, complaint_id: int, payload: ReopenIn) -> dict[str, Any]:
    actor = current_actor(request)
    c = services.reopen(actor, _get(actor, complaint_id), reason=payload.reason,
                        promised_reply_on=payload.promised_reply_on)
    return _fresh(actor, c)


class ImportantIn(Schema):
    important: bool = True
    years: int | None = None


@router.post("/{int:complaint_id}/important", response={200: ComplaintOut, **ERRORS})
def important(request: HttpRequest, complaint_id: int, payload: ImportantIn) -> dict[str, Any]:
    actor = current_actor(request)
    c = services.mark_important(actor, _get(actor, complaint_id), important=payload.important, years=payload.years)
    return _fresh(actor, c)


@router.post("/{int:complaint_id}/attachments", response={200: ComplaintOut, **ERRORS})
def attach(request: HttpRequest, complaint_id: int, files: list[UploadedFile] = File(...)) -> dict[str, Any]:  # noqa: B008
    actor = current_actor(request)
    c = _get(actor, complaint_id)
    services.add_attachments(actor, c, files)
    return _fresh(actor, c)


@router.get("/{int:complaint_id}/attachments/{int:attachment_id}", response={200: None, **ERRORS})
def download(request: HttpRequest, complaint_id: int, attachment_id: int) -> FileResponse:
    actor = current_actor(request)
    c = _get(actor, complaint_id)
    att = Attachment.objects.filter(pk=attachment_id, complaint=c, deleted_at__isnull=True).first()
    if att is None or not att.file:
        raise NotFoundError(_("未找到此附件。"))
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


class PlanDoneIn(Schema):
    note: str


class PlanOut(Schema):
    id: int
    complaint_id: int
    plan: str
    owner_id: int
    due_on: dt.date
    completed_at: dt.datetime | None
    completion_note: str


@router.post("/plans/{int:plan_id}/complete", response={200: PlanOut, **ERRORS})
def complete_plan(request: HttpRequest, plan_id: int, payload: PlanDoneIn) -> RectificationPlan:
    actor = current_actor(request)
    plan = RectificationPlan.objects.filter(pk=plan_id).first()
    if plan is None or (not selectors.visible(actor).filter(pk=plan.complaint_id).exists() and plan.owner_id != actor.pk):
        raise NotFoundError(_("未找到此整改方案。"))
    return services.complete_plan(actor, plan, note=payload.note)


# ------------------------------------------------------------------------------------------ spot checks


class SpotItemOut(Schema):
    id: int
    complaint_id: int
    number: str
    responsible_unit: str
    result: str
    notes: str
    checked_at: dt.datetime | None


class SpotCheckOut(Schema):
    id: int
    unit_id: int
    unit: str
    period: str
    kinds: list[str]
    seed: str
    population: int
    sample: list[int]
    explanation: str
    drawn_at: dt.datetime
    items: list[SpotItemOut]


def _spot_out(check: SpotCheck) -> dict[str, Any]:
    from zhidu.rulebook.decision import Decision

    items = selectors.spot_items(check)
    return {"id": check.pk, "unit_id": check.unit_id, "unit": check.unit.name, "period": check.period,
            "kinds": list(check.kinds), "seed": check.seed, "population": len(check.population),
            "sample": [int(i) for i in check.decision.get("value", [])],
            "explanation": Decision.from_dict(check.decision).explain() if check.decision else "",
            "drawn_at": check.drawn_at,
            "items": [{"id": it.pk, "complaint_id": it.complaint_id, "number": it.complaint.number,
                       "responsible_unit": it.complaint.responsible_unit.name, "result": it.result, "notes": it.notes,
                       "checked_at": it.checked_at} for it in items]}


class DrawIn(Schema):
    unit_id: int
    period: str
    seed: str | None = None
    kinds: list[str] = [Kind.COMPLAINT.value]


@router.post("/spot-checks", response={201: SpotCheckOut, **ERRORS})
def draw(request: HttpRequest, payload: DrawIn) -> Status[dict[str, Any]]:
    """Draw a reproducible sample of a unit's items closed in a month (P4.4.6)."""
    actor = current_actor(request)
    unit = _unit(payload.unit_id, "unit_id")
    assert unit is not None
    check = services.draw_spot_check(actor, unit=unit, period=payload.period, seed=payload.seed, kinds=payload.kinds)
    return Status(201, _spot_out(check))


@router.get("/spot-checks", response={200: list[SpotCheckOut], **ERRORS})
def list_spot_checks(request: HttpRequest, limit: int = 50) -> list[dict[str, Any]]:
    actor = current_actor(request)
    return [_spot_out(c) for c in selectors.spot_checks(actor)[: max(1, min(limit, 200))]]


@router.get("/spot-checks/{int:check_id}", response={200: SpotCheckOut, **ERRORS})
def get_spot_check(request: HttpRequest, check_id: int) -> dict[str, Any]:
    actor = current_actor(request)
    return _spot_out(selectors.get_spot_check(actor, check_id))


class SpotResultIn(Schema):
    passed: bool
    notes: str = ""


@router.post("/spot-checks/items/{int:item_id}", response={200: SpotItemOut, **ERRORS})
def spot_result(request: HttpRequest, item_id: int, payload: SpotResultIn) -> dict[str, Any]:
    actor = current_actor(request)
    item = SpotCheckItem.objects.select_related("spot_check").filter(pk=item_id).first()
    if item is None or not selectors.spot_checks(actor).filter(pk=item.spot_check_id).exists():
        raise NotFoundError(_("未找到此抽查项。"))
    it = services.record_spot_result(actor, item, passed=payload.passed, notes=payload.notes)
    c = it.complaint
    return {"id": it.pk, "complaint_id": c.pk, "number": c.number, "responsible_unit": c.responsible_unit.name,
            "result": it.result, "notes": it.notes, "checked_at": it.checked_at}


# ------------------------------------------------------------------------------------------ public


class PublicIn(Schema):
    organization: str = ""
    kind: str
    category: str
    content: str
    name: str
    phone: str
    contact: str = ""
    reply_needed: bool = True


class PublicOut(Schema):
    number: str
    kind: str
    state: str
    received_at: dt.datetime
    due_at: dt.datetime | None


class TrackOut(Schema):
    number: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    received_at: dt.datetime
    responsible_unit: str
    due_at: dt.datetime | None
    reply: str
    closed_at: dt.datetime | None


def public_organization(code: str) -> Organization:
    orgs = selectors.public_organizations()
    if code:
        orgs = [o for o in orgs if o.code == code]
    if len(orgs) != 1:
        raise ValidationFailed(_("请选择受理机构。"), [FieldError("organization", _("请选择受理机构。"))])
    return orgs[0]


@router.post("/public", auth=None, response={201: PublicOut, 429: ErrorOut, 422: ErrorOut})
def public_register(request: HttpRequest, payload: PublicIn) -> Status[dict[str, Any]]:
    """The public form (no login): rate-limited per client address; returns the tracking number."""
    org = public_organization(payload.organization)
    limit = services.settings_for(org).public_rate_limit
    if not ratelimit.hit("complaints.public", ratelimit.client_address(request), limit):
        raise TooManyRequests()
    c = services.register_public(organization=org, kind=payload.kind, category=payload.category,
                                 content=payload.content, name=payload.name, phone=payload.phone,
                                 contact=payload.contact, reply_needed=payload.reply_needed)
    return Status(201, {"number": c.number, "kind": c.kind, "state": c.state, "received_at": c.received_at,
                        "due_at": c.due_at})


@router.get("/public/track", auth=None, response={200: TrackOut, 404: ErrorOut, 429: ErrorOut})
def public_track(request: HttpRequest, number: str, phone_last4: str) -> Any:
    """Progress of a registration: the tracking number and the last four digits of the phone."""
    if not ratelimit.hit("complaints.track", ratelimit.client_address(request), PUBLIC_TRACK_LIMIT):
        raise TooManyRequests()
    found = selectors.track(number, phone_last4)
    if found is None:
        raise NotFoundError(_("未找到：请核对编号和电话号码后四位。"))
    return found
