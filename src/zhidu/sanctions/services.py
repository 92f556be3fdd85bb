"""Writes to the sanctions ledger.

How a module posts (from a scheduled evaluation, with ``access.SYSTEM``, or on behalf of a person
holding ``sanctions.post``)::

    from zhidu.sanctions import services as ledger

    ledger.post_entry(SYSTEM, person=p, kind="fine", period="2026-03", amount=Decimal("10"),
                      decision=decision,                      # Decision from the rule (P7.10 …)
                      source_module="attendance", source_key=f"p7.10:{p.pk}")
    ledger.propose_action(SYSTEM, person=p, kind="suspension", period="2026-03", decision=d,
                          source_module="attendance", source_key=f"p7.12:{p.pk}")

Many posts at once (a month close): :func:`post_entries` with :class:`EntrySpec` rows — same meaning
as one ``post_entry`` each, a bounded number of queries per batch, one ``sanctions.post_batch`` audit
event per unit and batch (the audit record of every entry in it).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
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
from .periods import _prefixes, active_lock, period_bounds, valid_period

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


# --- bulk posting -----------------------------------------------------------------------------

@dataclass(frozen=True)
class EncodedDecision:
    """A decision its caller has already encoded: ``data`` as :meth:`Decision.as_dict` gives it (or as a
    JSON column gave it back) and ``text``, its JSON (``DjangoJSONEncoder``). :func:`post_entries` stores
    ``text`` as it is instead of encoding ``data`` again (a month close posts 20,000 of them)."""

    data: Mapping[str, Any]
    text: str


@dataclass(frozen=True)
class EntrySpec:
    """One post of :func:`post_entries`: the arguments of :func:`post_entry` but ``actor`` and
    ``source_module`` (shared by the batch)."""

    person: Person
    kind: str
    period: str
    source_key: str
    # a Decision, one as ``Decision.as_dict()`` stored it, or one already encoded (EncodedDecision)
    decision: Decision | Mapping[str, Any] | EncodedDecision | None = None
    amount: Decimal | int | str | None = None
    grade: str | None = None
    clauses: tuple[str, ...] | None = None
    unit: OrgUnit | None = None
    period_start: Any = None
    period_end: Any = None
    note: str = ""


@dataclass(frozen=True)
class BulkPostResult:
    """What :func:`post_entries` did: one :class:`PostResult` per spec (same order; empty with
    ``detail=False``), the number of each outcome, and the audit events written (one
    ``sanctions.post_batch`` per unit with a change)."""

    results: tuple[PostResult, ...]
    counts: dict[str, int]
    events: tuple[Any, ...] = ()


@dataclass(slots=True)
class _Planned:
    """One valid spec, with what :func:`post_entry` would write (the decision kept as its JSON text)."""

    index: int
    person: Person
    person_id: int
    unit: OrgUnit
    unit_id: int
    kind: str
    period: str
    key: str
    amount: Decimal | None
    grade: str | None
    clauses: list[str]
    clauses_text: str
    note: str
    start: Any
    end: Any
    decision_text: str | None

    def decision(self) -> Any:
        """The decision as the JSON column gives it back."""
        return json.loads(self.decision_text) if self.decision_text is not None else None

    def values(self) -> dict[str, Any]:
        """The entry's values as :func:`post_entry` passes them to ``_post``."""
        return {"amount": self.amount, "grade": self.grade, "clauses": list(self.clauses), "decision": self.decision(),
                "note": self.note, "period_start": self.start, "period_end": self.end}


@dataclass(slots=True)
class _New:
    """A row :func:`post_entries` inserts: a new entry, or an adjustment of ``adjusts_id``."""

    planned: _Planned
    key: str
    amount: Decimal | None
    grade: str | None
    adjusts_id: int | None
    late: bool
    outcome: str
    extra: dict[str, Any]
    pk: int | None = None

    def row(self) -> list[Any]:
        """The entry in the batch's audit event, in the order of ``BATCH_COLUMNS``."""
        p = self.planned
        return [self.pk, p.person_id, self.key, p.kind, p.period, _POSTED, None if self.amount is None else str(self.amount),
                self.grade, self.adjusts_id, self.late, self.outcome, self.extra or None]


