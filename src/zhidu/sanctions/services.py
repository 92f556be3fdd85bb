"""Writes to the sanctions ledger.

How a module posts (from a scheduled evaluation, with ``access.SYSTEM``, or on behalf of a person
holding ``sanctions.post``)::

    from zhidu.sanctions import services as ledger

    ledger.post_entry(SYSTEM, person=p, kind="fine", period="2026-03", amount=Decimal("10"),
                      decision=decision,                      # Decision from the rule (P7.10 …)
                      source_module="attendance", source_key=f"p7.10:{p.pk}")
    ledger.propose_action(SYSTEM, person=p, kind="suspension", period="2026-03", decision=d,
                          source_module="attendance", source_key=f"p7.12:{p.pk}")

``(source_module, source_key, kind, period)`` identifies a post: posting it again with the same
values changes nothing; with other values it replaces the entry while the period is open, and
posts a visible adjustment (the difference, ``adjusts`` → the original) once the period is locked.

Disciplinary actions are only ever *proposed* by modules. :func:`confirm` and :func:`reject` need a
person holding ``sanctions.confirm`` (HR or the general manager — for removal from the volunteer
centre, the centre's head is its ``general_manager``) over the entry's unit; the system actor,
administrators, the person concerned and (for confirmation) the proposer are refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhidu.audit.services import record
from zhidu.core.errors import FieldError, PermissionDeniedError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import Employment, OrgUnit, Person, UnitKind
from zhidu.rulebook.decision import Decision

from . import signals
from .models import ACTION_KINDS, GRADES, MONEY_KINDS, POSTABLE_KINDS, Kind, LedgerEntry, PeriodLock, Status
from .periods import active_lock, period_bounds, valid_period

CREATED = "created"
UNCHANGED = "unchanged"
UPDATED = "updated"
ADJUSTED = "adjusted"
SKIPPED = "skipped"
VOIDED = "voided"

MAX_AMOUNT = Decimal("9999999999.99")
CENT = Decimal("0.01")
VOLUNTEER_UNIT_KINDS = {UnitKind.VOLUNTEER_CENTRE, UnitKind.VOLUNTEER_STATION}

SUPERSEDED_REASON = gettext_noop("期间未锁定时重新计算，已被替代")
ZERO_REASON = gettext_noop("重新计算后金额为零")


@dataclass(frozen=True)
class PostResult:
    """What a post did: ``outcome`` is created | unchanged | updated | adjusted | skipped | voided.

    ``entry`` is the row written or found (the adjustment when ``adjusted``; None when ``skipped``:
    a zero amount with nothing to correct), ``original`` the entry the key first created.
    """

    outcome: str
    entry: LedgerEntry | None
    original: LedgerEntry | None = None


# --- helpers ----------------------------------------------------------------------------------

def _json(value: Any) -> Any:
    """What a JSON column gives back (Decimals and dates as strings), for stable comparisons."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _person_or_none(actor: access.Actor) -> Person | None:
    return actor if isinstance(actor, Person) else None


def _require_somewhere(actor: access.Actor | None, action: str) -> None:
    if actor is None or not access.can_anywhere(actor, action):
        raise PermissionDeniedError(_("无权执行此操作（%(action)s）。") % {"action": action})


def _resolve_unit(person: Person, unit: OrgUnit | None, errors: list[FieldError]) -> OrgUnit | None:
    if unit is not None:
        if unit.organization_id != person.organization_id:
            errors.append(FieldError("unit", _("单位与人员不属于同一组织。")))
            return None
        return unit
    units = list(
        OrgUnit.objects.filter(employments__person=person, employments__ended_on__isnull=True).distinct()
    )
    if len(units) != 1:
        errors.append(FieldError("unit", _("请指定单位：此人员没有唯一的在职单位。")))
        return None
    return units[0]


