"""Writes to obligations: open, meet, extend, waive, and recompute after calendar changes.

How a domain module uses it (its kinds registered first, see ``policy.register_kind``)::

    from django.utils.translation import gettext_noop
    from zhidu.obligations import deadlines, services as obligations

    obligation = obligations.open_obligation(
        actor, kind="complaint.close", subject=complaint, via="complaints.register",
        responsible_person=handler, responsible_unit=complaint.unit,
        deadline=deadlines.working_days(3, start=complaint.received_at),
        title=gettext_noop("办结投诉 %(number)s"), title_args={"number": complaint.number},
        decision=decision,  # the rule's Decision (the "why"); one is derived from the deadline if omitted
    )
    ...
    obligations.meet_subject(actor, complaint, kind="complaint.close", via="complaints.close")

Every service checks the actor, validates (naming every bad field), writes in one transaction
with its audit event carrying the obligation's clauses, and notifies on commit.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhidu.audit.services import PendingEvent
from zhidu.audit.services import prepare as prepare_event
from zhidu.calendar import selectors as calendar_selectors
from zhidu.core.bulk import PreparedInsert, prepare_one
from zhidu.core.errors import FieldError, NotFoundError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import Employment, OrgUnit, Person
from zhidu.rulebook.decision import Decision

from . import deadlines, notify, routing
from .models import ACTIVE, PENDING, Notification, Obligation, State
from .policy import KindPolicy, kind_policy

Subject = models.Model | tuple[str, object]


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _person(actor: access.Actor) -> Person | None:
    return actor if isinstance(actor, Person) else None


def _subject(subject: Subject) -> tuple[str, str]:
    if isinstance(subject, models.Model):
        return subject._meta.label_lower, str(subject.pk)
    kind, pk = subject
    return str(kind), str(pk)


def policy_for(obligation: Obligation) -> KindPolicy:
    policy = kind_policy(obligation.kind)
    if policy is None:  # a kind whose module is gone: keep working on the stored clauses
        return KindPolicy(kind=obligation.kind, module=obligation.module, clauses=tuple(obligation.clauses))
    return policy


def schedule_reminder(obligation: Obligation, policy: KindPolicy, now: dt.datetime) -> dt.datetime | None:
    """When the next reminder is due (None once the deadline is past)."""
    if obligation.due_at <= now:
        return None
    cal = calendar_selectors.work_calendar()
    hours = calendar_selectors.working_hours_for(obligation.responsible_unit)
    start = max(now, obligation.opened_at)
    at = deadlines.reminder_at(start, obligation.due_at, policy.reminder_lead_fraction,
                               policy.reminder_lead_working_hours, cal, hours, _tz())
    return at if at < obligation.due_at else None


def _audit(actor: access.Actor, action: str, obligation: Obligation, payload: dict[str, Any]) -> None:
    _prepare_audit(actor, action, obligation, payload).append()


def _prepare_audit(actor: access.Actor, action: str, obligation: Obligation, payload: dict[str, Any]) -> PendingEvent:
    """``_audit``'s event, prepared before the transaction (the obligation may not be stored yet, nor
    its subject: ``subject`` is then given again when the event is appended)."""
    return prepare_event(actor, action, obligation, unit_id=obligation.responsible_unit_id,
                         clauses=obligation.clauses,
                         payload={"kind": obligation.kind,
                                  "subject": f"{obligation.subject_type}:{obligation.subject_id}", **payload})


def _lock(obligation: Obligation | int) -> Obligation:
    pk = obligation.pk if isinstance(obligation, Obligation) else obligation
    try:
        return (Obligation.objects.select_for_update(of=("self",)).select_related("responsible_unit", "responsible_person")
                .get(pk=pk))
    except Obligation.DoesNotExist:
        raise NotFoundError(_("未找到此待办事项。")) from None


def _in(when: dt.datetime) -> str:
    return when.astimezone(_tz()).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------------------- open


@transaction.atomic
def open_obligation(
    actor: access.Actor,
    *,
    kind: str,
    subject: Subject,
    deadline: dict[str, Any],
    title: str,
    title_args: dict[str, Any] | None = None,
    responsible_unit: OrgUnit | None = None,
    responsible_person: Person | None = None,
    decision: Decision | None = None,
    via: str | None = None,
    now: dt.datetime | None = None,
) -> Obligation:
    """Open an obligation of a registered ``kind`` about ``subject`` (a model instance or
    ``(type, id)``).

    ``deadline`` is a spec from :mod:`zhidu.obligations.deadlines` (its start defaults to now).
    ``via`` names the domain action under which the actor opens it (e.g. ``complaints.register``);
    without it the actor needs ``obligations.manage`` over the responsible unit. When only a person
    is given, the unit is the one they work in.
    """
    return prepare_obligation(
        actor, kind=kind, subject=subject, deadline=deadline, title=title, title_args=title_args,
        responsible_unit=responsible_unit, responsible_person=responsible_person, decision=decision, via=via,
        now=now).open(savepoint=False)  # this function's own atomic block is the savepoint


class PreparedObligation:
    """An obligation checked and computed — deadline, reminder, recipients, its audit event — but
    not written (``prepare_obligation``); ``open`` writes it."""

    __slots__ = ("event", "notes", "obligation", "row", "subject")

    def __init__(self, obligation: Obligation, subject: models.Model | None, row: PreparedInsert,
                 event: PendingEvent, notes: notify.PreparedNotifications) -> None:
        self.obligation = obligation
        self.subject = subject      # a subject not saved when prepared: its key is read when opening
        self.row = row
        self.event = event
        self.notes = notes

    def open(self, *, savepoint: bool = True) -> Obligation:
        """Write the obligation, its audit event and its notifications (in the caller's transaction,
        or in one of its own). ``savepoint=False`` inside the caller's transaction: a failure here
        then fails that whole transaction (for a caller that would not go on after it anyway)."""
        with transaction.atomic(savepoint=savepoint):
            return self._write()

    def _write(self) -> Obligation:
        ob = self.obligation
        if self.subject is not None:
            if self.subject.pk is None:
                raise ValidationFailed(_("待办事项信息有误。"), [FieldError("subject", _("请指定待办事项的对象。"))])
            ob.subject_id = str(self.subject.pk)
        self.row.insert()
        self.event.append({"subject": f"{ob.subject_type}:{ob.subject_id}"})
        self.notes.insert()
        return ob


def prepare_obligation(
    actor: access.Actor,
    *,
    kind: str,
    subject: Subject,
    deadline: dict[str, Any],
    title: str,
    title_args: dict[str, Any] | None = None,
    responsible_unit: OrgUnit | None = None,
    responsible_person: Person | None = None,
    decision: Decision | None = None,
    via: str | None = None,
    now: dt.datetime | None = None,
) -> PreparedObligation:
    """Everything ``open_obligation`` checks and computes, before the transaction that writes it
    (``.open()``): a writer holding SQLite's lock then only writes. ``subject`` may be a model instance
    not saved yet (written in that same transaction, before ``open``)."""
    now = now or timezone.now()
    unit = responsible_unit
    if unit is None and responsible_person is not None:
        emp = (Employment.objects.filter(person=responsible_person, ended_on__isnull=True)
               .select_related("unit").order_by("id").first())
        unit = emp.unit if emp else None
    if unit is None:
        raise ValidationFailed(_("待办事项信息有误。"), [FieldError("responsible_unit", _("请指定责任单位或在职的责任人。"))])
    access.require(actor, via or "obligations.manage", unit)

    errors: list[FieldError] = []
    policy = kind_policy(kind)
    if policy is None:
        errors.append(FieldError("kind", _("未登记的待办类别：%(kind)s") % {"kind": kind}))
    if not (title or "").strip():
        errors.append(FieldError("title", _("标题不能为空。")))
    elif title_args:
        try:
            _unused = title % title_args
        except (KeyError, TypeError, ValueError):
            errors.append(FieldError("title_args", _("标题参数与标题不符。")))
    unsaved = subject if isinstance(subject, models.Model) and subject.pk is None else None
    subject_type, subject_id = _subject(subject)
    if not subject_type or not subject_id or (subject_id == "None" and unsaved is None):
        errors.append(FieldError("subject", _("请指定待办事项的对象。")))
    if responsible_person is not None and responsible_person.organization_id != unit.organization_id:
        errors.append(FieldError("responsible_person", _("责任人不属于该单位所在的组织。")))
    spec: dict[str, Any] = {}
    try:
        spec = deadlines.normalize(deadline, now, _tz())
    except deadlines.SpecError as exc:
        errors.append(FieldError(f"deadline.{exc.key}", _("期限设置有误：%(detail)s") % {"detail": str(exc)}))
    due = None
    if spec:
        due = deadlines.compute(spec, calendar_selectors.work_calendar(),
                                calendar_selectors.working_hours_for(unit), _tz())
        if due.at <= now:
            errors.append(FieldError("deadline", _("截止时间 %(due)s 已过。") % {"due": _in(due.at)}))
    if errors:
        raise ValidationFailed(_("待办事项信息有误。"), errors)
    assert policy is not None and due is not None

    why = decision or deadlines.explain(spec, due, policy.clauses, _tz())
    clauses = sorted(set(policy.clauses) | set(why.clauses))
    why_dict = why.as_dict()
    why_dict["provisional"] = bool(why.provisional or due.provisional)
    obligation = Obligation(
        subject_type=subject_type, subject_id="" if unsaved is not None else subject_id, module=policy.module,
        kind=kind, title=title.strip(), title_args=title_args or {}, clauses=clauses,
        responsible_person=responsible_person, responsible_unit=unit, opened_at=now,
        opened_by_id=getattr(actor, "pk", None), due_at=due.at, original_due_at=due.at,
        provisional=due.provisional, deadline_spec=spec, depends_on_calendar=due.depends_on_calendar,
        span_start=due.span_start, decision=why_dict, state=State.OPEN, state_changed_at=now,
        state_changed_by=_person(actor),
    )
    obligation.next_reminder_at = schedule_reminder(obligation, policy, now)
    event = _prepare_audit(actor, "obligations.open", obligation, {
        "due_at": obligation.due_at, "provisional": obligation.provisional, "deadline": spec,
        "responsible_person_id": getattr(responsible_person, "pk", None), "responsible_unit_id": unit.pk,
        "rule": why.rule,
    })
    notes = notify.prepare(
        routing.responsible_people(obligation, policy, now.astimezone(_tz()).date()), event="open",
        message=gettext_noop("新的待办事项：%(title)s，截止 %(due)s（%(clauses)s）"),
        args={"title": obligation.title_arg(), "due": _in(obligation.due_at), "clauses": list(obligation.clauses)},
        channels=policy.channels_for("open"), obligation=obligation, now=now)
    return PreparedObligation(obligation, unsaved, prepare_one(obligation, late=["subject_id"]), event, notes)


# --------------------------------------------------------------------------------------- meet


def _may_act_on(actor: access.Actor, obligation: Obligation, via: str | None) -> None:
    """The responsible person may always act on their own obligation; others need the action."""
    person = _person(actor)
    if person is not None and obligation.responsible_person_id == person.pk:
        return
    access.require(actor, via or "obligations.manage", obligation.responsible_unit)


@transaction.atomic
def meet(actor: access.Actor, obligation: Obligation | int, *, note: str = "", via: str | None = None,
         now: dt.datetime | None = None) -> Obligation:
    """Mark an obligation met (on time when now ≤ due; an overdue one is met late)."""
    now = now or timezone.now()
    ob = _lock(obligation)
    _may_act_on(actor, ob, via)
    if ob.state not in PENDING:
        raise ValidationFailed(_("此事项已结束，不能再办结。"), [FieldError("state", ob.get_state_display())])
    previous = ob.state
    ob.state = State.MET
    ob.met_at = now
    ob.met_on_time = now <= ob.due_at
    ob.state_changed_at = now
    ob.state_changed_by = _person(actor)
    ob.state_reason = note.strip()
    ob.next_reminder_at = None
    ob.next_escalation_at = None
    ob.save(update_fields=["state", "met_at", "met_on_time", "state_changed_at", "state_changed_by",
                           "state_reason", "next_reminder_at", "next_escalation_at"])
    _audit(actor, "obligations.meet", ob, {"from": previous, "met_at": now, "on_time": ob.met_on_time,
                                           "due_at": ob.due_at, "note": ob.state_reason})
    return ob


def pending_for(subject: Subject, *, kind: str | None = None) -> list[Obligation]:
    """The pending obligations about a record (for the module that owns the record)."""
    subject_type, subject_id = _subject(subject)
    qs = Obligation.objects.filter(subject_type=subject_type, subject_id=subject_id, state__in=PENDING)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("due_at", "id"))


@transaction.atomic
def meet_subject(actor: access.Actor, subject: Subject, *, kind: str | None = None, via: str | None = None,
                 note: str = "", now: dt.datetime | None = None) -> list[Obligation]:
    """Meet every pending obligation (of ``kind``) about a record, e.g. when a complaint is closed."""
    return [meet(actor, ob, via=via, note=note, now=now) for ob in pending_for(subject, kind=kind)]


# --------------------------------------------------------------------------------------- extend


@transaction.atomic
def extend(actor: access.Actor, obligation: Obligation | int, *, new_due: dt.datetime, reason: str,
           approver: Person | None = None, now: dt.datetime | None = None) -> Obligation:
    """Move the deadline later, with a reason and an approver, within the kind's cap.

    The approver (the actor when not given) must hold ``obligations.extend_approve`` over the
    responsible unit and must not be the responsible person; an actor other than the approver must
    hold ``obligations.manage`` there (recording an approval given elsewhere).
    """
    now = now or timezone.now()
    ob = _lock(obligation)
    approver = approver or _person(actor)
    if approver is None or not isinstance(approver, Person):
        raise ValidationFailed(_("延期信息有误。"), [FieldError("approver", _("请指定批准人。"))])
    if not (isinstance(actor, Person) and actor.pk == approver.pk):
        access.require(actor, "obligations.manage", ob.responsible_unit)
    access.require(approver, "obligations.extend_approve", ob.responsible_unit)

    policy = policy_for(ob)
    errors: list[FieldError] = []
    if approver.pk == ob.responsible_person_id:
        errors.append(FieldError("approver", _("责任人不能批准自己的延期。")))
    if ob.state not in ACTIVE:
        errors.append(FieldError("state", _("只有未超期的待办事项可以延期（当前：%(state)s）。")
                                 % {"state": ob.get_state_display()}))
    if not (reason or "").strip():
        errors.append(FieldError("reason", _("请说明延期原因。")))
    if ob.extension_count >= policy.max_extensions:
        errors.append(FieldError("new_due", _("已延期 %(n)s 次，达到上限 %(max)s 次（%(clauses)s）。") % {
            "n": ob.extension_count, "max": policy.max_extensions, "clauses": _("、").join(ob.clauses)}))
    if timezone.is_naive(new_due):
        new_due = timezone.make_aware(new_due, _tz())
    if new_due <= ob.due_at or new_due <= now:
        errors.append(FieldError("new_due", _("新的截止时间必须晚于当前截止时间 %(due)s。") % {"due": _in(ob.due_at)}))
    elif policy.extension_cap_working_days is not None:
        cal = calendar_selectors.work_calendar()
        extra = cal.working_days_between(ob.original_due_at.astimezone(_tz()).date(), new_due.astimezone(_tz()).date())
        if extra > policy.extension_cap_working_days:
            errors.append(FieldError("new_due", _("延期不得超过原截止时间后 %(cap)s 个工作日（%(clauses)s）。") % {
                "cap": policy.extension_cap_working_days, "clauses": _("、").join(ob.clauses)}))
    if errors:
        raise ValidationFailed(_("延期信息有误。"), errors)

    old_due = ob.due_at
    ob.state = State.EXTENDED
    ob.due_at = new_due
    ob.provisional = False
    ob.deadline_spec = {**deadlines.fixed(new_due.astimezone(_tz())), "extended_from": ob.deadline_spec}
    ob.depends_on_calendar = False
    ob.extension_count += 1
    ob.extended_by = _person(actor)
    ob.extension_approver = approver
    ob.state_changed_at = now
    ob.state_changed_by = _person(actor)
    ob.state_reason = reason.strip()
    ob.next_reminder_at = schedule_reminder(ob, policy, now)
    ob.save()
    _audit(actor, "obligations.extend", ob, {"from_due": old_due, "to_due": new_due, "reason": ob.state_reason,
                                             "approver_id": approver.pk, "count": ob.extension_count})
    notify.record(routing.responsible_people(ob, policy, now.astimezone(_tz()).date()), event="extend",
                  message=gettext_noop("待办事项“%(title)s”已延期至 %(due)s：%(reason)s"),
                  args={"title": ob.title_arg(), "due": _in(new_due), "reason": ob.state_reason},
                  channels=policy.channels_for("extend"), obligation=ob, now=now)
    return ob


# --------------------------------------------------------------------------------------- waive


@transaction.atomic
def waive(actor: access.Actor, obligation: Obligation | int, *, reason: str,
          now: dt.datetime | None = None) -> Obligation:
    """Release the responsible party from an obligation (needs ``obligations.waive``)."""
    now = now or timezone.now()
    ob = _lock(obligation)
    access.require(actor, "obligations.waive", ob.responsible_unit)
    errors: list[FieldError] = []
    if ob.state not in PENDING:
        errors.append(FieldError("state", _("此事项已结束，不能豁免。")))
    if not (reason or "").strip():
        errors.append(FieldError("reason", _("请说明豁免原因。")))
    if errors:
        raise ValidationFailed(_("豁免信息有误。"), errors)
    previous = ob.state
    ob.state = State.WAIVED
    ob.state_changed_at = now
    ob.state_changed_by = _person(actor)
    ob.state_reason = reason.strip()
    ob.next_reminder_at = None
    ob.next_escalation_at = None
    ob.save(update_fields=["state", "state_changed_at", "state_changed_by", "state_reason", "next_reminder_at",
                           "next_escalation_at"])
    _audit(actor, "obligations.waive", ob, {"from": previous, "reason": ob.state_reason})
    policy = policy_for(ob)
    notify.record(routing.responsible_people(ob, policy, now.astimezone(_tz()).date()), event="waive",
                  message=gettext_noop("待办事项“%(title)s”已豁免：%(reason)s"),
                  args={"title": ob.title_arg(), "reason": ob.state_reason},
                  channels=policy.channels_for("waive"), obligation=ob, now=now)
    return ob


def mark_read(actor: Person, notification_id: int | None = None) -> int:
    """Mark one (or every) unread in-app notification of the actor's own as read. Not audited:
    it changes nothing but the reader's own view."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


