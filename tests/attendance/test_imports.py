"""Punches: machine exports (CSV, GB18030, Excel) with every bad row reported, nothing written unless
partial; idempotent re-imports and API pushes; manual entry with a reason; 补卡 by request and approval."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook

from zhidu.attendance import services
from zhidu.attendance.models import CorrectionStatus, ImportBatch, Punch, PunchSource
from zhidu.audit.models import AuditEvent
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.models import Obligation, State

from .att_db import NOW, TZ, Hotel, at, hotel_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _csv(hotel: Hotel, stranger_id: int) -> bytes:
    s, s2 = hotel.staff, hotel.staff2
    lines = [
        "person_id,name,time,device",
        f"{s.pk},{s.name},2026-03-02 08:25:13,A1",           # 2 good
        f"{s.pk},{s.name},2026-03-02 17:35:00,A1",           # 3 good
        f",{s.name},2026-03-02 08:20:00,A1",                 # 4 no person
        f"{s2.pk},{s2.name},2026/03/02 8h25,A1",             # 5 bad time
        f"{stranger_id},某人,2026-03-02 08:25:00,A1",          # 6 not in the unit
        f"{s2.pk},张冠李戴,2026-03-02 08:26:00,A1",             # 7 name does not match
        "",                                                  # blank lines are skipped, not errors
        f"{s2.pk},{s2.name},2026-05-01 08:26:00,A1",         # 9 in the future
        f"{s2.pk},{s2.name},2026-03-02T08:27:00,A1",         # 10 good (ISO with T)
        f"abc,{s2.name},2026-03-02 08:27:00,A1",             # 11 id not a number
    ]
    return ("\n".join(lines) + "\n").encode()


def test_every_bad_row_is_reported_and_nothing_is_written(hotel: Hotel, make_person, tree) -> None:  # type: ignore[no-untyped-def]
    stranger = make_person(tree.marketing, name="外单位")
    audit = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as err:
        services.import_punches(hotel.hr, hotel.front, filename="march.csv", content=_csv(hotel, stranger.pk), now=NOW)
    lines = {e.field: str(e.message) for e in err.value.errors}
    assert list(lines) == ["line 4", "line 5", "line 6", "line 7", "line 9", "line 11"]
    assert "缺少人员编号" in lines["line 4"]
    assert "格式有误" in lines["line 5"]
    assert "不是本单位人员" in lines["line 6"]
    assert "不符" in lines["line 7"]
    assert "晚于当前时间" in lines["line 9"]
    assert "不是数字" in lines["line 11"]
    assert "6" in str(err.value.message)
    assert not Punch.objects.exists() and not ImportBatch.objects.exists()
    assert AuditEvent.objects.count() == audit


def test_partial_import_takes_the_good_rows_and_keeps_the_report(hotel: Hotel, make_person, tree) -> None:  # type: ignore[no-untyped-def]
    stranger = make_person(tree.marketing, name="外单位")
    content = _csv(hotel, stranger.pk)
    checked = services.check_punch_file(hotel.hr, hotel.front, filename="march.csv", content=content, now=NOW)
    assert (checked.total, checked.good, checked.bad, checked.written) == (9, 3, 6, False)
    assert not Punch.objects.exists()
    report = services.import_punches(hotel.hr, hotel.front, filename="march.csv", content=content, partial=True, now=NOW)
    assert (report.total, report.good, report.imported, report.duplicates, report.bad) == (9, 3, 3, 0, 6)
    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_bad, batch.partial) == (3, 6, True)
    assert [e["line"] for e in batch.errors] == [4, 5, 6, 7, 9, 11]
    punch = Punch.objects.filter(person=hotel.staff).order_by("at").first()
    assert punch is not None
    assert (punch.source, punch.device, punch.batch_id) == (PunchSource.MACHINE_CSV, "A1", batch.pk)
    assert punch.at == dt.datetime(2026, 3, 2, 8, 25, 13, tzinfo=TZ)
    # The same file again: nothing new (idempotent per person, time and device).
    again = services.import_punches(hotel.hr, hotel.front, filename="march.csv", content=content, partial=True, now=NOW)
    assert (again.imported, again.duplicates) == (0, 3)
    assert Punch.objects.count() == 3


def test_gb18030_export_with_chinese_headers(hotel: Hotel) -> None:
    text = f"工号,姓名,打卡时间,机器号\n{hotel.staff.pk},{hotel.staff.name},2026-03-03 08:29,2\n"
    report = services.import_punches(hotel.hr, hotel.front, filename="考勤.csv", content=text.encode("gb18030"), now=NOW)
    assert report.imported == 1
    assert Punch.objects.get().device == "2"


def test_excel_export_with_date_and_time_columns(hotel: Hotel) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["考勤号", "姓名", "日期", "时间"])
    ws.append([hotel.staff.pk, hotel.staff.name, dt.date(2026, 3, 4), dt.time(8, 24)])
    ws.append([hotel.staff.pk, hotel.staff.name, dt.datetime(2026, 3, 4), "17:40"])
    ws.append([hotel.staff2.pk, hotel.staff2.name, "2026-03-04", "25:99"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed) as err:
        services.import_punches(hotel.hr, hotel.front, filename="export.xlsx", content=buf.getvalue(), now=NOW)
    assert [e.field for e in err.value.errors] == ["line 4"]
    report = services.import_punches(hotel.hr, hotel.front, filename="export.xlsx", content=buf.getvalue(),
                                     partial=True, now=NOW)
    assert report.imported == 2
    assert sorted(p.at for p in Punch.objects.all()) == [at("2026-03-04", "08:24"), at("2026-03-04", "17:40")]
    assert set(Punch.objects.values_list("source", flat=True)) == {PunchSource.MACHINE_XLSX}


def test_unreadable_files_are_refused(hotel: Hotel) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.import_punches(hotel.hr, hotel.front, filename="x.csv", content="name,when\n张三,08:00\n".encode(), now=NOW)
    assert err.value.errors[0].field == "file" and "缺少必需的列" in str(err.value.errors[0].message)
    with pytest.raises(ValidationFailed):
        services.import_punches(hotel.hr, hotel.front, filename="x.xlsx", content=b"PK\x03\x04broken", now=NOW)
    with pytest.raises(ValidationFailed):
        services.import_punches(hotel.hr, hotel.front, filename="x.csv", content=b"", now=NOW)


def test_only_hr_imports(hotel: Hotel) -> None:
    with pytest.raises(PermissionDeniedError):
        services.import_punches(hotel.dm, hotel.front, filename="x.csv", content=b"person_id,time\n", now=NOW)


def test_api_push_is_idempotent(hotel: Hotel, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(hotel.hr.user)
    body = {"unit_id": hotel.front.pk, "punches": [
        {"person_id": hotel.staff.pk, "time": "2026-03-05T08:21:00", "device": "gate-1"},
        {"person_id": hotel.staff.pk, "time": "2026-03-05T17:33:00+08:00", "device": "gate-1"},
    ]}
    first = client.post("/api/v1/attendance/punches", json.dumps(body), content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json() | {"errors": []} == {"received": 2, "good": 2, "imported": 2, "duplicates": 0, "errors": []}
    again = client.post("/api/v1/attendance/punches", json.dumps(body), content_type="application/json")
    assert again.json()["imported"] == 0 and again.json()["duplicates"] == 2
    assert Punch.objects.filter(source=PunchSource.API).count() == 2
    bad = dict(body, punches=[*body["punches"], {"person_id": 999999, "time": "2026-03-05T08:00:00"}])
    refused = client.post("/api/v1/attendance/punches", json.dumps(bad), content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "line 3"


def test_api_push_needs_attendance_manage(hotel: Hotel, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(hotel.staff.user)
    body = {"unit_id": hotel.front.pk, "punches": [{"person_id": hotel.staff.pk, "time": "2026-03-05T08:21:00"}]}
    response = client.post("/api/v1/attendance/punches", json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert not Punch.objects.exists()


def test_manual_punch_needs_a_reason_an_authorized_role_and_not_oneself(hotel: Hotel) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.add_manual_punch(hotel.dm, hotel.staff, at=at("2026-03-06", "08:30"), reason=" ", now=NOW)
    assert [e.field for e in err.value.errors] == ["reason"]
    with pytest.raises(PermissionDeniedError):
        services.add_manual_punch(hotel.staff2, hotel.staff, at=at("2026-03-06", "08:30"), reason="忘记打卡", now=NOW)
    with pytest.raises(PermissionDeniedError):
        services.add_manual_punch(hotel.dm, hotel.dm, at=at("2026-03-06", "08:30"), reason="自己补", now=NOW)
    punch = services.add_manual_punch(hotel.dm, hotel.staff, at=at("2026-03-06", "08:30"), reason="忘记打卡", now=NOW)
    assert (punch.source, punch.reason, punch.entered_by) == (PunchSource.MANUAL, "忘记打卡", hotel.dm)
    assert AuditEvent.objects.filter(action="attendance.punch_manual", subject_id=str(punch.pk)).exists()


def test_correction_request_goes_to_the_manager_and_becomes_a_punch(hotel: Hotel) -> None:
    corr = services.request_correction(hotel.staff, hotel.staff, at=at("2026-03-06", "17:31"), reason="忘记签退", now=NOW)
    (ob,) = Obligation.objects.filter(kind=services.KIND_CORRECTION)
    assert ob.responsible_person == hotel.dm and ob.state == State.OPEN
    with pytest.raises(PermissionDeniedError):
        services.decide_correction(hotel.staff, corr, approve=True, now=NOW)
    with pytest.raises(ValidationFailed):
        services.decide_correction(hotel.dm, corr, approve=False, note="", now=NOW)  # a rejection needs a reason
    services.decide_correction(hotel.dm, corr, approve=True, now=NOW)
    corr.refresh_from_db()
    assert corr.status == CorrectionStatus.APPROVED and corr.punch is not None
    assert corr.punch.source == PunchSource.CORRECTION and corr.punch.at == at("2026-03-06", "17:31")
    ob.refresh_from_db()
    assert ob.state == State.MET
