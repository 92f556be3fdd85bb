"""The rulebook API (``/api/v1/rulebook/…``): clauses, one clause, parameters in force, lint.

Added to the API in ``zhidu/api/api.py`` (import this module only from there: it imports the
API's shared schemas).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from zhidu.api.api import ErrorOut, current_actor
from zhidu.core.errors import NotFoundError
from zhidu.org.models import OrgUnit

from . import selectors
from .explain import comparison_label
from .params import to_json

router = Router(tags=["rulebook"])


class ClauseOut(Schema):
    id: str
    regulation: str
    title: str
    title_en: str
    status: str
    text: str


class ParamVersionOut(Schema):
    value: Any
    effective_from: dt.date
    effective_until: dt.date | None
    source: str
    reason: str


class ParamOverrideOut(Schema):
    unit_id: int
    unit: str
    value: Any
    effective_from: dt.date
    effective_until: dt.date | None
    reason: str


class ClauseParamOut(Schema):
    key: str
    type: str
    value: Any
    unit: str
    comparison: str | None
    comparison_label: str
    clauses: list[str]
    note: str
    interpretation: bool
    source: str | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    versions: list[ParamVersionOut]
    overrides: list[ParamOverrideOut]


class RuleInfoOut(Schema):
    id: str
    clauses: list[str]
    doc: str


class RulebookConflictOut(Schema):
    id: str
    kind: str
    clauses: list[str]
    description: str
    description_en: str
    resolved_by: str | None
    parameters: list[str]


class ClauseDetailOut(Schema):
    clause: ClauseOut
    parameters: list[ClauseParamOut]
    rules: list[RuleInfoOut]
    conflicts: list[RulebookConflictOut]


class ParamInForceOut(Schema):
    key: str
    value: Any
    unit: str
    comparison: str | None
    comparison_label: str
    clauses: list[str]
    source: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    override_unit_id: int | None
    interpretation: bool
    note: str


class ParamsOut(Schema):
    on: dt.date
    unit_id: int | None
    params: list[ParamInForceOut]


class LintFindingOut(Schema):
    severity: str
    kind: str
    subject: str
    message: str
    clauses: list[str]
    parameter: str | None
    value: Any
    source: str


class LintOut(Schema):
    on: dt.date
    ok: bool
    errors: int
    warnings: int
    findings: list[LintFindingOut]


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _unit(actor: Any, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        selectors.require_view(actor)
        return None
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFoundError(_("未找到此单位。"))
    selectors.require_view(actor, unit)
    return unit


@router.get("/clauses", response={200: list[ClauseOut], **ERRORS})
def clauses(request: HttpRequest, regulation: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    selectors.require_view(current_actor(request))
    out = []
    for reg in selectors.regulations_with_clauses():
        if regulation and reg.code != regulation:
            continue
        for c in reg.clauses.all():
            if status and c.status != status:
                continue
            out.append({"id": c.clause_id, "regulation": reg.code, "title": c.title, "title_en": c.title_en,
                        "status": c.status, "text": c.text})
    return out


@router.get("/clauses/{clause_id}", response={200: ClauseDetailOut, **ERRORS})
def clause(request: HttpRequest, clause_id: str, unit: int | None = None, on: dt.date | None = None) -> dict[str, Any]:
    actor = current_actor(request)
    unit_obj = _unit(actor, unit)
    detail = selectors.clause_detail(clause_id, on or timezone.localdate(), unit_obj, actor=actor)
    if detail is None:
        raise NotFoundError(_("规则库中没有条款 %(id)s。") % {"id": clause_id})
    return detail


@router.get("/params", response={200: ParamsOut, **ERRORS})
def params(request: HttpRequest, unit: int | None = None, on: dt.date | None = None) -> dict[str, Any]:
    actor = current_actor(request)
    unit_obj = _unit(actor, unit)
    day = on or timezone.localdate()
    resolved = selectors.resolve_params(unit_obj, day)
    return {"on": day, "unit_id": unit, "params": [
        {"key": k, "value": to_json(r.param.value), "unit": r.param.unit, "comparison": r.param.comparison,
         "comparison_label": comparison_label(r.param.comparison), "clauses": list(r.param.clauses),
         "source": r.source, "effective_from": r.effective_from, "effective_until": r.effective_until,
         "override_unit_id": r.unit_id, "interpretation": r.interpretation, "note": r.note}
        for k, r in sorted(resolved.items())]}


@router.get("/lint", response={200: LintOut, **ERRORS})
def lint(request: HttpRequest, unit: int | None = None, on: dt.date | None = None) -> dict[str, Any]:
    actor = current_actor(request)
    unit_obj = _unit(actor, unit)
    return selectors.lint_current(on or timezone.localdate(), unit_obj).as_dict()
