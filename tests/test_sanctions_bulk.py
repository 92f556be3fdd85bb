"""``sanctions.services.post_entries``: the meaning of repeated ``post_entry`` (idempotence, updates in
an open period, adjustments after a lock), validation before any write, one audit event per batch and
unit, and a number of queries that does not grow with the batch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import gettext_noop

from zhidu.audit.models import AuditEvent
from zhidu.audit.selectors import verify_chains
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org.access import SYSTEM
from zhidu.rulebook.decision import Decision, ParamUse
from zhidu.sanctions import services
from zhidu.sanctions.models import LedgerEntry, PeriodLock, Status
from zhidu.sanctions.selectors import batch_entries
from zhidu.sanctions.services import EntrySpec

MARCH = "2026-03"


def fine_decision(times: int, each: int = 5) -> Decision:
    return Decision(
        rule="p7.lateness_fine", value=Decimal(times * each), clauses=("P7.10",),
        reason=gettext_noop("迟到 %(n)s 次，每次罚款 %(each)s 元"), reason_args={"n": times, "each": each},
        params=(ParamUse("p7.fine_staff", Decimal(each), ("P7.10",), "yuan"),),
        facts={"late_days": [f"2026-03-{d:02d}" for d in range(2, 2 + times)]},
    )


def post_fine(person, times: int, key: str | None = None):  # type: ignore[no-untyped-def]
    return services.post_entry(
        SYSTEM, person=person, kind="fine", period=MARCH, amount=Decimal(times * 5), decision=fine_decision(times),
        source_module="attendance", source_key=key or f"p7.10:{person.pk}",
    )


def counts() -> tuple[int, int, int]:
    return LedgerEntry.objects.count(), AuditEvent.objects.count(), PeriodLock.objects.count()


@pytest.fixture
def people(tree, make_person):  # type: ignore[no-untyped-def]
    class P:
        worker = make_person(tree.front, name="张伟")
        other = make_person(tree.front, name="李娜")
        hr = make_person(tree.hotel, role="hr", name="人事")
        manager = make_person(tree.front, role="department_manager", name="前厅经理")
        mkt_hr = make_person(tree.marketing, role="hr", name="营销人事")
    return P


def fine(person, times: int, key: str | None = None, **kw):  # type: ignore[no-untyped-def]
    return EntrySpec(person=person, kind="fine", period=MARCH, amount=Decimal(times * 5),
                     decision=fine_decision(times), source_key=key or f"p7.10:{person.pk}", **kw)


def bulk(specs, actor=SYSTEM):  # type: ignore[no-untyped-def]
    return services.post_entries(actor, specs, source_module="attendance")


@pytest.mark.django_db
def test_bulk_post_is_idempotent_and_audited_once_per_batch(people) -> None:  # type: ignore[no-untyped-def]
    specs = [fine(people.worker, 2), fine(people.other, 3),
             EntrySpec(person=people.worker, kind="grade", period=MARCH, grade="B", note="月度评级",
                       clauses=("P7.3",), source_key=f"grade:{people.worker.pk}"),
             fine(people.manager, 0)]
    result = bulk(specs)
    assert [r.outcome for r in result.results] == ["created", "created", "created", "skipped"]
    assert result.counts == {"created": 3, "skipped": 1}
    assert LedgerEntry.objects.count() == 3
    events = list(AuditEvent.objects.filter(action__startswith="sanctions."))
    assert [e.action for e in events] == ["sanctions.post_batch"]  # one event for the unit, none per entry
    event = events[0]
    assert event.clauses == ["P7.10", "P7.3"] and event.payload["count"] == 3
    assert {e["id"] for e in batch_entries(event.payload)} == {r.entry.pk for r in result.results if r.entry}
    assert event.payload["counts"] == {"created": 3}

    before = counts()
    again = bulk(specs)
    assert [r.outcome for r in again.results] == ["unchanged", "unchanged", "unchanged", "skipped"]
    assert counts() == before and not again.events  # nothing written, not even an audit event
    # the same posts one by one are unchanged too: bulk and single share the key
    assert post_fine(people.worker, 2).outcome == "unchanged"


@pytest.mark.django_db
def test_bulk_updates_in_an_open_period_like_post_entry(people) -> None:  # type: ignore[no-untyped-def]
    first = post_fine(people.worker, 2).entry
    result = bulk([fine(people.worker, 3), fine(people.other, 1)])
    assert [r.outcome for r in result.results] == ["updated", "created"]
    first.refresh_from_db()
    assert first.amount == Decimal("15.00") and first.decision["reason_args"]["n"] == 3
    event = AuditEvent.objects.get(action="sanctions.post_batch")
    updated = next(e for e in batch_entries(event.payload) if e["id"] == first.pk)
    assert updated["outcome"] == "updated" and updated["detail"]["previous"]["amount"] == "10.00"
    # a zero voids it, as a single post would
    assert bulk([fine(people.worker, 0)]).results[0].outcome == "updated"
    first.refresh_from_db()
    assert first.status == Status.VOID


@pytest.mark.django_db
def test_bulk_in_a_locked_period_posts_adjustments_linked_to_the_original(people) -> None:  # type: ignore[no-untyped-def]
    original = post_fine(people.worker, 2).entry
    services.lock_period(people.hr, people.worker.employments.get().unit, MARCH)
    result = bulk([fine(people.worker, 3), fine(people.other, 1)])
    adj, late = result.results[0].entry, result.results[1].entry
    assert [r.outcome for r in result.results] == ["adjusted", "adjusted"]
    assert adj.adjusts_id == original.pk and adj.late and adj.amount == Decimal("5.00")
    assert adj.source_key == f"{original.source_key}#adj1"
    assert late.adjusts_id is None and late.late  # a new fact in a locked month
    original.refresh_from_db()
    assert original.amount == Decimal("10.00") and original.status == Status.POSTED
    assert bulk([fine(people.worker, 3)]).results[0].outcome == "unchanged"
    back = bulk([fine(people.worker, 1)]).results[0]
    assert back.outcome == "adjusted" and back.entry.amount == Decimal("-10.00")
    assert back.entry.source_key == f"{original.source_key}#adj2"
    # the single path agrees with what the bulk path wrote
    assert post_fine(people.worker, 1).outcome == "unchanged"
    event = AuditEvent.objects.filter(action="sanctions.post_batch").order_by("id").first()
    row = next(e for e in batch_entries(event.payload) if e["id"] == adj.pk)
    assert row["adjusts"] == original.pk and row["detail"]["previous_amount"] == "10.00"


@pytest.mark.django_db
def test_bad_spec_names_index_and_field_and_writes_nothing(people) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    specs = [fine(people.worker, 1), fine(people.other, 1, key="dup"),
             EntrySpec(person=people.other, kind="fine", period="2026-13", amount=Decimal("-1"),
                       decision=fine_decision(1), source_key="k"),
             EntrySpec(person=people.other, kind="suspension", period=MARCH, decision=fine_decision(1),
                       source_key="k2"),
             fine(people.manager, 1, key="dup")]
    with pytest.raises(ValidationFailed) as exc:
        bulk(specs)
    fields = {e.field for e in exc.value.errors}
    assert fields == {"specs[2].period", "specs[2].amount", "specs[3].kind", "specs[4].source_key"}
    assert all("第 " in str(e.message) for e in exc.value.errors)
    assert counts() == before
    # a key already used by another person is refused too, before anything is written
    post_fine(people.worker, 1, key="mine")
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        bulk([fine(people.other, 2), fine(people.other, 1, key="mine")])
    assert [e.field for e in exc.value.errors] == ["specs[1].source_key"]
    assert counts() == before


@pytest.mark.django_db
def test_refused_actor_writes_nothing(tree, people, make_person) -> None:  # type: ignore[no-untyped-def]
    seller = make_person(tree.marketing, name="营销员")
    before = counts()
    for actor in (people.manager, people.worker, tree.admin):
        with pytest.raises(PermissionDeniedError):
            bulk([fine(people.worker, 1)], actor=actor)
    # allowed in marketing, not in the front office: the whole batch is refused
    with pytest.raises(PermissionDeniedError):
        bulk([fine(seller, 1), fine(people.worker, 1)], actor=people.mkt_hr)
    assert counts() == before
    result = bulk([fine(seller, 1)], actor=people.mkt_hr)
    assert result.results[0].entry.created_by_id == people.mkt_hr.pk


@pytest.mark.django_db
def test_queries_per_batch_do_not_grow_with_its_size(tree, people, make_person,  # type: ignore[no-untyped-def]
                                                     django_assert_max_num_queries) -> None:
    staff = [make_person(tree.front, name=f"员工{i}") for i in range(24)]
    services.lock_period(people.mkt_hr, tree.marketing, MARCH)  # a lock elsewhere: read, not matching
    # Bound: person units (1), unit rows (1), locks (1), existing (1), their adjustments (1), insert (1 on
    # PostgreSQL; SQLite splits by its 999-parameter limit: ≈ 30 rows per statement), update (1), audit
    # append (4 per unit, one unit here), savepoints. Sizes 3 and 24 stay under one SQLite insert.
    limit = 15
    seen: dict[str, set[int]] = {"created": set(), "unchanged": set(), "updated": set()}
    for size in (3, 24):
        batch = staff[:size]
        for step, times in (("created", 1), ("unchanged", 1), ("updated", 2)):
            with django_assert_max_num_queries(limit) as ctx:
                result = bulk([fine(p, times, key=f"q{size}:{p.pk}") for p in batch])
            assert result.counts == {step: size}
            seen[step].add(len(ctx.captured_queries))
    assert all(len(n) == 1 for n in seen.values()), seen  # the same count for 3 and for 24 entries
    services.lock_period(people.hr, tree.front, MARCH)
    with django_assert_max_num_queries(limit):  # every one adjusted after the lock
        bulk([fine(p, 3, key=f"q24:{p.pk}") for p in staff])
    assert LedgerEntry.objects.filter(adjusts__isnull=False).count() == 24


@pytest.mark.django_db
def test_audit_chain_verifies_after_batches(tree, people) -> None:  # type: ignore[no-untyped-def]
    post_fine(people.worker, 1, key="single")
    bulk([fine(people.worker, 2), fine(people.other, 2)])
    services.lock_period(people.hr, tree.hotel, MARCH)
    bulk([fine(people.worker, 4), fine(people.other, 2)])
    post_fine(people.worker, 2, key="single")
    report = verify_chains()
    assert report.ok, report.breaks
    assert AuditEvent.objects.filter(action="sanctions.post_batch").count() == 2


@pytest.mark.django_db
def test_without_detail_the_same_rows_are_written_and_counted(tree, people, make_person) -> None:  # type: ignore[no-untyped-def]
    staff = [make_person(tree.front, name=f"员工{i}") for i in range(5)]
    with_detail = bulk([fine(p, 2, key=f"a:{p.pk}") for p in staff])
    without = services.post_entries(SYSTEM, [fine(p, 2, key=f"b:{p.pk}") for p in staff], source_module="attendance",
                                    detail=False)
    assert without.results == () and without.counts == with_detail.counts == {"created": 5}
    assert len(without.events) == 1

    def shape(prefix: str) -> list[tuple[object, ...]]:
        return [(e.person_id, e.unit_id, e.kind, e.period, e.amount, e.clauses, e.decision, e.status, e.late,
                 e.period_start, e.period_end, e.created_by_id)
                for e in LedgerEntry.objects.filter(source_key__startswith=prefix).order_by("person_id")]

    assert shape("b:") == shape("a:")
    # the audit rows name the ids of the rows written, however the ids were read back
    for event in AuditEvent.objects.filter(action="sanctions.post_batch"):
        for row in batch_entries(event.payload):
            entry = LedgerEntry.objects.get(pk=row["id"])
            assert (entry.source_key, entry.person_id, entry.amount) == (row["source_key"], row["person"],
                                                                          Decimal(row["amount"]))
    # unchanged and updated without detail, as with it
    assert services.post_entries(SYSTEM, [fine(p, 2, key=f"b:{p.pk}") for p in staff], source_module="attendance",
                                 detail=False).counts == {"unchanged": 5}
    assert services.post_entries(SYSTEM, [fine(p, 3, key=f"b:{p.pk}") for p in staff[:2]], source_module="attendance",
                                 detail=False).counts == {"updated": 2}


@pytest.mark.django_db
def test_ids_are_read_back_among_rows_written_by_others(people) -> None:  # type: ignore[no-untyped-def]
    # rows of another module and of the same module above the highest id before the batch
    post_fine(people.worker, 1, key="single-a")
    services.post_entry(SYSTEM, person=people.other, kind="fine", period=MARCH, amount=Decimal(5),
                        decision=fine_decision(1), source_module="complaints", source_key="c1")
    result = bulk([fine(people.other, 2), fine(people.worker, 3, key="k-worker")])
    post_fine(people.worker, 1, key="single-b")
    for r in result.results:
        stored = LedgerEntry.objects.get(pk=r.entry.pk)
        assert (stored.source_key, stored.person_id, stored.amount) == (r.entry.source_key, r.entry.person_id,
                                                                        r.entry.amount)


@pytest.mark.django_db
def test_an_encoded_decision_is_stored_as_given(people) -> None:  # type: ignore[no-untyped-def]
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    data = fine_decision(2).as_dict()
    encoded = services.EncodedDecision(data, json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))
    specs = [EntrySpec(person=p, kind="fine", period=MARCH, amount=Decimal(10), decision=encoded,
                       source_key=f"enc:{p.pk}") for p in (people.worker, people.other)]
    result = bulk(specs)
    assert result.counts == {"created": 2}
    for r in result.results:
        stored = LedgerEntry.objects.get(pk=r.entry.pk)
        assert stored.decision == json.loads(encoded.text) == r.entry.decision
        assert stored.clauses == ["P7.10"]  # from the decision's clauses
    # posting the same decision as a Decision is unchanged: the same stored JSON
    assert bulk([fine(people.worker, 2, key=f"enc:{people.worker.pk}")]).counts == {"unchanged": 1}


@pytest.mark.django_db
def test_receivers_get_the_entries_without_detail(people, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from zhidu.sanctions import signals

    seen: list[tuple[str, int, str]] = []

    def on_posted(sender, entry, outcome, **kw):  # type: ignore[no-untyped-def]
        seen.append((outcome, entry.pk, entry.source_key))

    signals.entry_posted.connect(on_posted)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.post_entries(SYSTEM, [fine(people.worker, 1), fine(people.other, 2)], source_module="attendance",
                                  detail=False)
    finally:
        signals.entry_posted.disconnect(on_posted)
    assert sorted(seen) == sorted(("created", e.pk, e.source_key) for e in LedgerEntry.objects.all())
