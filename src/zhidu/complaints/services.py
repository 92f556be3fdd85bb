"""Writes of complaint handling (P4, intake from P10.1/P10.2.5 and P11.1, fines per P11.6).

Every service checks the actor (``complaints.*`` actions over the unit concerned), validates and
names every bad field before writing, runs in one transaction and records an audit event carrying
the clause ids it applies. Deadlines are obligations (``zhidu.obligations``): opened at
registration from ``p4.deadline``, met when the contact is answered or closed, moved when it is
transferred, extended when a special case is approved; reminders, breaches and escalation come from
the engine (``zhidu tick``).

Lifecycle (``Complaint.state``)::

    open ──name investigator──► investigating ──findings──► handled ──feedback, close──► closed
      └──(inquiry / suggestion) answer────────────────────►   ▲  │ dissatisfied: reopen    │
                                                              └──┴──── reopen (customer, spot check)

Interpretations (documented here and in the pages): a reopened item gets a new period counted from
the reopening as if received then (P4.4.4 / P4.4.1), except after a failed spot check, where the
rectification deadline of P4.6 applies instead; a transfer keeps the deadline (the period runs from
the first receipt: the first receiver stays responsible for it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhidu.audit.services import PendingEvent, record
from zhidu.audit.services import prepare as prepare_event
from zhidu.calendar.rules import close_of_business
from zhidu.calendar.selectors import work_calendar
from zhidu.core import groupcommit
from zhidu.core.bulk import prepare_one
from zhidu.core.db import retryable
from zhidu.core.errors import FieldError, NotFoundError, ValidationFailed, ZhiduError
from zhidu.obligations import deadlines
from zhidu.obligations import services as obligations
from zhidu.obligations.models import ACTIVE, PENDING, Obligation
from zhidu.org import access
from zhidu.org.models import Adoption as RegulationAdoption
from zhidu.org.models import Employment, Organization, OrgUnit, Person
from zhidu.rulebook.decision import Decision
from zhidu.rulebook.params import ParamSet
from zhidu.rulebook.rules import p4, p11
from zhidu.rulebook.selectors import params_for

from . import config, rules
from .models import (
    CHANNEL_CLAUSES,
    PENDING_STATES,
    Adoption,
    Attachment,
    Channel,
    Complaint,
    ComplaintSettings,
    Criticism,
    FeedbackMethod,
    Kind,
    RectificationPlan,
    ResponsibilityClass,
    RouteBasis,
    Satisfaction,
    SpotCheck,
    SpotCheckItem,
    SpotResult,
    StaffFault,
    State,
    Territory,
    Transfer,
    decision_dict,
)

log = logging.getLogger(__name__)

MODULE = "complaints"
MAX_CONTENT = 5000
MAX_TEXT = 5000
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
CLOCK_SKEW = dt.timedelta(minutes=5)
WEB_RECEIVER = "网上自助登记"  # the "receiving person" of the public form (stored text, P4.3.2)

#: The deadline obligation of each type (opened at registration and on reopening).
DEADLINE_KIND = {
    Kind.INQUIRY.value: "complaints.inquiry_answer",
    Kind.SUGGESTION.value: "complaints.suggestion_reply",
    Kind.COMPLAINT.value: "complaints.complaint_close",
}
DEADLINE_TITLE = {
    Kind.INQUIRY.value: gettext_noop("答复咨询 %(number)s"),
    Kind.SUGGESTION.value: gettext_noop("答复建议 %(number)s"),
    Kind.COMPLAINT.value: gettext_noop("办结投诉 %(number)s"),
}
RECTIFY_KIND = "complaints.spot_check_rectification"
VIOLATION_KIND = "complaints.violation_report"
PLAN_KIND = "complaints.rectification_plan"
#: Obligations that follow the item to its responsible unit on a transfer and end when it is answered/closed.
HANDLING_KINDS = (*DEADLINE_KIND.values(), RECTIFY_KIND)


class PublicActor:
    """The anonymous public (web form): only ever an audit label, never asked about permissions."""

    pk = None

    def __str__(self) -> str:
        return "public:web"


PUBLIC = PublicActor()


# ---------------------------------------------------------------------------------------------- helpers


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, _tz())


def _person(actor: Any) -> Person | None:
    return actor if isinstance(actor, Person) else None


def _text(value: Any) -> str:
    return str(value or "").strip()


def _check_len(value: str, name: str, errors: list[FieldError], *, required: bool = False,
               max_length: int = MAX_TEXT) -> None:
    if required and not value:
        errors.append(FieldError(name, _("不能为空。")))
    elif len(value) > max_length:
        errors.append(FieldError(name, _("不能超过 %(n)s 个字符。") % {"n": max_length}))


def _fail(message: str, errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(message, errors)


def _lock(complaint: Complaint | int) -> Complaint:
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    try:
        return (Complaint.objects.select_for_update(of=("self",))
                .select_related("responsible_unit", "receiving_unit", "organization").get(pk=pk))
    except Complaint.DoesNotExist:
        raise NotFoundError(_("未找到此登记。")) from None


def _audit(actor: Any, action: str, complaint: Complaint, clauses: Iterable[str], payload: dict[str, Any],
           *, unit_id: int | None = None) -> None:
    _prepare_audit(actor, action, complaint, clauses, payload, unit_id=unit_id).append()


def _prepare_audit(actor: Any, action: str, complaint: Complaint, clauses: Iterable[str],
                   payload: dict[str, Any], *, unit_id: int | None = None) -> PendingEvent:
    """``_audit``'s event, prepared before the transaction (the complaint may not be stored yet)."""
    return prepare_event(actor, action, complaint, unit_id=unit_id or complaint.responsible_unit_id,
                         clauses=sorted(set(clauses)),
                         payload={"number": complaint.number, "kind": complaint.kind, **payload})


def _ob_actor(actor: Any, action: str, unit: OrgUnit) -> Any:
    """The actor when they may act on the unit's obligations under ``action``; else the system acts
    as the consequence of a write the actor was allowed to make (the audit names the actor)."""
    if isinstance(actor, Person) and access.can(actor, action, unit):
        return actor
    return access.SYSTEM


def _unit_of(person: Person) -> OrgUnit | None:
    emp = (Employment.objects.filter(person=person, ended_on__isnull=True).select_related("unit")
           .order_by("id").first())
    return emp.unit if emp else None


def _works_in(person: Person, unit: OrgUnit) -> bool:
    return Employment.objects.filter(person=person, ended_on__isnull=True, unit__path__startswith=unit.path).exists()


def _params(unit: OrgUnit | None, on: dt.date) -> ParamSet:
    return params_for(unit, on)


def settings_for(org: Organization | int) -> ComplaintSettings:
    """The organization's settings (unsaved defaults when none are configured). Cached and shared:
    read it, do not change it."""
    org_id = org.pk if isinstance(org, Organization) else org
    return config.desk(org_id).settings


def _phone(value: str) -> str:
    raw = _text(value)
    return rules.digits(raw) if raw else ""


# ---------------------------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class RouteResult:
    unit: OrgUnit
    basis: str
    decision: Decision


def receiving_scope(unit: OrgUnit, territories: Sequence[Territory]) -> frozenset[str]:
    """The territories a unit covers: those whose handling unit is the unit or above it; none → all."""
    return frozenset(t.code for t in territories if t.handling_unit is not None and unit.path.startswith(t.handling_unit.path))


def route(org: Organization | int, receiving_unit: OrgUnit, category: str, territory: str,
          on: dt.date, *, params: ParamSet | None = None) -> RouteResult:
    """The responsible unit of a new contact (P4.2, P4.3.3, P4.4.3) via ``p4.route`` (``params``: the
    receiving unit's on ``on``, read when not given) over the organization's routing table."""
    org_id = org.pk if isinstance(org, Organization) else org
    desk = config.desk(org_id)
    request = p4.RouteRequest(category=category, territory=territory, receiving_unit=receiving_unit.code,
                              receiving_scope=receiving_scope(receiving_unit, desk.territories))
    decision = p4.route(request, desk.table, params if params is not None else _params(receiving_unit, on))
    unit = desk.units.get(decision.value) if decision.value else None
    if unit is None:
        decision = Decision(
            rule="complaints.route", value=receiving_unit.code, clauses=("P4.2",),
            reason=gettext_noop("未配置责任单位（%(category)s，%(territory)s），由受理单位 %(unit)s 处理"),
            reason_args={"category": category, "territory": territory or "-", "unit": receiving_unit.name},
            facts={**decision.facts, "basis": RouteBasis.RECEIVER.value},
        )
        return RouteResult(receiving_unit, RouteBasis.RECEIVER, decision)
    return RouteResult(unit, str(decision.facts.get("basis", RouteBasis.TABLE)), decision)


# ---------------------------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class Deadline:
    decision: Decision
    due: dt.datetime | None
    spec: dict[str, Any] | None

    @property
    def provisional(self) -> bool:
        return self.decision.provisional


def compute_deadline(kind: str, received: dt.datetime, params: ParamSet, *, special: bool = False,
                     special_reason: str = "", reply_needed: bool = True,
                     promised: dt.date | None = None) -> Deadline:
    """``p4.deadline`` for a contact received at ``received`` (aware), with the obligation spec that
    recomputes to the same instant when the calendar changes."""
    local = _local(received)
    contact = p4.Contact(kind=kind, received=local, special=special, special_reason=special_reason,
                         reply_needed=reply_needed, promised=promised)
    decision = p4.deadline(contact, params, work_calendar())
    if decision.value is None:
        return Deadline(decision, None, None)
    due = dt.datetime.fromisoformat(decision.value)
    spec: dict[str, Any]
    if kind == Kind.COMPLAINT:
        start = decision.facts.get("receipt_moved_to") or local.date().isoformat()
        spec = deadlines.working_days(int(decision.facts["working_days"]), start=dt.date.fromisoformat(start),
                                      close=params["p4.close_of_business"].value)
    elif kind == Kind.INQUIRY and decision.facts.get("basis") == "clock":
        spec = deadlines.clock_hours(params["p4.inquiry_answer_hours"].value, start=local)
    else:
        spec = deadlines.fixed(due)
    return Deadline(decision, due, spec)


