"""The authorization matrix: role × unit × action → allowed / denied.

The expected table is written out here on purpose, independently of ``zhidu.org.access.POLICY``:
loosening the policy (a role gains an action, a scope reaches a sibling unit) fails this test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org import access, services
from zhidu.org.models import OrgUnit, Person, Role, RoleAssignment, UnitKind

EXPECTED: dict[str, set[str]] = {
    "org.view_people": {"admin", "hr", "general_manager", "department_manager", "duty_director",
                        "duty_officer", "complaint_handler", "complaint_verifier", "volunteer_organizer"},
    "org.view_personal_data": {"hr", "general_manager"},
    "org.manage_units": {"admin"},
    "org.manage_people": {"admin", "hr"},
    "org.assign_roles": {"admin", "hr"},
    "org.adopt_regulation": {"admin", "general_manager"},
    "audit.view": {"admin", "hr", "general_manager"},
    "rulebook.view": {"admin", "hr", "general_manager", "department_manager", "duty_officer", "duty_director",
                      "complaint_handler", "complaint_verifier", "volunteer_organizer"},
    "rulebook.manage": {"admin", "general_manager"},
    "sanctions.view": {"hr", "general_manager", "department_manager"},
    "sanctions.post": {"hr", "general_manager"},
    "sanctions.confirm": {"hr", "general_manager"},
    "sanctions.lock": {"hr"},
    "calendar.manage": {"admin"},
    "obligations.view_unit": {"general_manager", "department_manager", "duty_director"},
    "obligations.manage": {"general_manager", "department_manager", "duty_director"},
    "obligations.extend_approve": {"general_manager", "department_manager"},
    "obligations.waive": {"general_manager"},
    "obligations.view_compliance": {"general_manager", "department_manager", "hr"},
    "attendance.view": {"hr", "general_manager", "department_manager"},
    "attendance.manage": {"hr"},
    "attendance.punch_manual": {"hr", "department_manager"},
    "attendance.exception": {"duty_officer", "duty_director", "hr"},
    "attendance.approve_leave": {"department_manager", "hr", "general_manager"},
    "attendance.close_month": {"hr"},
    "complaints.intake": {"complaint_handler", "duty_officer", "duty_director", "department_manager",
                          "general_manager"},
    "complaints.handle": {"complaint_handler", "department_manager", "general_manager"},
    "complaints.investigate": {"complaint_handler", "department_manager", "general_manager"},
    "complaints.verify": {"complaint_verifier"},
    "complaints.view": {"complaint_handler", "complaint_verifier", "department_manager", "general_manager",
                        "duty_officer", "duty_director"},
    "complaints.manage": {"department_manager", "general_manager"},
}


def test_policy_has_no_action_the_matrix_does_not_know() -> None:
    assert set(access.POLICY) == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_matrix(tree, make_person, role: str) -> None:  # type: ignore[no-untyped-def]
    # The role is held over the hotel: it covers the hotel and its front office, not the root
    # above it nor the marketing centre beside it.
    person = make_person(tree.front, role=role, role_unit=tree.hotel)
    inside = {tree.hotel.code, tree.front.code}
    for action, roles in EXPECTED.items():
        for unit in (tree.root, tree.hotel, tree.front, tree.marketing):
            expected = role in roles and unit.code in inside
            assert access.can(person, action, unit) is expected, (role, action, unit.code)


@pytest.mark.django_db
def test_no_role_means_nothing(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front)
    for action in EXPECTED:
        for unit in OrgUnit.objects.all():
            assert not access.can(person, action, unit)


@pytest.mark.django_db
def test_role_dates_are_respected(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front)
    RoleAssignment.objects.create(person=person, role="hr", unit=tree.hotel, valid_from=dt.date(2025, 1, 1),
                                  valid_until=dt.date(2025, 12, 31))
    assert access.can(person, "org.manage_people", tree.hotel, on=dt.date(2025, 6, 1))
    assert not access.can(person, "org.manage_people", tree.hotel, on=dt.date(2026, 1, 1))
    assert not access.can(person, "org.manage_people", tree.hotel, on=dt.date(2024, 12, 31))


@pytest.mark.django_db
def test_unknown_action_is_an_error(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError):
        access.can(tree.admin, "org.anything", tree.root)


@pytest.mark.django_db
def test_services_refuse_and_write_nothing(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    from zhidu.audit.models import AuditEvent

    clerk = make_person(tree.front, role="duty_officer")
    before = (AuditEvent.objects.count(), OrgUnit.objects.count(), Person.objects.count())
    calls = [
        lambda: services.create_unit(clerk, parent=tree.front, code="x", name="X", kind=UnitKind.TEAM),
        lambda: services.create_person(clerk, unit=tree.front, name="新人"),
        lambda: services.assign_role(clerk, clerk, role="hr", unit=tree.front, valid_from=dt.date(2026, 1, 1)),
        lambda: services.adopt_regulation(clerk, tree.front, code="P7", adopted_on=dt.date(2026, 1, 1)),
        lambda: services.update_person(clerk, clerk, unit=tree.front, name="改名"),
        lambda: services.create_organization(clerk, code="x", name="X"),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    assert (AuditEvent.objects.count(), OrgUnit.objects.count(), Person.objects.count()) == before


@pytest.mark.django_db
def test_hr_in_one_unit_cannot_manage_a_sibling(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    hr = make_person(tree.hotel, role="hr")
    services.create_person(hr, unit=tree.front, name="前厅新人")
    with pytest.raises(PermissionDeniedError):
        services.create_person(hr, unit=tree.marketing, name="营销新人")


@pytest.mark.django_db
def test_bad_input_names_every_field_and_stores_nothing(tree) -> None:  # type: ignore[no-untyped-def]
    count = Person.objects.count()
    with pytest.raises(ValidationFailed) as err:
        services.create_person(tree.admin, unit=tree.root, name=" ", phone="12ab", id_number="123", gender="X")
    fields = {e.field for e in err.value.errors}
    assert fields == {"name", "phone", "id_number", "gender"}
    assert Person.objects.count() == count
