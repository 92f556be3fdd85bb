"""Reads of the rulebook: parameters in force for a unit on a date, clauses, versions.

``params_for(unit, on)`` is what services hand to pure rules. Precedence, highest first:
the nearest unit's override (the unit itself, then its parent, … up to the top unit) · the
organization's own value (``set_parameter_value``) · the shipped value. In each layer the version
in force on ``on`` is the one with the latest ``effective_from`` whose period covers ``on``.
A database that holds no parameters (not loaded yet) falls back to ``default_params(on)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from zhidu.core import configcache
from zhidu.core.configcache import VersionedCache
from zhidu.core.errors import PermissionDeniedError
from zhidu.org import access
from zhidu.org.models import OrgUnit

from .decision import RuleInfo, registered_rules
from .explain import comparison_label
from .lint import Finding, LintReport, lint, lint_files
from .models import Clause, ClauseStatus, Parameter, ParameterOverride, ParameterValue, Regulation, ValueSource
from .params import Param, ParamSet, Rulebook, RulebookError, default_params, default_rulebook, parse_value, to_json

log = logging.getLogger(__name__)
RULEBOOK_CACHE = "rulebook"


@dataclass(frozen=True)
class ResolvedParam:
    """A parameter value in force, with where it came from."""

    param: Param
    source: str                      # "default" · "organization" · "override" · "file"
    effective_from: dt.date | None
    effective_until: dt.date | None
    unit_id: int | None = None       # the unit whose override applies
    note: str = ""
    interpretation: bool = False
    type: str = ""


def ancestor_ids(unit: OrgUnit) -> list[int]:
    """The unit and the units above it, nearest first (from the materialized path)."""
    return [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]


@dataclass(frozen=True)
class _Rows:
    """The rulebook tables as read once per version token (definitions, values, overrides)."""

    definitions: dict[int, Parameter]
    # (parameter_id, source, value, effective_from, effective_until, id)
    values: list[tuple[int, str, Any, dt.date, dt.date | None, int]]
    # unit_id → [(parameter_id, value, effective_from, effective_until, id)]
    overrides: dict[int, list[tuple[int, Any, dt.date, dt.date | None, int]]]


#: Process-local caches, valid while the ``rulebook`` version token is unchanged (``core.configcache``):
#: every write to Parameter, ParameterValue or ParameterOverride gives the token a new value.
_ROWS: VersionedCache[_Rows] = VersionedCache(RULEBOOK_CACHE, maxsize=2)
_RESOLVED: VersionedCache[tuple[dict[str, ResolvedParam], ParamSet]] = VersionedCache(RULEBOOK_CACHE, maxsize=4096)


def _read_rows() -> _Rows:
    definitions = {p.pk: p for p in Parameter.objects.all()}
    values = list(ParameterValue.objects.values_list("parameter_id", "source", "value", "effective_from",
                                                     "effective_until", "id"))
    overrides: dict[int, list[tuple[int, Any, dt.date, dt.date | None, int]]] = {}
    for pid, uid, value, start, end, oid in ParameterOverride.objects.values_list(
            "parameter_id", "unit_id", "value", "effective_from", "effective_until", "id"):
        overrides.setdefault(uid, []).append((pid, value, start, end, oid))
    return _Rows(definitions, values, overrides)


def _covers(start: dt.date, end: dt.date | None, on: dt.date) -> bool:
    return start <= on and (end is None or end >= on)


def _resolve(rows: _Rows, unit: OrgUnit | None, on: dt.date) -> dict[str, ResolvedParam]:
    definitions = rows.definitions
    out = _from_files(on, skip={p.key for p in definitions.values()})
    if not definitions:
        return out
    # rank: lower wins. Overrides by distance from the unit, then organization, then default;
    # within a rank the latest effective_from (then the latest row) wins.
    layers: dict[int, list[tuple[int, dt.date, int, Any, str, dt.date, dt.date | None, int | None]]] = {}
    for pid, source, value, start, end, vid in rows.values:
        if _covers(start, end, on):
            rank = 1000 if source == ValueSource.ORGANIZATION else 2000
            layers.setdefault(pid, []).append((rank, start, vid, value, source, start, end, None))
    if unit is not None:
        for distance, uid in enumerate(ancestor_ids(unit)):
            for pid, value, start, end, oid in rows.overrides.get(uid, ()):
                if _covers(start, end, on):
                    layers.setdefault(pid, []).append((distance, start, oid, value, "override", start, end, uid))
    for pid, candidates in layers.items():
        p = definitions[pid]
        candidates.sort(key=lambda c: (c[0], -c[1].toordinal(), -c[2]))
        for _rank, _start, _id, raw, source, start, end, owner in candidates:
            try:
                value = parse_value(p.type, raw, tuple(p.choices))
            except ValueError:
                log.warning("rulebook: %s has a %s value %r that is not a %s; ignored", p.key, source, raw, p.type)
                continue
            param = Param(p.key, value, tuple(p.clauses), p.unit, p.comparison or None)
            out[p.key] = ResolvedParam(param, source, start, end, owner, p.note, p.interpretation, p.type)
            break
    return out


def _resolved(unit: OrgUnit | None, on: dt.date) -> tuple[dict[str, ResolvedParam], ParamSet]:
    tok = configcache.token(RULEBOOK_CACHE)

    def build() -> tuple[dict[str, ResolvedParam], ParamSet]:
        rows = _ROWS.get("rows", _read_rows, current=tok)
        resolved = _resolve(rows, unit, on)
        return resolved, ParamSet({k: r.param for k, r in resolved.items()}, on)

    key = (unit.path if unit is not None else None, on)
    return _RESOLVED.get(key, build, current=tok)


def resolve_params(unit: OrgUnit | None, on: dt.date) -> dict[str, ResolvedParam]:
    """Every parameter in force on ``on`` for ``unit`` (None: the organization-wide values)."""
    return dict(_resolved(unit, on)[0])


def _from_files(on: dt.date, skip: set[str]) -> dict[str, ResolvedParam]:
    """Shipped parameters the database does not hold (none loaded yet, or a newer file)."""
    try:
        book = default_rulebook()
    except RulebookError as exc:
        log.error("rulebook: the shipped files are invalid: %s", exc)
        return {}
    out = {}
    for key, param in default_params(on).items():
        if key in skip:
            continue
        pdef = book.params[key]
        version = next(v for v in pdef.versions if v.applies(on))
        out[key] = ResolvedParam(param, "file", version.effective_from, version.effective_until, None, pdef.note,
                                 pdef.interpretation, pdef.type)
    return out


def params_for(unit: OrgUnit | None, on: dt.date) -> ParamSet:
    """The parameters a rule reads for ``unit`` on ``on`` (None: organization-wide). Shared between
    callers while the rulebook is unchanged: read it, do not change it (``with_overrides`` copies)."""
    return _resolved(unit, on)[1]


# ---------------------------------------------------------------------------------------------
# Reads for pages, API and CLI (the rulebook is not personal data: every role may read it)
# ---------------------------------------------------------------------------------------------

def require_view(actor: access.Actor, unit: OrgUnit | None = None) -> None:
    if unit is not None:
        access.require(actor, "rulebook.view", unit)
    elif not access.can_anywhere(actor, "rulebook.view"):
        raise PermissionDeniedError(_("无权查看规则库（rulebook.view）。"))


def regulations_with_clauses() -> list[Regulation]:
    return list(Regulation.objects.prefetch_related("clauses").order_by("id"))


def clause(clause_id: str) -> Clause | None:
    return Clause.objects.select_related("regulation").filter(clause_id=clause_id).first()


def parameters_citing(clause_id: str) -> list[Parameter]:
    """Parameters whose clause list names ``clause_id`` (JSON list; filtered in Python for SQLite)."""
    return [p for p in Parameter.objects.prefetch_related("values", "overrides__unit") if clause_id in p.clauses]


def versions(parameter: Parameter) -> list[ParameterValue]:
    return sorted(parameter.values.all(), key=lambda v: (v.source, v.effective_from, v.pk))


# ---------------------------------------------------------------------------------------------
# Lint of the rulebook in force (files + database)
# ---------------------------------------------------------------------------------------------

def rules_registry() -> dict[str, RuleInfo]:
    """Every registered rule (importing ``zhidu.rulebook.rules`` registers them all)."""
    import zhidu.rulebook.rules  # noqa: F401

    return registered_rules()


def database_findings(book: Rulebook, on: dt.date) -> list[Finding]:
    """What is wrong or noteworthy in the database copy: values that no longer fit their
    parameter's type, parameters no longer shipped, shipped values not loaded, overrides of
    interpretations in force."""
    out: list[Finding] = []
    definitions = {p.key: p for p in Parameter.objects.all()}
    if not definitions:
        return [Finding("warning", "database", "rulebook", _("数据库中还没有规则库：请运行 zhidu rulebook load。"))]
    for key, p in sorted(definitions.items()):
        if key not in book.params:
            out.append(Finding("warning", "database", key, _("此参数已不在随软件提供的规则库中。"), tuple(p.clauses), key))
    for row in ParameterValue.objects.select_related("parameter").exclude(source=ValueSource.DEFAULT):
        p = row.parameter
        try:
            parse_value(p.type, row.value, tuple(p.choices))
        except ValueError as exc:
            out.append(Finding("error", "database", p.key, _("本组织自 %(date)s 起的值 %(value)s 不符合类型：%(error)s") % {
                "date": row.effective_from, "value": row.value, "error": exc}, tuple(p.clauses), p.key, row.value))
    for o in ParameterOverride.objects.select_related("parameter", "unit"):
        p = o.parameter
        try:
            parse_value(p.type, o.value, tuple(p.choices))
        except ValueError as exc:
            out.append(Finding("error", "database", p.key, _("单位“%(unit)s”自 %(date)s 起的值 %(value)s 不符合类型：%(error)s") % {
                "unit": o.unit.name, "date": o.effective_from, "value": o.value, "error": exc}, tuple(p.clauses), p.key,
                o.value))
            continue
        in_force = o.effective_from <= on and (o.effective_until is None or on <= o.effective_until)
        if p.interpretation and in_force:
            out.append(Finding("info", "interpretation", p.key, _("单位“%(unit)s”选用：%(value)s（%(reason)s）") % {
                "unit": o.unit.name, "value": o.value, "reason": o.reason}, tuple(p.clauses), p.key, o.value))
    stored: dict[str, list[tuple[Any, dt.date, dt.date | None]]] = {}
    for key, value, start, end in ParameterValue.objects.filter(source=ValueSource.DEFAULT).order_by(
            "effective_from", "id").values_list("parameter__key", "value", "effective_from", "effective_until"):
        stored.setdefault(key, []).append((value, start, end))
    stale = [key for key, pdef in book.params.items()
             if stored.get(key) != [(to_json(v.value), v.effective_from, v.effective_until) for v in pdef.versions]]
    if stale:
        keys = _("、").join(stale[:10]) + ("…" if len(stale) > 10 else "")
        out.append(Finding("warning", "database", "rulebook",
                           _("数据库中的默认值与随软件提供的文件不一致（%(keys)s）：请运行 zhidu rulebook load。") % {"keys": keys}))
    return out


def lint_current(on: dt.date, unit: OrgUnit | None = None, *, database: bool = True) -> LintReport:
    """Lint the shipped rulebook with the values in force for ``unit`` on ``on`` (database
    values and overrides included unless ``database=False``)."""
    try:
        book = default_rulebook()
    except RulebookError:
        return lint_files(on, rules=rules_registry())
    if not database:
        return lint(book, on, rules=rules_registry())
    return lint(book, on, params_for(unit, on), rules=rules_registry(), extra=database_findings(book, on))


def clause_detail(clause_id: str, on: dt.date, unit: OrgUnit | None = None, *,
                  actor: access.Actor | None = None) -> dict[str, Any] | None:
    """One clause with its parameters (value in force, versions, overrides), the registered rules
    citing it and the declared conflicts naming it — for ``zhidu rulebook show``, the page and the API.
    Overrides are listed for the units the actor may view (all of them for the system / no actor)."""
    row = clause(clause_id)
    try:
        book = default_rulebook()
    except RulebookError:
        book = None
    if row is not None:
        info = {"id": row.clause_id, "regulation": row.regulation.code, "regulation_title": row.regulation.title,
                "title": row.title, "title_en": row.title_en, "status": row.status,
                "status_label": str(row.get_status_display()), "text": row.text}
    elif book is not None and clause_id in book.clauses:
        c = book.clauses[clause_id]
        info = {"id": c.id, "regulation": c.regulation, "regulation_title": book.regulations[c.regulation]["title"],
                "title": c.title, "title_en": c.title_en, "status": c.status,
                "status_label": str(ClauseStatus(c.status).label), "text": c.text}
    else:
        return None
    resolved = resolve_params(unit, on)
    scope = None if actor is None else access.scope_paths(actor, "rulebook.view")
    parameters = []
    for p in parameters_citing(clause_id):
        r = resolved.get(p.key)
        parameters.append({
            "key": p.key, "type": p.type, "unit": p.unit, "comparison": p.comparison or None,
            "comparison_label": comparison_label(p.comparison or None), "note": p.note,
            "interpretation": p.interpretation, "clauses": list(p.clauses), "choices": list(p.choices),
            "value": to_json(r.param.value) if r else None, "source": r.source if r else None,
            "effective_from": r.effective_from if r else None, "effective_until": r.effective_until if r else None,
            "versions": [{"value": v.value, "effective_from": v.effective_from, "effective_until": v.effective_until,
                          "source": v.source, "reason": v.reason} for v in versions(p)],
            "overrides": [{"unit_id": o.unit_id, "unit": o.unit.name, "value": o.value,
                           "effective_from": o.effective_from, "effective_until": o.effective_until, "reason": o.reason}
                          for o in sorted(p.overrides.all(), key=lambda o: (o.unit.path, o.effective_from, o.pk))
                          if scope is None or any(o.unit.path.startswith(s) for s in scope)],
        })
    if not parameters and book is not None and not Parameter.objects.exists():
        for key, pdef in book.params.items():
            if clause_id in pdef.clauses:
                r = resolved.get(key)
                parameters.append({
                    "key": key, "type": pdef.type, "unit": pdef.unit, "comparison": pdef.comparison,
                    "comparison_label": comparison_label(pdef.comparison), "note": pdef.note,
                    "interpretation": pdef.interpretation, "clauses": list(pdef.clauses), "choices": list(pdef.choices),
                    "value": to_json(r.param.value) if r else None, "source": "file",
                    "effective_from": r.effective_from if r else None, "effective_until": r.effective_until if r else None,
                    "versions": [{"value": to_json(v.value), "effective_from": v.effective_from,
                                  "effective_until": v.effective_until, "source": "file", "reason": ""}
                                 for v in pdef.versions],
                    "overrides": [],
                })
    rules = [{"id": rid, "clauses": list(r.clauses), "doc": " ".join(r.doc.split("\n\n")[0].split())}
             for rid, r in sorted(rules_registry().items()) if clause_id in r.clauses]
    conflicts = [{"id": c.id, "kind": c.kind, "clauses": list(c.clauses), "description": c.description,
                  "description_en": c.description_en, "resolved_by": c.resolved_by,
                  "parameters": list(c.parameters)}
                 for c in (book.conflicts if book else []) if clause_id in c.clauses]
    return {"clause": info, "parameters": parameters, "rules": rules, "conflicts": conflicts}
