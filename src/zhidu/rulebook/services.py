"""Writes to the rulebook: loading the shipped YAML, the organization's values, units' overrides.

Where values come from (and what ``zhidu rulebook load`` may touch):

* **Shipped values** (``ParameterValue.source="default"``) mirror the YAML files in
  ``zhidu/rulebook/default``. Loading replaces them with the files' versions whenever they differ;
  nothing else in the database is ever written by a load.
* **The organization's values** (``source="organization"``, ``set_parameter_value``) are only
  appended, never edited or deleted, so a load never clobbers them; for the dates they cover they
  win over the shipped values.
* **Units' overrides** (``ParameterOverride``, ``override_parameter``) apply to the unit and every
  unit below it and win over both (the nearest unit's override wins).

Within one layer the version in force on a date is the one with the latest ``effective_from`` whose
period covers the date (a later row wins a tie), so a new version changes results only from its
``effective_from`` on: history is never rewritten. Clause texts, statuses and parameter
definitions (type, unit, comparison, clauses, note) are the shipped ones and are refreshed by a load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.audit.services import record
from zhidu.core import configcache
from zhidu.core.errors import FieldError, NotFoundError, PermissionDeniedError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from .models import Clause, Parameter, ParameterOverride, ParameterValue, Regulation, ValueSource
from .params import Rulebook, default_rulebook, parse_value, to_json
from .selectors import RULEBOOK_CACHE


@dataclass
class SyncReport:
    regulations: list[str] = field(default_factory=list)
    clauses_created: list[str] = field(default_factory=list)
    clauses_updated: list[str] = field(default_factory=list)
    clauses_removed: list[str] = field(default_factory=list)
    parameters_created: list[str] = field(default_factory=list)
    parameters_updated: list[str] = field(default_factory=list)
    values_refreshed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.regulations, self.clauses_created, self.clauses_updated, self.clauses_removed,
                    self.parameters_created, self.parameters_updated, self.values_refreshed))

    def as_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.__dict__.items()}


CLAUSE_FIELDS = ("title", "title_en", "text", "status", "position")
PARAM_FIELDS = ("type", "unit", "comparison", "quantity", "clauses", "note", "interpretation", "choices", "source")


@transaction.atomic
def sync_default_rulebook(actor: access.Actor, book: Rulebook | None = None) -> SyncReport:
    """Upsert the shipped rulebook (validated) into the database; idempotent and audited.

    A second run changes nothing and records nothing. Only shipped values (source="default") are
    refreshed; the organization's values and units' overrides are left alone.
    """
    if not isinstance(actor, access.SystemActor):
        raise PermissionDeniedError(_("只有系统管理命令可以加载默认规则库。"))
    book = book or default_rulebook()
    report = SyncReport()

    regulations = {r.code: r for r in Regulation.objects.all()}
    for code, meta in book.regulations.items():
        reg = regulations.get(code)
        if reg is None:
            regulations[code] = Regulation.objects.create(code=code, title=meta["title"], title_en=meta["title_en"],
                                                          builtin=True)
            report.regulations.append(code)
        else:
            wanted_r = (meta["title"] or reg.title, meta["title_en"] or reg.title_en, True)
            if (reg.title, reg.title_en, reg.builtin) != wanted_r:
                reg.title, reg.title_en, reg.builtin = wanted_r
                reg.save(update_fields=["title", "title_en", "builtin"])
                report.regulations.append(code)

    existing = {c.clause_id: c for c in Clause.objects.all()}
    to_create, to_update = [], []
    for position, (cid, clause) in enumerate(book.clauses.items()):
        wanted = {"title": clause.title, "title_en": clause.title_en, "text": clause.text, "status": clause.status,
                  "position": position}
        row = existing.get(cid)
        if row is None:
            to_create.append(Clause(regulation=regulations[clause.regulation], clause_id=cid, **wanted))
            report.clauses_created.append(cid)
        elif any(getattr(row, k) != v for k, v in wanted.items()) or row.regulation_id != regulations[clause.regulation].pk:
            for k, v in wanted.items():
                setattr(row, k, v)
            row.regulation = regulations[clause.regulation]
            to_update.append(row)
            report.clauses_updated.append(cid)
    Clause.objects.bulk_create(to_create)
    Clause.objects.bulk_update(to_update, [*CLAUSE_FIELDS, "regulation"])
    shipped_codes = set(book.regulations)
    stale = [cid for cid, row in existing.items()
             if cid not in book.clauses and row.regulation_id in {regulations[c].pk for c in shipped_codes}]
    if stale:
        Clause.objects.filter(clause_id__in=stale).delete()
        report.clauses_removed += stale

    params = {p.key: p for p in Parameter.objects.all()}
    new_params, changed_params = [], []
    for key, pdef in book.params.items():
        wanted_p: dict[str, Any] = {
            "type": pdef.type, "unit": pdef.unit, "comparison": pdef.comparison or "", "quantity": pdef.quantity,
            "clauses": list(pdef.clauses), "note": pdef.note, "interpretation": pdef.interpretation,
            "choices": list(pdef.choices), "source": pdef.source,
        }
        prow = params.get(key)
        if prow is None:
            params[key] = Parameter(key=key, **wanted_p)
            new_params.append(params[key])
            report.parameters_created.append(key)
        elif any(getattr(prow, k) != v for k, v in wanted_p.items()):
            for k, v in wanted_p.items():
                setattr(prow, k, v)
            changed_params.append(prow)
            report.parameters_updated.append(key)
    Parameter.objects.bulk_create(new_params)
    Parameter.objects.bulk_update(changed_params, list(PARAM_FIELDS))
    if new_params:  # SQLite does not give back ids from bulk_create on every version
        params = {p.key: p for p in Parameter.objects.all()}

    current: dict[int, list[tuple[Any, dt.date, dt.date | None]]] = {}
    for v in ParameterValue.objects.filter(source=ValueSource.DEFAULT).order_by("effective_from", "id"):
        current.setdefault(v.parameter_id, []).append((v.value, v.effective_from, v.effective_until))
    refresh: list[int] = []
    new_values: list[ParameterValue] = []
    for key, pdef in book.params.items():
        pk = params[key].pk
        wanted_v = [(to_json(v.value), v.effective_from, v.effective_until) for v in pdef.versions]
        if current.get(pk, []) != wanted_v:
            refresh.append(pk)
            new_values += [ParameterValue(parameter_id=pk, value=value, effective_from=start, effective_until=end,
                                          source=ValueSource.DEFAULT) for value, start, end in wanted_v]
            report.values_refreshed.append(key)
    if refresh:
        ParameterValue.objects.filter(source=ValueSource.DEFAULT, parameter_id__in=refresh).delete()
        ParameterValue.objects.bulk_create(new_values)

    if report.changed:
        record(actor, "rulebook.load", ("rulebook.rulebook", "default"), payload=report.as_dict())
    if report.changed or not configcache.token(RULEBOOK_CACHE):
        configcache.bump(RULEBOOK_CACHE)  # bulk writes send no signals; a first load starts the cache
    return report


# ---------------------------------------------------------------------------------------------
# The organization's values and units' overrides
# ---------------------------------------------------------------------------------------------

def _today() -> dt.date:
    return timezone.localdate()


def coerce_value(parameter: Parameter, value: Any) -> Any:
    """A value typed in (CLI, form: text) or given as Python, checked against the parameter's type
    and returned as stored JSON; ``ValueError`` says what was expected."""
    if isinstance(value, str) and parameter.type in ("int", "decimal", "bool", "list"):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ValueError(_("无法解析“%(value)s”。") % {"value": value}) from None
    typed = parse_value(parameter.type, value, tuple(parameter.choices))
    return to_json(typed)


def _validate(key: str, value: Any, effective_from: dt.date, effective_until: dt.date | None,
              actor: access.Actor, errors: list[FieldError]) -> tuple[Parameter | None, Any]:
    parameter = Parameter.objects.filter(key=key).first()
    stored = None
    if parameter is None:
        errors.append(FieldError("key", _("规则库中没有参数“%(key)s”。") % {"key": key}))
    else:
        try:
            stored = coerce_value(parameter, value)
        except ValueError as exc:
            errors.append(FieldError("value", _("参数 %(key)s 的值有误：%(error)s") % {"key": key, "error": exc}))
    if not isinstance(effective_from, dt.date):
        errors.append(FieldError("effective_from", _("生效日期应为日期。")))
    elif not isinstance(actor, access.SystemActor) and effective_from < _today():
        errors.append(FieldError("effective_from", _("生效日期不能早于今天：已经作出的决定不因新值而改变。")))
    if effective_until is not None and isinstance(effective_from, dt.date) and effective_until < effective_from:
        errors.append(FieldError("effective_until", _("失效日期不能早于生效日期。")))
    return parameter, stored


def _organization_root(actor: access.Actor) -> OrgUnit | None:
    if isinstance(actor, Person):
        return OrgUnit.objects.filter(organization_id=actor.organization_id, parent__isnull=True).first()
    return None


@transaction.atomic
def set_parameter_value(actor: access.Actor, key: str, value: Any, effective_from: dt.date, *,
                        effective_until: dt.date | None = None, reason: str = "") -> ParameterValue:
    """A new dated value of ``key`` for the whole organization (appended; history is kept).

    Allowed to holders of ``rulebook.manage`` over the organization's top unit (and the system).
    """
    root = _organization_root(actor)
    if not isinstance(actor, access.SystemActor):
        if root is None:
            raise NotFoundError(_("未找到此人员所属组织。"))
        access.require(actor, "rulebook.manage", root)
    errors: list[FieldError] = []
    parameter, stored = _validate(key, value, effective_from, effective_until, actor, errors)
    if errors or parameter is None:
        raise ValidationFailed(_("参数值有误。"), errors)
    row = ParameterValue.objects.create(
        parameter=parameter, value=stored, effective_from=effective_from, effective_until=effective_until,
        source=ValueSource.ORGANIZATION, set_by=actor if isinstance(actor, Person) else None, reason=reason.strip(),
    )
    record(actor, "rulebook.set_value", row, clauses=parameter.clauses, unit_id=root.pk if root else None, payload={
        "key": key, "value": stored, "effective_from": effective_from, "effective_until": effective_until,
        "reason": reason.strip(),
    })
    return row


@transaction.atomic
def override_parameter(actor: access.Actor, unit: OrgUnit, key: str, value: Any, effective_from: dt.date,
                       reason: str, *, effective_until: dt.date | None = None) -> ParameterOverride:
    """The unit's own value of ``key`` from a date, for the unit and every unit below it."""
    access.require(actor, "rulebook.manage", unit)
    errors: list[FieldError] = []
    parameter, stored = _validate(key, value, effective_from, effective_until, actor, errors)
    if not reason or not reason.strip():
        errors.append(FieldError("reason", _("请说明调整参数的原因。")))
    if errors or parameter is None:
        raise ValidationFailed(_("单位参数有误。"), errors)
    row = ParameterOverride.objects.create(
        parameter=parameter, unit=unit, value=stored, effective_from=effective_from, effective_until=effective_until,
        set_by=actor if isinstance(actor, Person) else None, reason=reason.strip(),
    )
    record(actor, "rulebook.override", row, clauses=parameter.clauses, unit_id=unit.pk, payload={
        "key": key, "value": stored, "effective_from": effective_from, "effective_until": effective_until,
        "reason": reason.strip(),
    })
    return row
