"""JSON API of the sanctions ledger, mounted at /api/v1/sanctions by ``zhidu.api.api``.

Import ``zhidu.api.api`` (which adds this router), not this module directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from zhidu.api.api import ErrorOut, current_actor
from zhidu.core.errors import NotFoundError
from zhidu.org.models import OrgUnit, Person

from . import selectors, services
from .models import LedgerEntry

router = Router(tags=["sanctions"])


class EntryOut(Schema):
    id: int
    person_id: int
    person: str
    unit_id: int
    unit: str
    kind: str
    period: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal | None
    grade: str | None
    status: str
    clauses: list[str]
    explanation: str
    decision: dict[str, Any] | None
    source_module: str
    source_key: str
    adjusts_id: int | None
    late: bool
    effective_from: dt.date | None
    confirm_note: str
    rejected_reason: str
    created_at: dt.datetime


class LineOut(Schema):
    id: int
    kind: str
    status: str
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
    effective_from: dt.date | None
    decided_note: str


class TotalsOut(Schema):
    fines: Decimal
    deductions: Decimal
    bonus_losses: Decimal
    adjustments: Decimal
    total: Decimal


class StatementOut(Schema):
    person_id: int
    person: str
    period: str
    locked: bool
    lines: list[LineOut]
    totals: TotalsOut


class ConfirmIn(Schema):
    note: str = ""
    effective_from: dt.date | None = None


class RejectIn(Schema):
    reason: str = ""


def _entry_out(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.pk, "person_id": entry.person_id, "person": entry.person.name, "unit_id": entry.unit_id,
        "unit": entry.unit.name, "kind": entry.kind, "period": entry.period, "period_start": entry.period_start,
        "period_end": entry.period_end, "amount": entry.amount, "grade": entry.grade, "status": entry.status,
        "clauses": list(entry.clauses), "explanation": selectors.explain(entry), "decision": entry.decision,
        "source_module": entry.source_module, "source_key": entry.source_key, "adjusts_id": entry.adjusts_id,
        "late": entry.late, "effective_from": entry.effective_from, "confirm_note": entry.confirm_note,
        "rejected_reason": entry.rejected_reason, "created_at": entry.created_at,
    }


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/entries", response={200: list[EntryOut], **ERRORS})
def list_entries(request: HttpRequest, unit_id: int | None = None, person_id: int | None = None,
                 period: str | None = None, kind: str | None = None, status: str | None = None,
                 limit: int = 200) -> list[dict[str, Any]]:
    """Ledger entries the caller may view, newest first (at most ``limit``, ≤ 1000)."""
    actor = current_actor(request)
    unit = None
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise NotFoundError(_("未找到此单位。"))
    person = None
    if person_id is not None:
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise NotFoundError(_("未找到此人员。"))
    qs = selectors.entries(actor, unit=unit, person=person, period=period, kind=kind, status=status)
    return [_entry_out(e) for e in qs[: max(1, min(limit, 1000))]]


@router.get("/pending", response={200: list[EntryOut], **ERRORS})
def pending(request: HttpRequest) -> list[dict[str, Any]]:
    """Proposed disciplinary actions waiting for confirmation, in the caller's scope."""
    actor = current_actor(request)
    return [_entry_out(item.entry) for item in selectors.pending_actions(actor)]


@router.get("/statements/{person_id}/{period}", response={200: StatementOut, **ERRORS})
def statement(request: HttpRequest, person_id: int, period: str) -> dict[str, Any]:
    """A person's monthly statement: each line with its clauses and why, and the totals."""
    actor = current_actor(request)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFoundError(_("未找到此人员。"))
    stmt = selectors.statement(actor, person, period)
    return {
        "person_id": stmt.person_id, "person": stmt.person_name, "period": stmt.period, "locked": stmt.locked,
        "lines": [vars(line) for line in stmt.lines],
        "totals": {"fines": stmt.totals.fines, "deductions": stmt.totals.deductions,
                   "bonus_losses": stmt.totals.bonus_losses, "adjustments": stmt.totals.adjustments,
                   "total": stmt.totals.total},
    }


@router.post("/entries/{entry_id}/confirm", response={200: EntryOut, **ERRORS})
def confirm(request: HttpRequest, entry_id: int, payload: ConfirmIn) -> dict[str, Any]:
    """Confirm a proposed suspension, dismissal or removal (HR or general manager over the unit)."""
    actor = current_actor(request)
    entry = selectors.get_entry(actor, entry_id)
    return _entry_out(services.confirm(actor, entry, note=payload.note, effective_from=payload.effective_from))


@router.post("/entries/{entry_id}/reject", response={200: EntryOut, **ERRORS})
def reject(request: HttpRequest, entry_id: int, payload: RejectIn) -> dict[str, Any]:
    """Reject a proposed action; ``reason`` is required and kept."""
    actor = current_actor(request)
    entry = selectors.get_entry(actor, entry_id)
    return _entry_out(services.reject(actor, entry, reason=payload.reason))
