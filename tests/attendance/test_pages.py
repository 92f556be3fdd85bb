"""Attendance pages and API through the Django test client: who sees what, forms, errors, exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from zhidu.attendance import services
from zhidu.attendance.models import DutyException, LeaveRequest, LeaveStatus, MonthClose, Punch, RollCall
from zhidu.obligations.models import Notification, Obligation, State

from .att_db import MONTH, NOW, Hotel, hotel_fixture, punch_month, working_days  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(hotel: Hotel) -> Hotel:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10}, skip=(days[4].isoformat(),))
    punch_month(hotel.staff2)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    return hotel


def _login(client, person) -> None:  # type: ignore[no-untyped-def]
    client.force_login(person.user)


def test_my_attendance_says_why_each_day(client, closed: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, closed.staff)
    assert client.get("/attendance/").status_code == 200
    response = client.get("/attendance/me/", {"period": MONTH})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    day = working_days()[1].isoformat()
    assert f'data-date="{day}" data-status="late"' in page
    assert "P7.2：迟到 10 分钟" in page and "P7.10" in page
    assert "未签到也未签退" in page and 'data-f="fines">5.00' in page
    traced = client.get(response["Location"], {"why": "1"}).content.decode()
    assert 'id="trace"' in traced and "P7.12" in traced


def test_people_see_only_their_own_month_managers_their_unit(client, closed: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, closed.staff2)
    assert client.get(f"/attendance/people/{closed.staff.pk}/{MONTH}/").status_code == 404
    assert client.get(f"/attendance/units/{closed.front.pk}/{MONTH}/").status_code == 404
    _login(client, closed.dm)
    assert client.get(f"/attendance/people/{closed.staff.pk}/{MONTH}/").status_code == 200
    assert client.get(f"/attendance/units/{closed.front.pk}/{MONTH}/").status_code == 200
    assert client.get(f"/attendance/units/{closed.hotel.pk}/{MONTH}/").status_code == 404  # above his unit


def test_month_sheet_close_approve_lock_and_export(client, closed: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, closed.hr)
    url = f"/attendance/units/{closed.hotel.pk}/{MONTH}/"
    page = client.get(url).content.decode()
    assert closed.staff.name in page and 'data-form="approve"' in page
    assert client.post(url + "close/").status_code == 302
    assert MonthClose.objects.get(unit=closed.hotel, period=MONTH).revision == 2
    assert client.post(url + "approve/").status_code == 302
    assert client.post(url + "lock/").status_code == 302
    assert MonthClose.objects.get(unit=closed.hotel, period=MONTH).status == "locked"
    refused = client.post(url + "close/")  # locked: a correction needs a reason
    assert refused.status_code == 422 and "更正原因" in refused.content.decode()
    xlsx = client.get(url + "export.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(xlsx.content))
    sheet = wb.worksheets[0]
    names = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert closed.staff.name in names
    details = [row for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert any(r[0] == closed.staff.name and "P7.10" in r[6] for r in details)
    _login(client, closed.dm)
    assert client.post(f"/attendance/units/{closed.front.pk}/{MONTH}/close/").status_code == 403


def test_statement_shows_ledger_lines_with_why(client, closed: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, closed.staff)
    page = client.get(f"/attendance/people/{closed.staff.pk}/{MONTH}/statement/").content.decode()
    assert 'data-kind="fine"' in page and 'data-kind="deduction"' in page
    assert "P7.12" in page and 'data-total="fines">5.00' in page


def test_leave_request_and_approval_pages(client, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, hotel.staff)
    start = (timezone.localdate() + dt.timedelta(days=14))
    while start.weekday() >= 5:
        start += dt.timedelta(days=1)
    response = client.post("/attendance/leave/", {"kind": "personal", "start_date": start.isoformat(),
                                                  "end_date": start.isoformat(), "reason": "家事"})
    assert response.status_code == 302
    leave = LeaveRequest.objects.get(person=hotel.staff)
    page = client.get(response["Location"]).content.decode()
    assert "P7.8" in page and 'data-status="pending"' in page and 'data-form="approve"' not in page
    _login(client, hotel.dm)
    queue = client.get("/attendance/approvals/").content.decode()
    assert f'data-leave="{leave.pk}"' in queue
    assert client.post(f"/attendance/leave/{leave.pk}/approve/", {"note": "同意"}).status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    _login(client, hotel.staff2)
    assert client.get(f"/attendance/leave/{leave.pk}/").status_code == 404


def test_leave_refusal_cites_the_clause(client, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, hotel.staff)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post("/attendance/leave/", {"kind": "personal", "start_date": yesterday.isoformat(),
                                                  "end_date": yesterday.isoformat()})
    assert response.status_code == 422
    assert "P7.9" in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_duty_officer_roll_call_and_same_day_report(client, hotel: Hotel, make_person) -> None:  # type: ignore[no-untyped-def]
    officer = make_person(hotel.hotel, role="duty_officer", role_unit=hotel.front, name="值班陈")
    director = make_person(hotel.hotel, role="duty_director", role_unit=hotel.hotel, name="值班主任黄")
    today = timezone.localdate()
    Punch.objects.create(person=hotel.staff, unit=hotel.front, source="api",
                         at=timezone.make_aware(dt.datetime.combine(today, dt.time(0, 5))))
    _login(client, officer)
    url = f"/attendance/roll-call/{hotel.front.pk}/{today.isoformat()}/"
    page = client.get(url).content.decode()
    assert f'data-person="{hotel.staff.pk}"' in page and f'data-person="{hotel.staff2.pk}"' in page
    response = client.post(url, {f"p-{hotel.staff.pk}": "present", f"p-{hotel.staff2.pk}": "absent",
                                 f"n-{hotel.staff2.pk}": "未到岗"})
    assert response.status_code == 302
    roll = RollCall.objects.get(unit=hotel.front, date=today)
    late_evening = timezone.localtime().hour == 23 and timezone.localtime().minute >= 59
    if not late_evening:
        ob = Obligation.objects.get(kind=services.KIND_ROLL_CALL_REPORT)
        assert ob.responsible_person == officer and "P10.2.1" in ob.clauses and ob.state == State.OPEN
        assert ob.title_args["names"] == [hotel.staff2.name]   # read in each reader's language
        with translation.override("en"):
            assert ob.title_text().startswith("Same-day absence report: ") and hotel.staff2.name in ob.title_text()
    assert client.post(url + "report/", {"note": "郭磊未到岗"}).status_code == 302
    roll.refresh_from_db()
    assert roll.reported_at is not None
    note = Notification.objects.get(recipient=director)
    assert "郭磊" in note.body and "P10.2.1" in note.body and note.args["names"] == [hotel.staff2.name]
    if not late_evening:
        assert Obligation.objects.get(kind=services.KIND_ROLL_CALL_REPORT).state == State.MET
    _login(client, hotel.staff)
    assert client.get(url).status_code == 404


def test_exception_page(client, hotel: Hotel, make_person) -> None:  # type: ignore[no-untyped-def]
    officer = make_person(hotel.hotel, role="duty_officer", role_unit=hotel.hotel, name="值班陈")
    _login(client, officer)
    assert client.get("/attendance/exceptions/").status_code == 200
    response = client.post("/attendance/exceptions/", {"unit": hotel.front.pk, "start": "2026-03-03T07:30",
                                                       "end": "2026-03-03T09:30", "reason": "power_cut"})
    assert response.status_code == 302
    assert DutyException.objects.get().reason == "power_cut"
    bad = client.post("/attendance/exceptions/", {"unit": hotel.front.pk, "start": "2026-03-03T09:30",
                                                  "end": "2026-03-03T07:30", "reason": "other"})
    assert bad.status_code == 422
    _login(client, hotel.staff)
    assert client.get("/attendance/exceptions/").status_code == 403


def test_import_page(client, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, hotel.hr)
    content = f"person_id,time\n{hotel.staff.pk},2026-03-02 08:20\n{hotel.staff.pk},not a time\n".encode()
    refused = client.post("/attendance/punches/import/", {"unit": hotel.front.pk,
                                                          "file": SimpleUploadedFile("m.csv", content)})
    assert refused.status_code == 422 and "line 3" in refused.content.decode()
    assert not Punch.objects.exists()
    done = client.post("/attendance/punches/import/", {"unit": hotel.front.pk, "partial": "1",
                                                       "file": SimpleUploadedFile("m.csv", content)})
    assert done.status_code == 200 and 'id="import-report"' in done.content.decode()
    assert Punch.objects.count() == 1
    _login(client, hotel.dm)
    assert client.get("/attendance/punches/import/").status_code == 403


def test_discipline_queue_lists_attendance_proposals(client, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    days = working_days()
    punch_month(hotel.staff, skip=(days[6].isoformat(), days[7].isoformat()))
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    _login(client, hotel.hr)
    page = client.get("/attendance/discipline/").content.decode()
    assert hotel.staff.name in page and "P7.12" in page and "确认或驳回" in page


def test_api_person_month_and_unit_month(client, closed: Hotel) -> None:  # type: ignore[no-untyped-def]
    _login(client, closed.staff)
    mine = client.get(f"/api/v1/attendance/people/{closed.staff.pk}/{MONTH}").json()
    late = next(d for d in mine["days"] if d["status"] == "late")
    assert late["late_minutes"] == 10 and "P7.10" in late["clauses"] and late["why"]
    assert mine["summary"]["fines"] == "5.00"
    assert client.get(f"/api/v1/attendance/people/{closed.staff2.pk}/{MONTH}").status_code == 404
    assert client.get(f"/api/v1/attendance/months/{closed.front.pk}/{MONTH}").status_code == 403
    _login(client, closed.hr)
    month = client.get(f"/api/v1/attendance/months/{closed.hotel.pk}/{MONTH}").json()
    assert month["status"] == "closed" and month["ledger_synced"] is True
    assert {p["person_id"] for p in month["people"]} >= {closed.staff.pk, closed.staff2.pk}


def test_api_leave_request_and_approve(client, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    import json

    start = timezone.localdate() + dt.timedelta(days=10)
    while start.weekday() >= 5:
        start += dt.timedelta(days=1)
    _login(client, hotel.dm)
    created = client.post("/api/v1/attendance/leave", json.dumps({
        "kind": "personal", "start_date": start.isoformat(), "end_date": start.isoformat()}),
        content_type="application/json")
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["chain"] == ["hr", "general_manager"] and "P7.8" in body["clauses"]
    _login(client, hotel.hr)
    step1 = client.post(f"/api/v1/attendance/leave/{body['id']}/approve", json.dumps({"note": ""}),
                        content_type="application/json").json()
    assert [s["status"] for s in step1["steps"]] == ["approved", "pending"]
    _login(client, hotel.gm)
    refused = client.post(f"/api/v1/attendance/leave/{body['id']}/reject", json.dumps({"note": ""}),
                          content_type="application/json")
    assert refused.status_code == 422
    done = client.post(f"/api/v1/attendance/leave/{body['id']}/approve", json.dumps({"note": "同意"}),
                       content_type="application/json").json()
    assert done["status"] == "approved"
