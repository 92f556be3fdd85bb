"""Open deadlines follow the working calendar: ``calendar_changed`` recomputes and audits them."""

from __future__ import annotations

import datetime as dt

import pytest
from obl_helpers import at

from zhidu.audit.models import AuditEvent
from zhidu.calendar import selectors as calendar_selectors
from zhidu.calendar.rules import DayKind, WorkCalendar
from zhidu.calendar.seed import chinese_calendar_days
from zhidu.calendar.signals import calendar_changed
from zhidu.obligations import deadlines, services
from zhidu.obligations.models import Obligation

pytestmark = pytest.mark.django_db

NEW_YEAR_2027 = {
    dt.date(2027, 1, 1): (False, DayKind.HOLIDAY, "元旦"),
    dt.date(2027, 1, 4): (False, DayKind.HOLIDAY, "元旦"),  # as the brief's example: a Monday off
}


@pytest.fixture
def with_2027(monkeypatch):  # type: ignore[no-untyped-def]
    """Install a calendar that knows 2027 (as after an administrator's import)."""

    def install() -> None:
        explicit, years = chinese_calendar_days()
        cal = WorkCalendar({**explicit, **NEW_YEAR_2027}, [*years, 2027])
        monkeypatch.setattr(calendar_selectors, "work_calendar", lambda: cal)

    return install


def test_importing_a_year_moves_provisional_deadlines_and_audits(with_2027, people, open_one) -> None:  # type: ignore[no-untyped-def]
    # Thursday 2026-12-31 + 3 working days, with 2027 unknown (Monday–Friday): Jan 1, 4, 5
    ob = open_one(start=dt.date(2026, 12, 31), days=3, now=at(2026, 12, 31, 10))
    assert ob.due_at == at(2027, 1, 5, 17, 30) and ob.provisional
    untouched = open_one(start=dt.date(2026, 12, 1), days=3, now=at(2026, 12, 1, 10))  # all in 2026
    done = open_one(start=dt.date(2026, 12, 31), days=3, now=at(2026, 12, 31, 10))
    services.meet(people.handler, done, now=at(2026, 12, 31, 11))

    with_2027()
    calendar_changed.send(sender=None, dates=sorted(NEW_YEAR_2027), years=[2027])

    ob.refresh_from_db()
    assert ob.due_at == at(2027, 1, 7, 17, 30) and ob.provisional is False  # Jan 1 and 4 are holidays
    assert ob.decision["provisional"] is False and "2027-01-07 17:30" in ob.explain() and "暂定" not in ob.explain()
    event = AuditEvent.objects.get(action="obligations.recompute")
    assert event.subject_id == str(ob.pk) and event.clauses == ["P4.4.4"] and event.actor_label == "system"
    assert event.payload["cause"] == "calendar_changed"
    assert event.payload["dates"] == ["2027-01-01", "2027-01-04"]
    assert (event.payload["from_provisional"], event.payload["to_provisional"]) == (True, False)
    assert untouched.due_at == Obligation.objects.get(pk=untouched.pk).due_at
    assert Obligation.objects.get(pk=done.pk).due_at == at(2027, 1, 5, 17, 30)

    # sending the same change again changes nothing and audits nothing
    calendar_changed.send(sender=None, dates=sorted(NEW_YEAR_2027), years=[2027])
    assert AuditEvent.objects.filter(action="obligations.recompute").count() == 1


def test_a_changed_day_inside_a_known_span_moves_the_deadline(monkeypatch, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()  # Monday 2026-11-23 + 3 working days → Thursday 2026-11-26
    outside = open_one(start=dt.date(2026, 11, 26), days=1, now=at(2026, 11, 26, 9))  # Fri 27th: not covering 24th
    clock = open_one(deadline=deadlines.clock_hours(72))  # clock hours do not depend on the calendar
    explicit, years = chinese_calendar_days()
    cal = WorkCalendar({**explicit, dt.date(2026, 11, 24): (False, DayKind.HOLIDAY, "停工日")}, years)
    monkeypatch.setattr(calendar_selectors, "work_calendar", lambda: cal)
    updated = services.recompute_for_dates([dt.date(2026, 11, 24)])
    assert [o.pk for o in updated] == [ob.pk]
    assert Obligation.objects.get(pk=ob.pk).due_at == at(2026, 11, 27, 17, 30)
    assert Obligation.objects.get(pk=outside.pk).due_at == at(2026, 11, 27, 17, 30)
    assert Obligation.objects.get(pk=clock.pk).due_at == clock.due_at


def test_with_the_calendar_services(tree, people, open_one, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """End to end: an administrator imports 2027 through the calendar's own service."""
    calendar_services = pytest.importorskip("zhidu.calendar.services")
    if not hasattr(calendar_services, "import_csv"):
        pytest.skip("the calendar has no import service")
    ob = open_one(start=dt.date(2026, 12, 31), days=3, now=at(2026, 12, 31, 10))
    assert ob.provisional
    csv = "date,working,kind,name\n2027-01-01,false,holiday,元旦\n2027-01-04,false,holiday,元旦\n"
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.import_csv(tree.admin, csv, source="测试")
    ob.refresh_from_db()
    assert ob.due_at == at(2027, 1, 7, 17, 30) and not ob.provisional
    event = AuditEvent.objects.get(action="obligations.recompute", subject_id=str(ob.pk))
    assert "2027-01-04" in event.payload["dates"]


def test_new_working_hours_move_deadlines_counted_in_working_time(tree, people, open_one,
                                                                  django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from zhidu.calendar import services as calendar_services

    days = open_one()  # Thursday at close of business (17:30 by default)
    hours = open_one(deadline=deadlines.working_hours(4), now=at(2026, 11, 25, 16, 0))  # Thursday 11:00
    clock = open_one(deadline=deadlines.clock_hours(24), now=at(2026, 11, 25, 16, 0))
    elsewhere = open_one(unit=tree.marketing, person=people.stranger, actor=people.mkt_manager)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.set_working_hours(tree.admin, tree.hotel, day_start=dt.time(9, 0), day_end=dt.time(17, 0))
    assert Obligation.objects.get(pk=days.pk).due_at == at(2026, 11, 26, 17, 0)
    # 16:00–17:00 on Wednesday, then 3 hours from 09:00 on Thursday
    assert Obligation.objects.get(pk=hours.pk).due_at == at(2026, 11, 26, 12, 0)
    assert Obligation.objects.get(pk=clock.pk).due_at == clock.due_at
    assert Obligation.objects.get(pk=elsewhere.pk).due_at == elsewhere.due_at
    events = AuditEvent.objects.filter(action="obligations.recompute")
    assert {e.subject_id for e in events} == {str(days.pk), str(hours.pk)}
    assert all(e.payload["units"] == [tree.hotel.pk] and e.payload["cause"] == "working_hours_changed" for e in events)
