"""Writes to the organization: each service checks the actor, runs in one transaction and
writes its audit event there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from zhidu.audit.services import record
from zhidu.core.errors import FieldError, PermissionDeniedError, ValidationFailed
from zhidu.rulebook.models import Regulation

from . import access
from .models import Adoption, Employment, Organization, OrgUnit, Person, Rank, Role, RoleAssignment, UnitKind


def _path_for(unit: OrgUnit) -> str:
    prefix = unit.parent.path if unit.parent_id and unit.parent else ""
    return f"{prefix}{unit.pk:08d}/"


@transaction.atomic
def create_organization(actor: access.Actor, *, code: str, name: str, root_name: str | None = None) -> OrgUnit:
    """A new organization with its top unit. Only the system (CLI, demo) creates organizations."""
    if not isinstance(actor, access.SystemActor):
        raise PermissionDeniedError(_("只有系统管理命令可以创建组织。"))
    org = Organization.objects.create(code=code, name=name)
    root = OrgUnit.objects.create(organization=org, code=code, name=root_name or name, kind=UnitKind.ORGANIZATION)
    root.path = _path_for(root)
    root.save(update_fields=["path"])
    record(actor, "org.create_organization", root, payload={"code": code, "name": name}, unit_id=root.pk)
    return root


@transaction.atomic
def create_unit(actor: access.Actor, *, parent: OrgUnit, code: str, name: str, kind: str) -> OrgUnit:
    access.require(actor, "org.manage_units", parent)
    errors = []
    if kind not in UnitKind.values:
        errors.append(FieldError("kind", _("未知的单位类型：%(kind)s") % {"kind": kind}))
    if not name.strip():
        errors.append(FieldError("name", _("名称不能为空。")))
    if OrgUnit.objects.filter(organization_id=parent.organization_id, code=code).exists():
        errors.append(FieldError("code", _("代码“%(code)s”已被使用。") % {"code": code}))
    if errors:
        raise ValidationFailed(_("单位信息有误。"), errors)
    unit = OrgUnit.objects.create(
        organization_id=parent.organization_id, parent=parent, code=code, name=name.strip(), kind=kind
    )
    unit.path = _path_for(unit)
    unit.save(update_fields=["path"])
    record(actor, "org.create_unit", unit, payload={"code": code, "name": name, "kind": kind,
                                                     "parent": parent.pk}, unit_id=unit.pk)
    return unit


PERSON_FIELDS = ("name", "gender", "birth_date", "phone", "id_number", "email")


def _validate_person(data: dict[str, Any]) -> list[FieldError]:
    errors = []
    if "name" in data and not str(data["name"]).strip():
        errors.append(FieldError("name", _("姓名不能为空。")))
    phone = str(data.get("phone") or "")
    if phone and not (phone.replace("-", "").isdigit() and 7 <= len(phone.replace("-", "")) <= 15):
        errors.append(FieldError("phone", _("电话号码应为 7–15 位数字。")))
    idn = str(data.get("id_number") or "")
    if idn and not (len(idn) == 18 and idn[:17].isdigit() and (idn[17].isdigit() or idn[17] in "Xx")):
        errors.append(FieldError("id_number", _("身份证号应为 18 位（末位可为 X）。")))
    if data.get("gender") and data["gender"] not in ("F", "M"):
        errors.append(FieldError("gender", _("性别应为 F 或 M。")))
    return errors


@transaction.atomic
def create_person(actor: access.Actor, *, unit: OrgUnit, username: str | None = None,
                  password: str | None = None, **data: Any) -> Person:
    """A person recorded by the unit's HR or admin; with a login when a user name is given."""
    access.require(actor, "org.manage_people", unit)
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段。"), [FieldError(f, _("未知字段。")) for f in sorted(unknown)])
    errors = _validate_person({"name": data.get("name", ""), **data})
    User = get_user_model()
    if username and User.objects.filter(username=username).exists():
        errors.append(FieldError("username", _("用户名“%(u)s”已被使用。") % {"u": username}))
    if errors:
        raise ValidationFailed(_("人员信息有误。"), errors)
    user = None
    if username:
        user = User.objects.create_user(username=username, password=password, email=data.get("email", ""))
    person = Person.objects.create(organization_id=unit.organization_id, user=user, **data)
    record(actor, "org.create_person", person,
           payload={"name": person.name, "username": username or "", "unit": unit.pk}, unit_id=unit.pk)
    return person


