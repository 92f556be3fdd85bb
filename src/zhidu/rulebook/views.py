"""The rulebook pages: regulations → clauses (status), parameters in force, conflicts from the linter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from zhidu.core.errors import PermissionDeniedError
from zhidu.core.http import request_actor
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import selectors

_actor = request_actor


def _on(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()


def _unit(request: HttpRequest, actor: Person) -> OrgUnit | None:
    raw = request.GET.get("unit")
    if not raw:
        return None
    unit = OrgUnit.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if unit is None or not access.can(actor, "rulebook.view", unit):
        raise Http404
    return unit


def _context(request: HttpRequest) -> tuple[Person, dt.date, OrgUnit | None]:
    actor = _actor(request)
    try:
        selectors.require_view(actor)
    except PermissionDeniedError:
        raise PermissionDenied from None
    return actor, _on(request), _unit(request, actor)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    actor, on, unit = _context(request)
    resolved = selectors.resolve_params(unit, on)
    regulations = selectors.regulations_with_clauses()
    params_by_reg: dict[str, list[Any]] = {}
    for key, r in sorted(resolved.items()):
        code = (r.param.clauses[0].split(".")[0] if r.param.clauses else key.split(".")[0].upper())
        params_by_reg.setdefault(code, []).append(r)
    report = selectors.lint_current(on, unit)
    sections = [{"regulation": reg, "clauses": list(reg.clauses.all()), "params": params_by_reg.get(reg.code, [])}
                for reg in regulations]
    units = list(access.units_in_scope(actor, "rulebook.view").order_by("path")[:200])
    return render(request, "rulebook/index.html", {
        "sections": sections, "report": report, "on": on, "unit": unit, "units": units,
        "conflicts": report.of_kind("conflict", "overlap", "ambiguity", "threshold"),
        "interpretations": report.of_kind("interpretation"),
        "problems": [f for f in report.findings if f.severity != "info" and f.kind not in ("threshold",)],
    })


@login_required
def clause(request: HttpRequest, clause_id: str) -> HttpResponse:
    actor, on, unit = _context(request)
    detail = selectors.clause_detail(clause_id, on, unit, actor=actor)
    if detail is None:
        raise Http404
    return render(request, "rulebook/clause.html", {**detail, "on": on, "unit": unit})
