"""The complaint desk's configuration as intake reads it: settings, territories, routing table,
active categories — cached per process while unchanged (``zhidu.core.configcache``).

Every registration routes by category and territory (P4.2, P4.3.3, P4.4.3); reading the four
configuration tables (and the units they name) for each one cost more than the registration itself.
The cache is keyed by organization and rebuilt after any write to ComplaintSettings, Territory,
RouteRule, Category or OrgUnit (names and paths appear in the routing table), in any process.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhidu.core.configcache import VersionedCache, watch
from zhidu.org.models import OrgUnit
from zhidu.rulebook.rules import p4

from .models import WILDCARD, Category, ComplaintSettings, RouteRule, Territory

CONFIG_CACHE = "complaints.config"


@dataclass(frozen=True)
class Desk:
    """One organization's complaint-desk configuration. Shared between requests: read only."""

    settings: ComplaintSettings
    territories: tuple[Territory, ...]
    table: p4.RoutingTable
    units: dict[str, OrgUnit]            # unit code → unit, for the units the table names
    categories: frozenset[str]           # active category codes

    def territory_codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.territories)


_DESKS: VersionedCache[Desk] = VersionedCache(CONFIG_CACHE, maxsize=256)


def read_settings(org_id: int) -> ComplaintSettings:
    found = (ComplaintSettings.objects.filter(organization_id=org_id)
             .select_related("branch_customer_service", "order_department", "public_intake_unit").first())
    return found or ComplaintSettings(organization_id=org_id)


def _build(org_id: int) -> Desk:
    conf = read_settings(org_id)
    territories = tuple(Territory.objects.filter(organization_id=org_id)
                        .select_related("handling_unit", "county_marketing").order_by("code"))
    units: dict[str, OrgUnit] = {}

    def code(unit: OrgUnit | None) -> str:
        if unit is None:
            return ""
        units[unit.code] = unit
        return unit.code

    entries: dict[tuple[str, str], str] = {}
    for t in territories:
        if t.handling_unit is not None:
            entries[(WILDCARD, t.code)] = code(t.handling_unit)
    for rule in RouteRule.objects.filter(organization_id=org_id).select_related("unit").order_by("id"):
        entries[(rule.category, rule.territory)] = code(rule.unit)
    table = p4.RoutingTable(
        branch_customer_service=code(conf.branch_customer_service if conf.branch_customer_service_id else None),
        order_department=code(conf.order_department if conf.order_department_id else None),
        county_marketing={t.code: code(t.county_marketing) for t in territories if t.county_marketing is not None},
        entries=entries,
    )
    categories = frozenset(Category.objects.filter(active=True).values_list("code", flat=True))
    return Desk(conf, territories, table, units, categories)


def desk(org_id: int) -> Desk:
    """The organization's desk configuration as of now (one primary-key read when cached)."""
    return _DESKS.get(org_id, lambda: _build(org_id))


def connect() -> None:
    watch(CONFIG_CACHE, ComplaintSettings, Territory, RouteRule, Category, OrgUnit)
