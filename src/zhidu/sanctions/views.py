"""Pages of the sanctions ledger: the discipline queue, monthly statements, period locks."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhidu.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed, ZhiduError
from zhidu.core.http import request_actor
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import selectors, services
from .models import Status
from .periods import period_of, shift_period, valid_period

_actor = request_actor


def _period_or_404(period: str) -> str:
    if not valid_period(period):
        raise Http404
    return period


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _error_texts(exc: ZhiduError) -> list[str]:
    return [str(exc.message)] + [str(e.message) for e in exc.errors]


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not access.can_anywhere(actor, "sanctions.view"):
        return redirect("sanctions:mine")
    return render(request, "sanctions/index.html", _index_context(actor))


def _index_context(actor: Person, row_errors: dict[int, list[str]] | None = None) -> dict[str, Any]:
    errors = row_errors or {}
    return {
        "pending_rows": [(item, errors.get(item.entry.pk, [])) for item in selectors.pending_actions(actor)],
        "recent": list(selectors.entries(actor).exclude(status=Status.PROPOSED)[:50]),
        "units": list(access.units_in_scope(actor, "sanctions.view").order_by("path")),
        "current_period": period_of(timezone.localdate()),
    }


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return redirect("sanctions:statement", person_id=actor.pk, period=period_of(timezone.localdate()))


@login_required
@require_POST
def decide(request: HttpRequest, entry_id: int, verb: str) -> HttpResponse:
    actor = _actor(request)
    try:
        entry = selectors.get_entry(actor, entry_id)
    except NotFoundError:
        raise Http404 from None
    names = {"person": entry.person.name, "kind": entry.get_kind_display()}
    try:
        if verb == "confirm":
            services.confirm(actor, entry, note=request.POST.get("note", ""))
            done = _("已确认：%(person)s，%(kind)s。") % names
        else:
            services.reject(actor, entry, reason=request.POST.get("reason", ""))
            done = _("已驳回：%(person)s，%(kind)s。") % names
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        errors = _error_texts(exc)
        if _is_htmx(request):
            # htmx swaps only 2xx responses: the row comes back with its errors.
            item = next((p for p in selectors.pending_actions(actor) if p.entry.pk == entry.pk), None)
            return render(request, "sanctions/_pending_row.html", {"item": item, "entry": entry, "errors": errors})
        context = _index_context(actor, row_errors={entry.pk: errors})
        return render(request, "sanctions/index.html", context, status=422)
    if _is_htmx(request):  # the row itself shows the outcome
        entry.refresh_from_db()
        return render(request, "sanctions/_pending_row.html", {"item": None, "entry": entry, "errors": []})
    messages.success(request, done)
    return redirect("sanctions:index")


@login_required
@require_GET
def statement(request: HttpRequest, person_id: int, period: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    person = get_object_or_404(Person, pk=person_id)
    try:
        stmt = selectors.statement(actor, person, period)
    except PermissionDeniedError:
        raise Http404 from None
    return render(request, "sanctions/statement.html", {
        "person": person, "statement": stmt, "period": period,
        "previous_period": shift_period(period, -1), "next_period": shift_period(period, 1),
    })


@login_required
@require_GET
def unit_pick(request: HttpRequest) -> HttpResponse:
    unit_id = request.GET.get("unit", "")
    period = request.GET.get("period", "")
    if not unit_id.isdigit() or not valid_period(period):
        messages.error(request, _("请选择单位并按 YYYY-MM 填写期间。"))
        return redirect("sanctions:index")
    return redirect("sanctions:unit", unit_id=int(unit_id), period=period)


def _unit_page(request: HttpRequest, actor: Person, unit: OrgUnit, period: str, *, status: int = 200,
               errors: list[str] | None = None) -> HttpResponse:
    try:
        statements = selectors.unit_statements(actor, unit, period)
        locks = list(selectors.locks_for(actor, unit).filter(period=period))
    except PermissionDeniedError:
        raise Http404 from None
    active = next((lk for lk in locks if lk.unlocked_at is None), None)
    return render(request, "sanctions/unit.html", {
        "unit": unit, "period": period, "statements": statements, "locks": locks, "active_lock": active,
        "can_lock": access.can(actor, "sanctions.lock", unit), "errors": errors or [],
        "previous_period": shift_period(period, -1), "next_period": shift_period(period, 1),
    }, status=status)


@login_required
@require_GET
def unit(request: HttpRequest, unit_id: int, period: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    return _unit_page(request, actor, get_object_or_404(OrgUnit, pk=unit_id), period)


@login_required
@require_POST
def lock(request: HttpRequest, unit_id: int, period: str, verb: str) -> HttpResponse:
    actor = _actor(request)
    _period_or_404(period)
    org_unit = get_object_or_404(OrgUnit, pk=unit_id)
    try:
        if verb == "lock":
            services.lock_period(actor, org_unit, period)
            messages.success(request, _("%(period)s 已锁定。") % {"period": period})
        else:
            services.unlock_period(actor, org_unit, period, reason=request.POST.get("reason", ""))
            messages.success(request, _("%(period)s 已解锁。") % {"period": period})
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        return _unit_page(request, actor, org_unit, period, status=422, errors=_error_texts(exc))
    return redirect("sanctions:unit", unit_id=org_unit.pk, period=period)