def _check_text(value: str, field: str, max_length: int, errors: list[FieldError]) -> str:
    text = (value or "").strip()
    if not text:
        errors.append(FieldError(field, _("不能为空。")))
    elif len(text) > max_length:
        errors.append(FieldError(field, _("不能超过 %(n)s 个字符。") % {"n": max_length}))
    return text


def _check_clauses(clauses: Iterable[str] | None, decision: Decision | None, errors: list[FieldError]) -> list[str]:
    raw = list(clauses) if clauses is not None else list(decision.clauses if decision else ())
    out = [str(c).strip() for c in raw]
    if not out or any(not c or len(c) > 32 for c in out):
        errors.append(FieldError("clauses", _("须注明所依据的条款编号（如 P7.10）。")))
    return sorted(set(out), key=out.index)


def _check_amount(value: Any, errors: list[FieldError]) -> Decimal | None:
    if value is None:
        errors.append(FieldError("amount", _("罚款、扣款和扣发奖金须填写金额。")))
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(FieldError("amount", _("金额应为数字。")))
        return None
    if not amount.is_finite():
        errors.append(FieldError("amount", _("金额应为数字。")))
        return None
    if amount < 0:
        errors.append(FieldError("amount", _("金额不能为负数；更正请重新入账，系统会生成调整条目。")))
        return None
    if amount != amount.quantize(CENT):
        errors.append(FieldError("amount", _("金额最多保留两位小数（舍入由规则决定）。")))
        return None
    if amount > MAX_AMOUNT:
        errors.append(FieldError("amount", _("金额过大。")))
        return None
    return amount.quantize(CENT)


def _check_period(period: str, period_start: Any, period_end: Any, errors: list[FieldError]) -> tuple[Any, Any]:
    if not valid_period(period):
        errors.append(FieldError("period", _("期间格式应为 YYYY-MM。")))
        return period_start, period_end
    first, last = period_bounds(period)
    start = period_start or first
    end = period_end or last
    if end < start:
        errors.append(FieldError("period_end", _("截止日期不能早于起始日期。")))
    return start, end


def _in_volunteer_unit(unit: OrgUnit) -> bool:
    prefixes = [p for p in unit.path.split("/") if p]
    ids = [int(p) for p in prefixes]
    return OrgUnit.objects.filter(pk__in=ids, kind__in=list(VOLUNTEER_UNIT_KINDS)).exists()


def _lock_unit_row(unit: OrgUnit) -> None:
    """Serialize with :func:`lock_period` (which locks the rows of the unit subtree it closes)."""
    OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()


def _effective(original: LedgerEntry) -> tuple[Decimal, str | None, LedgerEntry]:
    """Amount and grade in force for a key (the entry and its posted adjustments), and the latest row."""
    amount = original.amount if original.status == Status.POSTED and original.amount is not None else Decimal(0)
    grade = original.grade if original.status == Status.POSTED else None
    latest = original
    for adj in original.adjustments.filter(status=Status.POSTED).order_by("id"):
        amount += adj.amount or Decimal(0)
        grade = adj.grade or grade
        latest = adj
    return amount, grade, latest


def _trace(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "clauses": list(entry.clauses), "decision": entry.decision, "note": entry.note,
        "period_start": entry.period_start, "period_end": entry.period_end,
    }


def _snapshot(entry: LedgerEntry) -> dict[str, Any]:
    return _json({
        "status": entry.status, "amount": entry.amount, "grade": entry.grade, "unit": entry.unit_id,
        **_trace(entry),
    })


def _payload(entry: LedgerEntry, **extra: Any) -> dict[str, Any]:
    return {
        "person": entry.person_id, "kind": entry.kind, "period": entry.period, "status": entry.status,
        "amount": entry.amount, "grade": entry.grade, "source": f"{entry.source_module}:{entry.source_key}",
        "adjusts": entry.adjusts_id, "late": entry.late, **extra,
    }


def _send(signal: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender=LedgerEntry, **kwargs))


