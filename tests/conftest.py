"""Shared fixtures: a small organization tree with people in roles."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from zhidu.org import services
from zhidu.org.access import SYSTEM
from zhidu.org.models import OrgUnit, Person, Rank, UnitKind


@dataclass
class Tree:
    root: OrgUnit
    hotel: OrgUnit
    front: OrgUnit
    marketing: OrgUnit
    admin: Person


@pytest.fixture
def tree(db: None) -> Tree:
    root = services.create_organization(SYSTEM, code="t-county", name="测试县")
    hotel = services.create_unit(SYSTEM, parent=root, code="hotel", name="测试酒店", kind=UnitKind.COMPANY)
    front = services.create_unit(SYSTEM, parent=hotel, code="front", name="前厅部", kind=UnitKind.DEPARTMENT)
    marketing = services.create_unit(SYSTEM, parent=root, code="mkt", name="营销中心", kind=UnitKind.COMPANY)
    admin = services.create_person(SYSTEM, unit=root, name="管理员", username="t-admin", password="pw-123456!")
    services.assign_role(SYSTEM, admin, role="admin", unit=root, valid_from=dt.date(2020, 1, 1))
    return Tree(root, hotel, front, marketing, admin)


@pytest.fixture
def make_person(tree: Tree):  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def make(unit: OrgUnit, role: str | None = None, role_unit: OrgUnit | None = None,
             **data: object) -> Person:
        counter["n"] += 1
        n = counter["n"]
        data.setdefault("name", f"员工{n}")
        data.setdefault("phone", f"1380000{n:04d}")
        data.setdefault("id_number", f"11010119900101{n:04d}")
        person = services.create_person(SYSTEM, unit=unit, username=f"user{n}", password="pw-123456!", **data)
        services.employ(SYSTEM, person, unit=unit, hired_on=dt.date(2024, 3, 1), rank=Rank.STAFF,
                        position="服务员", base_salary=3000)
        if role:
            services.assign_role(SYSTEM, person, role=role, unit=role_unit or unit, valid_from=dt.date(2020, 1, 1))
        return person

    return make


@pytest.fixture(autouse=True)
def _fresh_calendar_snapshot() -> Iterator[None]:
    """A test that runs on-commit callbacks inside its transaction (``django_capture_on_commit_callbacks``)
    lets the process share a calendar snapshot built from rows that the test's rollback then removes;
    the shared snapshot is re-checked only once a second, so the next test could see the rolled-back
    working hours. Production never commits and then rolls back, so the reset belongs here."""
    yield
    from zhidu.calendar import selectors as calendar_selectors

    calendar_selectors.invalidate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("ZHIDU_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (ZHIDU_REQUIRE_BROWSER) but not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # inside one unless told that this synchronous use is safe.
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            yield instance
        finally:
            instance.close()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