_POSTED = Status.POSTED.value
#: The columns of each row of ``entries`` in a ``sanctions.post_batch`` audit payload (one row per entry
#: written; ``detail``: an update's previous values and the adjustments it superseded, an adjustment's
#: previous amount or grade). ``zhidu.sanctions.selectors.batch_entries`` gives them back as dicts.
BATCH_COLUMNS = ("id", "person", "source_key", "kind", "period", "status", "amount", "grade", "adjusts", "late",
                 "outcome", "detail")


def _spec_errors(i: int, errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(f"specs[{i}].{e.field}", _("第 %(i)s 条：%(msg)s") % {"i": i, "msg": e.message})
            for e in errors]


def _validate_specs(actor: access.Actor, specs: Sequence[EntrySpec]) -> list[_Planned]:
    """Every spec checked as :func:`post_entry` checks it (unit resolution in one query), then the
    actor's right to post in each unit (once per unit). Raises before anything is written.

    What many specs share is checked and encoded once per call: a kind with its amount or grade, a period
    with its bounds, a list of clauses, a decision object (the same ``Decision`` or dict for many people)."""
    errors: list[FieldError] = []
    missing = sorted({s.person.pk for s in specs if s.unit is None})
    current: dict[int, list[OrgUnit]] = {}
    if missing:
        for emp in (Employment.objects.filter(person_id__in=missing, ended_on__isnull=True)
                    .select_related("unit").order_by("unit_id")):
            units = current.setdefault(emp.person_id, [])
            if all(u.pk != emp.unit_id for u in units):
                units.append(emp.unit)
    planned: list[_Planned] = []
    seen: dict[tuple[str, str, str], int] = {}
    units_by_pk: dict[int, OrgUnit] = {}
    periods: dict[tuple[str, Any, Any], tuple[Any, Any, list[FieldError]]] = {}
    clause_lists: dict[tuple[Any, ...], tuple[list[str], str, list[FieldError]]] = {}
    encoded: dict[int, tuple[object, str, Mapping[str, Any]]] = {}
    value_checks: dict[tuple[Any, ...], tuple[Decimal | None, list[FieldError]]] = {}
    for i, spec in enumerate(specs):
        errs: list[FieldError] = []
        unit = spec.unit
        if unit is not None:
            if unit.organization_id != spec.person.organization_id:
                errs.append(FieldError("unit", _("单位与人员不属于同一组织。")))
                unit = None
        else:
            found = current.get(spec.person.pk, [])
            if len(found) == 1:
                unit = found[0]
            else:
                errs.append(FieldError("unit", _("请指定单位：此人员没有唯一的在职单位。")))
        kind, grade, amount = spec.kind, spec.grade, spec.amount
        vkey = (kind, grade, amount)
        cacheable = True
        try:
            checked_value = value_checks.get(vkey)
        except TypeError:  # an unhashable amount: checked alone
            checked_value, cacheable = None, False
        if checked_value is None:
            value_errs: list[FieldError] = []
            money_amount: Decimal | None = None
            if kind not in POSTABLE_KINDS:
                value_errs.append(FieldError("kind", _("此处只能入账罚款、扣款、扣发奖金或评级；纪律处分须提议后由授权人员确认。")))
            if kind in MONEY_KINDS:
                money_amount = _check_amount(amount, value_errs)
                if grade is not None:
                    value_errs.append(FieldError("grade", _("金额类条目不填写等级。")))
            elif kind in POSTABLE_KINDS:
                if grade not in GRADES:
                    value_errs.append(FieldError("grade", _("等级应为 A–E。")))
                if amount is not None:
                    value_errs.append(FieldError("amount", _("评级条目不填写金额。")))
            checked_value = (money_amount, value_errs)
            if cacheable:
                value_checks[vkey] = checked_value
        money_amount = checked_value[0]
        errs.extend(checked_value[1])
        pkey = (spec.period, spec.period_start, spec.period_end)
        bounds = periods.get(pkey)
        if bounds is None:
            period_errs: list[FieldError] = []
            start, end = _check_period(spec.period, spec.period_start, spec.period_end, period_errs)
            bounds = periods[pkey] = (start, end, period_errs)
        start, end = bounds[0], bounds[1]
        errs.extend(bounds[2])
        key = _check_text(spec.source_key, "source_key", 180, errs)
        decision_text: str | None = None
        data: Mapping[str, Any] | None = None
        if spec.decision is not None:
            hit = encoded.get(id(spec.decision))
            if hit is None or hit[0] is not spec.decision:
                if isinstance(spec.decision, EncodedDecision):
                    hit = (spec.decision, spec.decision.text, spec.decision.data)
                else:
                    raw = spec.decision.as_dict() if isinstance(spec.decision, Decision) else spec.decision
                    hit = (spec.decision, json.dumps(raw, cls=DjangoJSONEncoder, ensure_ascii=False), raw)
                encoded[id(spec.decision)] = hit
            decision_text, data = hit[1], hit[2]
        raw_clauses = tuple(spec.clauses if spec.clauses is not None else (data or {}).get("clauses") or ())
        checked = clause_lists.get(raw_clauses)
        if checked is None:
            clause_errs: list[FieldError] = []
            clause_ids = _check_clauses(raw_clauses, None, clause_errs)
            checked = clause_lists[raw_clauses] = (clause_ids, json.dumps(clause_ids, ensure_ascii=False), clause_errs)
        errs.extend(checked[2])
        if spec.decision is None and not (spec.note or "").strip():
            errs.append(FieldError("decision", _("须附上规则的决定依据，或填写说明。")))
        ident = (key, kind, spec.period)
        if key and ident in seen:
            errs.append(FieldError("source_key", _("与第 %(j)s 条重复（同一来源编号、类别和期间）。") % {"j": seen[ident]}))
        seen.setdefault(ident, i)
        if errs:
            errors.extend(_spec_errors(i, errs))
        if errs or unit is None:
            continue
        unit_id = unit.pk
        planned.append(_Planned(i, spec.person, spec.person.pk, units_by_pk.setdefault(unit_id, unit), unit_id, kind,
                                spec.period, key, money_amount,
                                grade if kind not in MONEY_KINDS else None, checked[0], checked[1],
                                (spec.note or "").strip(), start, end, decision_text))
    if errors:
        raise ValidationFailed(_("台账条目有误。"), errors)
    for unit in units_by_pk.values():
        access.require(actor, "sanctions.post", unit)
    return planned