# --- posting ----------------------------------------------------------------------------------

def post_entry(
    actor: access.Actor,
    *,
    person: Person,
    kind: str,
    period: str,
    source_module: str,
    source_key: str,
    decision: Decision | None = None,
    amount: Decimal | int | str | None = None,
    grade: str | None = None,
    clauses: Iterable[str] | None = None,
    unit: OrgUnit | None = None,
    period_start: Any = None,
    period_end: Any = None,
    note: str = "",
) -> PostResult:
    """Post a fine, deduction, bonus loss (``amount`` in yuan) or grade (``grade`` A–E).

    Idempotent by ``(source_module, source_key, kind, period)``; see the module docstring. ``unit``
    defaults to the person's only current unit. ``decision`` is the rule's :class:`Decision`
    (its clauses are used unless ``clauses`` is given); a manual entry without one needs a ``note``.
    An amount of 0 means "nothing is due": nothing is written unless an earlier post must be undone.
    """
    _require_somewhere(actor, "sanctions.post")
    errors: list[FieldError] = []
    unit = _resolve_unit(person, unit, errors)
    if unit is not None:
        access.require(actor, "sanctions.post", unit)
    if kind not in POSTABLE_KINDS:
        errors.append(FieldError("kind", _("此处只能入账罚款、扣款、扣发奖金或评级；纪律处分须提议后由授权人员确认。")))
    money_amount: Decimal | None = None
    if kind in MONEY_KINDS:
        money_amount = _check_amount(amount, errors)
        if grade is not None:
            errors.append(FieldError("grade", _("金额类条目不填写等级。")))
    elif kind in POSTABLE_KINDS:
        if grade not in GRADES:
            errors.append(FieldError("grade", _("等级应为 A–E。")))
        if amount is not None:
            errors.append(FieldError("amount", _("评级条目不填写金额。")))
    start, end = _check_period(period, period_start, period_end, errors)
    module = _check_text(source_module, "source_module", 64, errors)
    key = _check_text(source_key, "source_key", 180, errors)
    clause_ids = _check_clauses(clauses, decision, errors)
    if decision is None and not (note or "").strip():
        errors.append(FieldError("decision", _("须附上规则的决定依据，或填写说明。")))
    if errors:
        raise ValidationFailed(_("台账条目有误。"), errors)
    assert unit is not None
    values = {
        "amount": money_amount, "grade": grade if kind not in MONEY_KINDS else None, "clauses": clause_ids,
        "decision": _json(decision.as_dict()) if decision else None, "note": (note or "").strip(),
        "period_start": start, "period_end": end,
    }
    return _post(actor, person, unit, kind, period, module, key, values)