# --------------------------------------------------------------------------------------- calendar


def recompute_for_dates(dates: Iterable[dt.date], *, actor: access.Actor = access.SYSTEM,
                        now: dt.datetime | None = None) -> list[Obligation]:
    """Recompute open deadlines after the working calendar changed on ``dates``.

    Affected: open or extended obligations whose deadline is counted on the calendar and whose
    span (start day … due day) covers a changed date, or whose deadline is provisional. Each one
    whose due instant or provisional flag changes is updated (compare-and-set on the old due
    instant) and audited as ``obligations.recompute``, one transaction per obligation.
    """
    now = now or timezone.now()
    changed = sorted(set(dates))
    cal = calendar_selectors.work_calendar()
    tz = _tz()
    qs = Obligation.objects.filter(state__in=ACTIVE, depends_on_calendar=True)
    if changed:
        first, last = changed[0], changed[-1]
        cond = models.Q(provisional=True) | (
            models.Q(span_start__lte=last)
            & models.Q(due_at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=tz))
        )
        qs = qs.filter(cond)
    else:
        qs = qs.filter(provisional=True)
    updated: list[Obligation] = []
    ids = list(qs.order_by("id").values_list("pk", flat=True))  # read first: the loop writes the table
    for i in range(0, len(ids), 500):
        for ob in Obligation.objects.select_related("responsible_unit").filter(pk__in=ids[i:i + 500]).order_by("id"):
            due_day = ob.due_at.astimezone(tz).date()
            span_start = ob.span_start or due_day
            hits = changed[bisect.bisect_left(changed, span_start):bisect.bisect_right(changed, due_day)]
            if (ob.provisional or hits) and _recompute_one(ob, cal, tz, actor, now, {
                    "cause": "calendar_changed", "dates": [d.isoformat() for d in hits[:50]]}):
                updated.append(ob)
    return updated