def _open_deadline(actor: Any, complaint: Complaint, deadline: Deadline, kind: str, title: str, *,
                   unit: OrgUnit | None = None, person: Person | None = None,
                   now: dt.datetime) -> Obligation | None:
    """Open the obligation of a deadline; None when the deadline is already past at opening (the
    item is then shown overdue and the audit says so)."""
    opening = _prepare_deadline(actor, complaint, deadline, kind, title, unit=unit, person=person, now=now)
    return opening.open() if opening is not None else None


def _prepare_deadline(actor: Any, complaint: Complaint, deadline: Deadline, kind: str, title: str, *,
                      unit: OrgUnit | None = None, person: Person | None = None,
                      now: dt.datetime) -> obligations.PreparedObligation | None:
    """``_open_deadline`` checked and computed, to be opened later (the complaint may not be stored
    yet)."""
    if deadline.due is None or deadline.spec is None or deadline.due <= now:
        return None
    responsible = unit or complaint.responsible_unit
    return obligations.prepare_obligation(
        _ob_actor(actor, "obligations.manage", responsible), kind=kind, subject=complaint, deadline=deadline.spec,
        title=title, title_args={"number": complaint.number}, responsible_unit=responsible,
        responsible_person=person, decision=deadline.decision, now=now,
    )


def _meet(actor: Any, complaint: Complaint, kinds: Iterable[str], note: str, now: dt.datetime) -> list[Obligation]:
    met = []
    for kind in kinds:
        for ob in obligations.pending_for(complaint, kind=kind):
            met.append(obligations.meet(_ob_actor(actor, "obligations.manage", ob.responsible_unit), ob,
                                        note=note, now=now))
    return met


# ---------------------------------------------------------------------------------------------- intake