@transaction.atomic
def _post(actor: access.Actor, person: Person, unit: OrgUnit, kind: str, period: str, module: str, key: str,
          values: dict[str, Any]) -> PostResult:
    _lock_unit_row(unit)
    locked = active_lock(unit, period) is not None
    lookup = {"source_module": module, "source_key": key, "kind": kind, "period": period}
    existing = LedgerEntry.objects.select_for_update().filter(**lookup).first()
    if existing is None:
        if kind in MONEY_KINDS and values["amount"] == 0:
            return PostResult(SKIPPED, None)
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    person=person, unit=unit, kind=kind, period=period, source_module=module, source_key=key,
                    status=Status.POSTED, late=locked, created_by=_person_or_none(actor), **values,
                )
        except IntegrityError:
            # Someone posted the same key concurrently: carry on as a re-post of their entry.
            existing = LedgerEntry.objects.select_for_update().get(**lookup)
        else:
            outcome = ADJUSTED if locked else CREATED
            record(actor, "sanctions.post", entry, unit_id=unit.pk, clauses=entry.clauses,
                   payload=_payload(entry, outcome=outcome))
            _send(signals.entry_posted, entry=entry, outcome=outcome)
            return PostResult(outcome, entry, entry)

    if existing.person_id != person.pk or existing.unit_id != unit.pk:
        raise ValidationFailed(_("台账条目有误。"), [
            FieldError("source_key", _("此来源编号已用于另一人员或单位的条目。"))
        ])
    amount, grade, latest = _effective(existing)
    value_same = amount == values["amount"] if kind in MONEY_KINDS else grade == values["grade"]
    new_trace = _json({k: values[k] for k in ("clauses", "decision", "note", "period_start", "period_end")})
    trace_same = _json(_trace(latest)) == new_trace

    if locked:
        if value_same:
            return PostResult(UNCHANGED, latest, existing)
        n = existing.adjustments.count() + 1
        adj_values = dict(values)
        if kind in MONEY_KINDS:
            adj_values["amount"] = values["amount"] - amount
        adj = LedgerEntry.objects.create(
            person=person, unit=unit, kind=kind, period=period, source_module=module, source_key=f"{key}#adj{n}",
            status=Status.POSTED, late=True, adjusts=existing, created_by=_person_or_none(actor), **adj_values,
        )
        record(actor, "sanctions.adjust", adj, unit_id=unit.pk, clauses=adj.clauses,
               payload=_payload(adj, outcome=ADJUSTED, previous_amount=amount, previous_grade=grade,
                                new_amount=values["amount"], new_grade=values["grade"]))
        _send(signals.entry_posted, entry=adj, outcome=ADJUSTED)
        return PostResult(ADJUSTED, adj, existing)

    if value_same and trace_same:
        return PostResult(UNCHANGED, latest, existing)
    if value_same and kind in MONEY_KINDS and values["amount"] == 0 and existing.status == Status.VOID:
        return PostResult(UNCHANGED, existing, existing)
    previous = _snapshot(existing)
    now = timezone.now()
    superseded = list(existing.adjustments.filter(status=Status.POSTED))
    for adj in superseded:
        adj.status = Status.VOID
        adj.voided_by = _person_or_none(actor)
        adj.voided_at = now
        adj.void_reason = SUPERSEDED_REASON
        adj.save(update_fields=["status", "voided_by", "voided_at", "void_reason", "updated_at"])
    for field, value in values.items():
        setattr(existing, field, value)
    if kind in MONEY_KINDS and values["amount"] == 0:
        existing.status = Status.VOID
        existing.voided_by, existing.voided_at, existing.void_reason = _person_or_none(actor), now, ZERO_REASON
    else:
        existing.status = Status.POSTED
        existing.voided_by, existing.voided_at, existing.void_reason = None, None, ""
    existing.save()
    record(actor, "sanctions.update", existing, unit_id=unit.pk, clauses=existing.clauses,
           payload=_payload(existing, outcome=UPDATED, previous=previous,
                            superseded_adjustments=[a.pk for a in superseded]))
    _send(signals.entry_posted, entry=existing, outcome=UPDATED)
    return PostResult(UPDATED, existing, existing)


