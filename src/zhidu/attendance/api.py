"""JSON API of attendance, mounted at /api/v1/attendance by ``zhidu.api.api``.

Import ``zhidu.api.api`` (which adds this router), not this module directly.

* ``POST /punches`` — punches pushed by a machine or an integration (idempotent per device, person
  and time; bad items reported by position, nothing written unless ``partial``);
* ``POST /leave`` · ``GET /leave/{id}`` · ``POST /leave/{id}/approve`` · ``POST /leave/{id}/reject``;
* ``GET /months/{unit_id}/{period}`` — the unit's month results (summaries), ``POST …/close``;
* ``GET /people/{person_id}/{period}`` — one person's days (status, minutes, clauses, why) and summary.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from zhidu.api.api import ErrorOut, current_actor
from zhidu.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from zhidu.org.models import OrgUnit, Person
from zhidu.rulebook.decision import Decision

from . import selectors, services
from .models import LeaveRequest, LeaveType, MonthClose, MonthSummary

router = Router(tags=["attendance"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _unit(unit_id: int) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFoundError(_("未找到此单位。"))
    return unit


def _person(person_id: int) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFoundError(_("未找到此人员。"))
    return person


# ------------------------------------------------------------------------------------------ punches


class PunchIn(Schema):
    person_id: int
    time: dt.datetime
    device: str = ""


class PushIn(Schema):
    unit_id: int
    punches: list[PunchIn]
    partial: bool = False


class RowErrorOut(Schema):
    line: int
    reason: str


class PushOut(Schema):
    received: int
    good: int
    imported: int
    duplicates: int
    errors: list[RowErrorOut]


@router.post("/punches", response={200: PushOut, **ERRORS})
def push(request: HttpRequest, payload: PushIn) -> dict[str, Any]:
    """Push punches (``attendance.manage`` over the unit). ``time`` without an offset is local time.
    Pushing the same punches again imports nothing (counted as duplicates)."""
    actor = current_actor(request)
    if len(payload.punches) > 50_000:
        raise ValidationFailed(_("一次最多推送 50000 条。"), [])
    rows = [services.PushedPunch(p.person_id, p.time, p.device) for p in payload.punches]
    report = services.push_punches(actor, _unit(payload.unit_id), rows, partial=payload.partial)
    return {"received": report.total, "good": report.good, "imported": report.imported,
            "duplicates": report.duplicates, "errors": report.errors}


# -------------------------------------------------------------------------------------------- leave


class LeaveIn(Schema):
    person_id: int | None = None
    kind: str
    start_date: dt.date
    end_date: dt.date
    reason: str = ""
    leave_type_id: int | None = None
    special_reason: str = ""
    in_writing: bool = True
    notified_at: dt.datetime | None = None
    marriage_date: dt.date | None = None
    first_marriage: bool = True
    certificate_copy: bool = False
    pregnancy_months: int | None = None
    hospital_certificate: bool = False


class NoteIn(Schema):
    note: str = ""


class StepOut(Schema):
    step: int
    role: str
    approver_id: int | None
    approver: str
    status: str
    decided_by: str
    decided_at: dt.datetime | None
    note: str


class LeaveOut(Schema):
    id: int
    person_id: int
    person: str
    unit_id: int
    kind: str
    kind_label: str
    start_date: dt.date
    end_date: dt.date
    days: Decimal
    status: str
    requested_at: dt.datetime
    notified_at: dt.datetime | None
    certificate_at: dt.datetime | None
    chain: list[str]
    clauses: list[str]
    why: list[str]
    steps: list[StepOut]


def _leave_out(leave: LeaveRequest) -> dict[str, Any]:
    decisions = ([Decision.from_dict(leave.chain_decision)] if leave.chain_decision else []) + [
        Decision.from_dict(d) for d in leave.eligibility]
    return {
        "id": leave.pk, "person_id": leave.person_id, "person": leave.person.name, "unit_id": leave.unit_id,
        "kind": leave.kind, "kind_label": leave.kind_label(), "start_date": leave.start_date, "end_date": leave.end_date,
        "days": leave.days, "status": leave.status, "requested_at": leave.requested_at, "notified_at": leave.notified_at,
        "certificate_at": leave.certificate_at, "chain": list(leave.chain),
        "clauses": sorted({c for d in decisions for c in d.clauses}), "why": [d.explain() for d in decisions],
        "steps": [{"step": s.step, "role": s.role, "approver_id": s.approver_id,
                   "approver": s.approver.name if s.approver else "", "status": s.status,
                   "decided_by": s.decided_by.name if s.decided_by else "", "decided_at": s.decided_at, "note": s.note}
                  for s in leave.steps.select_related("approver", "decided_by").order_by("step")],
    }


@router.post("/leave", response={200: LeaveOut, **ERRORS})
def request_leave(request: HttpRequest, payload: LeaveIn) -> dict[str, Any]:
    """Ask for leave for oneself (or, with ``attendance.approve_leave``, for ``person_id``). A refusal is a
    422 whose messages cite the clause (P7.6, P7.7, P7.9 …)."""
    actor = current_actor(request)
    person = _person(payload.person_id) if payload.person_id else actor
    leave_type = None
    if payload.leave_type_id is not None:
        leave_type = LeaveType.objects.filter(pk=payload.leave_type_id).first()
        if leave_type is None:
            raise NotFoundError(_("未找到此假别。"))
    leave = services.request_leave(
        actor, person, kind=payload.kind, start_date=payload.start_date, end_date=payload.end_date,
        reason=payload.reason, leave_type=leave_type, special_reason=payload.special_reason,
        in_writing=payload.in_writing, notified_at=payload.notified_at, marriage_date=payload.marriage_date,
        first_marriage=payload.first_marriage, certificate_copy=payload.certificate_copy,
        pregnancy_months=payload.pregnancy_months, hospital_certificate=payload.hospital_certificate,
    )
    return _leave_out(leave)


@router.get("/leave/{leave_id}", response={200: LeaveOut, **ERRORS})
def get_leave(request: HttpRequest, leave_id: int) -> dict[str, Any]:
    return _leave_out(selectors.get_leave(current_actor(request), leave_id))


@router.post("/leave/{leave_id}/approve", response={200: LeaveOut, **ERRORS})
def approve_leave(request: HttpRequest, leave_id: int, payload: NoteIn) -> dict[str, Any]:
    """Approve the pending step (the step's approver role over the person's unit)."""
    actor = current_actor(request)
    return _leave_out(services.approve_leave(actor, selectors.get_leave(actor, leave_id), note=payload.note))


@router.post("/leave/{leave_id}/reject", response={200: LeaveOut, **ERRORS})
def reject_leave(request: HttpRequest, leave_id: int, payload: NoteIn) -> dict[str, Any]:
    """Reject at the pending step; ``note`` (the reason) is required."""
    actor = current_actor(request)
    return _leave_out(services.reject_leave(actor, selectors.get_leave(actor, leave_id), note=payload.note))


# ------------------------------------------------------------------------------------------ results


class SummaryOut(Schema):
    person_id: int
    person: str
    unit_id: int
    working_days: int
    late_count: int
    early_count: int
    absent_days: Decimal
    leave_days: Decimal
    ytd_absent_days: Decimal
    fines: Decimal
    deductions: Decimal
    full_attendance_bonus: bool
    bonus_lost: Decimal
    actions: list[dict[str, Any]]
    clauses: list[str]


class MonthOut(Schema):
    unit_id: int
    period: str
    rules: str | None
    status: str | None
    revision: int
    stale: bool
    ledger_synced: bool
    provisional: bool
    people: list[SummaryOut]


class CloseIn(Schema):
    reason: str = ""


def _summary_out(s: MonthSummary, name: str) -> dict[str, Any]:
    return {"person_id": s.person_id, "person": name, "unit_id": s.unit_id, "working_days": s.working_days,
            "late_count": s.late_count, "early_count": s.early_count, "absent_days": s.absent_days,
            "leave_days": s.leave_days, "ytd_absent_days": s.ytd_absent_days, "fines": s.fines,
            "deductions": s.deductions, "full_attendance_bonus": s.full_attendance_bonus, "bonus_lost": s.bonus_lost,
            "actions": list(s.actions), "clauses": list(s.clauses)}


def _month_out(unit: OrgUnit, period: str, sheet: selectors.MonthSheet) -> dict[str, Any]:
    close: MonthClose | None = sheet.close
    return {
        "unit_id": unit.pk, "period": period, "rules": close.rules if close else sheet.rules,
        "status": close.status if close else None, "revision": close.revision if close else 0,
        "stale": close.stale if close else False, "ledger_synced": close.ledger_synced if close else False,
        "provisional": close.provisional if close else False,
        "people": [_summary_out(r.summary, r.employment.person.name) for r in sheet.rows if r.summary is not None],
    }


@router.get("/months/{unit_id}/{period}", response={200: MonthOut, **ERRORS})
def month(request: HttpRequest, unit_id: int, period: str) -> dict[str, Any]:
    """The unit's month as last closed: one summary per person (``attendance.view``)."""
    actor = current_actor(request)
    unit = _unit(unit_id)
    return _month_out(unit, period, selectors.month_sheet(actor, unit, period))