def recompute_for_units(unit_ids: Iterable[int], *, actor: access.Actor = access.SYSTEM,
                        now: dt.datetime | None = None) -> list[Obligation]:
    """Recompute open deadlines counted in working time of units whose working hours changed (and
    of the units below them, which inherit the hours); each change audited as ``obligations.recompute``."""
    now = now or timezone.now()
    unit_ids = sorted(set(unit_ids))
    paths = list(OrgUnit.objects.filter(pk__in=unit_ids).values_list("path", flat=True))
    if not paths:
        return []
    cond = models.Q()
    for p in paths:
        cond |= models.Q(responsible_unit__path__startswith=p)
    ids = list(Obligation.objects.filter(cond, state__in=ACTIVE, depends_on_calendar=True)
               .order_by("id").values_list("pk", flat=True))
    cal = calendar_selectors.work_calendar()
    updated: list[Obligation] = []
    for i in range(0, len(ids), 500):
        for ob in Obligation.objects.select_related("responsible_unit").filter(pk__in=ids[i:i + 500]).order_by("id"):
            if _recompute_one(ob, cal, _tz(), actor, now, {"cause": "working_hours_changed", "units": unit_ids}):
                updated.append(ob)
    return updated


def _recompute_one(ob: Obligation, cal: Any, tz: dt.tzinfo, actor: access.Actor, now: dt.datetime,
                   why: dict[str, Any]) -> bool:
    """Recompute one open obligation's deadline; True (updated and audited) when it changed."""
    if ob.state not in ACTIVE:
        return False
    result = deadlines.compute(ob.deadline_spec, cal, calendar_selectors.working_hours_for(ob.responsible_unit), tz)
    if result.at == ob.due_at and result.provisional == ob.provisional:
        return False
    with transaction.atomic():
        decision = dict(ob.decision or {})
        decision["provisional"] = result.provisional
        if decision.get("rule") == "obligations.deadline":
            decision = deadlines.explain(ob.deadline_spec, result, tuple(decision.get("clauses", ())), tz).as_dict()
        claimed = Obligation.objects.filter(pk=ob.pk, state=ob.state, due_at=ob.due_at).update(
            due_at=result.at, original_due_at=result.at if ob.extension_count == 0 else ob.original_due_at,
            provisional=result.provisional, decision=decision, span_start=result.span_start,
        )
        if not claimed:
            return False
        old_due, old_prov = ob.due_at, ob.provisional
        ob.refresh_from_db()
        ob.next_reminder_at = schedule_reminder(ob, policy_for(ob), now) if ob.reminder_count == 0 else None
        Obligation.objects.filter(pk=ob.pk).update(next_reminder_at=ob.next_reminder_at)
        _audit(actor, "obligations.recompute", ob, {
            **why, "from_due": old_due, "to_due": ob.due_at, "from_provisional": old_prov,
            "to_provisional": ob.provisional,
        })
    return True
