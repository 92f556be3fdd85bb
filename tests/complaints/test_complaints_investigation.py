"""Item 4 — investigation (P4.4.3): the named investigator, findings and the three classes, the
department head's obligation, the rectification plan as an obligation, P11.6 fines for staff of units
adopting P11 (checked up the unit tree)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cmp_helpers import at, register

from zhidu.complaints import services
from zhidu.complaints.models import RectificationPlan, StaffFault, State
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.models import Obligation
from zhidu.obligations.models import State as ObState
from zhidu.sanctions.models import LedgerEntry
from zhidu.sanctions.models import Status as LedgerStatus

pytestmark = pytest.mark.django_db

T1 = at(2026, 11, 23, 11)
T2 = at(2026, 11, 24, 9)


@pytest.fixture
def investigating(org):  # type: ignore[no-untyped-def]
    c = register(org, territory="a")
    services.assign_investigator(org.handler_a, c, investigator=org.staff_a, now=T1)
    c.refresh_from_db()
    return c


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_investigator_is_named_by_the_responsible_unit(org) -> None:
    c = register(org, territory="a")
    with pytest.raises(PermissionDeniedError):
        services.assign_investigator(org.handler_b, c, investigator=org.staff_a, now=T1)
    with pytest.raises(ValidationFailed) as exc:  # must work in the responsible unit
        services.assign_investigator(org.handler_a, c, investigator=org.cs_staff, now=T1)
    assert _fields(exc) == {"investigator"}
    services.assign_investigator(org.handler_a, c, investigator=org.staff_a, now=T1)
    c.refresh_from_db()
    assert c.investigator == org.staff_a and c.state == State.INVESTIGATING
    inquiry = register(org, kind="inquiry", category="ordering")
    with pytest.raises(ValidationFailed):
        services.assign_investigator(org.agent, inquiry, investigator=org.agent, now=T1)


def test_only_the_investigator_or_the_unit_records_findings(org, investigating) -> None:
    with pytest.raises(PermissionDeniedError):
        services.record_findings(org.handler_b, investigating, findings="x", responsibility_class="customer",
                                 explanation="y", now=T2)
    # the named investigator holds no role: being named is enough
    services.record_findings(org.staff_a, investigating, findings="客户误解", responsibility_class="customer",
                             explanation="已说明价格依据", now=T2)
    investigating.refresh_from_db()
    assert investigating.state == State.HANDLED and investigating.explanation == "已说明价格依据"


def test_each_class_needs_its_own_record(org, investigating) -> None:
    cases = [
        ({"responsibility_class": "violation"}, {"head"}),
        ({"responsibility_class": "violation", "head": org.staff_a}, {"head"}),
        ({"responsibility_class": "mistake"}, {"correction", "plan", "plan_owner", "plan_due_on"}),
        ({"responsibility_class": "mistake", "correction": "c", "plan": "p", "plan_owner": org.manager_a,
          "plan_due_on": dt.date(2026, 11, 1)}, {"plan_due_on"}),
        ({"responsibility_class": "customer"}, {"explanation"}),
        ({"responsibility_class": "customer", "explanation": "e",
          "faults": [services.Fault(org.staff_a, "minor")]}, {"faults"}),
        ({"responsibility_class": "other"}, {"responsibility_class"}),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ValidationFailed) as exc:
            services.record_findings(org.staff_a, investigating, findings="事实", now=T2, **kwargs)
        assert _fields(exc) == expected, kwargs
    with pytest.raises(ValidationFailed) as exc:
        services.record_findings(org.staff_a, investigating, findings="", responsibility_class="customer",
                                 explanation="e", now=T2)
    assert _fields(exc) == {"findings"}


def test_violation_is_reported_to_the_department_head(org, investigating) -> None:
    services.record_findings(org.staff_a, investigating, findings="收受好处费", responsibility_class="violation",
                             head=org.manager_a, now=T2)
    ob = Obligation.objects.get(subject_id=str(investigating.pk), kind="complaints.violation_report")
    assert ob.responsible_person == org.manager_a and ob.clauses == ["P4.4.3", "P4.6"]
    assert ob.due_at == at(2026, 12, 1, 17, 30)  # p4.rectification_working_days = 5 working days
    with pytest.raises(PermissionDeniedError):
        services.record_head_decision(org.staff_a, investigating, decision="x", now=T2)
    services.record_head_decision(org.manager_a, investigating, decision="按组织程序给予警告处分", now=T2)
    ob.refresh_from_db()
    investigating.refresh_from_db()
    assert ob.state == ObState.MET and investigating.head_decision == "按组织程序给予警告处分"


def test_mistake_gets_a_rectification_plan_obligation(org, investigating) -> None:
    services.record_findings(org.staff_a, investigating, findings="未按时回电", responsibility_class="mistake",
                             correction="已致歉", plan="建立回电登记", plan_owner=org.manager_a,
                             plan_due_on=dt.date(2026, 12, 4), now=T2)
    plan = RectificationPlan.objects.get(complaint=investigating)
    ob = Obligation.objects.get(pk=plan.obligation_id)
    assert (ob.kind, ob.responsible_person, ob.due_at) == ("complaints.rectification_plan", org.manager_a,
                                                          at(2026, 12, 4, 17, 30))
    with pytest.raises(PermissionDeniedError):
        services.complete_plan(org.staff_a, plan, note="done", now=T2)
    services.complete_plan(org.manager_a, plan, note="已建立回电登记簿", now=at(2026, 12, 1, 10))
    ob.refresh_from_db()
    plan.refresh_from_db()
    assert ob.state == ObState.MET and ob.met_on_time and plan.completion_note == "已建立回电登记簿"
    with pytest.raises(ValidationFailed):
        services.complete_plan(org.manager_a, plan, note="again", now=at(2026, 12, 1, 11))


def test_p11_fines_for_staff_of_units_adopting_p11(org, investigating) -> None:
    """P11.6: ≥ 10 yuan by severity for customer-service staff (客服部 adopts P11); county A does not."""
    services.record_findings(
        org.staff_a, investigating, findings="客服专员敷衍；县公司员工未回访", responsibility_class="mistake",
        correction="已纠正", plan="培训", plan_owner=org.manager_a, plan_due_on=dt.date(2026, 12, 4),
        faults=[services.Fault(org.cs_staff, "ordinary"), services.Fault(org.staff_a, "serious")], now=T2)
    cs_fault = StaffFault.objects.get(complaint=investigating, person=org.cs_staff)
    a_fault = StaffFault.objects.get(complaint=investigating, person=org.staff_a)
    assert cs_fault.fine_applies and not a_fault.fine_applies and a_fault.severity == "serious"
    entry = LedgerEntry.objects.get(pk=cs_fault.entry_id)
    assert (entry.person, entry.unit, entry.kind, entry.amount, entry.period) == (
        org.cs_staff, org.cs, "fine", Decimal("20.00"), "2026-11")
    assert entry.clauses == ["P11.6"] and entry.source_module == "complaints"
    assert not LedgerEntry.objects.filter(person=org.staff_a).exists()


def test_fine_is_at_least_10_yuan_and_a_revised_finding_voids_it(org, investigating) -> None:
    services.record_findings(org.staff_a, investigating, findings="x", responsibility_class="violation",
                             head=org.manager_a, faults=[services.Fault(org.cs_staff, "minor", amount=Decimal("5"))],
                             now=T2)
    fault = StaffFault.objects.get(person=org.cs_staff)
    assert LedgerEntry.objects.get(pk=fault.entry_id).amount == Decimal("10.00")  # raised to the minimum
    # reopened and re-investigated: the staff member is no longer at fault
    services.record_feedback(org.agent, investigating, method="phone", content="告知", satisfaction="dissatisfied",
                             reopen_reason="客户认为责任认定有误", now=at(2026, 11, 24, 10))
    investigating.refresh_from_db()
    assert investigating.state == State.INVESTIGATING
    services.record_findings(org.staff_a, investigating, findings="复查：客户误解", responsibility_class="customer",
                             explanation="已解释", now=at(2026, 11, 24, 15))
    fault.refresh_from_db()
    assert not fault.active
    assert not LedgerEntry.objects.filter(person=org.cs_staff, status=LedgerStatus.POSTED).exists()


def test_severity_must_be_a_rulebook_level(org, investigating) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.record_findings(org.staff_a, investigating, findings="x", responsibility_class="violation",
                                 head=org.manager_a, faults=[services.Fault(org.cs_staff, "huge")], now=T2)
    assert _fields(exc) == {"faults.0.severity"}


def test_revised_finding_ends_the_heads_obligation(org, investigating) -> None:
    services.record_findings(org.staff_a, investigating, findings="x", responsibility_class="violation",
                             head=org.manager_a, now=T2)
    services.record_feedback(org.agent, investigating, method="phone", content="告知", satisfaction="very_dissatisfied",
                             reopen_reason="要求复查", now=at(2026, 11, 24, 10))
    services.record_findings(org.staff_a, investigating, findings="复查：误解", responsibility_class="customer",
                             explanation="已解释", now=at(2026, 11, 24, 15))
    assert not Obligation.objects.filter(kind="complaints.violation_report", state__in=["open", "extended"]).exists()
    investigating.refresh_from_db()
    assert investigating.head is None and investigating.reopened_count == 1
