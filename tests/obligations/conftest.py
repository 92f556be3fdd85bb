"""Fixtures of the obligations tests: a registered kind and people in the test tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from obl_helpers import KIND, at

from zhidu.obligations import deadlines, services
from zhidu.obligations.models import Obligation
from zhidu.org.models import Person


@dataclass
class People:
    handler: Person        # staff in the front office, no role
    front_manager: Person  # department_manager over the front office
    gm: Person             # general_manager over the hotel
    mkt_manager: Person    # department_manager over the marketing centre (a sibling)
    stranger: Person       # staff elsewhere, no role


@pytest.fixture
def people(tree, make_person) -> People:  # type: ignore[no-untyped-def]
    return People(
        handler=make_person(tree.front, email="handler@example.com", phone="13800000001"),
        front_manager=make_person(tree.front, role="department_manager", email="fm@example.com",
                                  phone="13800000002"),
        gm=make_person(tree.hotel, role="general_manager", email="gm@example.com", phone="13800000003"),
        mkt_manager=make_person(tree.marketing, role="department_manager"),
        stranger=make_person(tree.marketing),
    )


@pytest.fixture(autouse=True)
def _sms_log(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.ZHIDU_SMS_BACKEND = "zhidu.obligations.backends.FileSmsBackend"
    settings.ZHIDU_SMS_LOG = tmp_path / "sms.log"


@pytest.fixture
def open_one(tree, people):  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def make(*, start: dt.date = dt.date(2026, 11, 23), days: int = 3, now: dt.datetime | None = None,
             person: Person | Any | None = "handler", unit: Any = None, kind: str = KIND,
             actor: Person | None = None, **kw: Any) -> Obligation:
        counter["n"] += 1
        responsible = people.handler if person == "handler" else person
        kw.setdefault("deadline", deadlines.working_days(days, start=start))
        return services.open_obligation(
            actor or people.front_manager, kind=kind, subject=("complaints.complaint", counter["n"]),
            title="办结投诉 %(number)s", title_args={"number": f"TS-{counter['n']:03d}"},
            responsible_person=responsible, responsible_unit=unit or tree.front,
            now=now or at(2026, 11, 23, 9, 0), **kw,
        )

    return make
