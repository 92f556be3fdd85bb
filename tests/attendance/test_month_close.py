"""The month close from the database: day results with clauses, summaries, ledger posts (idempotent),
proposed actions, year-to-date counts, locks and visible corrections."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhidu.attendance import services
from zhidu.attendance.models import CloseStatus, DayResult, MonthClose, MonthSummary
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.sanctions.models import LedgerEntry

from .att_db import MONTH, NOW, Hotel, hotel_fixture, punch_month, working_days  # noqa: F401

pytestmark = pytest.mark.django_db


def _entries(person, **kw):  # type: ignore[no-untyped-def]
    return list(LedgerEntry.objects.filter(person=person, source_module="attendance", **kw).order_by("id"))


def test_close_stores_days_with_clauses_and_posts_fines(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10, days[2].isoformat(): 42}, skip=(days[5].isoformat(),))
    punch_month(hotel.staff2)
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert report.close.status == CloseStatus.CLOSED and report.people >= 2

    by_day = {r.date: r for r in DayResult.objects.filter(person=hotel.staff)}
    assert by_day[days[0]].status == "present"
    late = by_day[days[1]]
    assert late.status == "late" and late.late_minutes == 10 and "P7.10" in late.clauses
    assert "迟到 10 分钟" in late.explain()
    half = by_day[days[2]]
    assert half.status == "half_absent" and half.absent_days == Decimal("0.5") and "P7.4" in half.explain()
    assert by_day[days[5]].status == "absent" and by_day[days[5]].absent_days == 1
    rest = next(d for d in by_day if d not in days)
    assert by_day[rest].status == "rest"

    s = MonthSummary.objects.get(person=hotel.staff, period=MONTH)
    assert (s.late_count, s.absent_days, s.fines) == (1, Decimal("1.5"), Decimal("5.00"))
    assert not s.full_attendance_bonus
    # P7.12: 1.5 days × 3 × 3000 / 21.75
    assert s.deductions == Decimal("620.69")
    fine, deduction = _entries(hotel.staff)
    assert (fine.kind, fine.amount, fine.clauses) == ("fine", Decimal("5.00"), ["P7.10"])
    assert (deduction.kind, deduction.amount, deduction.clauses) == ("deduction", Decimal("620.69"), ["P7.12"])
    assert "P7.10" in fine.decision["clauses"] and fine.decision["rule"] == "attendance.month_fines"
    # A perfect month posts nothing.
    assert _entries(hotel.staff2) == []
    assert MonthSummary.objects.get(person=hotel.staff2, period=MONTH).full_attendance_bonus


def test_close_twice_posts_nothing_new(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    before = [(e.pk, e.amount, e.status) for e in LedgerEntry.objects.all()]
    n_days = DayResult.objects.count()
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert report.ledger == {} and report.proposed == 0
    assert [(e.pk, e.amount, e.status) for e in LedgerEntry.objects.all()] == before
    assert DayResult.objects.count() == n_days
    assert MonthClose.objects.get(unit=hotel.hotel, period=MONTH).revision == 2


def test_only_hr_closes(hotel: Hotel) -> None:
    with pytest.raises(PermissionDeniedError):
        services.close_month(hotel.dm, hotel.front, MONTH, now=NOW)
    with pytest.raises(ValidationFailed):
        services.close_month(hotel.hr, hotel.hotel, "2026-13", now=NOW)
    assert not MonthClose.objects.exists()