@transaction.atomic
def void_entry(actor: access.Actor, entry: LedgerEntry, *, reason: str) -> PostResult:
    """Withdraw a posted fine, deduction, bonus loss or grade.

    In an open period the entry becomes ``void`` (kept, with the reason). In a locked period it
    stays as it is and a reversing adjustment (minus its amount) is posted instead; a grade of a
    locked period cannot be withdrawn, only corrected by posting the right grade.
    """
    access.require(actor, "sanctions.post", entry.unit)
    _lock_unit_row(entry.unit)
    entry = LedgerEntry.objects.select_for_update().select_related("unit").get(pk=entry.pk)
    errors: list[FieldError] = []
    text = _check_text(reason, "reason", 2000, errors)
    if entry.kind not in POSTABLE_KINDS or entry.status != Status.POSTED:
        errors.append(FieldError("status", _("只能作废已入账的条目。")))
    locked = active_lock(entry.unit, entry.period) is not None
    if locked and entry.kind not in MONEY_KINDS:
        errors.append(FieldError("period", _("期间已锁定：评级不能作废，请入账更正后的等级。")))
    if errors:
        raise ValidationFailed(_("无法作废此条目。"), errors)
    if not locked:
        # Voiding an original withdraws its adjustments too (only possible after an unlock).
        rows = [entry, *(entry.adjustments.filter(status=Status.POSTED) if entry.adjusts_id is None else [])]
        now = timezone.now()
        for row in rows:
            row.status = Status.VOID
            row.voided_by, row.voided_at, row.void_reason = _person_or_none(actor), now, text
            row.save(update_fields=["status", "voided_by", "voided_at", "void_reason", "updated_at"])
        record(actor, "sanctions.void", entry, unit_id=entry.unit_id, clauses=entry.clauses,
               payload=_payload(entry, outcome=VOIDED, reason=text, also_voided=[r.pk for r in rows[1:]]))
        _send(signals.entry_posted, entry=entry, outcome=VOIDED)
        return PostResult(VOIDED, entry, entry.adjusts or entry)
    original = entry.adjusts or entry
    reversed_amount = _effective(original)[0] if entry.adjusts_id is None else (entry.amount or Decimal(0))
    if reversed_amount == 0:
        return PostResult(UNCHANGED, entry, original)
    n = original.adjustments.count() + 1
    adj = LedgerEntry.objects.create(
        person_id=entry.person_id, unit_id=entry.unit_id, kind=entry.kind, period=entry.period,
        period_start=entry.period_start, period_end=entry.period_end, source_module=original.source_module,
        source_key=f"{original.source_key}#adj{n}", status=Status.POSTED, late=True, adjusts=original,
        amount=-reversed_amount, clauses=list(entry.clauses), decision=None, note=text,
        created_by=_person_or_none(actor),
    )
    record(actor, "sanctions.adjust", adj, unit_id=entry.unit_id, clauses=adj.clauses,
           payload=_payload(adj, outcome=ADJUSTED, reverses=entry.pk, reason=text))
    _send(signals.entry_posted, entry=adj, outcome=ADJUSTED)
    return PostResult(ADJUSTED, adj, original)


# --- disciplinary actions ---------------------------------------------------------------------

def propose_action(
    actor: access.Actor,
    *,
    person: Person,
    kind: str,
    period: str,
    decision: Decision | None = None,
    clauses: Iterable[str] | None = None,
    unit: OrgUnit | None = None,
    source_module: str = "manual",
    source_key: str | None = None,
    period_start: Any = None,
    period_end: Any = None,
    note: str = "",
) -> PostResult:
    """Propose a suspension, dismissal or removal (除名). It has no effect until :func:`confirm`.

    Idempotent by source like :func:`post_entry`: a re-run finds the proposal (and refreshes its
    decision while it is still pending); a confirmed or rejected proposal is never reopened.
    Without ``source_key`` (a manual proposal) every call is a new proposal.
    """
    _require_somewhere(actor, "sanctions.post")
    errors: list[FieldError] = []
    unit = _resolve_unit(person, unit, errors)
    if unit is not None:
        access.require(actor, "sanctions.post", unit)
    if kind not in ACTION_KINDS:
        errors.append(FieldError("kind", _("纪律处分应为停职、辞退或除名。")))
    elif unit is not None:
        if kind == Kind.REMOVAL and not _in_volunteer_unit(unit):
            errors.append(FieldError("unit", _("除名只适用于志愿者服务中心（服务站）的成员。")))
        if kind in (Kind.SUSPENSION, Kind.DISMISSAL) and not Employment.objects.filter(
            person=person, unit=unit, ended_on__isnull=True
        ).exists():
            errors.append(FieldError("unit", _("停职、辞退只适用于在该单位任职的员工。")))
    start, end = _check_period(period, period_start, period_end, errors)
    module = _check_text(source_module, "source_module", 64, errors)
    key = _check_text(source_key, "source_key", 180, errors) if source_key is not None else uuid.uuid4().hex
    clause_ids = _check_clauses(clauses, decision, errors)
    if decision is None and not (note or "").strip():
        errors.append(FieldError("decision", _("须附上规则的决定依据，或填写说明。")))
    if errors:
        raise ValidationFailed(_("处分提议有误。"), errors)
    assert unit is not None
    values = {
        "clauses": clause_ids, "decision": _json(decision.as_dict()) if decision else None,
        "note": (note or "").strip(), "period_start": start, "period_end": end,
    }
    return _propose(actor, person, unit, kind, period, module, key, values)