@router.post("/months/{unit_id}/{period}/close", response={200: MonthOut, **ERRORS})
def close(request: HttpRequest, unit_id: int, period: str, payload: CloseIn) -> dict[str, Any]:
    """Close (or recompute) the month (``attendance.close_month``); a locked month needs ``reason``."""
    actor = current_actor(request)
    unit = _unit(unit_id)
    services.close_month(actor, unit, period, reason=payload.reason)
    return _month_out(unit, period, selectors.month_sheet(actor, unit, period))


class DayOut(Schema):
    date: dt.date
    status: str
    late_minutes: int
    early_minutes: int
    absent_days: Decimal
    leave: str
    fine: Decimal
    clauses: list[str]
    why: list[str]
    provisional: bool


class PersonMonthOut(Schema):
    person_id: int
    person: str
    period: str
    closed: bool
    stale: bool
    days: list[DayOut]
    summary: SummaryOut | None


@router.get("/people/{person_id}/{period}", response={200: PersonMonthOut, **ERRORS})
def person_month(request: HttpRequest, person_id: int, period: str) -> dict[str, Any]:
    """One person's month: every stored day with its clauses and why (the person, or ``attendance.view``)."""
    actor = current_actor(request)
    person = _person(person_id)
    try:
        m = selectors.person_month(actor, person, period)
    except PermissionDeniedError:
        raise NotFoundError(_("未找到此人员。")) from None
    days = [{"date": d.date, "status": d.result.status, "late_minutes": d.result.late_minutes,
             "early_minutes": d.result.early_minutes, "absent_days": d.result.absent_days, "leave": d.result.leave,
             "fine": d.result.fine, "clauses": list(d.result.clauses), "why": d.result.explanations(),
             "provisional": d.result.provisional} for d in m.days if d.result is not None]
    return {"person_id": person.pk, "person": person.name, "period": period, "closed": m.summary is not None,
            "stale": bool(m.close and m.close.stale), "days": days,
            "summary": _summary_out(m.summary, person.name) if m.summary else None}
