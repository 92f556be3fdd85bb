"""Who hears about an obligation: the responsible person, the unit's handlers, the escalation chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from zhidu.core.configcache import VersionedCache, watch
from zhidu.org.models import OrgUnit, Person, RoleAssignment, ancestor_paths

from .models import Obligation
from .policy import KindPolicy

HOLDERS_CACHE = "org.role_holders"
_HOLDERS: VersionedCache[list[Person]] = VersionedCache(HOLDERS_CACHE, maxsize=4096)


def connect() -> None:
    watch(HOLDERS_CACHE, RoleAssignment, Person, OrgUnit)


def nearest_holders(unit: OrgUnit, roles: Iterable[str], on: dt.date, *, exclude: Iterable[int] = ()) -> list[Person]:
    """Holders of any of ``roles`` on the unit itself or, failing that, on the nearest unit above it
    (a role covers its unit's subtree). People in ``exclude`` do not count. Cached per process
    while no role, person or unit changes (the returned people are shared: read only)."""
    wanted = tuple(sorted(set(roles)))
    if not wanted:
        return []
    excluded = frozenset(exclude)
    key = (unit.path, wanted, on, excluded)
    return list(_HOLDERS.get(key, lambda: _nearest_holders(unit, wanted, on, excluded)))


def _nearest_holders(unit: OrgUnit, roles: tuple[str, ...], on: dt.date, excluded: frozenset[int]) -> list[Person]:
    rows = (
        RoleAssignment.objects.filter(role__in=roles, unit__path__in=ancestor_paths(unit.path), valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .exclude(person_id__in=excluded)
        .select_related("person", "unit")
    )
    by_depth: dict[int, list[Person]] = {}
    for ra in rows:
        by_depth.setdefault(len(ra.unit.path), []).append(ra.person)
    if not by_depth:
        return []
    people = by_depth[max(by_depth)]
    return sorted({p.pk: p for p in people}.values(), key=lambda p: p.pk)


def responsible_people(obligation: Obligation, policy: KindPolicy, on: dt.date) -> list[Person]:
    """The responsible person, or the holders of the kind's unit roles nearest the unit."""
    if obligation.responsible_person_id:
        assert obligation.responsible_person is not None
        return [obligation.responsible_person]
    return nearest_holders(obligation.responsible_unit, policy.unit_roles, on)


def escalation_target(obligation: Obligation, policy: KindPolicy, level: int, on: dt.date) -> tuple[int, list[Person]]:
    """The first level ≥ ``level`` of the chain that has someone to tell, and those people.

    Returns ``(0, [])`` when the chain is exhausted. The responsible person never escalates to
    themself: they are skipped when looking for holders.
    """
    exclude = [obligation.responsible_person_id] if obligation.responsible_person_id else []
    while 1 <= level <= len(policy.escalation_chain):
        role = policy.escalation_chain[level - 1]
        people = nearest_holders(obligation.responsible_unit, [role], on, exclude=exclude)
        if people:
            return level, people
        level += 1
    return 0, []