@transaction.atomic
def _propose(actor: access.Actor, person: Person, unit: OrgUnit, kind: str, period: str, module: str, key: str,
             values: dict[str, Any]) -> PostResult:
    lookup = {"source_module": module, "source_key": key, "kind": kind, "period": period}
    existing = LedgerEntry.objects.select_for_update().filter(**lookup).first()
    if existing is None:
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    person=person, unit=unit, kind=kind, period=period, source_module=module, source_key=key,
                    status=Status.PROPOSED, created_by=_person_or_none(actor),
                    proposed_by=_person_or_none(actor), proposed_at=timezone.now(), **values,
                )
        except IntegrityError:
            existing = LedgerEntry.objects.select_for_update().get(**lookup)
        else:
            record(actor, "sanctions.propose", entry, unit_id=unit.pk, clauses=entry.clauses,
                   payload=_payload(entry, outcome=CREATED))
            _send(signals.action_proposed, entry=entry)
            return PostResult(CREATED, entry, entry)
    if existing.person_id != person.pk or existing.unit_id != unit.pk:
        raise ValidationFailed(_("处分提议有误。"), [
            FieldError("source_key", _("此来源编号已用于另一人员或单位的条目。"))
        ])
    if existing.status != Status.PROPOSED or _json(_trace(existing)) == _json(values):
        return PostResult(UNCHANGED, existing, existing)
    previous = _snapshot(existing)
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save()
    record(actor, "sanctions.update", existing, unit_id=unit.pk, clauses=existing.clauses,
           payload=_payload(existing, outcome=UPDATED, previous=previous))
    return PostResult(UPDATED, existing, existing)


def _require_decider(actor: access.Actor | None, entry: LedgerEntry, *, confirming: bool) -> Person:
    if isinstance(actor, access.SystemActor) or actor is None:
        raise PermissionDeniedError(_("纪律处分只能由授权人员确认或驳回，系统不能代为决定。"))
    access.require(actor, "sanctions.confirm", entry.unit)
    if actor.pk == entry.person_id:
        raise PermissionDeniedError(_("不能决定针对本人的纪律处分。"))
    if confirming and entry.proposed_by_id is not None and actor.pk == entry.proposed_by_id:
        raise PermissionDeniedError(_("提议人不能确认自己提出的处分，须由另一名授权人员确认。"))
    return actor


def _pending(entry: LedgerEntry) -> LedgerEntry:
    locked = LedgerEntry.objects.select_for_update().select_related("unit", "person").get(pk=entry.pk)
    if locked.kind not in ACTION_KINDS or locked.status != Status.PROPOSED:
        raise ValidationFailed(_("此条目不是待确认的处分提议。"), [
            FieldError("status", _("当前状态：%(status)s") % {"status": locked.get_status_display()})
        ])
    return locked


