"""Who may do what, where.

Every service and selector asks this module before it reads or writes. A role held over a unit
covers that unit and every unit below it (``OrgUnit.path`` prefix), for the role's dates.

``POLICY`` is the whole authorization matrix: action → roles allowed (modules add theirs with
``register_actions`` in ``AppConfig.ready()``). Loosening it makes
``tests/test_authorization_matrix.py`` fail, on purpose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.core.errors import PermissionDeniedError

from .models import Employment, OrgUnit, Person, Role, RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

R = Role

POLICY: dict[str, frozenset[str]] = {
    # Units and people (names, positions: never phone or ID number — see below)
    "org.view_people": frozenset(
        {R.ADMIN, R.HR, R.GENERAL_MANAGER, R.DEPARTMENT_MANAGER, R.DUTY_DIRECTOR, R.DUTY_OFFICER,
         R.COMPLAINT_HANDLER, R.COMPLAINT_VERIFIER, R.VOLUNTEER_ORGANIZER}
    ),
    # Unmasked phone numbers and ID numbers
    "org.view_personal_data": frozenset({R.HR, R.GENERAL_MANAGER}),
    "org.manage_units": frozenset({R.ADMIN}),
    "org.manage_people": frozenset({R.ADMIN, R.HR}),
    "org.assign_roles": frozenset({R.ADMIN, R.HR}),
    "org.adopt_regulation": frozenset({R.ADMIN, R.GENERAL_MANAGER}),
    "audit.view": frozenset({R.ADMIN, R.HR, R.GENERAL_MANAGER}),
}


def register_actions(actions: dict[str, set[str] | frozenset[str]]) -> None:
    """Add a module's actions to the policy (from its ``AppConfig.ready()``).

    Each action must be new: a module cannot widen another module's action.
    """
    for action, roles in actions.items():
        if action in POLICY and POLICY[action] != frozenset(roles):
            raise ValueError(f"action {action!r} is already defined with other roles")
        unknown = set(roles) - set(Role.values)
        if unknown:
            raise ValueError(f"action {action!r}: unknown roles {sorted(unknown)}")
        POLICY[action] = frozenset(roles)


@dataclass(frozen=True)
class SystemActor:
    """The system itself (CLI maintenance, scheduled jobs). Never reachable from a request."""

    name: str = "system"
    pk: None = None

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()
Actor = Person | SystemActor


@dataclass(frozen=True)
class Grant:
    role: str
    path: str


def _today() -> dt.date:
    return timezone.localdate()


def grants(actor: Person, on: dt.date | None = None) -> list[Grant]:
    """The actor's roles in force on a date, cached on the actor for the day asked."""
    day = on or _today()
    cache: dict[dt.date, list[Grant]] = actor.__dict__.setdefault("_grants_cache", {})
    if day not in cache:
        rows = (
            RoleAssignment.objects.filter(person=actor, valid_from__lte=day)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
            .values_list("role", "unit__path")
        )
        cache[day] = [Grant(role, path) for role, path in rows]
    return cache[day]


def can(actor: Actor, action: str, unit: OrgUnit, *, on: dt.date | None = None) -> bool:
    if isinstance(actor, SystemActor):
        return True
    allowed = POLICY.get(action)
    if allowed is None:
        raise KeyError(f"unknown action {action!r}")
    return any(g.role in allowed and unit.path.startswith(g.path) for g in grants(actor, on))


def can_anywhere(actor: Actor, action: str) -> bool:
    if isinstance(actor, SystemActor):
        return True
    allowed = POLICY[action]
    return any(g.role in allowed for g in grants(actor))


def require(actor: Actor | None, action: str, unit: OrgUnit) -> None:
    if actor is None or not can(actor, action, unit):
        raise PermissionDeniedError(
            _("无权在“%(unit)s”执行此操作（%(action)s）。") % {"unit": unit.name, "action": action}
        )


def scope_paths(actor: Actor, action: str) -> list[str] | None:
    """Path prefixes where the actor may do ``action``; None means everywhere (system)."""
    if isinstance(actor, SystemActor):
        return None
    allowed = POLICY[action]
    return sorted({g.path for g in grants(actor) if g.role in allowed})


def units_in_scope(actor: Actor, action: str) -> QuerySet[OrgUnit]:
    paths = scope_paths(actor, action)
    qs = OrgUnit.objects.all()
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    cond = Q()
    for p in paths:
        cond |= Q(path__startswith=p)
    return qs.filter(cond)


def may_see_personal_data(actor: Actor, person: Person) -> bool:
    """The person themself, or a holder of ``org.view_personal_data`` over a unit they work in.

    People with no employment (customers, residents, applicants) are covered by a grant over
    the organization's top unit.
    """
    if isinstance(actor, SystemActor):
        return True
    if actor.pk == person.pk:
        return True
    paths = [
        p for p in Employment.objects.filter(person=person, ended_on__isnull=True).values_list(
            "unit__path", flat=True
        )
    ]
    if not paths:
        paths = list(
            OrgUnit.objects.filter(organization_id=person.organization_id, parent__isnull=True).values_list(
                "path", flat=True
            )
        )
    allowed = POLICY["org.view_personal_data"]
    return any(g.role in allowed and p.startswith(g.path) for g in grants(actor) for p in paths)


def actor_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return Person.objects.get(user_id=user.pk)
    except Person.DoesNotExist:
        return None
