"""``zhidu tick``: reminders only in working hours, breaches, escalation level by level, no duplicates."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from obl_helpers import LOOSE_KIND, at

from zhidu.audit.models import AuditEvent
from zhidu.audit.selectors import verify_chains
from zhidu.calendar import selectors as calendar_selectors
from zhidu.obligations import jobs
from zhidu.obligations.models import Notification, Obligation, State

pytestmark = pytest.mark.django_db


def _notes(**kw: object) -> list[tuple[int, str, str]]:
    return sorted(Notification.objects.filter(**kw).values_list("recipient_id", "channel", "event"))


def test_reminder_waits_for_working_hours(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one(days=4)  # due Friday 2026-11-27 17:30
    Obligation.objects.filter(pk=ob.pk).update(next_reminder_at=at(2026, 11, 25, 19, 0))
    Notification.objects.all().delete()

    report = jobs.run_tick(at(2026, 11, 25, 20, 0))  # Wednesday evening: nothing is sent
    assert report.reminders == 0 and report.reminders_postponed == 1
    assert Notification.objects.count() == 0 and not AuditEvent.objects.filter(action="obligations.remind").exists()
    assert Obligation.objects.get(pk=ob.pk).next_reminder_at == at(2026, 11, 26, 8, 30)

    assert jobs.run_tick(at(2026, 11, 26, 8, 0)).reminders == 0  # still before the working day starts
    report = jobs.run_tick(at(2026, 11, 26, 8, 30))  # Thursday 08:30: sent
    assert report.reminders == 1
    assert _notes(event="remind") == [(people.handler.pk, "email", "remind"), (people.handler.pk, "in_app", "remind")]
    assert [m.to for m in mail.outbox] == [["handler@example.com"]] and "TS-001" in mail.outbox[0].subject
    event = AuditEvent.objects.get(action="obligations.remind")
    assert event.clauses == ["P4.4.4"] and event.actor_label == "system"
    ob.refresh_from_db()
    assert ob.reminder_count == 1 and ob.next_reminder_at is None
    assert jobs.run_tick(at(2026, 11, 26, 9, 0)).reminders == 0  # once only


def test_reminder_on_a_holiday_goes_to_the_next_working_day(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one(start=dt.date(2026, 9, 28), days=10, now=at(2026, 9, 28, 9))
    Obligation.objects.filter(pk=ob.pk).update(next_reminder_at=at(2026, 10, 2, 9, 0))
    cal = calendar_selectors.work_calendar()
    assert not cal.is_working_day(dt.date(2026, 10, 2))  # National Day holiday
    report = jobs.run_tick(at(2026, 10, 2, 10, 0))
    assert report.reminders == 0 and report.reminders_postponed == 1
    next_day, _p = cal.next_working_day(dt.date(2026, 10, 2))
    assert Obligation.objects.get(pk=ob.pk).next_reminder_at == dt.datetime.combine(
        next_day, dt.time(8, 30), tzinfo=at(2026, 1, 1).tzinfo)


def test_breach_then_escalation_level_by_level(settings, tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()  # due Thursday 2026-11-26 17:30
    assert jobs.run_tick(at(2026, 11, 26, 17, 30)).breaches == 0  # due at 17:30 means 17:30 is still in time
    report = jobs.run_tick(at(2026, 11, 26, 17, 31))
    assert report.breaches == 1 and report.escalations == 0 and report.escalations_postponed == 1
    ob.refresh_from_db()
    assert ob.state == State.BREACHED and ob.breached_at == at(2026, 11, 26, 17, 31) and ob.escalation_level == 0
    assert ob.next_escalation_at == at(2026, 11, 27, 8, 30)  # the escalation waits for working hours
    assert _notes(event="breach") == [(people.handler.pk, "email", "breach"), (people.handler.pk, "in_app", "breach")]

    assert jobs.run_tick(at(2026, 11, 27, 8, 30)).escalations == 1  # level 1: the front office's manager
    ob.refresh_from_db()
    assert ob.escalation_level == 1 and ob.next_escalation_at == at(2026, 11, 30, 8, 30)
    assert _notes(event="escalate") == [(people.front_manager.pk, c, "escalate") for c in ("email", "in_app", "sms")]
    assert jobs.run_tick(at(2026, 11, 27, 16, 0)).escalations == 0  # one level per working day

    assert jobs.run_tick(at(2026, 11, 30, 8, 30)).escalations == 1  # level 2: the hotel's general manager
    ob.refresh_from_db()
    assert ob.escalation_level == 2 and ob.next_escalation_at is None
    assert {r for r, _c, _e in _notes(event="escalate")} == {people.front_manager.pk, people.gm.pk}
    assert jobs.run_tick(at(2026, 12, 7, 9, 0)).escalations == 0  # the chain is exhausted

    events = AuditEvent.objects.filter(subject_type="obligations.obligation", subject_id=str(ob.pk))
    assert [e.action for e in events.order_by("id")] == [
        "obligations.open", "obligations.breach", "obligations.escalate", "obligations.escalate"]
    assert [e.payload.get("level") for e in events.filter(action="obligations.escalate").order_by("id")] == [1, 2]
    assert all(e.clauses == ["P4.4.4"] for e in events)

    # SMS went through the backend with the number; the audit log never holds it in clear
    log = settings.ZHIDU_SMS_LOG.read_text(encoding="utf-8").splitlines()
    assert len(log) == 2 and "\tsms\t13800000002\t" in log[0] and "\tsms\t13800000003\t" in log[1]
    assert not any("1380000000" in str(e.payload) for e in AuditEvent.objects.all())
    sms = Notification.objects.get(channel="sms", recipient=people.front_manager)
    assert sms.status == "sent" and sms.address == "138****0002"

    # met late once breached
    from zhidu.obligations import services
    ob = services.meet(people.handler, ob, now=at(2026, 11, 30, 9))
    assert ob.state == State.MET and ob.met_on_time is False and ob.next_escalation_at is None
    assert verify_chains().ok


def test_escalation_skips_levels_without_anyone(tree, make_person, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one(unit=tree.marketing, person=people.stranger, actor=people.mkt_manager)  # marketing: a manager, no general manager above
    jobs.run_tick(at(2026, 11, 27, 9, 0))
    ob.refresh_from_db()
    assert ob.escalation_level == 1  # breach and level 1 in the same working-hours tick
    assert _notes(event="escalate") == [(people.mkt_manager.pk, c, "escalate") for c in ("email", "in_app", "sms")]
    assert jobs.run_tick(at(2026, 11, 30, 9, 0)).escalations == 0
    ob.refresh_from_db()
    assert ob.escalation_level == 1 and ob.next_escalation_at is None


def test_unit_obligation_goes_to_the_units_handlers(tree, make_person, people, open_one) -> None:  # type: ignore[no-untyped-def]
    handler = make_person(tree.hotel, role="complaint_handler")  # covers the front office from the hotel
    ob = open_one(kind=LOOSE_KIND, person=None)
    assert _notes(event="open") == [(handler.pk, "in_app", "open")]
    jobs.run_tick(at(2026, 11, 26, 17, 45))
    ob.refresh_from_db()
    # escalate_on_breach=False: the first escalation comes a working day after the breach
    assert ob.state == State.BREACHED and ob.next_escalation_at == at(2026, 11, 27, 17, 45)


def test_a_stale_snapshot_claims_nothing(people, open_one) -> None:  # type: ignore[no-untyped-def]
    """Two tickers: the second works from candidates read before the first finished."""
    ob = open_one()
    Obligation.objects.filter(pk=ob.pk).update(next_reminder_at=at(2026, 11, 26, 9, 0))
    now = at(2026, 11, 26, 10, 0)
    stale_reminders = list(jobs.reminders_due(now).select_related("responsible_unit", "responsible_person"))
    assert jobs.run_tick(now).reminders == 1
    assert [jobs.remind(o, now) for o in stale_reminders] == [""]

    later = at(2026, 11, 27, 9, 0)
    stale_breaches = jobs.breach_candidates(later)
    report = jobs.run_tick(later)
    assert report.breaches == 1 and report.escalations == 1
    assert [jobs.breach(o, later) for o in stale_breaches] == [False]
    stale = Obligation.objects.select_related("responsible_unit", "responsible_person").get(pk=ob.pk)
    stale.escalation_level = 0  # as read before the escalation
    assert jobs.escalate(stale, later) == ""
    counts = {a: AuditEvent.objects.filter(action=a).count()
              for a in ("obligations.remind", "obligations.breach", "obligations.escalate")}
    assert counts == {"obligations.remind": 1, "obligations.breach": 1, "obligations.escalate": 1}
    assert Notification.objects.filter(event="remind").count() == 2  # in-app + e-mail, once


def test_tick_command(people, open_one) -> None:  # type: ignore[no-untyped-def]
    open_one()
    out = io.StringIO()
    call_command("tick", "--now", "2026-11-27T09:00:00", stdout=out)
    assert "breaches=1" in out.getvalue() and "escalations=1" in out.getvalue()
    out = io.StringIO()
    call_command("tick", "--now", "2026-11-27T09:00:00", stdout=out)
    assert "breaches=0" in out.getvalue() and "escalations=0" in out.getvalue()


def test_failed_delivery_is_recorded_and_not_retried(settings, people, open_one) -> None:  # type: ignore[no-untyped-def]
    settings.ZHIDU_SMS_BACKEND = "obl_helpers.BrokenSms"
    open_one()
    jobs.run_tick(at(2026, 11, 27, 9, 0))
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "failed" and "gateway down" in sms.error and sms.sent_at is None
    assert jobs.run_tick(at(2026, 11, 27, 9, 5)).delivered == 0


def test_in_process_ticker_runs_and_stops(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ran = threading.Event()
    monkeypatch.setattr(jobs, "run_tick", lambda now=None: ran.set())
    thread, stop = jobs.start_ticker(0.01, first_delay=0)
    assert ran.wait(5)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and thread.daemon


@pytest.mark.parametrize(("flags", "ticks"), [((), True), (("--no-jobs",), False)])
def test_serve_ticks_in_process_unless_told_not_to(monkeypatch, flags, ticks) -> None:  # type: ignore[no-untyped-def]
    import waitress

    started: list[float] = []
    monkeypatch.setattr(waitress, "serve", lambda *a, **kw: None)
    monkeypatch.setattr(jobs, "start_ticker", lambda interval=60.0, **kw: started.append(interval))
    out = io.StringIO()
    call_command("serve", "--no-migrate", *flags, stdout=out)
    assert started == ([60.0] if ticks else [])
    assert ("zhidu tick" in out.getvalue()) is ticks


def test_tick_lock_lets_one_ticker_run_a_round(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The production server's workers each run a ticker; a round runs where the lock is taken."""
    path = str(tmp_path / "tick.lock")
    with jobs._tick_lock(path) as first:
        assert first is True
        with jobs._tick_lock(path) as second:      # another worker, same moment: skips the round
            assert second is False
    with jobs._tick_lock(path) as again:           # released after the round
        assert again is True
    with jobs._tick_lock(None) as unlocked:        # one process (waitress): no lock needed
        assert unlocked is True


