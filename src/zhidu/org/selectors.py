"""Reads of the organization, filtered by the actor's scope and masked where needed."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhidu.core.configcache import VersionedCache, watch
from zhidu.core.masking import mask_email, mask_id_number, mask_phone

from . import access
from .models import OrgUnit, Person, RoleAssignment

UNITS_CACHE = "org.units"
_UNITS: VersionedCache[OrgUnit | None] = VersionedCache(UNITS_CACHE, maxsize=8192)


def connect() -> None:
    watch(UNITS_CACHE, OrgUnit)


def unit_by_id(pk: int) -> OrgUnit | None:
    """The unit with primary key ``pk`` (None: no such unit) — for the API's unit parameters, which
    every registration names. Cached per process while no unit changes; each caller gets its own
    copy of the instance."""
    unit = _UNITS.get(pk, lambda: OrgUnit.objects.filter(pk=pk).first())
    return copy.copy(unit) if unit is not None else None


@dataclass(frozen=True)
class PersonView:
    """A person as one viewer may see them: phone, ID number and e-mail masked unless allowed."""

    id: int
    name: str
    gender: str
    phone: str
    id_number: str
    email: str
    masked: bool
    units: list[str]
    positions: list[str]


def person_view(actor: access.Actor, person: Person) -> PersonView:
    clear = access.may_see_personal_data(actor, person)
    emps = list(person.employments.select_related("unit").filter(ended_on__isnull=True))
    return PersonView(
        id=person.pk,
        name=person.name,
        gender=person.gender,
        phone=person.phone if clear else mask_phone(person.phone),
        id_number=person.id_number if clear else mask_id_number(person.id_number),
        email=person.email if clear else mask_email(person.email),
        masked=not clear,
        units=[e.unit.name for e in emps],
        positions=[e.position for e in emps if e.position],
    )


def visible_units(actor: access.Actor) -> QuerySet[OrgUnit]:
    return access.units_in_scope(actor, "org.view_people").order_by("path")


def people_in_unit(actor: access.Actor, unit: OrgUnit, *, subtree: bool = False) -> list[PersonView]:
    access.require(actor, "org.view_people", unit)
    lookup: dict[str, object] = {"employments__unit__path__startswith": unit.path} if subtree else {"employments__unit": unit}
    people = (
        Person.objects.filter(employments__ended_on__isnull=True, **lookup)
        .distinct()
        .order_by("id")
        .prefetch_related("employments__unit")
    )
    return [person_view(actor, p) for p in people]


def get_person(actor: access.Actor, person_id: int) -> PersonView:
    """One person, if the actor may view some unit the person works in (or is that person)."""
    from zhidu.core.errors import NotFoundError

    try:
        person = Person.objects.get(pk=person_id)
    except Person.DoesNotExist:
        raise NotFoundError(_("未找到此人员。")) from None
    if isinstance(actor, Person) and actor.pk == person.pk:
        return person_view(actor, person)
    units = [e.unit for e in person.employments.select_related("unit")]
    if not units:
        units = list(OrgUnit.objects.filter(organization_id=person.organization_id, parent__isnull=True))
    if not any(access.can(actor, "org.view_people", u) for u in units):
        raise NotFoundError(_("未找到此人员。"))
    return person_view(actor, person)


def roles_of(person: Person) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(person=person).select_related("unit").order_by("unit__path", "role")
