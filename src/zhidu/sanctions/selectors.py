"""Reads of the sanctions ledger, scoped to the actor (``sanctions.view``; a person sees their own)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.core.errors import FieldError, NotFoundError, PermissionDeniedError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person, ancestor_paths
from zhidu.rulebook.decision import Decision

from .models import ACTION_KINDS, GRADE_KINDS, MONEY_KINDS, Kind, LedgerEntry, PeriodLock, Status
from .periods import active_lock, valid_period

ZERO = Decimal("0.00")


def _check_period(period: str) -> None:
    if not valid_period(period):
        raise ValidationFailed(_("期间有误。"), [FieldError("period", _("期间格式应为 YYYY-MM。"))])


def _scope(actor: access.Actor, action: str = "sanctions.view") -> Q | None:
    """A filter on ``unit__path`` for the actor's scope; None = everywhere; Q(pk__in=[]) = nowhere."""
    paths = access.scope_paths(actor, action)
    if paths is None:
        return None
    if not paths:
        return Q(pk__in=[])
    cond = Q()
    for p in paths:
        cond |= Q(unit__path__startswith=p)
    return cond


def scoped_entries(actor: access.Actor) -> QuerySet[LedgerEntry]:
    qs = LedgerEntry.objects.select_related("person", "unit")
    cond = _scope(actor)
    return qs if cond is None else qs.filter(cond)


