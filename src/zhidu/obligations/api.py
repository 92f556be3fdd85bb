"""JSON API of the obligations engine, mounted at /api/v1/obligations by ``zhidu.api.api``.

Import ``zhidu.api.api`` (which adds this router), not this module directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from zhidu.api.api import ErrorOut, current_actor
from zhidu.core.errors import NotFoundError
from zhidu.org.models import OrgUnit, Person

from . import selectors, services

router = Router(tags=["obligations"])


class ObligationOut(Schema):
    id: int
    title: str
    module: str
    kind: str
    state: str
    due_at: dt.datetime
    provisional: bool
    overdue: bool
    clauses: list[str]
    why: str
    unit: str
    person: str
    mine: bool
    can_meet: bool
    escalation_level: int


class MeetIn(Schema):
    note: str = ""


class ExtendIn(Schema):
    new_due: dt.datetime
    reason: str
    approver_id: int | None = None


class WaiveIn(Schema):
    reason: str


class ComplianceRowOut(Schema):
    unit_id: int | None
    unit: str
    opened: int
    met_on_time: int
    met_late: int
    breached: int
    waived: int
    pending: int
    on_time_rate: float | None


class ComplianceOut(Schema):
    unit_id: int
    start: dt.date
    end: dt.date
    rows: list[ComplianceRowOut]
    total: ComplianceRowOut


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _out(actor: Person, obligation_id: int) -> selectors.InboxItem:
    return selectors.item(actor, selectors.get_obligation(actor, obligation_id))


@router.get("/inbox", response={200: list[ObligationOut], **ERRORS})
def inbox(request: HttpRequest, module: str | None = None, state: str | None = None) -> list[Any]:
    """The caller's pending obligations (or those in ``state``), soonest first."""
    return list(selectors.inbox(current_actor(request), module=module, state=state))


@router.post("/{obligation_id}/meet", response={200: ObligationOut, **ERRORS})
def meet(request: HttpRequest, obligation_id: int, payload: MeetIn) -> Any:
    actor = current_actor(request)
    services.meet(actor, selectors.get_obligation(actor, obligation_id), note=payload.note)
    return _out(actor, obligation_id)


@router.post("/{obligation_id}/extend", response={200: ObligationOut, **ERRORS})
def extend(request: HttpRequest, obligation_id: int, payload: ExtendIn) -> Any:
    actor = current_actor(request)
    ob = selectors.get_obligation(actor, obligation_id)
    approver = None
    if payload.approver_id is not None:
        approver = Person.objects.filter(pk=payload.approver_id).first()
        if approver is None:
            raise NotFoundError(_("未找到此人员。"))
    services.extend(actor, ob, new_due=payload.new_due, reason=payload.reason, approver=approver)
    return _out(actor, obligation_id)


@router.post("/{obligation_id}/waive", response={200: ObligationOut, **ERRORS})
def waive(request: HttpRequest, obligation_id: int, payload: WaiveIn) -> Any:
    actor = current_actor(request)
    services.waive(actor, selectors.get_obligation(actor, obligation_id), reason=payload.reason)
    return _out(actor, obligation_id)


def _row(row: selectors.ComplianceRow) -> dict[str, Any]:
    return {"unit_id": row.unit_id, "unit": row.unit, "opened": row.opened, "met_on_time": row.met_on_time,
            "met_late": row.met_late, "breached": row.breached, "waived": row.waived, "pending": row.pending,
            "on_time_rate": row.on_time_rate}


@router.get("/compliance", response={200: ComplianceOut, **ERRORS})
def compliance(request: HttpRequest, unit_id: int, start: dt.date, end: dt.date) -> Any:
    """Opened, met on time / late, breached, waived and the on-time rate for a unit's subtree."""
    actor = current_actor(request)
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFoundError(_("未找到此单位。"))
    report = selectors.compliance(actor, unit, start, end)
    return {"unit_id": unit.pk, "start": report.start, "end": report.end,
            "rows": [_row(r) for r in report.rows], "total": _row(report.total)}