@transaction.atomic
def update_person(actor: access.Actor, person: Person, *, unit: OrgUnit, **changes: Any) -> Person:
    access.require(actor, "org.manage_people", unit)
    unknown = set(changes) - set(PERSON_FIELDS)
    errors = [FieldError(f, _("未知字段。")) for f in sorted(unknown)] + _validate_person(changes)
    if errors:
        raise ValidationFailed(_("人员信息有误。"), errors)
    before = {k: getattr(person, k) for k in changes}
    for key, value in changes.items():
        setattr(person, key, value)
    person.save(update_fields=list(changes))
    # Personal data is audited as "changed", never copied into the log in clear.
    sensitive = {"phone", "id_number"}
    record(actor, "org.update_person", person, unit_id=unit.pk, payload={
        "changed": sorted(changes),
        "before": {k: v for k, v in before.items() if k not in sensitive},
        "after": {k: v for k, v in changes.items() if k not in sensitive},
    })
    return person


@transaction.atomic
def employ(actor: access.Actor, person: Person, *, unit: OrgUnit, hired_on: dt.date,
           rank: str = Rank.STAFF, position: str = "", base_salary: Decimal | int = 0,
           probation_until: dt.date | None = None) -> Employment:
    access.require(actor, "org.manage_people", unit)
    errors = []
    if rank not in Rank.values:
        errors.append(FieldError("rank", _("未知职级：%(r)s") % {"r": rank}))
    if Decimal(base_salary) < 0:
        errors.append(FieldError("base_salary", _("基本工资不能为负数。")))
    if probation_until and probation_until < hired_on:
        errors.append(FieldError("probation_until", _("试用期结束日期不能早于入职日期。")))
    if errors:
        raise ValidationFailed(_("任职信息有误。"), errors)
    emp = Employment.objects.create(person=person, unit=unit, hired_on=hired_on, rank=rank, position=position,
                                    base_salary=Decimal(base_salary), probation_until=probation_until)
    record(actor, "org.employ", emp, unit_id=unit.pk, payload={
        "person": person.pk, "rank": rank, "position": position, "hired_on": hired_on,
        "base_salary": str(emp.base_salary), "probation_until": probation_until})
    return emp


@transaction.atomic
def assign_role(actor: access.Actor, person: Person, *, role: str, unit: OrgUnit,
                valid_from: dt.date, valid_until: dt.date | None = None) -> RoleAssignment:
    access.require(actor, "org.assign_roles", unit)
    errors = []
    if role not in Role.values:
        errors.append(FieldError("role", _("未知角色：%(r)s") % {"r": role}))
    if valid_until and valid_until < valid_from:
        errors.append(FieldError("valid_until", _("截止日期不能早于起始日期。")))
    if person.organization_id != unit.organization_id:
        errors.append(FieldError("unit", _("单位不属于此人所在的组织。")))
    if errors:
        raise ValidationFailed(_("角色分配有误。"), errors)
    ra = RoleAssignment.objects.create(person=person, role=role, unit=unit, valid_from=valid_from,
                                       valid_until=valid_until)
    record(actor, "org.assign_role", ra, unit_id=unit.pk, payload={
        "person": person.pk, "role": role, "valid_from": valid_from, "valid_until": valid_until})
    return ra


@transaction.atomic
def end_role(actor: access.Actor, assignment: RoleAssignment, *, on: dt.date) -> RoleAssignment:
    access.require(actor, "org.assign_roles", assignment.unit)
    if on < assignment.valid_from:
        raise ValidationFailed(_("角色分配有误。"), [FieldError("valid_until", _("截止日期不能早于起始日期。"))])
    assignment.valid_until = on
    assignment.save(update_fields=["valid_until"])
    record(actor, "org.end_role", assignment, unit_id=assignment.unit_id,
           payload={"person": assignment.person_id, "role": assignment.role, "valid_until": on})
    return assignment


@transaction.atomic
def adopt_regulation(actor: access.Actor, unit: OrgUnit, *, code: str, adopted_on: dt.date) -> Adoption:
    access.require(actor, "org.adopt_regulation", unit)
    try:
        regulation = Regulation.objects.get(code=code)
    except Regulation.DoesNotExist:
        raise ValidationFailed(_("规章有误。"), [FieldError("code", _("未知的规章编号：%(c)s") % {"c": code})]) from None
    adoption, created = Adoption.objects.get_or_create(unit=unit, regulation=regulation,
                                                       defaults={"adopted_on": adopted_on})
    if created:
        record(actor, "org.adopt_regulation", adoption, unit_id=unit.pk,
               payload={"regulation": code, "adopted_on": adopted_on}, clauses=[code])
    return adoption