def test_tickers_sharing_a_lock_do_not_tick_at_the_same_time(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "tick.lock")
    active, overlap, rounds = [0], [0], [0]
    guard = threading.Lock()

    def tick(now=None):  # type: ignore[no-untyped-def]
        with guard:
            active[0] += 1
            rounds[0] += 1
            overlap[0] = max(overlap[0], active[0])
        time.sleep(0.02)
        with guard:
            active[0] -= 1

    monkeypatch.setattr(jobs, "run_tick", tick)
    tickers = [jobs.start_ticker(0.001, first_delay=0, lock_path=path) for _ in range(3)]
    deadline = time.monotonic() + 5
    while rounds[0] < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    for thread, stop in tickers:
        stop.set()
        thread.join(5)
    assert rounds[0] >= 10 and overlap[0] == 1


def test_production_server_runs_jobs_in_the_workers_not_the_master(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zhidu.core import server

    started: list[dict[str, object]] = []
    served: list[dict[str, object]] = []
    monkeypatch.setattr(jobs, "start_ticker", lambda interval=60.0, **kw: started.append(kw))
    monkeypatch.setattr(server, "run_gunicorn", served.append)
    call_command("serve", "--no-migrate", "--workers", "2", stdout=io.StringIO())
    assert started == []                                   # nothing in the master
    assert served[0]["post_worker_init"] is server.start_jobs
    server.start_jobs()                                    # what each worker does after its start
    assert str(started[0]["lock_path"]).endswith("tick.lock")
    call_command("serve", "--no-migrate", "--workers", "2", "--no-jobs", stdout=io.StringIO())
    assert "post_worker_init" not in served[1]