def post_entries(actor: access.Actor, specs: Sequence[EntrySpec], *, source_module: str,
                 detail: bool = True) -> BulkPostResult:
    """Post many fines, deductions, bonus losses and grades at once, with the meaning of calling
    :func:`post_entry` for each spec in turn (same idempotency key ``(source_module, source_key, kind,
    period)``: unchanged → nothing written; changed in an open period → the entry is updated; changed in
    a locked period → an adjustment linked to the original), in one transaction and a number of queries
    that does not grow with the batch (the access check once per unit, one read of the existing entries
    and one of their adjustments, one of the locks, one ``executemany`` insert and one read of the new
    ids, one bulk update, the audit append).

    Disciplinary actions are not posted here: they are few and go through :func:`propose_action`.

    **Audit.** Instead of one event per entry, each unit with a change gets ONE ``sanctions.post_batch``
    event (in the unit's chain) whose payload lists every entry written, one row each in the order of
    ``columns`` (:data:`BATCH_COLUMNS`: id, person, source key, kind, period, status, amount / grade, the
    original it adjusts, late, outcome, and in ``detail`` an update's previous values or an adjustment's
    previous amount) — with the counts of every outcome and ``amount_total`` (the sum of the amounts
    listed), and whose clauses are the union of the entries' clauses. That event is the audit record of
    each entry in it (``zhidu.sanctions.selectors.batch_entries`` reads the rows back as dicts).

    **Validation.** Every spec is checked first; any bad spec raises :class:`ValidationFailed` whose
    fields are ``specs[<index>].<field>`` (and nothing is written). Two specs with the same key, kind
    and period in one batch are refused. An actor without ``sanctions.post`` in one of the units raises
    :class:`PermissionDeniedError` and nothing is written.

    **Large batches.** ``detail=False`` returns the counts and the audit events only (``results`` is
    empty): no model instance is built for a new entry unless a receiver listens to ``entry_posted``.
    A decision given as :class:`EncodedDecision` is stored as its caller encoded it.
    """
    _require_somewhere(actor, "sanctions.post")
    errs: list[FieldError] = []
    module = _check_text(source_module, "source_module", 64, errs)
    if errs:
        raise ValidationFailed(_("台账条目有误。"), errs)
    planned = _validate_specs(actor, specs)
    results, counts, events = _post_many(actor, module, planned, len(specs), detail=detail)
    return BulkPostResult(tuple(results), counts, tuple(events))


