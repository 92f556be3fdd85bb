"""Leave: eligibility refused with its clause, approval chains as inbox obligations (P7.8 and P7.11),
the sick-note deadline (P7.5.2) as the employee's obligation, access checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhidu.attendance import jobs, services
from zhidu.attendance.models import DayResult, LeaveRequest, LeaveStatus, StepStatus
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations import jobs as obligation_jobs
from zhidu.obligations import selectors as inbox
from zhidu.obligations.models import Obligation, State
from zhidu.org.access import SYSTEM
from zhidu.org.models import Employment
from zhidu.rulebook import services as rulebook

from .att_db import TZ, Hotel, at, hotel_fixture, punch_month  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 10, 10, 0, tzinfo=TZ)  # a Friday
D = dt.date


def _messages(exc: ValidationFailed) -> str:
    return " ".join(str(e.message) for e in exc.errors)


def _pending(person) -> list[Obligation]:  # type: ignore[no-untyped-def]
    return [ob for ob in Obligation.objects.filter(module="attendance", state=State.OPEN, responsible_person=person)]


# ---------------------------------------------------------------------------------------- eligibility


def test_marriage_leave_needs_a_year_of_service(hotel: Hotel) -> None:
    Employment.objects.filter(person=hotel.staff).update(hired_on=D(2025, 6, 1))
    with pytest.raises(ValidationFailed) as err:
        services.request_leave(hotel.staff, hotel.staff, kind="marriage", start_date=D(2026, 4, 20),
                               end_date=D(2026, 4, 22), marriage_date=D(2026, 4, 18), certificate_copy=True, now=NOW)
    assert "P7.6" in _messages(err.value) and "服务未满 1 年" in _messages(err.value)
    assert not LeaveRequest.objects.exists() and not Obligation.objects.exists()


def test_marriage_leave_once_and_days_limited(hotel: Hotel) -> None:
    # 周婷 (born 1997-08-09) marries on 2026-04-18 at 28: late first marriage, 10 days (P7.6).
    leave = services.request_leave(hotel.staff, hotel.staff, kind="marriage", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 24), marriage_date=D(2026, 4, 18), certificate_copy=True, now=NOW)
    assert any(d["rule"] == "p7.marriage_leave" and d["value"] == 10 for d in leave.eligibility)
    with pytest.raises(ValidationFailed) as err:  # once only
        services.request_leave(hotel.staff, hotel.staff, kind="marriage", start_date=D(2026, 5, 11),
                               end_date=D(2026, 5, 12), marriage_date=D(2026, 4, 18), certificate_copy=True, now=NOW)
    assert "P7.6" in _messages(err.value) and "一次性" in _messages(err.value)
    with pytest.raises(ValidationFailed) as err:  # no certificate copy
        services.request_leave(hotel.staff2, hotel.staff2, kind="marriage", start_date=D(2026, 4, 20),
                               end_date=D(2026, 4, 21), marriage_date=D(2026, 4, 18), now=NOW)
    assert "P7.6" in _messages(err.value)
    with pytest.raises(ValidationFailed) as err:  # 郭磊 (born 1995-01-27), 31: 10 days, but 12 asked
        services.request_leave(hotel.staff2, hotel.staff2, kind="marriage", start_date=D(2026, 4, 13),
                               end_date=D(2026, 4, 24), marriage_date=D(2026, 4, 11), certificate_copy=True, now=NOW)
    assert "P7.6" in _messages(err.value) and "10" in _messages(err.value)


def test_prenatal_leave_from_seven_months_with_a_certificate(hotel: Hotel) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.request_leave(hotel.staff, hotel.staff, kind="prenatal", start_date=D(2026, 4, 20),
                               end_date=D(2026, 4, 24), pregnancy_months=6, hospital_certificate=True, now=NOW)
    assert "P7.7" in _messages(err.value)
    with pytest.raises(ValidationFailed) as err:
        services.request_leave(hotel.staff, hotel.staff, kind="prenatal", start_date=D(2026, 4, 20),
                               end_date=D(2026, 4, 24), pregnancy_months=7, now=NOW)
    assert {e.field for e in err.value.errors} == {"hospital_certificate"}
    assert "P7.7" in _messages(err.value) and "县级以上医院证明" in _messages(err.value)
    leave = services.request_leave(hotel.staff, hotel.staff, kind="prenatal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 24), pregnancy_months=7, hospital_certificate=True, now=NOW)
    assert leave.chain == ["department_manager", "hr"]  # P7.7: department manager and HR


def test_no_retroactive_leave_without_a_special_reason(hotel: Hotel) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 9),
                               end_date=D(2026, 4, 9), now=NOW)
    assert "P7.9" in _messages(err.value)
    leave = services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 9),
                                   end_date=D(2026, 4, 9), special_reason="家中急事，当天无法联系", now=NOW)
    assert leave.status == LeaveStatus.PENDING
    assert any(d["rule"] == "p7.retroactive_leave" and d["value"] == "retroactive_allowed" for d in leave.eligibility)
    assert any("P7.5.3" in d["clauses"] for d in leave.eligibility)  # unpaid, loses the bonus


def test_refusals_name_every_bad_field_and_write_nothing(hotel: Hotel) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.request_leave(hotel.staff, hotel.staff, kind="holiday", start_date=D(2026, 4, 22),
                               end_date=D(2026, 4, 20), now=NOW)
    assert {e.field for e in err.value.errors} == {"kind", "end_date"}
    assert not LeaveRequest.objects.exists()


def test_only_the_person_or_an_approver_may_ask(hotel: Hotel) -> None:
    with pytest.raises(PermissionDeniedError):
        services.request_leave(hotel.staff2, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                               end_date=D(2026, 4, 20), now=NOW)
    leave = services.request_leave(hotel.dm, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 20), now=NOW)
    assert leave.requested_by == hotel.dm


# ------------------------------------------------------------------------------------ approval chains


def test_p78_up_to_three_days_department_manager(hotel: Hotel) -> None:
    leave = services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 22), reason="家事", now=NOW)
    assert leave.days == Decimal(3) and leave.chain == ["department_manager"]
    assert leave.chain_decision["clauses"] == ["P7.8"]
    (ob,) = _pending(hotel.dm)
    assert ob.kind == services.KIND_LEAVE_APPROVAL and "P7.8" in ob.clauses
    assert "事假" in ob.title_text()          # the kind is stored as its message id, shown per reader
    from django.utils import translation

    with translation.override("en"):
        assert "Personal leave" in ob.title_text() and "事假" not in ob.title_text()
    assert any(item.id == ob.pk for item in inbox.inbox(hotel.dm))
    assert "P7.8" in ob.explain()
    with pytest.raises(PermissionDeniedError):
        services.approve_leave(hotel.hr, leave, now=NOW)  # the step is the department manager's
    with pytest.raises(PermissionDeniedError):
        services.approve_leave(hotel.staff2, leave, now=NOW)
    services.approve_leave(hotel.dm, leave, note="同意", now=NOW)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    ob.refresh_from_db()
    assert ob.state == State.MET


def test_p78_more_than_three_days_goes_to_hr(hotel: Hotel) -> None:
    leave = services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 23), now=NOW)
    assert leave.days == Decimal(4) and leave.chain == ["hr"]
    assert [ob.kind for ob in _pending(hotel.hr)] == [services.KIND_LEAVE_APPROVAL]
    assert _pending(hotel.dm) == []


def test_p78_managers_need_hr_then_the_general_manager(hotel: Hotel) -> None:
    leave = services.request_leave(hotel.dm, hotel.dm, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 20), now=NOW)
    assert leave.chain == ["hr", "general_manager"]
    assert len(_pending(hotel.hr)) == 1 and _pending(hotel.gm) == []
    with pytest.raises(PermissionDeniedError):
        services.approve_leave(hotel.dm, leave, now=NOW)  # never one's own leave
    services.approve_leave(hotel.hr, leave, now=NOW)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.PENDING
    assert [s.status for s in leave.steps.order_by("step")] == [StepStatus.APPROVED, StepStatus.PENDING]
    (gm_ob,) = _pending(hotel.gm)
    assert "第 2 步" in gm_ob.title_text()
    services.approve_leave(hotel.gm, leave, now=NOW)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED


def test_special_leave_of_staff_needs_manager_and_hr(hotel: Hotel) -> None:
    leave = services.request_leave(hotel.staff, hotel.staff, kind="home_visit", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 21), now=NOW)
    assert leave.chain == ["department_manager", "hr"]


def test_p711_selectable_direct_supervisor_and_general_manager(hotel: Hotel) -> None:
    rulebook.override_parameter(SYSTEM, hotel.hotel, "p7.approval_scheme", "P7.11", D(2026, 1, 1), "酒店选用第二种规定")
    one = services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                                 end_date=D(2026, 4, 20), now=NOW)
    assert one.chain == ["direct_supervisor"] and one.chain_decision["clauses"] == ["P7.11"]
    (ob,) = _pending(hotel.dm)  # the direct supervisor: the nearest department manager
    assert "P7.11" in ob.clauses
    three = services.request_leave(hotel.staff2, hotel.staff2, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 22), now=NOW)
    assert three.chain == ["general_manager"]
    assert [o.kind for o in _pending(hotel.gm)] == [services.KIND_LEAVE_APPROVAL]
    with pytest.raises(ValidationFailed) as err:  # P7.11: in writing, no phone requests
        services.request_leave(hotel.manager, hotel.manager, kind="personal", start_date=D(2026, 4, 20),
                               end_date=D(2026, 4, 20), in_writing=False, now=NOW)
    assert "P7.11" in _messages(err.value)


def test_reject_needs_a_reason_and_refuses_the_leave(hotel: Hotel) -> None:
    leave = services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 20), now=NOW)
    with pytest.raises(ValidationFailed):
        services.reject_leave(hotel.dm, leave, note=" ", now=NOW)
    services.reject_leave(hotel.dm, leave, note="旺季不准假", now=NOW)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.REJECTED
    assert _pending(hotel.dm) == []


def test_cancel_closes_the_inbox_item(hotel: Hotel) -> None:
    leave = services.request_leave(hotel.staff, hotel.staff, kind="personal", start_date=D(2026, 4, 20),
                                   end_date=D(2026, 4, 20), now=NOW)
    services.cancel_leave(hotel.staff, leave, now=NOW)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.CANCELLED and _pending(hotel.dm) == []


# ------------------------------------------------------------------------------------ P7.5.2 sick leave


def test_sick_note_deadline_is_the_employees_obligation_and_met_on_submission(hotel: Hotel) -> None:
    morning = dt.datetime(2026, 4, 13, 7, 0, tzinfo=TZ)  # 90 minutes before the 08:30 shift
    leave = services.request_leave(hotel.staff, hotel.staff, kind="sick", start_date=D(2026, 4, 13),
                                   end_date=D(2026, 4, 14), now=morning)
    assert leave.days == Decimal(2) and leave.notified_at == morning
    (note,) = [ob for ob in _pending(hotel.staff) if ob.kind == services.KIND_SICK_CERTIFICATE]
    assert note.clauses == ["P7.5.2"]
    assert note.due_at == dt.datetime(2026, 4, 15, 23, 59, 59, tzinfo=TZ)  # 2 days, the first not counted
    services.submit_certificate(hotel.staff, leave, now=dt.datetime(2026, 4, 15, 9, 0, tzinfo=TZ))
    note.refresh_from_db()
    assert note.state == State.MET and note.met_on_time


def test_sick_note_breached_turns_the_days_into_absenteeism_on_reclose(hotel: Hotel) -> None:
    punch_month(hotel.staff, skip=("2026-03-30", "2026-03-31"))
    services.request_leave(hotel.staff, hotel.staff, kind="sick", start_date=D(2026, 3, 30), end_date=D(2026, 3, 31),
                           now=dt.datetime(2026, 3, 30, 7, 0, tzinfo=TZ))
    leave = LeaveRequest.objects.get(person=hotel.staff)
    services.approve_leave(hotel.dm, leave, now=dt.datetime(2026, 3, 30, 9, 0, tzinfo=TZ))
    # Closed on 1 April: the note is still due (by 1 April), the days are sick leave.
    services.close_month(hotel.hr, hotel.hotel, "2026-03", now=dt.datetime(2026, 4, 1, 9, 0, tzinfo=TZ))
    day = DayResult.objects.get(person=hotel.staff, date=D(2026, 3, 30))
    assert (day.status, day.leave) == ("leave", "sick")
    # No note: zhidu tick marks the obligation breached; the attendance job re-closes the month.
    after = dt.datetime(2026, 4, 2, 9, 0, tzinfo=TZ)
    tick = obligation_jobs.run_tick(after)  # the attendance job runs in the same tick (zhidu.core.periodic)
    assert Obligation.objects.get(kind=services.KIND_SICK_CERTIFICATE).state == State.BREACHED
    assert tick.jobs["attendance"]["breached_notes"] == 1 and tick.jobs["attendance"]["reclosed"] == 1
    assert jobs.run_jobs(after).reclosed == 0  # done: running the job again changes nothing
    day = DayResult.objects.get(person=hotel.staff, date=D(2026, 3, 30))
    assert day.status == "absent" and day.absent_days == 1 and "P7.5.2" in day.clauses
    assert "P7.5.2" in day.explain()


def test_sick_notice_under_an_hour_is_recorded_as_invalid(hotel: Hotel) -> None:
    late_call = dt.datetime(2026, 4, 13, 7, 31, tzinfo=TZ)  # 59 minutes before the shift
    leave = services.request_leave(hotel.staff, hotel.staff, kind="sick", start_date=D(2026, 4, 13),
                                   end_date=D(2026, 4, 13), notified_at=late_call, now=late_call)
    sick = next(d for d in leave.eligibility if d["rule"] == "p7.sick_leave_valid")
    assert sick["value"] is False and sick["facts"]["lead_minutes"] == 59
