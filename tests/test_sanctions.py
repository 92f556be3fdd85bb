"""The sanctions ledger: idempotent posts, adjustments after a lock, proposals and confirmation,
statements, authorization."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.translation import gettext_noop

from zhidu.audit.models import AuditEvent
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org import services as org_services
from zhidu.org.access import SYSTEM
from zhidu.org.models import UnitKind
from zhidu.rulebook.decision import Decision, ParamUse
from zhidu.sanctions import selectors, services, signals
from zhidu.sanctions.models import LedgerEntry, PeriodLock, Status

MARCH = "2026-03"


def fine_decision(times: int, each: int = 5) -> Decision:
    return Decision(
        rule="p7.lateness_fine", value=Decimal(times * each), clauses=("P7.10",),
        reason=gettext_noop("迟到 %(n)s 次，每次罚款 %(each)s 元"), reason_args={"n": times, "each": each},
        params=(ParamUse("p7.fine_staff", Decimal(each), ("P7.10",), "yuan"),),
        facts={"late_days": [f"2026-03-{d:02d}" for d in range(2, 2 + times)]},
    )


def absence_decision(days: int) -> Decision:
    return Decision(
        rule="p7.absenteeism_action", value="suspension", clauses=("P7.12",),
        reason=gettext_noop("本月旷工 %(days)s 天，达到停职标准"), reason_args={"days": days},
    )


def post_fine(person, times: int, actor=SYSTEM, key: str | None = None, period: str = MARCH, **kw):  # type: ignore[no-untyped-def]
    return services.post_entry(
        actor, person=person, kind="fine", period=period, amount=Decimal(times * 5), decision=fine_decision(times),
        source_module="attendance", source_key=key or f"p7.10:{person.pk}", **kw,
    )


def counts() -> tuple[int, int, int]:
    return LedgerEntry.objects.count(), AuditEvent.objects.count(), PeriodLock.objects.count()


@pytest.fixture
def people(tree, make_person):  # type: ignore[no-untyped-def]
    class P:
        worker = make_person(tree.front, name="张伟")
        other = make_person(tree.front, name="李娜")
        hr = make_person(tree.hotel, role="hr", name="人事")
        hr2 = make_person(tree.hotel, role="hr", name="人事二")
        gm = make_person(tree.hotel, role="general_manager", name="总经理")
        manager = make_person(tree.front, role="department_manager", name="前厅经理")
        mkt_manager = make_person(tree.marketing, role="department_manager", name="营销经理")
        mkt_hr = make_person(tree.marketing, role="hr", name="营销人事")
    return P


# --- posting --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_post_is_idempotent_by_source_key(people) -> None:  # type: ignore[no-untyped-def]
    first = post_fine(people.worker, 2)
    assert first.outcome == "created" and first.entry is not None
    assert first.entry.unit_id == people.worker.employments.get().unit_id  # the person's only unit
    before = counts()
    again = post_fine(people.worker, 2)
    assert again.outcome == "unchanged" and again.entry.pk == first.entry.pk
    assert counts() == before  # nothing written, not even an audit event
    event = AuditEvent.objects.get(action="sanctions.post", subject_id=str(first.entry.pk))
    assert event.clauses == ["P7.10"] and event.actor_label == "system"


@pytest.mark.django_db
def test_repost_with_another_value_updates_an_open_period(people) -> None:  # type: ignore[no-untyped-def]
    entry = post_fine(people.worker, 2).entry
    result = post_fine(people.worker, 3)
    assert result.outcome == "updated" and result.entry.pk == entry.pk
    assert LedgerEntry.objects.count() == 1
    entry.refresh_from_db()
    assert entry.amount == Decimal("15.00") and entry.decision["reason_args"]["n"] == 3
    event = AuditEvent.objects.get(action="sanctions.update")
    assert event.payload["previous"]["amount"] == "10.00"  # the old value is kept in the audit trail


@pytest.mark.django_db
def test_after_lock_a_different_value_posts_a_visible_adjustment(people) -> None:  # type: ignore[no-untyped-def]
    original = post_fine(people.worker, 2).entry
    services.lock_period(people.hr, people.worker.employments.get().unit, MARCH)
    result = post_fine(people.worker, 3)
    assert result.outcome == "adjusted"
    adj = result.entry
    assert adj.pk != original.pk and adj.adjusts_id == original.pk and adj.late
    assert adj.amount == Decimal("5.00") and adj.source_key == f"{original.source_key}#adj1"
    original.refresh_from_db()
    assert original.amount == Decimal("10.00") and original.status == Status.POSTED  # untouched
    # the same recomputation again changes nothing; a new value adjusts against the effective one
    assert post_fine(people.worker, 3).outcome == "unchanged"
    back = post_fine(people.worker, 1)
    assert back.outcome == "adjusted" and back.entry.amount == Decimal("-10.00")
    stmt = selectors.statement(people.hr, people.worker, MARCH)
    assert stmt.locked
    assert (stmt.totals.fines, stmt.totals.adjustments, stmt.totals.total) == (
        Decimal("10.00"), Decimal("-5.00"), Decimal("5.00"))
    lines = {ln.id: ln for ln in stmt.lines}
    assert lines[adj.pk].is_adjustment and f"第 {original.pk} 条" in lines[adj.pk].explanation
    assert AuditEvent.objects.filter(action="sanctions.adjust").count() == 2


@pytest.mark.django_db
def test_new_fact_in_a_locked_month_is_posted_late(tree, people) -> None:  # type: ignore[no-untyped-def]
    services.lock_period(people.hr, tree.hotel, MARCH)  # a lock on the hotel closes the front office too
    result = post_fine(people.worker, 1)
    assert result.outcome == "adjusted" and result.entry.late and result.entry.adjusts_id is None
    stmt = selectors.statement(people.worker, people.worker, MARCH)
    assert stmt.totals.fines == 0 and stmt.totals.adjustments == Decimal("5.00")
    assert stmt.lines[0].explanation.startswith("期间锁定后补记")


@pytest.mark.django_db
def test_unlocked_period_is_recomputed_in_place(tree, people) -> None:  # type: ignore[no-untyped-def]
    original = post_fine(people.worker, 2).entry
    services.lock_period(people.hr, tree.front, MARCH)
    adj = post_fine(people.worker, 3).entry
    with pytest.raises(ValidationFailed) as err:
        services.unlock_period(people.hr, tree.front, MARCH, reason=" ")
    assert {e.field for e in err.value.errors} == {"reason"}
    services.unlock_period(people.hr, tree.front, MARCH, reason="考勤机数据补录")
    result = post_fine(people.worker, 4)
    assert result.outcome == "updated" and result.entry.pk == original.pk
    adj.refresh_from_db()
    assert adj.status == Status.VOID  # superseded, kept
    stmt = selectors.statement(people.hr, people.worker, MARCH)
    assert stmt.totals.total == Decimal("20.00") and not stmt.locked
    assert PeriodLock.objects.get().unlock_reason == "考勤机数据补录"


@pytest.mark.django_db
def test_zero_amount_means_nothing_due(tree, people) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    assert post_fine(people.worker, 0).outcome == "skipped"
    assert counts() == before
    entry = post_fine(people.worker, 2).entry
    assert post_fine(people.worker, 0).outcome == "updated"
    entry.refresh_from_db()
    assert entry.status == Status.VOID
    assert selectors.statement(people.hr, people.worker, MARCH).lines == []
    assert post_fine(people.worker, 0).outcome == "unchanged"
    post_fine(people.worker, 2)
    services.lock_period(people.hr, tree.front, MARCH)
    result = post_fine(people.worker, 0)
    assert result.outcome == "adjusted" and result.entry.amount == Decimal("-10.00")


@pytest.mark.django_db
def test_grades_are_posted_and_adjusted(tree, people) -> None:  # type: ignore[no-untyped-def]
    decision = Decision(rule="p1.meeting_grade", value="B", clauses=("P1.4.1",),
                        reason=gettext_noop("请假 %(n)s 次"), reason_args={"n": 2})
    kwargs = {"person": people.worker, "kind": "grade", "period": "2026-12", "decision": decision,
              "source_module": "volunteers", "source_key": f"p1.4.1:{people.worker.pk}:2026",
              "period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 12, 31)}
    entry = services.post_entry(SYSTEM, grade="B", **kwargs).entry
    assert entry.period_start == dt.date(2026, 1, 1)
    services.lock_period(people.hr, tree.front, "2026-12")
    adj = services.post_entry(SYSTEM, grade="C", **kwargs)
    assert adj.outcome == "adjusted" and adj.entry.grade == "C" and adj.entry.amount is None
    stmt = selectors.statement(people.hr, people.worker, "2026-12")
    assert [g.grade for g in stmt.grade_lines] == ["B", "C"] and stmt.totals.total == 0


@pytest.mark.django_db
def test_bad_input_names_every_field_and_writes_nothing(people) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.post_entry(SYSTEM, person=people.worker, kind="fine", period="2026-13", amount="1.005",
                            grade="A", clauses=[], source_module="", source_key="k")
    assert {e.field for e in err.value.errors} == {"period", "amount", "grade", "clauses", "source_module", "decision"}
    with pytest.raises(ValidationFailed) as err:
        services.post_entry(SYSTEM, person=people.worker, kind="dismissal", period=MARCH, note="x",
                            clauses=["P7.12"], source_module="m", source_key="k")
    assert {e.field for e in err.value.errors} == {"kind"}
    with pytest.raises(ValidationFailed) as err:
        services.post_entry(SYSTEM, person=people.worker, kind="deduction", period=MARCH, amount=-3,
                            note="x", clauses=["P11.7"], source_module="m", source_key="k")
    assert {e.field for e in err.value.errors} == {"amount"}
    assert counts() == before


@pytest.mark.django_db
def test_a_source_key_belongs_to_one_person(people) -> None:  # type: ignore[no-untyped-def]
    post_fine(people.worker, 1, key="shared")
    with pytest.raises(ValidationFailed) as err:
        post_fine(people.other, 1, key="shared")
    assert err.value.errors[0].field == "source_key"


@pytest.mark.django_db
def test_refused_poster_writes_nothing(tree, people) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    for actor in (people.manager, people.mkt_hr, people.worker, tree.admin):
        with pytest.raises(PermissionDeniedError):
            post_fine(people.worker, 1, actor=actor)
        with pytest.raises(PermissionDeniedError):
            services.propose_action(actor, person=people.worker, kind="suspension", period=MARCH,
                                    decision=absence_decision(2))
    assert counts() == before
    assert post_fine(people.worker, 1, actor=people.hr).entry.created_by_id == people.hr.pk


@pytest.mark.django_db
def test_ledger_rows_are_never_deleted(people) -> None:  # type: ignore[no-untyped-def]
    entry = post_fine(people.worker, 1).entry
    with pytest.raises(RuntimeError):
        entry.delete()
    with pytest.raises(RuntimeError):
        LedgerEntry.objects.all().delete()


@pytest.mark.django_db
def test_void_in_open_and_locked_periods(tree, people) -> None:  # type: ignore[no-untyped-def]
    entry = post_fine(people.worker, 2).entry
    with pytest.raises(PermissionDeniedError):
        services.void_entry(people.manager, entry, reason="错记")
    with pytest.raises(ValidationFailed):
        services.void_entry(people.hr, entry, reason="")
    services.void_entry(people.hr, entry, reason="错记")
    entry.refresh_from_db()
    assert entry.status == Status.VOID and entry.void_reason == "错记"
    other = post_fine(people.other, 3).entry
    services.lock_period(people.hr, tree.front, MARCH)
    result = services.void_entry(people.hr, other, reason="监控显示准时到岗")
    assert result.outcome == "adjusted" and result.entry.amount == Decimal("-15.00")
    other.refresh_from_db()
    assert other.status == Status.POSTED
    stmt = selectors.statement(people.hr, people.other, MARCH)
    assert stmt.totals.total == 0
    assert stmt.lines[1].explanation == f"更正第 {other.pk} 条（期间锁定后）：P7.10：监控显示准时到岗"


# --- proposed disciplinary actions ----------------------------------------------------------

def propose(person, actor=SYSTEM, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("kind", "suspension")
    kw.setdefault("decision", absence_decision(2))
    kw.setdefault("source_module", "attendance")
    kw.setdefault("source_key", f"p7.12:{person.pk}")
    return services.propose_action(actor, person=person, period=MARCH, **kw)


@pytest.mark.django_db
def test_a_proposal_does_nothing_until_confirmed(people) -> None:  # type: ignore[no-untyped-def]
    entry = propose(people.worker).entry
    assert entry.status == Status.PROPOSED and entry.proposed_by_id is None and entry.effective_from is None
    assert selectors.actions_in_force(SYSTEM, people.worker, dt.date(2030, 1, 1)) == []
    assert [p.entry.pk for p in selectors.pending_actions(people.hr)] == [entry.pk]
    assert propose(people.worker).outcome == "unchanged"  # re-running the month does not duplicate
    confirmed = services.confirm(people.hr, entry, note="经核实", effective_from=dt.date(2026, 4, 1))
    assert confirmed.status == Status.CONFIRMED and confirmed.confirmed_by_id == people.hr.pk
    assert selectors.actions_in_force(SYSTEM, people.worker, dt.date(2026, 3, 31)) == []
    assert [a.pk for a in selectors.actions_in_force(SYSTEM, people.worker, dt.date(2026, 4, 1))] == [entry.pk]
    assert selectors.pending_actions(people.hr) == []
    event = AuditEvent.objects.get(action="sanctions.confirm")
    assert event.clauses == ["P7.12"] and event.actor_id == people.hr.pk


@pytest.mark.django_db
def test_confirmation_is_refused_to_everyone_else_and_writes_nothing(tree, people) -> None:  # type: ignore[no-untyped-def]
    entry = propose(people.worker).entry
    manual = propose(people.other, actor=people.hr, source_module="manual", source_key=None, decision=None,
                     note="当面顶撞主管", clauses=["P7.12"]).entry
    assert manual.proposed_by_id == people.hr.pk
    before = counts()
    refused = [
        (SYSTEM, entry),                 # nobody is dismissed by a cron job
        (tree.admin, entry),             # administrators run the system, they do not decide discipline
        (people.manager, entry),         # department managers may view, not decide
        (people.mkt_hr, entry),          # HR of another unit
        (people.worker, entry),          # the person concerned
        (people.hr, manual),             # the proposer cannot confirm their own proposal
    ]
    for actor, target in refused:
        with pytest.raises(PermissionDeniedError):
            services.confirm(actor, target)
        if actor is not people.hr:
            with pytest.raises(PermissionDeniedError):
                services.reject(actor, target, reason="不同意")
    assert counts() == before
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {Status.PROPOSED}
    services.confirm(people.gm, entry)
    services.confirm(people.hr2, manual)


@pytest.mark.django_db
def test_reject_needs_a_reason_and_the_rejection_is_kept(people) -> None:  # type: ignore[no-untyped-def]
    entry = propose(people.worker).entry
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.reject(people.hr, entry, reason="   ")
    assert [e.field for e in err.value.errors] == ["reason"]
    assert counts() == before
    services.reject(people.hr, entry, reason="旷工系考勤机故障所致（P10.2.3）")
    entry.refresh_from_db()
    assert entry.status == Status.REJECTED and entry.rejected_by_id == people.hr.pk
    assert entry.rejected_reason == "旷工系考勤机故障所致（P10.2.3）"
    # a decided proposal is neither decided again nor reopened by the next run
    with pytest.raises(ValidationFailed):
        services.confirm(people.gm, entry)
    again = propose(people.worker, decision=absence_decision(3))
    assert again.outcome == "unchanged" and again.entry.status == Status.REJECTED
    line = selectors.statement(people.hr, people.worker, MARCH).action_lines[0]
    assert line.status == "rejected" and line.decided_note.startswith("旷工系")


@pytest.mark.django_db
def test_pending_proposal_is_refreshed_by_a_rerun(people) -> None:  # type: ignore[no-untyped-def]
    entry = propose(people.worker).entry
    result = propose(people.worker, decision=absence_decision(3))
    assert result.outcome == "updated" and result.entry.pk == entry.pk
    entry.refresh_from_db()
    assert entry.decision["reason_args"] == {"days": 3}


@pytest.mark.django_db
def test_removal_is_for_the_volunteer_centre_and_its_head_confirms(tree, people, make_person) -> None:  # type: ignore[no-untyped-def]
    centre = org_services.create_unit(SYSTEM, parent=tree.root, code="yvc", name="青年志愿者服务中心",
                                      kind=UnitKind.VOLUNTEER_CENTRE)
    volunteer = make_person(centre, name="志愿者")
    head = make_person(centre, role="general_manager", name="中心主任")
    decision = Decision(rule="p1.meeting_removal", value="removal", clauses=("P1.4.1",),
                        reason=gettext_noop("无故缺席 %(n)s 次"), reason_args={"n": 2})
    with pytest.raises(ValidationFailed) as err:
        services.propose_action(SYSTEM, person=people.worker, kind="removal", period=MARCH, decision=decision)
    assert [e.field for e in err.value.errors] == ["unit"]
    with pytest.raises(ValidationFailed):  # a volunteer without employment there cannot be suspended
        services.propose_action(SYSTEM, person=volunteer, kind="suspension", period=MARCH, decision=decision,
                                unit=tree.front)
    entry = services.propose_action(SYSTEM, person=volunteer, kind="removal", period=MARCH, decision=decision).entry
    with pytest.raises(PermissionDeniedError):
        services.confirm(people.hr, entry)  # the hotel's HR has no say over the volunteer centre
    services.confirm(head, entry)
    assert LedgerEntry.objects.get(pk=entry.pk).status == Status.CONFIRMED


# --- statements and scope -------------------------------------------------------------------

@pytest.mark.django_db
def test_statement_totals_and_explanations(tree, people) -> None:  # type: ignore[no-untyped-def]
    post_fine(people.worker, 2)
    services.post_entry(SYSTEM, person=people.worker, kind="deduction", period=MARCH, amount=Decimal("30.00"),
                        clauses=["P7.12"], note="旷工 1 天按 3 天扣发", source_module="attendance", source_key="d1")
    services.post_entry(SYSTEM, person=people.worker, kind="bonus_loss", period=MARCH, amount=Decimal("200"),
                        clauses=["P7.5.3"], note="事假，取消全勤奖", source_module="attendance", source_key="b1")
    post_fine(people.worker, 9, period="2026-04")  # another month
    post_fine(people.other, 1)  # another person
    propose(people.worker)
    stmt = selectors.statement(people.hr, people.worker, MARCH)
    t = stmt.totals
    assert (t.fines, t.deductions, t.bonus_losses, t.adjustments, t.total) == (
        Decimal("10.00"), Decimal("30.00"), Decimal("200.00"), Decimal("0.00"), Decimal("240.00"))
    assert [ln.kind for ln in stmt.lines] == ["fine", "deduction", "bonus_loss", "suspension"]
    fine = stmt.lines[0]
    assert fine.clauses == ["P7.10"] and fine.explanation == "P7.10：迟到 2 次，每次罚款 5 元"
    assert stmt.lines[1].explanation == "P7.12：旷工 1 天按 3 天扣发"
    assert stmt.action_lines[0].status == "proposed"
    rows = selectors.unit_statements(people.manager, tree.front, MARCH)
    assert [(s.person_name, s.totals.total) for s in rows] == [("张伟", Decimal("240.00")), ("李娜", Decimal("5.00"))]


@pytest.mark.django_db
def test_statement_scope(tree, people) -> None:  # type: ignore[no-untyped-def]
    post_fine(people.worker, 2)
    assert selectors.statement(people.worker, people.worker, MARCH).totals.total == Decimal("10.00")
    assert selectors.statement(people.manager, people.worker, MARCH).totals.total == Decimal("10.00")
    for outsider in (people.other, people.mkt_manager, people.mkt_hr, tree.admin):
        with pytest.raises(PermissionDeniedError):
            selectors.statement(outsider, people.worker, MARCH)
    with pytest.raises(PermissionDeniedError):
        selectors.unit_statements(people.mkt_manager, tree.front, MARCH)
    assert list(selectors.entries(people.mkt_hr)) == []
    assert len(selectors.entries(people.worker, person=people.worker)) == 1
    with pytest.raises(ValidationFailed):
        selectors.statement(people.hr, people.worker, "March")


@pytest.mark.django_db
def test_pending_queue_flags(people) -> None:  # type: ignore[no-untyped-def]
    entry = propose(people.worker).entry
    [item] = selectors.pending_actions(people.manager)
    assert item.entry.pk == entry.pk and not item.can_decide and not item.can_reject
    [item] = selectors.pending_actions(people.hr)
    assert item.can_decide and item.can_reject and "P7.12" in item.explanation
    assert selectors.pending_actions(people.mkt_hr) == []


@pytest.mark.django_db
def test_locking_is_for_hr_and_once(tree, people) -> None:  # type: ignore[no-untyped-def]
    for actor in (people.manager, people.gm, tree.admin, people.mkt_hr):
        with pytest.raises(PermissionDeniedError):
            services.lock_period(actor, tree.front, MARCH)
    assert PeriodLock.objects.count() == 0
    services.lock_period(people.hr, tree.hotel, MARCH)
    with pytest.raises(ValidationFailed):
        services.lock_period(people.hr, tree.front, MARCH)  # already closed from above
    with pytest.raises(ValidationFailed):
        services.unlock_period(people.hr, tree.front, MARCH, reason="x")  # lifted where it was set
    with pytest.raises(ValidationFailed):
        services.lock_period(people.hr, tree.front, "2026-3")


@pytest.mark.django_db
def test_signals_fire_after_commit(people, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, int]] = []

    def on_posted(sender, entry, outcome, **kw):  # type: ignore[no-untyped-def]
        seen.append((outcome, entry.pk))

    def on_decided(sender, entry, **kw):  # type: ignore[no-untyped-def]
        seen.append((entry.status, entry.pk))

    signals.entry_posted.connect(on_posted)
    signals.action_decided.connect(on_decided)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            fine = post_fine(people.worker, 1).entry
            action = propose(people.worker).entry
            services.confirm(people.hr, action)
    finally:
        signals.entry_posted.disconnect(on_posted)
        signals.action_decided.disconnect(on_decided)
    assert seen == [("created", fine.pk), ("confirmed", action.pk)]