def _locked_pairs(planned: list[_Planned]) -> set[tuple[int, str]]:
    """(unit id, period) pairs closed by an active lock on the unit or above it: one query."""
    units = {p.unit.pk: p.unit for p in planned}
    periods = {p.period for p in planned}
    prefixes = {pre for u in units.values() for pre in _prefixes(u.path)}
    locked_paths: dict[str, set[str]] = {}
    for period, path in (PeriodLock.objects.filter(period__in=periods, unlocked_at__isnull=True,
                                                   unit__path__in=prefixes).values_list("period", "unit__path")):
        locked_paths.setdefault(period, set()).add(path)
    return {(u.pk, period) for u in units.values() for period in periods
            if any(pre in locked_paths.get(period, ()) for pre in _prefixes(u.path))}


_INSERT_COLUMNS = (
    "person_id", "unit_id", "kind", "period", "period_start", "period_end", "amount", "grade", "clauses", "decision",
    "note", "source_module", "source_key", "adjusts_id", "late", "status", "created_by_id", "confirm_note",
    "rejected_reason", "void_reason", "created_at", "updated_at",
)


def _insert(rows: list[_New], module: str, creator_id: int | None, now: Any) -> None:
    """Insert new entries in one bulk insert of precomputed values (``zhidu.core.bulk``: no model
    instances, no per-value ORM preparation, no 999-parameter split on SQLite, COPY on PostgreSQL; the
    decision and clauses JSON as validation encoded them), then read their ids back in one query: the
    module's rows above the highest id before the insert (a range of the primary key, whatever the size
    of the batch), matched by key — a key has one row, so a row with one of these keys is the one just
    inserted (rows others inserted meanwhile have other keys)."""
    from django.db import connection

    from zhidu.core.bulk import insert_rows

    ops = connection.ops
    fields = {f.attname: f for f in LedgerEntry._meta.concrete_fields}
    pg = connection.vendor == "postgresql"
    stamp = ops.adapt_datetimefield_value(now)
    to_date = fields["period_start"].to_python
    # SQLite is given the text of a decimal (what Django's adapter would bind), PostgreSQL the Decimal.
    money = ops.adapt_decimalfield_value if pg else (lambda v, *_a: str(ops.adapt_decimalfield_value(v, 12, 2)))
    dates: dict[Any, Any] = {}
    values = []
    for r in rows:
        p = r.planned
        span = (p.start, p.end)
        adapted = dates.get(span)
        if adapted is None:
            adapted = dates[span] = (ops.adapt_datefield_value(to_date(p.start)), ops.adapt_datefield_value(to_date(p.end)))
        values.append((
            p.person_id, p.unit_id, p.kind, p.period, adapted[0], adapted[1],
            None if r.amount is None else money(r.amount, 12, 2), r.grade, p.clauses_text, p.decision_text,
            p.note, module, r.key, r.adjusts_id, r.late, _POSTED, creator_id, "", "", "", stamp, stamp,
        ))
    before = LedgerEntry.objects.aggregate(top=models.Max("id"))["top"] or 0
    insert_rows(LedgerEntry._meta.db_table, [fields[c].column for c in _INSERT_COLUMNS], values)
    wanted = {(r.key, r.planned.kind, r.planned.period) for r in rows}
    ids = {(key, kind, period): pk for pk, key, kind, period in LedgerEntry.objects.filter(
        id__gt=before, source_module=module).values_list("id", "source_key", "kind", "period").order_by()
        if (key, kind, period) in wanted}
    for r in rows:
        r.pk = ids[(r.key, r.planned.kind, r.planned.period)]