@transaction.atomic
def confirm(actor: access.Actor, entry: LedgerEntry, *, note: str = "", effective_from: Any = None) -> LedgerEntry:
    """Confirm a proposed disciplinary action; it takes effect from ``effective_from`` (default today)."""
    person = _require_decider(actor, entry, confirming=True)
    entry = _pending(entry)
    if len(note or "") > 2000:
        raise ValidationFailed(_("确认意见过长。"), [FieldError("note", _("不能超过 %(n)s 个字符。") % {"n": 2000})])
    entry.status = Status.CONFIRMED
    entry.confirmed_by = person
    entry.confirmed_at = timezone.now()
    entry.confirm_note = (note or "").strip()
    entry.effective_from = effective_from or timezone.localdate()
    entry.save(update_fields=["status", "confirmed_by", "confirmed_at", "confirm_note", "effective_from", "updated_at"])
    record(actor, "sanctions.confirm", entry, unit_id=entry.unit_id, clauses=entry.clauses,
           payload=_payload(entry, note=entry.confirm_note, effective_from=entry.effective_from))
    _send(signals.action_decided, entry=entry)
    return entry


@transaction.atomic
def reject(actor: access.Actor, entry: LedgerEntry, *, reason: str) -> LedgerEntry:
    """Reject a proposed disciplinary action. The reason is required and kept with the entry."""
    person = _require_decider(actor, entry, confirming=False)
    entry = _pending(entry)
    errors: list[FieldError] = []
    text = _check_text(reason, "reason", 2000, errors)
    if errors:
        raise ValidationFailed(_("驳回须填写理由。"), errors)
    entry.status = Status.REJECTED
    entry.rejected_by = person
    entry.rejected_at = timezone.now()
    entry.rejected_reason = text
    entry.save(update_fields=["status", "rejected_by", "rejected_at", "rejected_reason", "updated_at"])
    record(actor, "sanctions.reject", entry, unit_id=entry.unit_id, clauses=entry.clauses,
           payload=_payload(entry, reason=text))
    _send(signals.action_decided, entry=entry)
    return entry


# --- period locks -----------------------------------------------------------------------------

@transaction.atomic
def lock_period(actor: access.Actor, unit: OrgUnit, period: str) -> PeriodLock:
    """Close ``period`` for ``unit`` and every unit below it: later changes become adjustments."""
    access.require(actor, "sanctions.lock", unit)
    if not valid_period(period):
        raise ValidationFailed(_("期间有误。"), [FieldError("period", _("期间格式应为 YYYY-MM。"))])
    # Lock the subtree's unit rows (in path order) so that no post slips in under the old state.
    list(OrgUnit.objects.select_for_update().filter(path__startswith=unit.path).order_by("path").values_list("pk"))
    existing = active_lock(unit, period)
    if existing is not None:
        raise ValidationFailed(_("期间已锁定。"), [
            FieldError("period", _("%(period)s 已由“%(unit)s”锁定。") % {"period": period, "unit": existing.unit.name})
        ])
    lock = PeriodLock.objects.create(unit=unit, period=period, locked_by=_person_or_none(actor))
    record(actor, "sanctions.lock", lock, unit_id=unit.pk, payload={"period": period})
    return lock


@transaction.atomic
def unlock_period(actor: access.Actor, unit: OrgUnit, period: str, *, reason: str) -> PeriodLock:
    """Reopen a period locked on exactly this unit (a lock above it is lifted at that unit)."""
    access.require(actor, "sanctions.lock", unit)
    errors: list[FieldError] = []
    text = _check_text(reason, "reason", 2000, errors)
    lock = PeriodLock.objects.select_for_update().filter(unit=unit, period=period, unlocked_at__isnull=True).first()
    if lock is None:
        errors.append(FieldError("period", _("此单位的该期间未锁定。")))
    if errors:
        raise ValidationFailed(_("无法解锁。"), errors)
    assert lock is not None
    lock.unlocked_by = _person_or_none(actor)
    lock.unlocked_at = timezone.now()
    lock.unlock_reason = text
    lock.save(update_fields=["unlocked_by", "unlocked_at", "unlock_reason"])
    record(actor, "sanctions.unlock", lock, unit_id=unit.pk, payload={"period": period, "reason": text})
    return lock
