"""Services: open, meet, extend, waive — each access-checked, validated, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from obl_helpers import KIND, at

from zhidu.audit.models import AuditEvent
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations import deadlines, services
from zhidu.obligations.models import Notification, Obligation, State

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return AuditEvent.objects.count(), Obligation.objects.count(), Notification.objects.count()


def test_open_computes_the_deadline_and_its_why_and_audits(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()  # 3 working days from Monday 2026-11-23 (not counted): Thursday at close of business
    assert ob.due_at == at(2026, 11, 26, 17, 30)
    assert ob.provisional is False and ob.state == State.OPEN
    assert ob.clauses == ["P4.4.4"] and ob.module == "complaints"
    assert ob.title_text() == "办结投诉 TS-001"
    assert ob.explain().startswith("P4.4.4：") and "3 个工作日内" in ob.explain() and "2026-11-26 17:30" in ob.explain()
    # one reminder: the shorter lead of 25 % of the span and 4 working hours → 13:30 on the due day
    assert ob.next_reminder_at == at(2026, 11, 26, 13, 30)
    event = AuditEvent.objects.get(action="obligations.open")
    assert event.clauses == ["P4.4.4"] and event.subject_id == str(ob.pk) and event.unit_id == tree.front.pk
    assert event.actor_id == people.front_manager.pk
    note = Notification.objects.get(obligation=ob)
    assert (note.recipient, note.channel, note.event) == (people.handler, "in_app", "open")


def test_a_notification_reads_in_its_readers_language(people, open_one) -> None:  # type: ignore[no-untyped-def]
    """The title and the clause list inside a notification are stored untranslated and rendered in
    the reader's language, not frozen in the language the notification was made in."""
    from django.utils import translation

    from zhidu.rulebook.decision import message_args

    ob = open_one()
    number = ob.title_args["number"]
    services.waive(people.gm, ob, reason="客户撤诉")
    note = Notification.objects.get(obligation=ob, event="open")
    assert note.args["title"] == {"msgid": "办结投诉 %(number)s", "args": {"number": number}}
    assert note.text() == f"新的待办事项：办结投诉 {number}，截止 2026-11-26 17:30（P4.4.4）"
    with translation.override("en"):
        assert note.text() == f"New obligation: Close complaint {number}, due 2026-11-26 17:30 (P4.4.4)"
        waived = Notification.objects.get(obligation=ob, event="waive")
        assert f"Close complaint {number}" in waived.text() and "办结" not in waived.text()
    # outbound messages are written once, in the site's language
    assert note.body == f"新的待办事项：办结投诉 {number}，截止 2026-11-26 17:30（P4.4.4）"
    # a list argument is joined with the reader's enumeration comma
    assert message_args({"clauses": ["P4.4.4", "P4.4.1"]}) == {"clauses": "P4.4.4、P4.4.1"}
    with translation.override("en"):
        assert message_args({"clauses": ["P4.4.4", "P4.4.1"]}) == {"clauses": "P4.4.4, P4.4.1"}
    # a notification stored before this change (its title already rendered) reads as it was written
    old = Notification(message=note.message, args={"title": "办结投诉 TS-9", "due": "x", "clauses": "P4.4.4"}, body="b")
    assert old.text() == "新的待办事项：办结投诉 TS-9，截止 x（P4.4.4）"