@dataclass
class Intake:
    """The registration form (P4.3.2) as a service receives it."""

    kind: str
    category: str
    channel: str
    content: str
    receiving_unit: OrgUnit
    customer: Person | None = None
    customer_name: str = ""
    customer_phone: str = ""
    customer_contact: str = ""
    received_at: dt.datetime | None = None
    receiving_person: Person | None = None
    receiving_person_name: str = ""
    territory: str = ""
    special: bool = False
    special_reason: str = ""
    special_approver: Person | None = None
    reply_needed: bool = True
    promised_reply_on: dt.date | None = None
    answered_on_spot: bool = False
    answer: str = ""
    subject_unit: OrgUnit | None = None
    subject_staff: str = ""
    forwarded_from: str = ""
    handling_opinion: str = ""
    external_ref: str = ""
    attachments: Sequence[UploadedFile] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        """What identifies the request (for idempotent retries): every field but the attachments."""
        data = {
            "kind": self.kind, "category": self.category, "channel": self.channel, "content": _text(self.content),
            "receiving_unit": self.receiving_unit.pk, "customer": getattr(self.customer, "pk", None),
            "customer_name": _text(self.customer_name), "customer_phone": _phone(self.customer_phone),
            "customer_contact": _text(self.customer_contact),
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "receiving_person": getattr(self.receiving_person, "pk", None),
            "receiving_person_name": _text(self.receiving_person_name), "territory": _text(self.territory),
            "special": self.special, "special_reason": _text(self.special_reason),
            "special_approver": getattr(self.special_approver, "pk", None), "reply_needed": self.reply_needed,
            "promised_reply_on": self.promised_reply_on.isoformat() if self.promised_reply_on else None,
            "answered_on_spot": self.answered_on_spot, "answer": _text(self.answer),
            "subject_unit": getattr(self.subject_unit, "pk", None), "subject_staff": _text(self.subject_staff),
            "forwarded_from": _text(self.forwarded_from), "handling_opinion": _text(self.handling_opinion),
            "external_ref": _text(self.external_ref),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class IntakeResult:
    complaint: Complaint
    created: bool
    attachments: Sequence[Attachment] = ()   # those stored with a new registration


class IdempotencyConflict(ZhiduError):
    def __init__(self, number: str) -> None:
        super().__init__(_("此幂等键已用于另一份内容不同的登记（%(number)s）。") % {"number": number}, [
            FieldError("idempotency_key", _("同一幂等键只能用于同一请求的重试。"))], "idempotency_conflict", 409)


def _stored_under(org_id: int, key: str) -> Complaint | None:
    """The registration stored under an idempotency key, with the units a reply names: first one
    index read (every API call asks, almost always to find nothing), then the row if there is one."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM {Complaint._meta.db_table} WHERE organization_id = %s "  # noqa: S608
                    "AND idempotency_key = %s", [org_id, key])
        row = cur.fetchone()
    if row is None:
        return None
    return Complaint.objects.select_related("receiving_unit", "responsible_unit").get(pk=row[0])


def _replay(existing: Complaint, fingerprint: str) -> IntakeResult:
    if existing.request_fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(existing.number)
    return IntakeResult(existing, False)


def register(actor: Any, intake: Intake, *, idempotency_key: str | None = None,
             now: dt.datetime | None = None) -> IntakeResult:
    """Register a contact on the form (P4.3.2), route it (P4.2, P4.3.3, P4.4.3) and open its deadline
    (P4.4.1, P4.4.2, P4.4.4). With an ``idempotency_key`` a retried request — even concurrent with the
    first — returns the first registration (``created`` False); the same key with other content is an
    ``idempotency_conflict`` (409)."""
    if actor is not PUBLIC:
        access.require(actor, "complaints.intake", intake.receiving_unit)
    key = _text(idempotency_key) or None
    if key is not None and len(key) > 128:
        raise ValidationFailed(_("登记信息有误。"), [FieldError("idempotency_key", _("不能超过 128 个字符。"))])
    fingerprint = intake.fingerprint()
    org_id = intake.receiving_unit.organization_id
    if key is not None and (existing := _stored_under(org_id, key)) is not None:
        return _replay(existing, fingerprint)
    for attempt in range(5):
        try:
            c, saved = _register(actor, intake, key, fingerprint, now or timezone.now())
            return IntakeResult(c, True, saved)
        except OperationalError as exc:
            # PostgreSQL chose this registration's transaction to break a deadlock (or a
            # serialization failure): nothing of it was stored; register it again.
            if not retryable(exc) or attempt == 4 or connection.in_atomic_block:
                raise
            log.info("complaints: registration's transaction aborted (%s), retrying", exc)
            continue
        except IntegrityError:
            if key is not None:
                existing = _stored_under(org_id, key)
                if existing is not None:  # a concurrent retry won the race: return its registration
                    return _replay(existing, fingerprint)
            if attempt == 4:
                raise
            log.info("complaints: tracking number collision, drawing again")
    raise AssertionError("unreachable")  # pragma: no cover


def _validate_intake(actor: Any, intake: Intake, now: dt.datetime) -> tuple[list[FieldError], dict[str, Any]]:
    errors: list[FieldError] = []
    unit = intake.receiving_unit
    received = intake.received_at or now
    if timezone.is_naive(received):
        received = timezone.make_aware(received, _tz())
    params = _params(unit, _local(received).date())
    if intake.kind not in params["p4.contact_types"].value or intake.kind not in Kind.values:
        errors.append(FieldError("kind", _("类型应为咨询、建议或投诉（P4.4）。")))
    if intake.channel not in Channel.values:
        errors.append(FieldError("channel", _("未知的受理渠道。")))
    desk = config.desk(unit.organization_id)
    if intake.category not in desk.categories:
        errors.append(FieldError("category", _("未知或已停用的类别。")))
    content = _text(intake.content)
    _check_len(content, "content", errors, required=True, max_length=MAX_CONTENT)
    customer = intake.customer
    name = _text(customer.name if customer else intake.customer_name)
    phone = _phone(customer.phone if customer and not intake.customer_phone else intake.customer_phone)
    if customer is not None and customer.organization_id != unit.organization_id:
        errors.append(FieldError("customer", _("客户档案不属于本组织。")))
    _check_len(name, "customer_name", errors, max_length=100)
    if phone and not 7 <= len(phone) <= 15:
        errors.append(FieldError("customer_phone", _("电话号码应为 7–15 位数字。")))
    _check_len(_text(intake.customer_contact), "customer_contact", errors, max_length=200)
    if received > now + CLOCK_SKEW:
        errors.append(FieldError("received_at", _("受理时间不能晚于现在。")))
    person = intake.receiving_person
    if person is None and actor is not PUBLIC and isinstance(actor, Person) and not _text(intake.receiving_person_name):
        person = actor
    if person is not None and person.organization_id != unit.organization_id:
        errors.append(FieldError("receiving_person", _("受理人不属于本组织。")))
    receiver_name = _text(person.name if person else intake.receiving_person_name)
    territory = _text(intake.territory)
    territories = desk.territories
    if territory and territory not in desk.territory_codes():
        errors.append(FieldError("territory", _("未知的属地。")))
    if not territory:
        scope = receiving_scope(unit, territories)
        if len(scope) == 1:
            territory = next(iter(scope))
    if intake.channel in (Channel.FAX, Channel.FORWARDED) and not _text(intake.forwarded_from):
        errors.append(FieldError("forwarded_from", _("转来或传真的登记须注明来源单位（P4.3.3）。")))
    if intake.special and intake.kind != Kind.COMPLAINT:
        errors.append(FieldError("special", _("只有投诉可按特殊情况办理（P4.4.4）。")))
    if intake.answered_on_spot and intake.kind != Kind.INQUIRY:
        errors.append(FieldError("answered_on_spot", _("只有咨询可以当即解答（P4.4.1）。")))
    if intake.answered_on_spot and not _text(intake.answer):
        errors.append(FieldError("answer", _("当即解答的咨询须记录答复内容（P4.4.1）。")))
    if intake.subject_unit is not None and intake.subject_unit.organization_id != unit.organization_id:
        errors.append(FieldError("subject_unit", _("被投诉单位不属于本组织。")))
    for name_, value, limit in (("subject_staff", intake.subject_staff, 100), ("forwarded_from", intake.forwarded_from, 200),
                                ("handling_opinion", intake.handling_opinion, MAX_TEXT), ("answer", intake.answer, MAX_TEXT),
                                ("external_ref", intake.external_ref, 100), ("special_reason", intake.special_reason, MAX_TEXT),
                                ("receiving_person_name", intake.receiving_person_name, 100)):
        _check_len(_text(value), name_, errors, max_length=limit)
    if len(intake.attachments) > MAX_ATTACHMENTS:
        errors.append(FieldError("attachments", _("附件最多 %(n)s 个。") % {"n": MAX_ATTACHMENTS}))
    for f in intake.attachments:
        if (f.size or 0) > MAX_ATTACHMENT_BYTES:
            errors.append(FieldError("attachments", _("附件“%(name)s”超过 10 MB。") % {"name": f.name}))
    form = {"customer": name, "contact": phone or _text(intake.customer_contact), "channel": intake.channel,
            "received_at": received, "kind": intake.kind, "content": content, "receiving_unit": unit.name,
            "receiving_person": receiver_name}
    complete = p4.registration_complete(form, params)
    labels = {"customer": "customer_name", "contact": "customer_phone", "receiving_person": "receiving_person_name"}
    known = {e.field for e in errors}
    for missing in complete.facts["missing"]:
        field_name = labels.get(missing, missing)
        if field_name not in known:
            errors.append(FieldError(field_name, _("登记表必填项（P4.3.2）。")))
    return errors, {"received": received, "name": name, "phone": phone, "person": person,
                    "receiver_name": receiver_name, "territory": territory, "content": content,
                    "registration": complete, "params": params}


def _register(actor: Any, intake: Intake, key: str | None, fingerprint: str,
              now: dt.datetime) -> tuple[Complaint, list[Attachment]]:
    # Validation, routing and the deadline read only cached configuration: they run before the
    # transaction, which then holds the database's writer lock (and the audit chains' heads) only
    # for the writes.
    errors, v = _validate_intake(actor, intake, now)
    unit = intake.receiving_unit
    received: dt.datetime = v["received"]
    routed: RouteResult | None = None
    deadline: Deadline | None = None
    if not errors:
        on = _local(received).date()
        routed = route(unit.organization_id, unit, intake.category, v["territory"], on, params=v["params"])
        if not intake.answered_on_spot:
            deadline_params = v["params"] if routed.unit.pk == unit.pk else _params(routed.unit, on)
            deadline = compute_deadline(
                intake.kind, received, deadline_params, special=intake.special,
                special_reason=_text(intake.special_reason), reply_needed=intake.reply_needed,
                promised=intake.promised_reply_on)
            error = deadline.decision.facts.get("error")
            if error == "special_reason_required":
                errors.append(FieldError("special_reason", _("按特殊情况办理须注明理由（P4.4.4）。")))
            elif error == "promise_required":
                errors.append(FieldError("promised_reply_on", _("需要答复的建议须向客户承诺答复日期（P4.4.2）。")))
            elif error == "promise_before_receipt":
                errors.append(FieldError("promised_reply_on", _("承诺的答复日期不能早于受理时间。")))
            elif (intake.kind == Kind.SUGGESTION and intake.promised_reply_on is not None
                  and not work_calendar().is_working_day(intake.promised_reply_on)):
                errors.append(FieldError("promised_reply_on", _("承诺的答复日期应为工作日（期限于当日下班时届满）。")))
        if intake.special:
            approver = intake.special_approver
            if approver is None:
                errors.append(FieldError("special_approver", _("特殊情况须由有权人员批准（P4.4.4）。")))
            elif not access.can(approver, "complaints.manage", routed.unit):
                errors.append(FieldError("special_approver", _("批准人无权批准“%(unit)s”的特殊情况。")
                                         % {"unit": routed.unit.name}))
    _fail(_("登记信息有误。"), errors)
    assert routed is not None

    c = Complaint(
        organization_id=unit.organization_id, number=rules.tracking_number(_local(now).strftime("%y%m%d")),
        kind=intake.kind, category=intake.category, channel=intake.channel, territory=v["territory"],
        state=State.OPEN, customer=intake.customer, customer_name=v["name"], customer_phone=v["phone"],
        customer_contact=_text(intake.customer_contact), content=v["content"], subject_unit=intake.subject_unit,
        subject_staff=_text(intake.subject_staff), forwarded_from=_text(intake.forwarded_from),
        handling_opinion=_text(intake.handling_opinion), received_at=received, receiving_unit=unit,
        receiving_person=v["person"], receiving_person_name=v["receiver_name"], registered_by=_person(actor),
        registered_at=now, responsible_unit=routed.unit, route_basis=routed.basis,
        route_decision=decision_dict(routed.decision), special=intake.special,
        special_reason=_text(intake.special_reason) if intake.special else "",
        special_approver=intake.special_approver if intake.special else None,
        special_approved_at=now if intake.special else None,
        reply_needed=intake.reply_needed if intake.kind == Kind.SUGGESTION else True,
        promised_reply_on=intake.promised_reply_on if intake.kind == Kind.SUGGESTION else None,
        idempotency_key=key, request_fingerprint=fingerprint, external_ref=_text(intake.external_ref),
    )
    if deadline is not None:
        c.due_at = deadline.due
        c.deadline_provisional = deadline.provisional
        c.deadline_decision = decision_dict(deadline.decision)

    stored_files: list[Attachment] = []
    # Everything but the writes is done here, not while the batch holds the database's writer lock:
    # the row's values, the deadline's obligation (its reminder, recipients, audit event) and the
    # registration's audit event.
    row = prepare_one(c)
    opening = None
    if deadline is not None:
        opening = _prepare_deadline(actor, c, deadline, DEADLINE_KIND[c.kind], DEADLINE_TITLE[c.kind], now=now)
    clauses = {"P4.3.2", CHANNEL_CLAUSES.get(intake.channel, "P4.3.2"), *routed.decision.clauses}
    if deadline is not None:
        clauses |= set(deadline.decision.clauses)
    if intake.handling_opinion:
        clauses.add("P4.3.4")
    event = _prepare_audit(actor, "complaints.register", c, clauses, {
        "channel": c.channel, "category": c.category, "territory": c.territory,
        "receiving_unit": unit.pk, "responsible_unit": routed.unit.pk, "route_basis": routed.basis,
        "due_at": c.due_at, "provisional": c.deadline_provisional, "special": c.special,
        "special_approver": c.special_approver_id, "attachments": 0,
        "obligation": None, "deadline_passed": deadline is not None and opening is None,
        "idempotency_key": bool(key),
    }, unit_id=unit.pk)

    def write() -> list[Attachment]:
        # Concurrent registrations of this process commit together (core.groupcommit): everything
        # this needs is in its closure, not in the thread's state.
        row.insert()
        saved = _save_attachments(actor, c, intake.attachments, now)
        stored_files.extend(saved)
        try:
            # no savepoint of its own: its failure fails the registration, whose savepoint undoes it
            ob = opening.open(savepoint=False) if opening is not None else None
            event.append({"attachments": len(saved), "obligation": getattr(ob, "pk", None)})
            if intake.answered_on_spot:
                c.answered_on_spot = True
                c.answer = _text(intake.answer)
                c.answered_at = now
                c.answered_by = _person(actor)
                c.state = State.HANDLED
                c.save(update_fields=["answered_on_spot", "answer", "answered_at", "answered_by", "state"])
                _close(actor, c, note="", now=now, answered_on_spot=True)
        except BaseException:
            _delete_files(saved)
            raise
        return saved

    return c, groupcommit.run(write, on_rollback=lambda: _delete_files(stored_files))


def _save_attachments(actor: Any, complaint: Complaint, files: Sequence[UploadedFile],
                      now: dt.datetime) -> list[Attachment]:
    saved = []
    for f in files:
        att = Attachment(complaint=complaint, name=(f.name or "file")[:200], size=f.size or 0,
                         content_type=(getattr(f, "content_type", "") or "")[:100], uploaded_by=_person(actor),
                         uploaded_at=now)
        att.file.save(f.name or "file", f, save=False)
        att.save()
        saved.append(att)
    return saved


def _delete_files(atts: Iterable[Attachment]) -> None:
    for att in atts:
        try:
            if att.file:
                att.file.delete(save=False)
        except OSError:  # pragma: no cover - a missing file is already gone
            log.warning("complaints: could not delete attachment file %s", att.file.name)


@transaction.atomic
def add_attachments(actor: Any, complaint: Complaint, files: Sequence[UploadedFile], *,
                    now: dt.datetime | None = None) -> list[Attachment]:
    now = now or timezone.now()
    c = _lock(complaint)
    if not (access.can(actor, "complaints.intake", c.receiving_unit) or _may_handle(actor, c)):
        access.require(actor, "complaints.handle", c.responsible_unit)
    errors: list[FieldError] = []
    if c.anonymized_at is not None:
        errors.append(FieldError("attachments", _("已过保存期限并匿名化的登记不能再添加附件。")))
    if not files:
        errors.append(FieldError("attachments", _("请选择文件。")))
    if c.attachments.filter(deleted_at__isnull=True).count() + len(files) > MAX_ATTACHMENTS:
        errors.append(FieldError("attachments", _("附件最多 %(n)s 个。") % {"n": MAX_ATTACHMENTS}))
    for f in files:
        if (f.size or 0) > MAX_ATTACHMENT_BYTES:
            errors.append(FieldError("attachments", _("附件“%(name)s”超过 10 MB。") % {"name": f.name}))
    _fail(_("附件有误。"), errors)
    saved = _save_attachments(actor, c, files, now)
    try:
        _audit(actor, "complaints.attach", c, ["P4.3.2"], {"attachments": [a.pk for a in saved]})
    except BaseException:
        _delete_files(saved)
        raise
    return saved


# ---------------------------------------------------------------------------------------------- permissions


def _may_handle(actor: Any, c: Complaint) -> bool:
    return access.can(actor, "complaints.handle", c.responsible_unit) if actor is not None else False


def _require_handle(actor: Any, c: Complaint) -> None:
    access.require(actor, "complaints.handle", c.responsible_unit)


def _require_feedback(actor: Any, c: Complaint) -> None:
    """The result is fed back by the receiving unit (接诉部门, P4.4.5) or the responsible unit."""
    if access.can(actor, "complaints.handle", c.receiving_unit) or access.can(actor, "complaints.intake", c.receiving_unit):
        return
    _require_handle(actor, c)


def _require_investigate(actor: Any, c: Complaint) -> None:
    if isinstance(actor, Person) and c.investigator_id == actor.pk:
        return
    access.require(actor, "complaints.investigate", c.responsible_unit)


def _require_state(c: Complaint, states: Iterable[str], errors: list[FieldError]) -> None:
    allowed = list(states)
    if c.state not in allowed:
        labels = _("、").join(str(State(s).label) for s in allowed)
        errors.append(FieldError("state", _("当前状态为“%(state)s”，此操作只适用于：%(allowed)s。")
                                 % {"state": c.get_state_display(), "allowed": labels}))


def _require_kind(c: Complaint, kinds: Iterable[str], errors: list[FieldError]) -> None:
    allowed = list(kinds)
    if c.kind not in allowed:
        labels = _("、").join(str(Kind(k).label) for k in allowed)
        errors.append(FieldError("kind", _("此操作只适用于：%(kinds)s。") % {"kinds": labels}))


# ---------------------------------------------------------------------------------------------- transfer


@transaction.atomic
def transfer(actor: Any, complaint: Complaint, *, to_unit: OrgUnit, reason: str, opinion: str = "",
             now: dt.datetime | None = None) -> Complaint:
    """Pass the item to another unit (P4.2; P4.3.3 to the branch customer service; P4.3.4 with the
    marketing centre's handling opinion). The first receiver stays on the form; pending deadline
    obligations move to the new unit with the same deadline (a breached one stays where it was)."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_handle(actor, c)
    errors: list[FieldError] = []
    _require_state(c, PENDING_STATES, errors)
    reason, opinion = _text(reason), _text(opinion)
    _check_len(reason, "reason", errors, required=True)
    _check_len(opinion, "opinion", errors)
    if to_unit.organization_id != c.organization_id:
        errors.append(FieldError("to_unit", _("不能转办到其他组织的单位。")))
    elif to_unit.pk == c.responsible_unit_id:
        errors.append(FieldError("to_unit", _("已由该单位负责。")))
    _fail(_("转办信息有误。"), errors)
    from_unit = c.responsible_unit
    conf = settings_for(c.organization_id)
    clauses = {"P4.2"}
    if conf.branch_customer_service_id == to_unit.pk:
        clauses.add("P4.3.3")
    if opinion:
        clauses.add("P4.3.4")
    Transfer.objects.create(complaint=c, from_unit=from_unit, to_unit=to_unit, reason=reason, opinion=opinion,
                            by=_person(actor), at=now)
    c.responsible_unit = to_unit
    c.route_basis = RouteBasis.TRANSFER
    c.transfer_count += 1
    if opinion:
        c.handling_opinion = opinion
    fields = ["responsible_unit", "route_basis", "transfer_count", "handling_opinion", "updated_at"]
    if c.investigator_id and not _works_in(c.investigator, to_unit):  # type: ignore[arg-type]
        c.investigator = None
        c.investigator_named_at = None
        if c.state == State.INVESTIGATING:
            c.state = State.OPEN
        fields += ["investigator", "investigator_named_at", "state"]
    c.save(update_fields=fields)
    moved = []
    for kind in HANDLING_KINDS:
        for ob in obligations.pending_for(c, kind=kind):
            if ob.state not in ACTIVE or ob.due_at <= now:
                continue  # breached: stays with the unit that let it lapse (escalation continues there)
            obligations.meet(_ob_actor(actor, "obligations.manage", ob.responsible_unit), ob,
                             note=_("转办至 %(unit)s：%(reason)s") % {"unit": to_unit.name, "reason": reason}, now=now)
            why = ob.why()
            new = obligations.open_obligation(
                _ob_actor(actor, "obligations.manage", to_unit), kind=kind, subject=c, deadline=dict(ob.deadline_spec),
                title=ob.title, title_args=dict(ob.title_args or {}), responsible_unit=to_unit, decision=why, now=now)
            moved.append(new.pk)
    _audit(actor, "complaints.transfer", c, clauses, {
        "from_unit": from_unit.pk, "to_unit": to_unit.pk, "reason": reason, "opinion": bool(opinion),
        "obligations": moved})
    return c


# ---------------------------------------------------------------------------------------------- special case


@transaction.atomic
def mark_special(actor: Any, complaint: Complaint, *, reason: str, approver: Person | None = None,
                 now: dt.datetime | None = None) -> Complaint:
    """A complaint handled as a special case: 7 working days instead of 3 (P4.4.4), with the reason
    and the approver (holding ``complaints.manage`` over the responsible unit) recorded. The actor
    is the approver, or a handler recording an approval given elsewhere. Only before the deadline."""
    now = now or timezone.now()
    c = _lock(complaint)
    approver = approver or _person(actor)
    if not (isinstance(actor, Person) and approver is not None and actor.pk == approver.pk):
        _require_handle(actor, c)
    errors: list[FieldError] = []
    _require_kind(c, [Kind.COMPLAINT], errors)
    _require_state(c, PENDING_STATES, errors)
    if c.special:
        errors.append(FieldError("special", _("已按特殊情况办理。")))
    reason = _text(reason)
    _check_len(reason, "reason", errors, required=True)
    if approver is None:
        errors.append(FieldError("approver", _("请指定批准人。")))
    elif not access.can(approver, "complaints.manage", c.responsible_unit):
        errors.append(FieldError("approver", _("批准人无权批准“%(unit)s”的特殊情况。") % {"unit": c.responsible_unit.name}))
    if c.due_at is not None and c.due_at <= now:
        errors.append(FieldError("special", _("期限已过，不能再认定为特殊情况（P4.4.4）。")))
    _fail(_("特殊情况信息有误。"), errors)
    assert approver is not None
    start = c.reopened_at or c.received_at
    deadline = compute_deadline(Kind.COMPLAINT, start, _params(c.responsible_unit, _local(start).date()),
                                special=True, special_reason=reason)
    if deadline.due is None:  # pragma: no cover - the reason is given
        raise ValidationFailed(_("特殊情况信息有误。"), [FieldError("reason", deadline.decision.explain())])
    extended = []
    for ob in obligations.pending_for(c, kind=DEADLINE_KIND[Kind.COMPLAINT]):
        if deadline.due > ob.due_at:
            who = approver if isinstance(actor, Person) and actor.pk == approver.pk else access.SYSTEM
            obligations.extend(who, ob, new_due=deadline.due, reason=reason, approver=approver, now=now)
            extended.append(ob.pk)
    c.special, c.special_reason, c.special_approver, c.special_approved_at = True, reason, approver, now
    c.due_at = deadline.due
    c.deadline_provisional = deadline.provisional
    c.deadline_decision = decision_dict(deadline.decision)
    c.save(update_fields=["special", "special_reason", "special_approver", "special_approved_at", "due_at",
                          "deadline_provisional", "deadline_decision", "updated_at"])
    _audit(actor, "complaints.special", c, ["P4.4.4"], {"approver": approver.pk, "due_at": c.due_at,
                                                         "obligations": extended})
    return c


# ---------------------------------------------------------------------------------------------- inquiry / suggestion


@transaction.atomic
def report_to_leadership(actor: Any, complaint: Complaint, *, leader: Person, instruction: str = "",
                         now: dt.datetime | None = None) -> Complaint:
    """A suggestion reported to the leadership, with its instruction (批示) once given (P4.4.2)."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_handle(actor, c)
    errors: list[FieldError] = []
    _require_kind(c, [Kind.SUGGESTION], errors)
    _require_state(c, PENDING_STATES, errors)
    instruction = _text(instruction)
    _check_len(instruction, "instruction", errors)
    if leader.organization_id != c.organization_id:
        errors.append(FieldError("leader", _("领导不属于本组织。")))
    _fail(_("汇报信息有误。"), errors)
    c.reported_to, c.reported_at, c.leadership_report = leader, now, instruction
    c.save(update_fields=["reported_to", "reported_at", "leadership_report", "updated_at"])
    _audit(actor, "complaints.report", c, ["P4.4.2"], {"leader": leader.pk, "instruction": bool(instruction)})
    return c


@transaction.atomic
def answer(actor: Any, complaint: Complaint, *, text: str, adoption: str = "", close: bool = False,
           now: dt.datetime | None = None) -> Complaint:
    """Record the answer to an inquiry (P4.4.1) or the reply on a suggestion's adoption (P4.4.2); it
    meets the answer deadline. ``close`` closes it at once when nothing else is missing (P4.6)."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_handle(actor, c)
    errors: list[FieldError] = []
    _require_kind(c, [Kind.INQUIRY, Kind.SUGGESTION], errors)
    _require_state(c, [State.OPEN, State.HANDLED], errors)
    text = _text(text)
    _check_len(text, "text", errors, required=True)
    if c.kind == Kind.SUGGESTION and c.reply_needed and adoption not in Adoption.values:
        errors.append(FieldError("adoption", _("请说明建议是否被采纳（P4.4.2）。")))
    elif adoption and adoption not in Adoption.values:
        errors.append(FieldError("adoption", _("未知的采纳情况。")))
    _fail(_("答复信息有误。"), errors)
    c.answer, c.answered_at, c.answered_by = text, now, _person(actor)
    c.adoption = adoption if c.kind == Kind.SUGGESTION else ""
    c.state = State.HANDLED
    c.save(update_fields=["answer", "answered_at", "answered_by", "adoption", "state", "updated_at"])
    met = _meet(actor, c, [DEADLINE_KIND[c.kind]], _("已答复"), now)
    clause = "P4.4.1" if c.kind == Kind.INQUIRY else "P4.4.2"
    _audit(actor, "complaints.answer", c, [clause], {"adoption": c.adoption, "on_time": _on_time(c, now),
                                                      "obligations": [o.pk for o in met]})
    if close:
        _close(actor, c, note="", now=now)
    return c


def _on_time(c: Complaint, at: dt.datetime) -> bool | None:
    return None if c.due_at is None else at <= c.due_at


# ---------------------------------------------------------------------------------------------- investigation


@transaction.atomic
def assign_investigator(actor: Any, complaint: Complaint, *, investigator: Person,
                        now: dt.datetime | None = None) -> Complaint:
    """The responsible unit names the investigator (P4.4.3): someone working in that unit."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_handle(actor, c)
    errors: list[FieldError] = []
    _require_kind(c, [Kind.COMPLAINT], errors)
    _require_state(c, [State.OPEN, State.INVESTIGATING], errors)
    if not _works_in(investigator, c.responsible_unit):
        errors.append(FieldError("investigator", _("调查人须是责任单位“%(unit)s”的在职人员（P4.4.3）。")
                                 % {"unit": c.responsible_unit.name}))
    _fail(_("调查人有误。"), errors)
    previous = c.investigator_id
    c.investigator, c.investigator_named_at, c.state = investigator, now, State.INVESTIGATING
    c.save(update_fields=["investigator", "investigator_named_at", "state", "updated_at"])
    _audit(actor, "complaints.assign", c, ["P4.4.3"], {"investigator": investigator.pk, "previous": previous})
    return c


@dataclass(frozen=True)
class Fault:
    """A staff member at fault and the severity (a level of ``p11.complaint_severity_levels``)."""

    person: Person
    severity: str
    source: str = p11.CUSTOMER
    amount: Decimal | None = None


def adopts(unit: OrgUnit, code: str, on: dt.date) -> bool:
    """Does the unit, or a unit above it, adopt regulation ``code`` on ``on``?"""
    ids = [int(p) for p in unit.path.split("/") if p]
    return RegulationAdoption.objects.filter(unit_id__in=ids, regulation__code=code, adopted_on__lte=on).exists()


@transaction.atomic
def record_findings(actor: Any, complaint: Complaint, *, findings: str, responsibility_class: str,
                    correction: str = "", explanation: str = "", head: Person | None = None,
                    plan: str = "", plan_owner: Person | None = None, plan_due_on: dt.date | None = None,
                    faults: Sequence[Fault] = (), now: dt.datetime | None = None) -> Complaint:
    """The investigator's findings and classification (P4.4.3): (a) violation → reported to the
    department head, who handles it through the organizational procedure (an obligation of the
    head); (b) ordinary mistake → corrected at once, with a rectification plan (owner, due date: an
    obligation of the owner); (c) the customer's own problem → the explanation given. Staff at fault
    and the severity are recorded; for staff of units adopting P11 the fine (≥ 10 yuan, P11.6) is
    posted to the sanctions ledger (a revised finding replaces or voids it)."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_investigate(actor, c)
    today = _local(now).date()
    params = _params(c.responsible_unit, today)
    errors: list[FieldError] = []
    _require_kind(c, [Kind.COMPLAINT], errors)
    _require_state(c, [State.INVESTIGATING], errors)
    findings, correction, explanation, plan = _text(findings), _text(correction), _text(explanation), _text(plan)
    _check_len(findings, "findings", errors, required=True)
    if responsibility_class not in params["p4.complaint_classes"].value or responsibility_class not in ResponsibilityClass.values:
        errors.append(FieldError("responsibility_class", _("请选择调查定性（P4.4.3）。")))
    if responsibility_class == ResponsibilityClass.VIOLATION:
        if head is None:
            errors.append(FieldError("head", _("违规或失职的，须报告本部门领导（P4.4.3）。")))
        elif not access.can(head, "complaints.manage", c.responsible_unit):
            errors.append(FieldError("head", _("“%(name)s”不是“%(unit)s”的部门领导。")
                                     % {"name": head.name, "unit": c.responsible_unit.name}))
    if responsibility_class == ResponsibilityClass.MISTAKE:
        _check_len(correction, "correction", errors, required=True)
    if responsibility_class == ResponsibilityClass.CUSTOMER:
        _check_len(explanation, "explanation", errors, required=True)
    needs_plan = responsibility_class in params["p4.rectification_plan_classes"].value
    if needs_plan:
        _check_len(plan, "plan", errors, required=True)
        if plan_owner is None:
            errors.append(FieldError("plan_owner", _("整改方案须指定责任人。")))
        elif plan_owner.organization_id != c.organization_id:
            errors.append(FieldError("plan_owner", _("整改责任人不属于本组织。")))
        if plan_due_on is None:
            errors.append(FieldError("plan_due_on", _("整改方案须有完成期限。")))
        elif plan_due_on < today:
            errors.append(FieldError("plan_due_on", _("整改期限不能早于今天。")))
    if faults and responsibility_class == ResponsibilityClass.CUSTOMER:
        errors.append(FieldError("faults", _("客户自身问题或误解的，不记录责任人员。")))
    seen: set[int] = set()
    fines: list[tuple[Fault, OrgUnit | None, Decision | None]] = []
    for i, fault in enumerate(faults):
        where = f"faults.{i}"
        if fault.person.pk in seen:
            errors.append(FieldError(where, _("同一人员只能记录一次。")))
            continue
        seen.add(fault.person.pk)
        unit = _unit_of(fault.person)
        if fault.person.organization_id != c.organization_id or unit is None:
            errors.append(FieldError(where, _("“%(name)s”不是本组织的在职人员。") % {"name": fault.person.name}))
            continue
        applies = adopts(unit, "P11", today)
        unit_params = _params(unit, today)
        levels = {str(lv["level"]) for lv in unit_params["p11.complaint_severity_levels"].value}
        if fault.severity not in levels:
            errors.append(FieldError(f"{where}.severity", _("情节应为：%(levels)s。") % {"levels": _("、").join(sorted(levels))}))
            continue
        if fault.source not in (p11.CUSTOMER, p11.SALES):
            errors.append(FieldError(f"{where}.source", _("投诉来源应为客户或销售人员（P11.6）。")))
            continue
        if fault.amount is not None:
            try:
                if Decimal(fault.amount) < 0 or Decimal(fault.amount) != Decimal(fault.amount).quantize(Decimal("0.01")):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(FieldError(f"{where}.amount", _("金额应为不小于 0、最多两位小数的数字。")))
                continue
        decision = p11.complaint_fine(p11.Complaint(fault.severity, fault.source, fault.amount), unit_params) if applies else None
        fines.append((fault, unit if applies else None, decision))
    _fail(_("调查结果有误。"), errors)

    c.findings, c.responsibility_class, c.found_at = findings, responsibility_class, now
    c.correction = correction if responsibility_class == ResponsibilityClass.MISTAKE else ""
    c.explanation = explanation if responsibility_class == ResponsibilityClass.CUSTOMER else ""
    c.head = head if responsibility_class == ResponsibilityClass.VIOLATION else None
    c.state = State.HANDLED
    c.save(update_fields=["findings", "responsibility_class", "found_at", "correction", "explanation", "head",
                          "state", "updated_at"])
    clauses = {"P4.4.3"}
    payload: dict[str, Any] = {"class": responsibility_class, "faults": []}
    for old in obligations.pending_for(c, kind=VIOLATION_KIND):  # a revised finding replaces the report
        obligations.meet(access.SYSTEM, old, note=_("调查结果已修订"), now=now)
    if responsibility_class == ResponsibilityClass.VIOLATION:
        assert head is not None
        days = params["p4.rectification_working_days"]
        close = params["p4.close_of_business"].value
        due_day, provisional = work_calendar().add_working_days(today, days.value)
        due = close_of_business(due_day, close, tz=_tz())
        why = Decision(
            rule="complaints.violation_report", value=due.isoformat(), clauses=("P4.4.3", "P4.6"),
            reason=gettext_noop("违规或工作失职，已报告部门领导 %(head)s，按组织程序处理，%(days)s 个工作日内记录处理结果，截止 %(due)s"),
            reason_args={"head": head.name, "days": days.value, "due": due.strftime("%Y-%m-%d %H:%M")},
            params=(days.use(),), facts={"found_at": now.isoformat()}, provisional=provisional,
        )
        head_ob = _open_deadline(actor, c, Deadline(why, due, deadlines.working_days(days.value, start=today, close=close)),
                            VIOLATION_KIND, gettext_noop("按组织程序处理违规失职投诉 %(number)s"), person=head, now=now)
        payload["head"] = head.pk
        payload["obligation"] = getattr(head_ob, "pk", None)
    if needs_plan:
        assert plan_owner is not None and plan_due_on is not None
        rp = RectificationPlan.objects.create(complaint=c, plan=plan, owner=plan_owner, due_on=plan_due_on,
                                              created_by=_person(actor), created_at=now)
        due = close_of_business(plan_due_on, params["p4.close_of_business"].value, tz=_tz())
        why = Decision(
            rule="complaints.rectification_plan", value=due.isoformat(), clauses=("P4.4.3",),
            reason=gettext_noop("一般工作失误、服务欠缺，立即纠正并按整改方案在 %(due)s 前完成整改（责任人 %(owner)s）"),
            reason_args={"due": due.strftime("%Y-%m-%d %H:%M"), "owner": plan_owner.name},
            facts={"plan": rp.pk},
        )
        owner_unit = _unit_of(plan_owner) or c.responsible_unit
        if due > now:
            ob = obligations.open_obligation(
                _ob_actor(actor, "obligations.manage", owner_unit), kind=PLAN_KIND, subject=c,
                deadline=deadlines.fixed(due), title=gettext_noop("落实整改方案 %(number)s"),
                title_args={"number": c.number}, responsible_unit=owner_unit, responsible_person=plan_owner,
                decision=why, now=now)
            rp.obligation_id = ob.pk
            rp.save(update_fields=["obligation_id"])
        payload["plan"] = rp.pk
    # P11.6 fines: post (or replace) for the staff found at fault; void those no longer at fault.
    period = today.strftime("%Y-%m")
    from zhidu.sanctions import services as ledger

    current = {f.person_id: f for f in StaffFault.objects.filter(complaint=c)}
    for fault, unit, decision in fines:
        row = current.pop(fault.person.pk, None) or StaffFault(complaint=c, person=fault.person, period=period)
        row.severity, row.source, row.amount, row.active, row.recorded_at = (
            fault.severity, fault.source, fault.amount, True, now)
        row.fine_applies = decision is not None
        row.decision = decision_dict(decision) if decision else {}
        if decision is not None:
            assert unit is not None
            result = ledger.post_entry(access.SYSTEM, person=fault.person, kind="fine", period=row.period,
                                       amount=Decimal(decision.value), decision=decision, source_module=MODULE,
                                       source_key=f"complaint:{c.pk}:person:{fault.person.pk}", unit=unit,
                                       note=c.number)
            row.entry_id = result.entry.pk if result.entry else row.entry_id
            clauses.add("P11.6")
        row.save()
        payload["faults"].append({"person": fault.person.pk, "severity": fault.severity, "fine": decision.value if decision else None})
    for row in current.values():
        if row.active and row.fine_applies:
            unit = _unit_of(row.person)
            if unit is not None:
                ledger.post_entry(access.SYSTEM, person=row.person, kind="fine", period=row.period, amount=Decimal(0),
                                  decision=Decision.from_dict(row.decision) if row.decision else None,
                                  note=_("调查结果修订，不再认定责任"), source_module=MODULE,
                                  source_key=f"complaint:{c.pk}:person:{row.person_id}", unit=unit)
                clauses.add("P11.6")
        row.active = False
        row.save(update_fields=["active"])
    _audit(actor, "complaints.investigate", c, clauses, payload)
    return c


@transaction.atomic
def record_head_decision(actor: Any, complaint: Complaint, *, decision: str,
                         now: dt.datetime | None = None) -> Complaint:
    """The department head records how a violation was handled through the organizational
    procedure (P4.4.3 (a)); it meets the head's obligation."""
    now = now or timezone.now()
    c = _lock(complaint)
    if not (isinstance(actor, Person) and actor.pk == c.head_id):
        access.require(actor, "complaints.manage", c.responsible_unit)
    errors: list[FieldError] = []
    if c.responsibility_class != ResponsibilityClass.VIOLATION:
        errors.append(FieldError("responsibility_class", _("只有定性为违规或失职的投诉需要领导处理。")))
    text = _text(decision)
    _check_len(text, "decision", errors, required=True)
    _fail(_("处理结果有误。"), errors)
    c.head_decision, c.head_decided_at = text, now
    c.save(update_fields=["head_decision", "head_decided_at", "updated_at"])
    met = _meet(actor, c, [VIOLATION_KIND], _("已按组织程序处理"), now)
    _audit(actor, "complaints.head_decision", c, ["P4.4.3"], {"obligations": [o.pk for o in met]})
    return c


@transaction.atomic
def complete_plan(actor: Any, plan: RectificationPlan | int, *, note: str,
                  now: dt.datetime | None = None) -> RectificationPlan:
    """The owner (or a manager over the unit) reports the rectification plan done (P4.4.3)."""
    now = now or timezone.now()
    pk = plan.pk if isinstance(plan, RectificationPlan) else plan
    try:
        rp = RectificationPlan.objects.select_for_update().select_related("complaint__responsible_unit").get(pk=pk)
    except RectificationPlan.DoesNotExist:
        raise NotFoundError(_("未找到此整改方案。")) from None
    c = rp.complaint
    if not (isinstance(actor, Person) and actor.pk == rp.owner_id):
        access.require(actor, "complaints.manage", c.responsible_unit)
    errors: list[FieldError] = []
    if rp.completed_at is not None:
        errors.append(FieldError("plan", _("整改方案已完成。")))
    note = _text(note)
    _check_len(note, "note", errors, required=True)
    _fail(_("整改完成情况有误。"), errors)
    rp.completed_at, rp.completion_note = now, note
    rp.save(update_fields=["completed_at", "completion_note"])
    if rp.obligation_id:
        ob = Obligation.objects.filter(pk=rp.obligation_id, state__in=PENDING).first()
        if ob is not None:
            own = isinstance(actor, Person) and actor.pk == ob.responsible_person_id
            obligations.meet(actor if own else _ob_actor(actor, "obligations.manage", ob.responsible_unit), ob,
                             note=note, now=now)
    _audit(actor, "complaints.plan_done", c, ["P4.4.3"], {"plan": rp.pk})
    return rp


# ---------------------------------------------------------------------------------------------- feedback, close, reopen


@transaction.atomic
def record_feedback(actor: Any, complaint: Complaint, *, method: str, content: str, satisfaction: str = "",
                    opinion: str = "", reopen_reason: str = "", now: dt.datetime | None = None) -> Complaint:
    """The result fed back to the customer by phone or message, and their opinion and satisfaction
    (five levels) recorded (P4.4.5). A dissatisfied customer's item is reopened when a reason is
    given (``reopen_reason``)."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_feedback(actor, c)
    errors: list[FieldError] = []
    _require_state(c, [State.HANDLED], errors)
    content, opinion, reopen_reason = _text(content), _text(opinion), _text(reopen_reason)
    if method not in FeedbackMethod.values:
        errors.append(FieldError("method", _("请选择反馈方式。")))
    _check_len(content, "content", errors, required=True)
    _check_len(opinion, "opinion", errors)
    params = _params(c.responsible_unit, _local(now).date())
    if satisfaction and satisfaction not in Satisfaction.values:
        errors.append(FieldError("satisfaction", _("满意度应为五级之一。")))
    elif not satisfaction and c.kind == Kind.COMPLAINT and params["p4.satisfaction_required"].value:
        errors.append(FieldError("satisfaction", _("请记录投诉人对处理结果的满意度（P4.4.5）。")))
    if reopen_reason and not rules.is_dissatisfied(satisfaction):
        errors.append(FieldError("reopen_reason", _("只有客户不满意时才重新办理。")))
    _fail(_("反馈信息有误。"), errors)
    c.feedback_method, c.feedback, c.fed_back_at, c.fed_back_by = method, content, now, _person(actor)
    c.satisfaction, c.customer_opinion = satisfaction, opinion
    c.save(update_fields=["feedback_method", "feedback", "fed_back_at", "fed_back_by", "satisfaction",
                          "customer_opinion", "updated_at"])
    _audit(actor, "complaints.feedback", c, ["P4.4.5"], {"method": method, "satisfaction": satisfaction,
                                                          "reopen": bool(reopen_reason)})
    if reopen_reason:
        _reopen(actor, c, reason=reopen_reason, now=now, cause="customer")
    return c


def closing_facts(c: Complaint) -> p4.Closing:
    return p4.Closing(
        kind=c.kind, answer_recorded=c.answered_at is not None and bool(c.answer), reply_needed=c.reply_needed,
        investigator=c.investigator.name if c.investigator_id and c.investigator else "",
        classification=c.responsibility_class, rectification_plan=c.plans.exists(),
        result_fed_back=c.fed_back_at is not None, satisfaction=c.satisfaction,
    )


@transaction.atomic
def close(actor: Any, complaint: Complaint, *, note: str = "", now: dt.datetime | None = None) -> Complaint:
    """Close the item: only with its reply on file (``p4.can_close``: every contact a reply, every
    complaint an outcome, P4.6). Meets the deadline obligations and sets the retention date (P4.4.7).
    Closing over the customer's dissatisfaction needs a note saying why."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_handle(actor, c)
    return _close(actor, c, note=note, now=now)


def _close(actor: Any, c: Complaint, *, note: str, now: dt.datetime, answered_on_spot: bool = False) -> Complaint:
    errors: list[FieldError] = []
    _require_state(c, [State.HANDLED], errors)
    note = _text(note)
    _check_len(note, "note", errors)
    today = _local(now).date()
    params = _params(c.responsible_unit, today)
    decision = p4.can_close(closing_facts(c), params)
    fields = {"answer": "answer", "reply": "answer", "investigator": "investigator",
              "classification": "responsibility_class", "rectification_plan": "plan", "feedback": "feedback",
              "satisfaction": "satisfaction"}
    if not decision.value:
        for missing in decision.facts["missing"]:
            errors.append(FieldError(fields.get(missing, missing), decision.explain()))
    if rules.is_dissatisfied(c.satisfaction) and not note:
        errors.append(FieldError("note", _("客户不满意时办结，须说明理由（或重新办理）。")))
    _fail(_("不能办结。"), errors)
    retain = p4.retain_until(today, params, important=c.important, record_years=c.retention_years)
    c.state, c.closed_at, c.closed_by, c.close_note = State.CLOSED, now, _person(actor), note
    c.closed_on_time = _on_time(c, now) if not answered_on_spot else True
    c.retain_until = dt.date.fromisoformat(retain.value)
    c.retention_decision = decision_dict(retain)
    c.save(update_fields=["state", "closed_at", "closed_by", "close_note", "closed_on_time", "retain_until",
                          "retention_decision", "updated_at"])
    met = _meet(actor, c, HANDLING_KINDS, _("已办结"), now)
    Criticism.objects.filter(complaint=c, resolved_at__isnull=True).update(resolved_at=now)
    _audit(actor, "complaints.close", c, [*decision.clauses, "P4.6", "P4.4.7"], {
        "on_time": c.closed_on_time, "due_at": c.due_at, "retain_until": c.retain_until,
        "satisfaction": c.satisfaction, "obligations": [o.pk for o in met], "on_the_spot": answered_on_spot})
    return c


@transaction.atomic
def reopen(actor: Any, complaint: Complaint, *, reason: str, promised_reply_on: dt.date | None = None,
           now: dt.datetime | None = None) -> Complaint:
    """Reopen a handled or closed item (the customer is not satisfied, P4.4.5/P4.6), with the reason.
    It gets a new period counted from now; a suggestion needing a reply, a new promised date."""
    now = now or timezone.now()
    c = _lock(complaint)
    _require_handle(actor, c)
    return _reopen(actor, c, reason=reason, now=now, cause="customer", promised_reply_on=promised_reply_on)


def _reopen(actor: Any, c: Complaint, *, reason: str, now: dt.datetime, cause: str,
            promised_reply_on: dt.date | None = None, deadline: Deadline | None = None) -> Complaint:
    """Back to work. A period still running (an item reopened before it was closed) continues; a
    closed item gets a new one counted from now; after a failed spot check ``deadline`` (the
    rectification deadline) applies and its obligation is opened by the caller."""
    errors: list[FieldError] = []
    _require_state(c, [State.HANDLED, State.CLOSED], errors)
    reason = _text(reason)
    _check_len(reason, "reason", errors, required=True)
    if c.anonymized_at is not None:
        errors.append(FieldError("state", _("已过保存期限并匿名化的登记不能重新办理。")))
    running = [] if deadline is not None else obligations.pending_for(c, kind=DEADLINE_KIND[c.kind])
    if deadline is None and not running:
        promised = promised_reply_on or c.promised_reply_on
        deadline = compute_deadline(c.kind, now, _params(c.responsible_unit, _local(now).date()), special=c.special,
                                    special_reason=c.special_reason, reply_needed=c.reply_needed, promised=promised)
        if deadline.decision.facts.get("error") in ("promise_required", "promise_before_receipt"):
            errors.append(FieldError("promised_reply_on", _("重新办理的建议须承诺新的答复日期（P4.4.2）。")))
        elif promised_reply_on is not None and not work_calendar().is_working_day(promised_reply_on):
            errors.append(FieldError("promised_reply_on", _("承诺的答复日期应为工作日（期限于当日下班时届满）。")))
    _fail(_("不能重新办理。"), errors)
    if c.kind == Kind.SUGGESTION and promised_reply_on:
        c.promised_reply_on = promised_reply_on
    was_closed = c.state == State.CLOSED
    previous = {"state": c.state, "satisfaction": c.satisfaction, "on_time": c.closed_on_time}
    c.state = State.INVESTIGATING if c.kind == Kind.COMPLAINT and c.investigator_id else State.OPEN
    c.reopened_count += 1
    c.reopened_at, c.reopen_reason = now, reason
    c.closed_at = c.closed_by = c.closed_on_time = c.retain_until = None
    c.retention_decision = {}
    c.close_note = ""
    c.fed_back_at = None
    c.satisfaction = ""
    c.answered_at = None
    clauses = ["P4.4.5", "P4.6"] + (["P4.4.6"] if cause == "spot_check" else [])
    if deadline is not None:
        c.due_at, c.deadline_provisional = deadline.due, deadline.provisional
        c.deadline_decision = decision_dict(deadline.decision)
        clauses += list(deadline.decision.clauses)
    c.save()
    ob = None
    if deadline is not None and cause != "spot_check":
        ob = _open_deadline(actor, c, deadline, DEADLINE_KIND[c.kind], DEADLINE_TITLE[c.kind], now=now)
    _audit(actor, "complaints.reopen", c, clauses, {
        "cause": cause, "was_closed": was_closed, "previous": previous, "due_at": c.due_at,
        "obligation": getattr(ob, "pk", None), "count": c.reopened_count, "period_continues": bool(running)})
    return c


# ---------------------------------------------------------------------------------------------- retention


@transaction.atomic
def mark_important(actor: Any, complaint: Complaint, *, important: bool, years: int | None = None,
                   now: dt.datetime | None = None) -> Complaint:
    """Important records are kept longer (P4.4.7): ``p4.retention_important_years`` or ``years``."""
    now = now or timezone.now()
    c = _lock(complaint)
    access.require(actor, "complaints.manage", c.responsible_unit)
    errors: list[FieldError] = []
    if years is not None and not 1 <= years <= 100:
        errors.append(FieldError("years", _("保存年限应为 1–100 年。")))
    if c.anonymized_at is not None:
        errors.append(FieldError("important", _("已匿名化的登记不能再改变保存期限。")))
    _fail(_("保存期限有误。"), errors)
    c.important, c.retention_years = important, years
    fields = ["important", "retention_years", "updated_at"]
    if c.closed_at is not None:
        closed_on = _local(c.closed_at).date()
        retain = p4.retain_until(closed_on, _params(c.responsible_unit, closed_on), important=important,
                                 record_years=years)
        c.retain_until = dt.date.fromisoformat(retain.value)
        c.retention_decision = decision_dict(retain)
        fields += ["retain_until", "retention_decision"]
    c.save(update_fields=fields)
    _audit(actor, "complaints.retention", c, ["P4.4.7"], {"important": important, "years": years,
                                                          "retain_until": c.retain_until})
    return c


@dataclass
class PurgeReport:
    today: dt.date
    applied: bool
    numbers: list[str] = field(default_factory=list)
    attachments: int = 0

    @property
    def count(self) -> int:
        return len(self.numbers)


def purge_candidates(today: dt.date) -> models.QuerySet[Complaint]:
    """Closed records past their retention date whose personal data is still there (P4.4.7)."""
    return Complaint.objects.filter(state=State.CLOSED, anonymized_at__isnull=True, retain_until__isnull=False,
                                    retain_until__lt=today).order_by("retain_until", "id")


def purge(actor: Any = access.SYSTEM, *, apply: bool = False, today: dt.date | None = None,
          limit: int | None = None, now: dt.datetime | None = None) -> PurgeReport:
    """Anonymize the personal data of records kept past their date (P4.4.7): the customer's name,
    phone and other contact, the personal parts of every free text (phone and ID numbers, e-mail,
    the customer's name), attachments deleted. Type, category, channel, units, dates, classification,
    satisfaction, reopen count and spot-check result stay for the statistics. A dry run (the
    default) only lists what would be anonymized; each applied record is audited."""
    if not isinstance(actor, access.SystemActor):
        raise ZhiduError(_("只有系统维护命令可以执行保存期限清理。"), code="permission_denied", status=403)
    now = now or timezone.now()
    today = today or _local(now).date()
    report = PurgeReport(today=today, applied=apply)
    qs = purge_candidates(today).values_list("pk", "number")
    rows = list(qs[:limit] if limit else qs)
    if not apply:
        report.numbers = [number for _pk, number in rows]
        report.attachments = Attachment.objects.filter(complaint_id__in=[pk for pk, _n in rows],
                                                       deleted_at__isnull=True).count()
        return report
    for pk, _number in rows:
        files: list[str] = []
        with transaction.atomic():
            c = Complaint.objects.select_for_update().filter(pk=pk, anonymized_at__isnull=True, state=State.CLOSED,
                                                             retain_until__lt=today).first()
            if c is None:
                continue
            n = _anonymize(c, now, files)
            _audit(actor, "complaints.purge", c, ["P4.4.7"], {"retain_until": c.retain_until, "attachments": n})
            report.numbers.append(c.number)
            report.attachments += n
        storage_files = [f for f in files if f]
        if storage_files:
            from .models import attachment_storage

            storage = attachment_storage()
            for name in storage_files:
                try:
                    storage.delete(name)
                except OSError:  # pragma: no cover
                    log.warning("complaints: could not delete %s", name)
    return report


TEXT_FIELDS = ("content", "answer", "feedback", "customer_opinion", "findings", "explanation", "correction",
               "handling_opinion", "leadership_report", "close_note", "reopen_reason", "special_reason",
               "head_decision", "subject_staff", "forwarded_from")


def _anonymize(c: Complaint, now: dt.datetime, files: list[str]) -> int:
    names = [c.customer_name]
    if c.customer_id and c.customer:
        names.append(c.customer.name)
    for name in TEXT_FIELDS:
        setattr(c, name, rules.scrub_personal(getattr(c, name), names))
    c.customer = None
    c.customer_name = rules.mask_name(c.customer_name)
    c.customer_phone = rules.mask_phone_fully(c.customer_phone)
    c.customer_contact = ""
    c.anonymized_at = now
    c.save()
    count = 0
    for att in c.attachments.filter(deleted_at__isnull=True):
        files.append(att.file.name if att.file else "")
        att.file = ""
        att.name = "（已删除）"
        att.deleted_at = now
        att.save(update_fields=["file", "name", "deleted_at"])
        count += 1
    for t in Transfer.objects.filter(complaint=c):
        t.reason, t.opinion = rules.scrub_personal(t.reason, names), rules.scrub_personal(t.opinion, names)
        t.save(update_fields=["reason", "opinion"])
    for rp in RectificationPlan.objects.filter(complaint=c):
        rp.plan, rp.completion_note = rules.scrub_personal(rp.plan, names), rules.scrub_personal(rp.completion_note, names)
        rp.save(update_fields=["plan", "completion_note"])
    for item in SpotCheckItem.objects.filter(complaint=c):
        item.notes = rules.scrub_personal(item.notes, names)
        item.save(update_fields=["notes"])
    for cr in Criticism.objects.filter(complaint=c):
        cr.text = rules.scrub_personal(cr.text, names)
        cr.save(update_fields=["text"])
    return count


# ---------------------------------------------------------------------------------------------- spot checks


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """The local month ``YYYY-MM`` as ``[start, end)`` instants."""
    year, month = int(period[:4]), int(period[5:7])
    start = dt.datetime(year, month, 1, tzinfo=_tz())
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=_tz())
    return start, end


def valid_period(period: str) -> bool:
    if len(period or "") != 7 or period[4] != "-":
        return False
    try:
        return 1 <= int(period[5:7]) <= 12 and 2000 <= int(period[:4]) <= 2100
    except ValueError:
        return False


def spot_check_population(unit: OrgUnit, period: str, kinds: Sequence[str]) -> list[int]:
    start, end = period_bounds(period)
    return list(Complaint.objects.filter(
        organization_id=unit.organization_id, responsible_unit__path__startswith=unit.path, state=State.CLOSED,
        closed_at__gte=start, closed_at__lt=end, kind__in=list(kinds),
    ).order_by("id").values_list("pk", flat=True))


@transaction.atomic
def draw_spot_check(actor: Any, *, unit: OrgUnit, period: str, seed: str | None = None,
                    kinds: Sequence[str] = (Kind.COMPLAINT.value,), now: dt.datetime | None = None) -> SpotCheck:
    """The marketing centre's verifier draws a sample of the items of ``unit`` (and below) closed in
    ``period`` (P4.4.6) via ``p4.spot_check_sample``; the seed (random unless given) and the
    population are recorded, so the draw can be repeated and checked."""
    now = now or timezone.now()
    access.require(actor, "complaints.verify", unit)
    errors: list[FieldError] = []
    if not valid_period(period):
        errors.append(FieldError("period", _("期间格式应为 YYYY-MM。")))
    elif period_bounds(period)[0] > now:
        errors.append(FieldError("period", _("不能抽查尚未开始的期间。")))
    kinds = [k for k in kinds]
    if not kinds or any(k not in Kind.values for k in kinds):
        errors.append(FieldError("kinds", _("类型应为咨询、建议或投诉。")))
    seed = _text(seed) or secrets.token_hex(8)
    if len(seed) > 64:
        errors.append(FieldError("seed", _("随机种子不能超过 64 个字符。")))
    _fail(_("抽查信息有误。"), errors)
    population = spot_check_population(unit, period, kinds)
    decision = p4.spot_check_sample(population, seed, _params(unit, _local(now).date()))
    check = SpotCheck.objects.create(organization_id=unit.organization_id, unit=unit, period=period, kinds=kinds,
                                     seed=seed, population=population, decision=decision_dict(decision),
                                     drawn_by=_person(actor), drawn_at=now)
    SpotCheckItem.objects.bulk_create([SpotCheckItem(spot_check=check, complaint_id=int(pk)) for pk in decision.value])
    record(actor, "complaints.spot_check", check, unit_id=unit.pk, clauses=["P4.4.6"], payload={
        "period": period, "seed": seed, "population": len(population), "sample": list(decision.value)})
    return check


@transaction.atomic
def record_spot_result(actor: Any, item: SpotCheckItem | int, *, passed: bool, notes: str = "",
                       now: dt.datetime | None = None) -> SpotCheckItem:
    """Pass or fail one sampled item with notes (P4.4.6). A failure reopens the item, records the
    criticism of the responsible unit and sets its rectification deadline (``p4.rectification_deadline``,
    P4.6), an obligation met when the item is closed again."""
    now = now or timezone.now()
    pk = item.pk if isinstance(item, SpotCheckItem) else item
    try:
        it = SpotCheckItem.objects.select_for_update(of=("self",)).select_related("spot_check__unit").get(pk=pk)
    except SpotCheckItem.DoesNotExist:
        raise NotFoundError(_("未找到此抽查项。")) from None
    access.require(actor, "complaints.verify", it.spot_check.unit)
    c = _lock(it.complaint_id)
    errors: list[FieldError] = []
    if it.result != SpotResult.PENDING:
        errors.append(FieldError("result", _("此项已验证：%(result)s。") % {"result": it.get_result_display()}))
    notes = _text(notes)
    _check_len(notes, "notes", errors, required=not passed)
    _fail(_("验证结果有误。"), errors)
    it.result = SpotResult.PASSED if passed else SpotResult.FAILED
    it.notes, it.checked_by, it.checked_at = notes, _person(actor), now
    it.save(update_fields=["result", "notes", "checked_by", "checked_at"])
    c.spot_check_result = it.result
    c.save(update_fields=["spot_check_result", "updated_at"])
    payload: dict[str, Any] = {"spot_check": it.spot_check_id, "item": it.pk, "result": it.result}
    clauses = ["P4.4.6"]
    if not passed:
        clauses.append("P4.6")
        today = _local(now)
        params = _params(c.responsible_unit, today.date())
        decision = p4.rectification_deadline(today, params, work_calendar())
        due = dt.datetime.fromisoformat(decision.value)
        spec = deadlines.working_days(params["p4.rectification_working_days"].value, start=today.date(),
                                      close=params["p4.close_of_business"].value)
        deadline = Deadline(decision, due, spec)
        criticism = Criticism.objects.create(unit=c.responsible_unit, complaint=c, spot_item=it, text=notes, due_at=due,
                                             provisional=decision.provisional, decision=decision_dict(decision),
                                             by=_person(actor), at=now)
        if c.state in (State.HANDLED, State.CLOSED) and c.anonymized_at is None:
            _reopen(actor, c, reason=notes, now=now, cause="spot_check", deadline=deadline)
        elif c.is_pending:  # already reopened (e.g. by the customer): the rectification deadline applies
            c.due_at, c.deadline_provisional, c.deadline_decision = due, decision.provisional, decision_dict(decision)
            c.save(update_fields=["due_at", "deadline_provisional", "deadline_decision", "updated_at"])
        _meet(actor, c, DEADLINE_KIND.values(), _("抽查验证不符，按整改期限办理"), now)
        ob = _open_deadline(actor, c, deadline, RECTIFY_KIND, gettext_noop("抽查验证不符，限期整改 %(number)s"), now=now)
        criticism.obligation_id = getattr(ob, "pk", None)
        criticism.save(update_fields=["obligation_id"])
        payload.update(criticism=criticism.pk, due_at=due, obligation=criticism.obligation_id)
    _audit(actor, "complaints.verify", c, clauses, payload)
    return it


# ---------------------------------------------------------------------------------------------- public form


def register_public(*, organization: Organization, kind: str, category: str, content: str, name: str,
                    phone: str, contact: str = "", reply_needed: bool = True, territory: str = "",
                    now: dt.datetime | None = None) -> Complaint:
    """The public web form (no login, P4.3.1): registered at the organization's public intake unit by
    "网上自助登记"; a suggestion needing a reply is promised one within the organization's standard
    number of working days (P4.4.2). The rate limit is the caller's (per client address)."""
    now = now or timezone.now()
    conf = settings_for(organization)
    if not conf.public_intake_unit_id:
        raise ValidationFailed(_("本组织未开放网上登记。"), [FieldError("organization", _("本组织未开放网上登记。"))])
    unit = OrgUnit.objects.get(pk=conf.public_intake_unit_id)
    promised = None
    if kind == Kind.SUGGESTION and reply_needed:
        day, _provisional = work_calendar().add_working_days(_local(now).date(), conf.public_suggestion_reply_days)
        promised = day
    errors: list[FieldError] = []
    if not _text(name):
        errors.append(FieldError("customer_name", _("请填写姓名。")))
    if len(rules.digits(phone)) < 7:
        errors.append(FieldError("customer_phone", _("请填写联系电话（用于查询进度和回访）。")))
    if errors:
        # report the form's own checks together with the registration form's
        try:
            _validate_only(Intake(kind=kind, category=category, channel=Channel.WEB, content=content, receiving_unit=unit,
                                  customer_name=name, customer_phone=phone, receiving_person_name=WEB_RECEIVER), now)
        except ValidationFailed as exc:
            errors += [e for e in exc.errors if e.field not in {x.field for x in errors}]
        raise ValidationFailed(_("登记信息有误。"), errors)
    intake = Intake(kind=kind, category=category, channel=Channel.WEB, content=content, receiving_unit=unit,
                    customer_name=name, customer_phone=phone, customer_contact=contact,
                    receiving_person_name=WEB_RECEIVER, reply_needed=reply_needed, promised_reply_on=promised,
                    territory=territory)
    return register(PUBLIC, intake, now=now).complaint


def _validate_only(intake: Intake, now: dt.datetime) -> None:
    errors, _v = _validate_intake(PUBLIC, intake, now)
    _fail(_("登记信息有误。"), errors)


# ---------------------------------------------------------------------------------------------- calendar


def sync_deadlines(complaint_ids: Iterable[int] | None = None) -> int:
    """After the obligations engine recomputed deadlines (a calendar change or a confirmed year),
    bring each pending item's ``due_at``, provisional flag and "why" in line with its running deadline
    obligation. Returns how many items changed. Not audited: the recomputation itself is
    (``obligations.recompute``)."""
    qs = Obligation.objects.filter(subject_type=Complaint._meta.label_lower, kind__in=HANDLING_KINDS, state__in=PENDING)
    if complaint_ids is not None:
        qs = qs.filter(subject_id__in=[str(i) for i in complaint_ids])
    running: dict[int, Obligation] = {}
    for ob in qs.order_by("opened_at", "id"):
        running[int(ob.subject_id)] = ob  # the latest opened one is the item's deadline
    changed = 0
    for c in Complaint.objects.filter(pk__in=list(running), state__in=PENDING_STATES).select_related("responsible_unit"):
        ob = running[c.pk]
        if c.due_at == ob.due_at and c.deadline_provisional == ob.provisional:
            continue
        decision = dict(ob.decision or {})
        if ob.kind in DEADLINE_KIND.values() and ob.extension_count == 0:
            start = c.reopened_at or c.received_at
            again = compute_deadline(c.kind, start, _params(c.responsible_unit, _local(start).date()), special=c.special,
                                     special_reason=c.special_reason, reply_needed=c.reply_needed,
                                     promised=c.promised_reply_on)
            if again.due == ob.due_at:
                decision = decision_dict(again.decision)
        decision["value"], decision["provisional"] = ob.due_at.isoformat(), ob.provisional
        Complaint.objects.filter(pk=c.pk).update(due_at=ob.due_at, deadline_provisional=ob.provisional,
                                                 deadline_decision=decision)
        changed += 1
    return changed
