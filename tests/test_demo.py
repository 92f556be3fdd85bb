"""``zhidu demo``: the demo organization is complete, idempotent, deterministic and audited."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from zhidu.audit.models import AuditEvent
from zhidu.demo.data import DEMO_PASSWORD, ORG_CODE, PEOPLE, UNITS, build_demo, id_check_character, person_specs
from zhidu.org import access
from zhidu.org.models import Adoption, Employment, OrgUnit, Person, Rank, Role, RoleAssignment
from zhidu.org.services import _validate_person

LOGINS = {"admin", "hr.zhang", "gm.wang", "dm.li", "duty.chen", "director.huang", "complaint.liu",
          "verifier.zhao", "volunteer.sun", "staff.zhou"}


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts() -> dict[str, int]:
    return {
        "units": OrgUnit.objects.count(),
        "people": Person.objects.count(),
        "users": get_user_model().objects.count(),
        "employments": Employment.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "adoptions": Adoption.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_tables_are_consistent() -> None:
    codes = [code for code, *_ in UNITS]
    assert len(codes) == len(set(codes))
    known = {ORG_CODE}
    for code, _name, _kind, parent, _regs in UNITS:
        assert parent in known, f"{code}: parent {parent} must come first"
        known.add(code)
    names = [row[1] for row in PEOPLE]
    assert len(names) == len(set(names)), "people are found again by name: names must be unique"
    for row in PEOPLE:
        assert row[4] in known and all(unit in known for _role, unit in row[10])
    assert 40 <= len(PEOPLE) <= 60


def test_generated_data_is_deterministic_and_well_formed() -> None:
    specs = person_specs()
    assert specs == person_specs()
    for spec in specs:
        assert re.fullmatch(r"1[3-9]\d{9}", spec.phone)
        assert re.fullmatch(r"\d{17}[\dX]", spec.id_number)
        assert spec.id_number[6:14] == spec.birth_date.strftime("%Y%m%d")
        assert int(spec.id_number[16]) % 2 == (1 if spec.gender == "M" else 0)
        assert spec.id_number[17] == id_check_character(spec.id_number[:17])
        assert _validate_person({"name": spec.name, "phone": spec.phone, "id_number": spec.id_number,
                                 "gender": spec.gender}) == []
        assert spec.probation_until is None or spec.probation_until > spec.hired_on
    assert id_check_character("11010519491231002") == "X"  # the GB 11643 worked example


@pytest.mark.django_db
def test_build_twice_is_idempotent() -> None:
    first = build_demo()
    after_first = _counts()
    assert first.created > 0
    second = build_demo()
    assert second.created == 0
    assert _counts() == after_first
    assert set(second.units) == set(first.units) == {ORG_CODE, *(code for code, *_ in UNITS)}
    assert {u: p.pk for u, p in second.people.items()} == {u: p.pk for u, p in first.people.items()}
    assert after_first["people"] == len(PEOPLE)


@pytest.mark.django_db
def test_every_role_is_held_and_every_regulation_adopted() -> None:
    result = build_demo()
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(Adoption.objects.values_list("regulation__code", flat=True)) == {f"P{n}" for n in range(1, 12)}
    assert set(Adoption.objects.values_list("adopted_on", flat=True)) == {dt.date(2026, 1, 1)}
    assert set(Employment.objects.values_list("rank", flat=True)) == set(Rank.values)
    # every unit but the member bureaus has staff
    staffed = set(Employment.objects.values_list("unit__code", flat=True))
    for code, _name, kind, _parent, _regs in UNITS:
        assert kind == "bureau" or code in staffed, code
    # every demo role is in force today, so the logins can act at once
    for person in result.people.values():
        for ra in person.roles.all():
            assert ra.valid_from <= timezone.localdate() and ra.valid_until is None


@pytest.mark.django_db
def test_demo_users_log_in_and_see_their_scope() -> None:
    result = build_demo()
    assert set(result.people) == LOGINS
    request = RequestFactory().post("/login/")
    for username, person in result.people.items():
        user = authenticate(request, username=username, password=DEMO_PASSWORD)
        assert user is not None and user.pk == person.user_id, username
    admin_user = result.people["admin"].user
    assert admin_user is not None and admin_user.is_staff and admin_user.is_superuser
    assert not get_user_model().objects.exclude(username="admin").filter(is_superuser=True).exists()

    u = result.units
    p = result.people
    assert access.can(p["admin"], "org.manage_units", u[ORG_CODE])
    assert access.can(p["gm.wang"], "org.view_personal_data", u["hotel-restaurant"])
    assert not access.can(p["gm.wang"], "org.view_people", u["branch"])
    assert access.can(p["hr.zhang"], "org.manage_people", u["hotel-front"])
    assert access.can(p["dm.li"], "org.view_people", u["hotel-front"])
    assert not access.can(p["dm.li"], "org.view_people", u["hotel-housekeeping"])
    assert access.can(p["complaint.liu"], "org.view_people", u["county-baishi"])
    assert access.can(p["verifier.zhao"], "org.view_people", u["branch-cs"])
    assert access.can(p["volunteer.sun"], "org.view_people", u["volunteer-station"])
    assert access.can(p["duty.chen"], "org.view_people", u["gov-window-social"])
    assert access.can(p["director.huang"], "org.view_people", u["gov-guide"])
    assert not p["staff.zhou"].roles.exists()
    assert not access.units_in_scope(p["staff.zhou"], "org.view_people").exists()


@pytest.mark.django_db
def test_command_prints_logins_and_audit_verifies() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    for username in LOGINS:
        assert username in text
    assert DEMO_PASSWORD in text and "周婷" in text
    events = AuditEvent.objects.count()
    assert events > 0

    quiet = StringIO()
    call_command("demo", "--quiet", stdout=quiet)
    assert quiet.getvalue() == ""
    assert AuditEvent.objects.count() == events

    report = StringIO()
    call_command("audit", "verify", stdout=report)
    assert report.getvalue().startswith(f"OK: {events} events")


@pytest.mark.django_db
def test_taken_username_is_a_clear_error() -> None:
    from django.core.management.base import CommandError

    get_user_model().objects.create_user(username="admin", password="something-else-1")
    with pytest.raises(CommandError, match="admin"):
        call_command("demo", stdout=StringIO())
    assert not OrgUnit.objects.exists()  # one transaction: nothing half-built