def entries(
    actor: access.Actor,
    *,
    unit: OrgUnit | None = None,
    person: Person | None = None,
    period: str | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> QuerySet[LedgerEntry]:
    """Ledger rows the actor may view (newest first), optionally filtered."""
    if period is not None:
        _check_period(period)
    if isinstance(actor, Person) and person is not None and actor.pk == person.pk:
        qs: QuerySet[LedgerEntry] = LedgerEntry.objects.select_related("person", "unit").filter(person=person)
    else:
        qs = scoped_entries(actor)
        if person is not None:
            qs = qs.filter(person=person)
    if unit is not None:
        access.require(actor, "sanctions.view", unit)
        qs = qs.filter(unit__path__startswith=unit.path)
    if period is not None:
        qs = qs.filter(period=period)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def get_entry(actor: access.Actor, entry_id: int) -> LedgerEntry:
    """One entry the actor may view (the person concerned may view their own)."""
    entry = LedgerEntry.objects.select_related("person", "unit").filter(pk=entry_id).first()
    if entry is None:
        raise NotFoundError(_("未找到此台账条目。"))
    if isinstance(actor, Person) and actor.pk == entry.person_id:
        return entry
    if not access.can(actor, "sanctions.view", entry.unit):
        raise NotFoundError(_("未找到此台账条目。"))
    return entry


def batch_entries(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries a ``sanctions.post_batch`` audit event lists, one dict each (its payload keeps them
    as rows under ``columns``, see ``services.post_entries``)."""
    columns = payload.get("columns") or []
    return [dict(zip(columns, row, strict=True)) for row in payload.get("entries") or []]


# --- explanations -----------------------------------------------------------------------------

def explain(entry: LedgerEntry) -> str:
    """Why this line exists, in the viewer's language: the rule's explanation or the clauses and note."""
    if entry.decision:
        text = Decision.from_dict(entry.decision).explain()
        if entry.note:
            text = f"{text}{_('；')}{entry.note}"
    else:
        prefix = _("、").join(entry.clauses)
        text = f"{prefix}{_('：')}{entry.note}" if prefix else entry.note
    if entry.adjusts_id is not None:
        return _("更正第 %(id)s 条（期间锁定后）：%(why)s") % {"id": entry.adjusts_id, "why": text}
    if entry.late:
        return _("期间锁定后补记：%(why)s") % {"why": text}
    return text


@dataclass(frozen=True)
class StatementLine:
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    unit_id: int
    unit: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal | None
    grade: str | None
    clauses: list[str]
    explanation: str
    adjusts_id: int | None
    late: bool
    locked: bool
    source: str
    created_at: dt.datetime
    effective_from: dt.date | None = None
    decided_note: str = ""

    @property
    def is_money(self) -> bool:
        return self.kind in MONEY_KINDS

    @property
    def is_adjustment(self) -> bool:
        return self.adjusts_id is not None or self.late


@dataclass(frozen=True)
class Totals:
    fines: Decimal = ZERO
    deductions: Decimal = ZERO
    bonus_losses: Decimal = ZERO
    adjustments: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.fines + self.deductions + self.bonus_losses + self.adjustments


@dataclass(frozen=True)
class Statement:
    person_id: int
    person_name: str
    period: str
    lines: list[StatementLine] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    locked: bool = False

    @property
    def money_lines(self) -> list[StatementLine]:
        return [ln for ln in self.lines if ln.kind in MONEY_KINDS]

    @property
    def grade_lines(self) -> list[StatementLine]:
        return [ln for ln in self.lines if ln.kind in GRADE_KINDS]

    @property
    def action_lines(self) -> list[StatementLine]:
        return [ln for ln in self.lines if ln.kind in ACTION_KINDS]


_KIND_ORDER = {k: i for i, k in enumerate(Kind.values)}


def _line(entry: LedgerEntry, locked: bool) -> StatementLine:
    decided = entry.confirm_note if entry.status == Status.CONFIRMED else (
        entry.rejected_reason if entry.status == Status.REJECTED else "")
    return StatementLine(
        id=entry.pk, kind=entry.kind, kind_label=str(entry.get_kind_display()), status=entry.status,
        status_label=str(entry.get_status_display()), unit_id=entry.unit_id, unit=entry.unit.name,
        period_start=entry.period_start, period_end=entry.period_end, amount=entry.amount, grade=entry.grade,
        clauses=list(entry.clauses), explanation=explain(entry), adjusts_id=entry.adjusts_id, late=entry.late,
        locked=locked, source=f"{entry.source_module}:{entry.source_key}", created_at=entry.created_at,
        effective_from=entry.effective_from, decided_note=decided,
    )


def _build(person: Person, period: str, rows: list[LedgerEntry]) -> Statement:
    locks: dict[int, bool] = {}
    lines: list[StatementLine] = []
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    rows = sorted(rows, key=lambda e: (_KIND_ORDER.get(e.kind, 99), e.adjusts_id or e.pk, e.pk))
    for entry in rows:
        if entry.status == Status.VOID:
            continue
        if entry.unit_id not in locks:
            locks[entry.unit_id] = active_lock(entry.unit, period) is not None
        lines.append(_line(entry, locks[entry.unit_id]))
        if entry.kind in MONEY_KINDS and entry.amount is not None:
            sums["adjustments" if entry.adjusts_id is not None or entry.late else entry.kind] += entry.amount
    totals = Totals(fines=sums[Kind.FINE], deductions=sums[Kind.DEDUCTION], bonus_losses=sums[Kind.BONUS_LOSS],
                    adjustments=sums["adjustments"])
    return Statement(person_id=person.pk, person_name=person.name, period=period, lines=lines, totals=totals,
                     locked=bool(locks) and any(locks.values()))


def statement(actor: access.Actor, person: Person, period: str) -> Statement:
    """A person's month: fines, deductions, bonus losses, grades and actions, each with its why.

    Totals: ``fines``, ``deductions`` and ``bonus_losses`` as posted in the month; ``adjustments``
    = corrections posted after the month was locked (signed); ``total`` = their sum. Void rows are
    left out. A viewer sees the lines of the units in their ``sanctions.view`` scope; the person
    concerned sees all of their own.
    """
    _check_period(period)
    qs = LedgerEntry.objects.select_related("unit").filter(person=person, period=period)
    if not (isinstance(actor, Person) and actor.pk == person.pk):
        cond = _scope(actor)
        if cond is not None:
            employed_in = OrgUnit.objects.filter(employments__person=person)
            visible = any(access.can(actor, "sanctions.view", u) for u in employed_in)
            qs = qs.filter(cond)
            if not visible and not qs.exists():
                raise PermissionDeniedError(_("无权查看此人员的奖惩台账。"))
    return _build(person, period, list(qs))


def unit_statements(actor: access.Actor, unit: OrgUnit, period: str) -> list[Statement]:
    """Statements of everyone with entries in the unit (and below it) for the month, by name."""
    access.require(actor, "sanctions.view", unit)
    _check_period(period)
    rows = LedgerEntry.objects.select_related("unit", "person").filter(
        unit__path__startswith=unit.path, period=period
    )
    by_person: dict[int, list[LedgerEntry]] = defaultdict(list)
    people: dict[int, Person] = {}
    for entry in rows:
        by_person[entry.person_id].append(entry)
        people[entry.person_id] = entry.person
    out = [_build(people[pid], period, by_person[pid]) for pid in by_person]
    return sorted(out, key=lambda s: (s.person_name, s.person_id))


@dataclass(frozen=True)
class PendingAction:
    entry: LedgerEntry
    explanation: str
    can_decide: bool
    can_reject: bool


def pending_actions(actor: access.Actor) -> list[PendingAction]:
    """The discipline queue: proposed actions in the actor's view scope, oldest first.

    ``can_decide`` says whether this actor may confirm (holds ``sanctions.confirm`` over the unit,
    is neither the person concerned nor the proposer); ``can_reject`` likewise, where the proposer
    may reject (withdraw) their own proposal.
    """
    qs = scoped_entries(actor).filter(status=Status.PROPOSED, kind__in=list(ACTION_KINDS)).order_by("created_at", "id")
    out = []
    is_person = isinstance(actor, Person)
    for entry in qs.select_related("proposed_by"):
        allowed = is_person and access.can(actor, "sanctions.confirm", entry.unit) and actor.pk != entry.person_id
        out.append(PendingAction(
            entry=entry, explanation=explain(entry),
            can_decide=bool(allowed and actor.pk != entry.proposed_by_id),
            can_reject=bool(allowed),
        ))
    return out


def actions_in_force(actor: access.Actor, person: Person, on: dt.date | None = None) -> list[LedgerEntry]:
    """Confirmed actions against the person in force on a day (proposals never count)."""
    day = on or timezone.localdate()
    qs = LedgerEntry.objects.select_related("unit").filter(
        person=person, kind__in=list(ACTION_KINDS), status=Status.CONFIRMED, effective_from__lte=day
    )
    if not (isinstance(actor, Person) and actor.pk == person.pk):
        cond = _scope(actor)
        if cond is not None:
            qs = qs.filter(cond)
    return list(qs.order_by("effective_from", "id"))


def locks_for(actor: access.Actor, unit: OrgUnit) -> QuerySet[PeriodLock]:
    """Locks (active and lifted) on the unit and the units above it, newest period first."""
    access.require(actor, "sanctions.view", unit)
    prefixes = ancestor_paths(unit.path)
    return PeriodLock.objects.select_related("unit", "locked_by", "unlocked_by").filter(
        unit__path__in=prefixes
    ).order_by("-period", "-locked_at")
