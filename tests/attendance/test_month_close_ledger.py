"""The month close's posting to the sanctions ledger: one ``sanctions.post_batch`` audit event per unit and
batch that lists every entry written (ids, source keys, amounts, total), the decisions stored as the month's
trace encoded them, nothing written by an unchanged re-close, visible adjustments after a lock, the audit
chains intact."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

from zhidu.attendance import services
from zhidu.attendance.models import MonthSummary
from zhidu.audit.models import AuditEvent
from zhidu.audit.selectors import verify_chains
from zhidu.org.access import SYSTEM
from zhidu.sanctions.models import MONEY_KINDS, LedgerEntry
from zhidu.sanctions.selectors import batch_entries

from .att_db import MONTH, NOW, Hotel, at, hotel_fixture, punch_month, working_days  # noqa: F401

pytestmark = pytest.mark.django_db


def _money_entries() -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(source_module="attendance", kind__in=sorted(MONEY_KINDS)).order_by("id"))


def _batches() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="sanctions.post_batch").order_by("id"))


def _month(hotel: Hotel) -> None:
    services.set_policy(SYSTEM, hotel.hotel, full_attendance_bonus=Decimal("100"))
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10, days[2].isoformat(): 42}, skip=(days[5].isoformat(),))
    punch_month(hotel.staff2, late={days[3].isoformat(): 7})
    punch_month(hotel.manager, late={d.isoformat(): 5 for d in days[:2]})


def test_first_close_lists_every_entry_in_one_batch_event(hotel: Hotel) -> None:
    _month(hotel)
    assert gc.isenabled()
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert gc.isenabled()  # the close pauses the cyclic collector only while it runs
    entries = _money_entries()
    assert report.ledger == {"created": len(entries)} and len(entries) >= 6
    events = _batches()  # one per unit with entries (everyone without punches is absent all month)
    assert len(events) == len({e.unit_id for e in entries})
    by_id = {e.pk: e for e in entries}
    listed: list[int] = []
    for event in events:
        rows = batch_entries(event.payload)
        assert event.payload["count"] == len(rows) and event.payload["counts"] == {"created": len(rows)}
        for r in rows:
            e = by_id[r["id"]]
            assert e.unit_id == event.unit_id
            assert (r["person"], r["source_key"], r["kind"], r["period"], r["status"], r["outcome"]) == (
                e.person_id, e.source_key, e.kind, MONTH, "posted", "created")
            assert Decimal(r["amount"]) == e.amount and r["adjusts"] is None and r["late"] is False
            assert r["detail"] is None
        assert Decimal(event.payload["amount_total"]) == sum((by_id[r["id"]].amount for r in rows), Decimal(0))
        listed += [r["id"] for r in rows]
    assert sorted(listed) == sorted(by_id)  # every entry, once
    event = next(ev for ev in events if ev.unit_id == hotel.staff.employments.get().unit_id)
    assert set(event.clauses) >= {"P7.10", "P7.12"}
    assert not AuditEvent.objects.filter(action__in=["sanctions.post", "sanctions.update"]).exists()
    # Each entry keeps the decision the month's trace holds (stored as the close encoded it).
    fine = next(e for e in entries if e.person_id == hotel.staff.pk and e.kind == "fine")
    trace = MonthSummary.objects.get(person=hotel.staff, period=MONTH).trace
    assert fine.decision == next(d for d in trace if d["rule"] == "attendance.month_fines")
    assert fine.amount == Decimal("5.00") and fine.clauses == ["P7.10"]
    report_ = verify_chains()
    assert report_.ok, report_.breaks


def test_an_unchanged_re_close_writes_nothing_to_the_ledger(hotel: Hotel) -> None:
    _month(hotel)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    before = [(e.pk, e.amount, e.status, e.updated_at) for e in LedgerEntry.objects.order_by("id")]
    n_batches = len(_batches())
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert report.ledger == {} and report.proposed == 0
    assert [(e.pk, e.amount, e.status, e.updated_at) for e in LedgerEntry.objects.order_by("id")] == before
    assert len(_batches()) == n_batches


def test_a_correction_after_the_lock_is_a_listed_adjustment(hotel: Hotel) -> None:
    _month(hotel)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    services.approve_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    services.lock_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    fine = LedgerEntry.objects.get(person=hotel.staff2, kind="fine", source_module="attendance")
    assert fine.amount == Decimal("5.00")
    # staff2's lateness was a broken machine: a manual punch before the shift.
    day = working_days()[3].isoformat()
    services.add_manual_punch(hotel.hr, hotel.staff2, at=at(day, "08:20"), reason="考勤机故障，补录", now=NOW)
    n_batches = len(_batches())
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, reason="考勤机故障，补录打卡", now=NOW)
    assert report.ledger == {"adjusted": 2}  # the fine and the bonus loss of staff2 are given back
    fine.refresh_from_db()
    assert (fine.amount, fine.status) == (Decimal("5.00"), "posted")  # the original is never changed
    adjustments = list(LedgerEntry.objects.filter(adjusts__isnull=False).order_by("id"))
    assert {(a.adjusts.kind, a.amount) for a in adjustments} == {("fine", Decimal("-5.00")),
                                                                ("bonus_loss", Decimal("-100.00"))}
    assert all(a.late and a.source_key.endswith("#adj1") for a in adjustments)
    (event,) = _batches()[n_batches:]  # staff2's unit only
    rows = {r["id"]: r for r in batch_entries(event.payload)}
    assert set(rows) == {a.pk for a in adjustments}
    adj = next(a for a in adjustments if a.adjusts_id == fine.pk)
    row = rows[adj.pk]
    assert (row["outcome"], row["adjusts"], row["late"], row["source_key"]) == ("adjusted", fine.pk, True, adj.source_key)
    assert row["detail"] == {"previous_amount": "5.00", "previous_grade": None}
    assert Decimal(event.payload["amount_total"]) == Decimal("-105.00")
    report_ = verify_chains()
    assert report_.ok, report_.breaks
