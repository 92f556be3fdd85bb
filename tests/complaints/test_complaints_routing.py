"""Item 2 — types and routing (P4.2, P4.3.3, P4.4.3): by category and territory, out-of-scope to the
branch customer service, product problems to the county marketing department, transfers with the
first receiver kept on the form."""

from __future__ import annotations

import pytest
from cmp_helpers import MONDAY, at, register

from zhidu.audit.models import AuditEvent
from zhidu.complaints import services
from zhidu.complaints.models import ComplaintSettings, RouteBasis, RouteRule, State, Territory, Transfer
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.models import Obligation
from zhidu.obligations.models import State as ObState

pytestmark = pytest.mark.django_db


def test_territorial_handling(org) -> None:
    a = register(org, territory="a")
    b = register(org, territory="b")
    assert (a.responsible_unit, a.route_basis) == (org.county_a, RouteBasis.TABLE)
    assert b.responsible_unit == org.county_b
    assert "P4.2" in a.route_why().clauses


def test_category_rule_wins_over_territory(org) -> None:
    c = register(org, category="delivery", territory="a")
    assert c.responsible_unit == org.orders
    RouteRule.objects.create(organization_id=org.root.organization_id, category="delivery", territory="a",
                             unit=org.county_a)
    assert register(org, category="delivery", territory="a").responsible_unit == org.county_a


def test_unmatched_goes_to_the_order_department(org) -> None:
    c = register(org, category="other")  # no territory, no rule
    assert (c.responsible_unit, c.route_basis) == (org.orders, RouteBasis.ORDER_DEPARTMENT)


def test_out_of_scope_goes_to_branch_customer_service(org) -> None:
    """P4.3.3: county A receives a call about county B: registered there, passed on at once."""
    c = register(org, org.handler_a, receiving_unit=org.county_a, channel="county_phone", territory="b")
    assert c.receiving_unit == org.county_a and c.receiving_person == org.handler_a
    assert (c.responsible_unit, c.route_basis) == (org.cs, RouteBasis.OUT_OF_SCOPE)
    assert c.route_why().clauses == ("P4.3.3",)
    # county A's own territory is the default when the agent leaves it empty
    own = register(org, org.handler_a, receiving_unit=org.county_a, channel="county_phone")
    assert own.territory == "a" and own.responsible_unit == org.county_a


def test_product_quality_to_county_marketing(org) -> None:
    marketing_b = Territory.objects.get(code="b")
    marketing_b.county_marketing = org.orders  # a separate marketing department for the test
    marketing_b.save()
    c = register(org, category="product_quality", territory="b")
    assert (c.responsible_unit, c.route_basis) == (org.orders, RouteBasis.PRODUCT_QUALITY)
    assert c.route_why().clauses == ("P4.4.3",)


def test_without_configuration_the_receiver_handles(org) -> None:
    ComplaintSettings.objects.all().delete()
    Territory.objects.all().delete()
    RouteRule.objects.all().delete()
    c = register(org, category="other")
    assert (c.responsible_unit, c.route_basis) == (org.cs, RouteBasis.RECEIVER)


def test_transfer_moves_responsibility_and_deadline_not_first_receiver(org) -> None:
    c = register(org, territory="a")
    ob = Obligation.objects.get(subject_id=str(c.pk), kind="complaints.complaint_close")
    with pytest.raises(ValidationFailed) as exc:
        services.transfer(org.handler_a, c, to_unit=org.county_a, reason="", now=at(2026, 11, 23, 11))
    assert {e.field for e in exc.value.errors} == {"reason", "to_unit"}
    with pytest.raises(PermissionDeniedError):
        services.transfer(org.handler_b, c, to_unit=org.county_b, reason="属乙县", now=at(2026, 11, 23, 11))
    services.transfer(org.handler_a, c, to_unit=org.county_b, reason="客户实际在乙县", opinion="请乙县核实",
                      now=at(2026, 11, 23, 11))
    c.refresh_from_db()
    assert c.responsible_unit == org.county_b and c.route_basis == RouteBasis.TRANSFER and c.transfer_count == 1
    assert (c.receiving_unit, c.receiving_person) == (org.cs, org.agent)  # the first receiver stays on the form
    assert c.handling_opinion == "请乙县核实"
    t = Transfer.objects.get(complaint=c)
    assert (t.from_unit, t.to_unit, t.reason, t.by) == (org.county_a, org.county_b, "客户实际在乙县", org.handler_a)
    ob.refresh_from_db()
    assert ob.state == ObState.MET
    moved = Obligation.objects.get(subject_id=str(c.pk), state=ObState.OPEN)
    assert moved.responsible_unit == org.county_b and moved.due_at == ob.due_at == c.due_at  # same deadline
    event = AuditEvent.objects.get(action="complaints.transfer", subject_id=str(c.pk))
    assert "P4.2" in event.clauses and "P4.3.4" in event.clauses and event.payload["reason"] == "客户实际在乙县"
    # to the branch customer service: P4.3.3
    services.transfer(org.handler_b, c, to_unit=org.cs, reason="超出本单位范围", now=at(2026, 11, 23, 12))
    assert "P4.3.3" in AuditEvent.objects.filter(action="complaints.transfer").latest("id").clauses


def test_a_breached_deadline_stays_with_the_unit_that_let_it_lapse(org) -> None:
    c = register(org, territory="a")
    late = at(2026, 11, 27, 9)
    services.transfer(org.handler_a, c, to_unit=org.county_b, reason="转乙县", now=late)
    obs = list(Obligation.objects.filter(subject_id=str(c.pk)))
    assert len(obs) == 1 and obs[0].responsible_unit == org.county_a and obs[0].state == ObState.OPEN


def test_transfer_only_while_pending(org) -> None:
    c = register(org, kind="inquiry", category="policy", answered_on_spot=True, answer="好的")
    with pytest.raises(ValidationFailed):
        services.transfer(org.agent, c, to_unit=org.county_a, reason="x", now=MONDAY)
    assert c.state == State.CLOSED