def test_open_inside_a_transaction_writes_under_one_savepoint(open_one, settings) -> None:  # type: ignore[no-untyped-def]
    """open_obligation = prepare_obligation + open: one savepoint (its own atomic block), not two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ZHIDU_AUDIT_CHAINS_PER_UNIT = 1  # both events in one chain:
    open_one()  # warm: a first event creates its stream's head row
    with CaptureQueriesContext(connection) as ctx:
        ob = open_one()
    sql = [q["sql"].lstrip().upper() for q in ctx.captured_queries]
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert sum(s.startswith("RELEASE SAVEPOINT") for s in sql) == 1
    assert sum("INSERT INTO" in s for s in sql) == 3 and Obligation.objects.filter(pk=ob.pk).exists()  # row, event, note


def test_open_spanning_an_unknown_year_is_provisional(open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one(start=dt.date(2030, 3, 1), now=at(2030, 3, 1, 9))
    assert ob.provisional is True and ob.decision["provisional"] is True
    assert "暂定" in ob.explain()


def test_refused_actor_writes_nothing(tree, people) -> None:  # type: ignore[no-untyped-def]
    before = _counts()
    for actor in (people.handler, people.mkt_manager):
        with pytest.raises(PermissionDeniedError):
            services.open_obligation(actor, kind=KIND, subject=("x", 1), title="t", responsible_unit=tree.front,
                                     deadline=deadlines.working_days(3), now=at(2026, 11, 23, 9))
    assert _counts() == before


def test_a_domain_action_can_authorize_opening(tree, make_person, people) -> None:  # type: ignore[no-untyped-def]
    officer = make_person(tree.front, role="duty_officer")
    with pytest.raises(PermissionDeniedError):
        services.open_obligation(officer, kind=KIND, subject=("x", 1), title="t", responsible_person=people.handler,
                                 deadline=deadlines.working_days(3), now=at(2026, 11, 23, 9))
    ob = services.open_obligation(officer, kind=KIND, subject=("x", 1), title="t", via="org.view_people",
                                  responsible_person=people.handler, deadline=deadlines.working_days(3),
                                  now=at(2026, 11, 23, 9))
    assert ob.responsible_unit == tree.front  # the person's unit


def test_bad_input_names_every_field_and_writes_nothing(tree, people) -> None:  # type: ignore[no-untyped-def]
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        services.open_obligation(people.front_manager, kind="no.such.kind", subject=("x", ""), title=" ",
                                 responsible_unit=tree.front, deadline={"basis": "moon_days"})
    assert {e.field for e in err.value.errors} == {"kind", "title", "subject", "deadline.basis"}
    with pytest.raises(ValidationFailed) as err:
        services.open_obligation(people.front_manager, kind=KIND, subject=("x", 1), title="t",
                                 responsible_unit=tree.front, deadline=deadlines.fixed(at(2026, 1, 1, 9)),
                                 now=at(2026, 11, 23, 9))
    assert [e.field for e in err.value.errors] == ["deadline"]
    assert _counts() == before


def test_meet_by_the_responsible_person_on_time(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    ob = services.meet(people.handler, ob, note="已回访", now=at(2026, 11, 25, 10))
    assert ob.state == State.MET and ob.met_on_time is True and ob.state_changed_by == people.handler
    assert ob.next_reminder_at is None
    event = AuditEvent.objects.get(action="obligations.meet")
    assert event.clauses == ["P4.4.4"] and event.payload["on_time"] is True
    with pytest.raises(ValidationFailed):
        services.meet(people.handler, ob)


def test_meet_after_the_deadline_is_late(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = services.meet(people.front_manager, open_one(), now=at(2026, 11, 26, 17, 31))
    assert ob.met_on_time is False


def test_meet_is_refused_to_others_and_writes_nothing(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    before = _counts()
    for actor in (people.stranger, people.mkt_manager):
        with pytest.raises(PermissionDeniedError):
            services.meet(actor, ob)
    assert _counts() == before
    assert Obligation.objects.get(pk=ob.pk).state == State.OPEN


def test_extend_within_the_cap_with_reason_and_approver(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    new_due = at(2026, 12, 2, 17, 30)  # 4 working days after the original Thursday deadline
    ob = services.extend(people.front_manager, ob, new_due=new_due, reason="需要现场核查", now=at(2026, 11, 25, 9))
    assert ob.state == State.EXTENDED and ob.due_at == new_due and ob.extension_count == 1
    assert ob.extension_approver == people.front_manager and ob.original_due_at == at(2026, 11, 26, 17, 30)
    assert ob.next_reminder_at is not None and ob.next_reminder_at < new_due
    event = AuditEvent.objects.get(action="obligations.extend")
    assert event.payload["reason"] == "需要现场核查" and event.payload["approver_id"] == people.front_manager.pk
    assert event.clauses == ["P4.4.4"]
    # the kind allows one extension only
    with pytest.raises(ValidationFailed) as err:
        services.extend(people.gm, ob, new_due=at(2026, 12, 2, 18, 0), reason="再延", now=at(2026, 11, 25, 9))
    assert [e.field for e in err.value.errors] == ["new_due"] and "上限 1 次" in str(err.value)


def test_extension_cap_in_working_days(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    with pytest.raises(ValidationFailed) as err:
        services.extend(people.front_manager, ob, new_due=at(2026, 12, 3, 17, 30), reason="太久", now=at(2026, 11, 25, 9))
    assert "4 个工作日" in str(err.value) and "P4.4.4" in str(err.value)
    assert Obligation.objects.get(pk=ob.pk).due_at == at(2026, 11, 26, 17, 30)


def test_extend_needs_reason_and_an_authorized_approver(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        services.extend(people.front_manager, ob, new_due=at(2026, 11, 20, 17, 30), reason=" ", now=at(2026, 11, 25, 9))
    assert {e.field for e in err.value.errors} == {"reason", "new_due"}
    # the responsible person cannot extend their own deadline, even naming a manager as approver
    with pytest.raises(PermissionDeniedError):
        services.extend(people.handler, ob, new_due=at(2026, 11, 30, 17, 30), reason="忙", approver=people.front_manager)
    # an approver without obligations.extend_approve over the unit is refused
    with pytest.raises(PermissionDeniedError):
        services.extend(people.front_manager, ob, new_due=at(2026, 11, 30, 17, 30), reason="忙",
                        approver=people.mkt_manager)
    assert _counts() == before


def test_responsible_manager_cannot_approve_own_extension(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one(person=people.front_manager)
    with pytest.raises(ValidationFailed) as err:
        services.extend(people.front_manager, ob, new_due=at(2026, 11, 30, 17, 30), reason="忙", now=at(2026, 11, 25, 9))
    assert [e.field for e in err.value.errors] == ["approver"]
    ob = services.extend(people.front_manager, ob, new_due=at(2026, 11, 30, 17, 30), reason="忙", approver=people.gm,
                         now=at(2026, 11, 25, 9))
    assert ob.extension_approver == people.gm and ob.extended_by == people.front_manager


def test_waive_needs_the_general_manager_and_a_reason(people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    before = _counts()
    with pytest.raises(PermissionDeniedError):
        services.waive(people.front_manager, ob, reason="客户撤诉")
    with pytest.raises(ValidationFailed):
        services.waive(people.gm, ob, reason="")
    assert _counts() == before
    ob = services.waive(people.gm, ob, reason="客户撤诉")
    assert ob.state == State.WAIVED and ob.state_reason == "客户撤诉" and ob.state_changed_by == people.gm
    assert AuditEvent.objects.get(action="obligations.waive").payload["reason"] == "客户撤诉"
    assert Notification.objects.filter(obligation=ob, event="waive", recipient=people.handler).exists()
    with pytest.raises(ValidationFailed):
        services.meet(people.handler, ob)


def test_meet_subject_meets_the_records_pending_obligations(tree, people) -> None:  # type: ignore[no-untyped-def]
    subject = ("complaints.complaint", 77)
    for _ in range(2):
        services.open_obligation(people.front_manager, kind=KIND, subject=subject, title="t",
                                 responsible_person=people.handler, deadline=deadlines.working_days(3),
                                 now=at(2026, 11, 23, 9))
    assert len(services.pending_for(subject, kind=KIND)) == 2
    met = services.meet_subject(people.handler, subject, kind=KIND, now=at(2026, 11, 24, 9))
    assert [o.state for o in met] == [State.MET, State.MET]
    assert services.pending_for(subject) == []


def test_other_deadline_bases(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    now = at(2026, 11, 25, 16, 0)  # Wednesday
    assert open_one(deadline=deadlines.clock_hours(24), now=now).due_at == at(2026, 11, 26, 16, 0)
    # 4 working hours from Wednesday 16:00: 1.5 h on Wednesday, 2.5 h on Thursday from 08:30
    assert open_one(deadline=deadlines.working_hours(4), now=now).due_at == at(2026, 11, 26, 11, 0)
    # 3 days after Wednesday is Saturday: moved to the next working day (Civil Code art. 203)
    assert open_one(deadline=deadlines.calendar_days(3), now=now).due_at == at(2026, 11, 30, 17, 30)
    fixed = open_one(deadline=deadlines.fixed(at(2026, 12, 1, 12, 0)), now=now)
    assert fixed.due_at == at(2026, 12, 1, 12, 0) and not fixed.depends_on_calendar