def _entry_of(r: _New, module: str, creator_id: int | None, now: Any) -> LedgerEntry:
    """The model instance of an inserted row (for the results and the ``entry_posted`` receivers)."""
    p = r.planned
    to_date = LedgerEntry._meta.get_field("period_start").to_python
    entry = LedgerEntry(pk=r.pk, person_id=p.person_id, unit_id=p.unit_id, kind=p.kind, period=p.period,
                        period_start=to_date(p.start), period_end=to_date(p.end), amount=r.amount, grade=r.grade,
                        clauses=list(p.clauses), decision=p.decision(), note=p.note, source_module=module,
                        source_key=r.key, adjusts_id=r.adjusts_id, late=r.late, status=Status.POSTED,
                        created_by_id=creator_id, created_at=now, updated_at=now)
    entry._state.adding = False
    return entry


@transaction.atomic
def _post_many(actor: access.Actor, module: str, planned: list[_Planned], n: int, *, detail: bool = True
               ) -> tuple[list[PostResult], dict[str, int], list[Any]]:
    results: list[PostResult | None] = [None] * n
    counts: dict[str, int] = {}
    if not planned:
        return [], counts, []
    # Serialize with lock_period and post_entry (same unit rows, in path order as lock_period takes them).
    list(OrgUnit.objects.select_for_update().filter(pk__in={p.unit_id for p in planned})
         .order_by("path").values_list("pk"))
    locked = _locked_pairs(planned)
    existing: dict[tuple[str, str, str], LedgerEntry] = {}
    for row in LedgerEntry.objects.select_for_update().filter(
            source_module=module, source_key__in={p.key for p in planned}, period__in={p.period for p in planned}):
        existing[(row.source_key, row.kind, row.period)] = row
    wanted = {(p.key, p.kind, p.period) for p in planned}
    existing = {k: v for k, v in existing.items() if k in wanted}
    adjustments: dict[int, list[LedgerEntry]] = {}
    if existing:
        for adj in LedgerEntry.objects.select_for_update().filter(
                adjusts_id__in=[e.pk for e in existing.values()]).order_by("id"):
            adjustments.setdefault(adj.adjusts_id or 0, []).append(adj)
    bad = [FieldError(f"specs[{p.index}].source_key", _("第 %(i)s 条：%(msg)s") % {
               "i": p.index, "msg": _("此来源编号已用于另一人员或单位的条目。")})
           for p in planned if (e := existing.get((p.key, p.kind, p.period))) is not None
           and (e.person_id != p.person_id or e.unit_id != p.unit_id)]
    if bad:
        raise ValidationFailed(_("台账条目有误。"), bad)

    creator = _person_or_none(actor)
    creator_id = creator.pk if creator is not None else None
    now = timezone.now()
    to_create: list[_New] = []
    to_update: list[tuple[_Planned, LedgerEntry, dict[str, Any]]] = []
    to_void: list[LedgerEntry] = []
    skipped = unchanged = 0
    for p in planned:
        kind = p.kind
        is_locked = (p.unit_id, p.period) in locked
        original = existing.get((p.key, kind, p.period)) if existing else None
        if original is None:
            if kind in MONEY_KINDS and p.amount == 0:
                skipped += 1
                if detail:
                    results[p.index] = PostResult(SKIPPED, None)
                continue
            to_create.append(_New(p, p.key, p.amount, p.grade, None, is_locked, ADJUSTED if is_locked else CREATED, {}))
            continue
        values = p.values()
        adjs = adjustments.get(original.pk, [])
        amount = original.amount if original.status == Status.POSTED and original.amount is not None else Decimal(0)
        grade = original.grade if original.status == Status.POSTED else None
        latest = original
        for adj in adjs:
            if adj.status == Status.POSTED:
                amount += adj.amount or Decimal(0)
                grade = adj.grade or grade
                latest = adj
        value_same = amount == values["amount"] if kind in MONEY_KINDS else grade == values["grade"]
        if is_locked:
            if value_same:
                unchanged += 1
                if detail:
                    results[p.index] = PostResult(UNCHANGED, latest, original)
                continue
            diff = values["amount"] - amount if kind in MONEY_KINDS else values["amount"]
            to_create.append(_New(p, f"{p.key}#adj{len(adjs) + 1}", diff, values["grade"], original.pk, True, ADJUSTED,
                                  {"previous_amount": amount, "previous_grade": grade}))
            continue
        new_trace = _json({k: values[k] for k in ("clauses", "decision", "note", "period_start", "period_end")})
        if value_same and _json(_trace(latest)) == new_trace:
            unchanged += 1
            if detail:
                results[p.index] = PostResult(UNCHANGED, latest, original)
            continue
        if value_same and kind in MONEY_KINDS and values["amount"] == 0 and original.status == Status.VOID:
            unchanged += 1
            if detail:
                results[p.index] = PostResult(UNCHANGED, original, original)
            continue
        previous = _snapshot(original)
        superseded = [a for a in adjs if a.status == Status.POSTED]
        for adj in superseded:
            adj.status, adj.voided_by, adj.voided_at, adj.void_reason = Status.VOID, creator, now, SUPERSEDED_REASON
            adj.updated_at = now
        to_void.extend(superseded)
        for field, value in values.items():
            setattr(original, field, value)
        if kind in MONEY_KINDS and values["amount"] == 0:
            original.status = Status.VOID
            original.voided_by, original.voided_at, original.void_reason = creator, now, ZERO_REASON
        else:
            original.status = Status.POSTED
            original.voided_by, original.voided_at, original.void_reason = None, None, ""
        original.updated_at = now
        to_update.append((p, original, {"previous": previous, "superseded_adjustments": [a.pk for a in superseded]}))

    if to_create:
        _insert(to_create, module, creator_id, now)
    if to_update or to_void:
        fields = ["amount", "grade", "clauses", "decision", "note", "period_start", "period_end", "status",
                  "voided_by", "voided_at", "void_reason", "updated_at"]
        LedgerEntry.objects.bulk_update([e for _p, e, _x in to_update] + to_void, fields)

    # Model instances of the new rows only for the results or for receivers of entry_posted.
    instances = detail or signals.entry_posted.has_listeners(LedgerEntry)
    created = [(r, _entry_of(r, module, creator_id, now)) for r in to_create] if instances else []
    if detail:
        for r, entry in created:
            results[r.planned.index] = PostResult(
                r.outcome, entry, existing[(r.planned.key, r.planned.kind, r.planned.period)] if r.adjusts_id else entry)
        for p, entry, _x in to_update:
            results[p.index] = PostResult(UPDATED, entry, entry)
    for outcome, k in ((SKIPPED, skipped), (UNCHANGED, unchanged)):
        if k:
            counts[outcome] = k
    for r in to_create:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    if to_update:
        counts[UPDATED] = counts.get(UPDATED, 0) + len(to_update)

    written: dict[int, list[tuple[int, str, list[Any], list[str], Decimal | None]]] = {}
    for r in to_create:
        p = r.planned
        written.setdefault(p.unit_id, []).append((p.index, r.outcome, r.row(), p.clauses, r.amount))
    for p, entry, extra in to_update:
        written.setdefault(p.unit_id, []).append((p.index, UPDATED, [
            entry.pk, entry.person_id, entry.source_key, entry.kind, entry.period, entry.status,
            None if entry.amount is None else str(entry.amount), entry.grade, entry.adjusts_id, entry.late, UPDATED,
            extra], entry.clauses, entry.amount))
    events = []
    for unit_id, rows in written.items():
        rows.sort(key=lambda row: row[0])
        unit_counts: dict[str, int] = {}
        for _i, outcome, _e, _c, _a in rows:
            unit_counts[outcome] = unit_counts.get(outcome, 0) + 1
        clauses = sorted({c for _i, _o, _e, cls, _a in rows for c in cls})
        payload = {
            "source_module": module, "count": len(rows), "counts": unit_counts,
            "amount_total": sum((a for _i, _o, _e, _c, a in rows if a is not None), Decimal(0)),
            "columns": list(BATCH_COLUMNS), "entries": [e for _i, _o, e, _c, _a in rows],
        }
        events.append(record(actor, "sanctions.post_batch", ("sanctions.ledgerbatch", uuid.uuid4().hex),
                             unit_id=unit_id, clauses=clauses, payload=payload))
    for r, entry in created:
        _send(signals.entry_posted, entry=entry, outcome=r.outcome)
    for _p, entry, _x in to_update:
        _send(signals.entry_posted, entry=entry, outcome=UPDATED)
    return [r for r in results if r is not None], counts, events


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
