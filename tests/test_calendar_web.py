"""The calendar page, API and admin (issue 3): provisional years are shown as such everywhere."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhidu.api.services import issue_token
from zhidu.audit.models import AuditEvent
from zhidu.calendar import selectors, services
from zhidu.calendar.models import CalendarDay, CalendarVersion, CalendarYear
from zhidu.calendar.signals import calendar_changed
from zhidu.org.access import SYSTEM


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Any:
    selectors.invalidate()
    yield
    selectors.invalidate()


@pytest.fixture
def changes() -> Any:
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(kwargs)

    calendar_changed.connect(receiver, weak=False)
    yield sent
    calendar_changed.disconnect(receiver)


# ------------------------------------------------------------------------------------------- page


@pytest.mark.django_db
def test_page_lists_holidays_and_makeup_days(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    staff = make_person(tree.front)  # no role at all: the calendar is for everyone
    client.force_login(staff.user)
    home = client.get("/").content.decode()
    assert 'data-nav="calendar"' in home
    page = client.get("/calendar/?year=2026").content.decode()
    assert 'data-known="true"' in page and "暂定 · 未确认" not in page
    assert 'data-kind="makeup" data-start="2026-10-10"' in page
    assert "2026-10-01 – 2026-10-07" in page and "国庆节" in page
    assert 'id="import-form"' not in page  # not an administrator
    assert "08:30–17:30" in page  # the staff member's working hours
    assert client.get("/calendar/?year=abc").status_code == 404
    assert client.get("/calendar/?year=2500").status_code == 404
    assert client.post("/calendar/?year=2026", {"action": "confirm"}).status_code == 403


@pytest.mark.django_db
def test_page_shows_unknown_years_as_provisional(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    client.force_login(make_person(tree.front).user)
    page = client.get("/calendar/?year=2027").content.decode()
    assert 'data-known="false"' in page and "暂定 · 未确认" in page
    page = client.get("/calendar/?year=2026&date=2026-12-31&n=3").content.decode()
    assert '<strong class="mono" id="lookup-date">2027-01-05</strong>' in page and 'data-provisional="true"' in page
    page = client.get("/calendar/?year=2026&date=2026-09-30&n=3").content.decode()
    assert 'id="lookup-date">2026-10-10</strong>' in page and 'data-provisional="true"' not in page
    page = client.get("/calendar/?date=9999-12-31&n=5").content.decode()
    assert "结果超出支持的日期范围" in page
    page = client.get("/calendar/?date=2026-13-01").content.decode()
    assert "2026-13-01" in page and 'class="error"' in page


@pytest.mark.django_db
def test_admin_import_form_shows_every_row_error(client: Client, tree, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client.force_login(tree.admin.user)
    page = client.get("/calendar/?year=2027").content.decode()
    assert 'id="import-form"' in page and 'id="confirm-form"' in page
    bad = "date,working,kind,name\n2027-13-01,false,holiday,春节\n2027-02-10,true,makeup,春节\n2027-02-11,x,holiday,春节\n"
    count = CalendarDay.objects.count()
    response = client.post("/calendar/?year=2027", {
        "action": "import", "file": SimpleUploadedFile("bad.csv", bad.encode(), content_type="text/csv")})
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count("<tr><td>") >= 3 and 'id="import-errors"' in body
    for line in ("<td>2</td>", "<td>3</td>", "<td>4</td>"):
        assert line in body
    assert CalendarDay.objects.count() == count
    good = "date,working,kind,name,source\n2027-02-08,false,holiday,春节,国办通知\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/calendar/?year=2027", {
            "action": "import", "file": SimpleUploadedFile("good.csv", good.encode(), content_type="text/csv")})
    assert response.status_code == 302 and response["Location"].endswith("?year=2027")
    assert selectors.day_info(date(2027, 2, 8)).kind.value == "holiday"
    assert not selectors.day_info(date(2027, 2, 8)).provisional
    assert date(2027, 2, 8) in changes[-1]["dates"]
    page = client.get("/calendar/?year=2027").content.decode()
    assert 'data-known="true"' in page and "国办通知" in page


@pytest.mark.django_db
def test_admin_confirms_a_year_from_the_page(client: Client, tree) -> None:  # type: ignore[no-untyped-def]
    client.force_login(tree.admin.user)
    response = client.post("/calendar/?year=2028", {"action": "confirm", "source": "核对无误"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2028).known
    page = client.get("/calendar/?year=2028").content.decode()
    assert "核对无误" in page and tree.admin.name in page


@pytest.mark.django_db
def test_page_exports(client: Client, tree) -> None:  # type: ignore[no-untyped-def]
    client.force_login(tree.admin.user)
    ics = client.get("/calendar/2026.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert b"X-ZHIDU-KIND:makeup" in ics.content
    csv = client.get("/calendar/2026.csv").content.decode()
    assert csv.startswith("date,working,kind,name,source\n") and "2026-10-10,true,makeup,国庆节," in csv


# -------------------------------------------------------------------------------------------- API


@pytest.mark.django_db
def test_api_day_and_add_workdays(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front)
    _token, raw = issue_token(SYSTEM, person.user, name="cal")
    h = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/calendar/days/2026-10-10").status_code == 401
    assert client.get("/api/v1/calendar/days/2026-10-10", headers=h).json() == {
        "date": "2026-10-10", "working": True, "kind": "makeup", "name": "国庆节", "provisional": False}
    assert client.get("/api/v1/calendar/days/2027-03-06", headers=h).json() == {
        "date": "2027-03-06", "working": False, "kind": "weekend", "name": "", "provisional": True}
    assert client.get("/api/v1/calendar/add-workdays?date=2026-09-30&n=3", headers=h).json() == {
        "date": "2026-10-10", "working": True, "kind": "makeup", "name": "国庆节", "provisional": False}
    assert client.get("/api/v1/calendar/add-workdays?date=2027-03-01&n=1", headers=h).json() == {
        "date": "2027-03-02", "working": True, "kind": "workday", "name": "", "provisional": True}
    bad = client.get("/api/v1/calendar/days/2026-13-01", headers=h)
    assert bad.status_code == 422
    body = bad.json()
    assert set(body) == {"code", "message", "errors"} and body["errors"][0]["field"] == "date"
    bad = client.get("/api/v1/calendar/add-workdays?date=2026-09-30&n=x", headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "n"
    assert client.get("/api/v1/calendar/days/0001-01-01", headers=h).json()["provisional"] is True
    far = client.get("/api/v1/calendar/add-workdays?date=9999-12-31&n=1", headers=h)
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "n"
    year = client.get("/api/v1/calendar/years/2027", headers=h).json()
    assert year["known"] is False and year["provisional"] is True and year["days"] == []
    year = client.get("/api/v1/calendar/years/2026", headers=h).json()
    assert year["known"] is True and {"date": "2026-10-10", "working": True, "kind": "makeup", "name": "国庆节",
                                      "source": year["days"][0]["source"]} in year["days"]
    ics = client.get("/api/v1/calendar/2026.ics", headers=h)
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert ics.content.startswith(b"BEGIN:VCALENDAR")
    assert client.get("/api/v1/calendar/2500.ics", headers=h).status_code == 404


@pytest.mark.django_db
def test_api_import_needs_an_administrator_and_reports_rows(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    staff = make_person(tree.front, role="hr", role_unit=tree.root)
    client.force_login(staff.user)
    csv = b"date,working,kind,name\n2027-10-01,false,holiday,\xe5\x9b\xbd\xe5\xba\x86\xe8\x8a\x82\n"
    response = client.post("/api/v1/calendar/import", {"file": SimpleUploadedFile("a.csv", csv)})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    client.force_login(tree.admin.user)
    response = client.post("/api/v1/calendar/import", {
        "file": SimpleUploadedFile("b.csv", b"date,working,kind,name\n2027-02-30,false,holiday,x\n2027-10-04,no,,\n")})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["2:date", "3:name"]
    response = client.post("/api/v1/calendar/import", {"file": SimpleUploadedFile("a.csv", csv)})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1 and response.json()["confirmed_years"] == [2027]
    assert selectors.day_info(date(2027, 10, 1)).name == "国庆节"


# ------------------------------------------------------------------------------------------ admin


@pytest.mark.django_db
def test_admin_edit_bumps_the_version_and_signals(admin_client: Client, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    token = CalendarVersion.objects.get(pk=1).token
    assert selectors.work_calendar().is_working_day(date(2026, 10, 9))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/workcalendar/calendarday/add/", {
            "date": "2026-10-09", "working": "", "kind": "holiday", "name": "国庆节", "source": "后台"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarVersion.objects.get(pk=1).token != token
    assert not selectors.work_calendar().is_working_day(date(2026, 10, 9))
    assert changes[-1]["dates"] == [date(2026, 10, 9)]
    assert AuditEvent.objects.filter(action="admin.add", subject_type="workcalendar.calendarday").count() == 1
    # the admin form validates like the services: a make-up day on a weekday is refused
    response = admin_client.post("/admin/workcalendar/calendarday/add/", {
        "date": "2026-10-14", "working": "on", "kind": "makeup", "name": "x", "source": ""})
    assert response.status_code == 200 and not CalendarDay.objects.filter(date=date(2026, 10, 14)).exists()
    # confirming a year in the admin sends all its dates
    changes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/workcalendar/calendaryear/add/", {"year": "2029", "known": "on",
                                                                             "source": "后台确认"})
    assert response.status_code == 302
    assert not selectors.day_info(date(2029, 5, 1)).provisional
    assert changes[-1]["years"] == [2029] and len(changes[-1]["dates"]) == 365
    assert services.can_manage(SYSTEM)


@pytest.mark.django_db
def test_admin_pages_render(admin_client: Client) -> None:
    for model in ("calendarday", "calendaryear", "workinghours"):
        assert admin_client.get(f"/admin/workcalendar/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/workcalendar/{model}/add/").status_code == 200, model
