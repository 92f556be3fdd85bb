"""The working-day calendar in the database: seed, cache, services, imports/exports, CLI (issue 3).

Spec "Counting conventions": 工作日 follows the State Council schedule incl. 调休; years the data does
not cover fall back to weekends-only and are flagged provisional until confirmed or imported.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from zhidu.audit.models import AuditEvent
from zhidu.calendar import formats, selectors, services
from zhidu.calendar.models import CalendarDay, CalendarVersion, CalendarYear, WorkingHours
from zhidu.calendar.rules import DayKind
from zhidu.calendar.seed import chinese_calendar_days, from_chinese_calendar, package_source
from zhidu.calendar.signals import calendar_changed, working_hours_changed
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org.access import SYSTEM

SEED = from_chinese_calendar()


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Any:
    selectors.invalidate()
    yield
    selectors.invalidate()


@pytest.fixture
def changes() -> Any:
    """Every calendar_changed sent (after commit) during the test."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(kwargs)

    calendar_changed.connect(receiver, weak=False)
    yield sent
    calendar_changed.disconnect(receiver)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


# ------------------------------------------------------------------------------------ seed + cache


@pytest.mark.django_db
def test_fresh_database_is_seeded_from_the_package() -> None:
    explicit, years = chinese_calendar_days()
    assert CalendarDay.objects.count() == len(explicit)
    assert set(CalendarYear.objects.filter(known=True).values_list("year", flat=True)) == set(years)
    snap = selectors.snapshot()
    assert snap.from_db
    cal = selectors.work_calendar()
    assert cal.known_years == SEED.known_years
    d = date(2004, 1, 1)
    while d <= date(2027, 12, 31):
        assert cal.info(d) == SEED.info(d), d
        d += timedelta(days=7 if d.year < 2024 else 1)


@pytest.mark.django_db
def test_empty_tables_fall_back_to_the_package_seed() -> None:
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    selectors.invalidate()
    snap = selectors.snapshot()
    assert not snap.from_db
    assert selectors.work_calendar().info(date(2026, 10, 10)).kind is DayKind.MAKEUP
    assert selectors.add_working_days(date(2026, 9, 30), 3) == (date(2026, 10, 10), False)


@pytest.mark.django_db
def test_another_process_change_is_noticed_after_the_check_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"t": 1000.0}
    monkeypatch.setattr(selectors._time, "monotonic", lambda: clock["t"])
    assert selectors.work_calendar().is_working_day(date(2026, 10, 9))
    # Another process writes (rows + token) without going through this process's services.
    CalendarDay.objects.create(date=date(2026, 10, 9), working=False, kind="holiday", name="测试假日")
    CalendarVersion.objects.filter(pk=1).update(token="another-process")
    clock["t"] += selectors.CHECK_INTERVAL / 2
    assert selectors.work_calendar().is_working_day(date(2026, 10, 9))  # cached between checks
    clock["t"] += selectors.CHECK_INTERVAL
    assert not selectors.work_calendar().is_working_day(date(2026, 10, 9))


def test_without_database_access_the_seed_is_used() -> None:
    # No django_db mark: database access is blocked, the calendar must still answer.
    assert selectors.work_calendar().info(date(2026, 10, 10)).name == "国庆节"
    assert selectors.working_hours_for(None) == selectors.WorkingHours()


# ------------------------------------------------------------------------------------ services


@pytest.mark.django_db
def test_set_day_changes_the_calendar_signals_and_audits(tree, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    cal = selectors.work_calendar()
    assert cal.add_working_days(date(2026, 10, 8), 1) == (date(2026, 10, 9), False)
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.set_day(tree.admin, date(2026, 10, 9), working=False, kind="holiday", name="国庆节",
                         source="测试通知")
    assert selectors.work_calendar().info(date(2026, 10, 9)).working is False
    assert selectors.add_working_days(date(2026, 10, 8), 1) == (date(2026, 10, 10), False)
    assert changes == [{"signal": calendar_changed, "dates": [date(2026, 10, 9)], "years": [], "actor": tree.admin}]
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.action == "calendar.set_day" and event.unit_id == tree.root.pk
    assert event.payload["before"] is None and event.payload["after"]["kind"] == "holiday"
    # a source-only edit is audited but changes no date
    changes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.set_day(tree.admin, date(2026, 10, 9), kind="holiday", name="国庆节", source="更正的通知")
    assert changes == []
    assert AuditEvent.objects.count() == before + 2
    # clearing returns the day to the weekday rule
    with django_capture_on_commit_callbacks(execute=True):
        assert services.clear_day(tree.admin, date(2026, 10, 9))
    assert selectors.day_info(date(2026, 10, 9)).kind is DayKind.WORKDAY
    assert changes[-1]["dates"] == [date(2026, 10, 9)]


@pytest.mark.django_db
def test_uncommitted_change_is_private_to_the_writing_thread(tree) -> None:  # type: ignore[no-untyped-def]
    shared = selectors.snapshot()
    services.set_day(tree.admin, date(2026, 10, 9), kind="holiday", name="国庆节")  # commit never happens here
    assert not selectors.work_calendar().is_working_day(date(2026, 10, 9))  # the writer sees it
    assert selectors._state.snapshot is shared and shared.calendar.is_working_day(date(2026, 10, 9))


@pytest.mark.django_db
def test_set_day_validates_every_field(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as err:
        services.set_day(tree.admin, date(2026, 10, 14), working=True, kind="makeup", name="", source="x" * 300)
    fields = {e.field for e in err.value.errors}
    assert fields == {"kind", "name", "source"}  # makeup on a Wednesday, no name, source too long
    with pytest.raises(ValidationFailed) as err:
        services.set_day(tree.admin, date(2026, 10, 14), working=True, kind="holiday", name="x")
    assert {e.field for e in err.value.errors} == {"working"}
    assert not CalendarDay.objects.filter(date=date(2026, 10, 14)).exists()


@pytest.mark.django_db
def test_only_an_administrator_of_the_organization_may_change_the_calendar(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    hr = make_person(tree.hotel, role="hr")
    hotel_admin = make_person(tree.hotel, role="admin")  # admin of a unit, not of the organization
    before = (CalendarDay.objects.count(), CalendarYear.objects.count(), AuditEvent.objects.count())
    for actor in (hr, hotel_admin, None):
        with pytest.raises(PermissionDeniedError):
            services.set_day(actor, date(2027, 1, 1), kind="holiday", name="元旦")
        with pytest.raises(PermissionDeniedError):
            services.import_csv(actor, "date,working,kind,name\n2027-01-01,false,holiday,元旦\n")
        with pytest.raises(PermissionDeniedError):
            services.confirm_year(actor, 2027)
        assert not services.can_manage(actor)
    assert services.can_manage(tree.admin) and services.can_manage(SYSTEM)
    assert (CalendarDay.objects.count(), CalendarYear.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_unknown_year_is_provisional_until_confirmed(tree, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    info = selectors.day_info(date(2027, 3, 1))
    assert info.working and info.provisional
    assert selectors.add_working_days(date(2026, 12, 31), 1) == (date(2027, 1, 1), True)
    assert selectors.add_working_days(date(2027, 3, 1), 1) == (date(2027, 3, 2), True)
    with django_capture_on_commit_callbacks(execute=True):
        year = services.confirm_year(tree.admin, 2027, source="国办发明电〔2026〕1号")
    assert year.known and year.confirmed_by == tree.admin and year.confirmed_at is not None
    assert selectors.add_working_days(date(2027, 3, 1), 1) == (date(2027, 3, 2), False)
    assert len(changes) == 1 and changes[0]["years"] == [2027]
    assert changes[0]["dates"][0] == date(2027, 1, 1) and len(changes[0]["dates"]) == 365
    assert AuditEvent.objects.filter(action="calendar.confirm_year").count() == 1
    with pytest.raises(ValidationFailed):
        services.confirm_year(tree.admin, 2300)


# --------------------------------------------------------------------------------------- imports

GOOD_CSV = """date,working,kind,name,source
2027-02-06,false,holiday,春节,国办发明电〔2026〕X号
2027-02-07,false,holiday,春节,
2027-02-14,true,makeup,春节,
"""

BAD_CSV = """date,working,kind,name,source
2027-02-06,false,holiday,春节,ok
2027-13-01,false,holiday,春节,bad date
2027-02-08,maybe,holiday,春节,bad working
2027-02-10,true,makeup,春节,makeup on a Wednesday
2027-02-11,false,festival,春节,bad kind
2027-02-06,false,holiday,春节,duplicate
2027-02-12,false,holiday,,no name
"""


@pytest.mark.django_db
def test_csv_import_with_bad_rows_reports_all_and_writes_nothing(tree, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    before = (CalendarDay.objects.count(), CalendarYear.objects.count(), AuditEvent.objects.count(),
              CalendarVersion.objects.get(pk=1).token)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ImportFailed) as err:
        services.import_csv(tree.admin, BAD_CSV)
    got = [(r.line, r.field) for r in err.value.rows]
    assert got == [(3, "date"), (4, "working"), (5, "kind"), (6, "kind"), (7, "date"), (8, "name")]
    assert "2027-13-01" in str(err.value.rows[0].message)
    assert "第 2 行" in str(err.value.rows[4].message)  # the duplicate names the first occurrence
    assert {e.field for e in err.value.errors} == {"3:date", "4:working", "5:kind", "6:kind", "7:date", "8:name"}
    after = (CalendarDay.objects.count(), CalendarYear.objects.count(), AuditEvent.objects.count(),
             CalendarVersion.objects.get(pk=1).token)
    assert after == before and changes == []
    assert selectors.day_info(date(2027, 2, 6)).kind is DayKind.WEEKEND  # untouched (a Saturday)


@pytest.mark.django_db
def test_csv_import_partial_writes_the_good_rows(tree, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.import_csv(tree.admin, BAD_CSV, partial=True, confirm_years=False)
    assert result.created == 1 and len(result.errors) == 6
    assert selectors.day_info(date(2027, 2, 6)).kind is DayKind.HOLIDAY
    assert selectors.day_info(date(2027, 2, 6)).provisional  # confirm_years=False
    assert changes[0]["dates"] == [date(2027, 2, 6)]


@pytest.mark.django_db
def test_csv_import_confirms_the_year_and_recomputes(tree, changes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.import_csv(tree.admin, GOOD_CSV.encode("utf-8-sig"), source="upload.csv")
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert result.confirmed_years == [2027]
    assert CalendarDay.objects.get(date=date(2027, 2, 7)).source == "upload.csv"  # empty cell: the import's source
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).source == "国办发明电〔2026〕X号"
    info = selectors.day_info(date(2027, 2, 14))
    assert (info.working, info.kind, info.name, info.provisional) == (True, DayKind.MAKEUP, "春节", False)
    assert changes[-1]["years"] == [2027] and len(changes[-1]["dates"]) == 365
    event = AuditEvent.objects.filter(action="calendar.import").get()
    assert event.payload["created"] == 3 and len(event.payload["changes"]) == 3
    # importing the same file again changes nothing
    again = services.import_csv(tree.admin, GOOD_CSV, source="upload.csv")
    assert (again.created, again.updated, again.unchanged, again.changed_dates) == (0, 0, 3, [])


@pytest.mark.django_db
def test_csv_without_header_gbk_and_derived_columns(tree) -> None:  # type: ignore[no-untyped-def]
    data = "2027-10-01,,holiday,国庆节\n2027-10-09,true,,国庆节\n2027-10-02,否,,国庆节\n".encode("gb18030")
    result = services.import_csv(tree.admin, data)
    assert result.created == 3
    assert CalendarDay.objects.get(date=date(2027, 10, 9)).kind == "makeup"  # working on a Saturday
    assert CalendarDay.objects.get(date=date(2027, 10, 2)).kind == "holiday"
    assert CalendarDay.objects.get(date=date(2027, 10, 1)).working is False


@pytest.mark.django_db
def test_replace_import_removes_days_the_file_does_not_list(tree) -> None:  # type: ignore[no-untyped-def]
    services.import_csv(tree.admin, GOOD_CSV)
    result = services.import_csv(tree.admin, "2027-02-06,false,holiday,春节,国办发明电〔2026〕X号\n", replace=True)
    assert (result.unchanged, result.deleted) == (1, 2)
    assert result.changed_dates == [date(2027, 2, 7), date(2027, 2, 14)]
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [date(2027, 2, 6)]


def _rows(year: int) -> list[tuple[Any, ...]]:
    return list(CalendarDay.objects.filter(date__year=year).order_by("date").values_list(
        "date", "working", "kind", "name", "source"))


@pytest.mark.django_db
def test_ics_round_trip_through_files(tree, tmp_path) -> None:  # type: ignore[no-untyped-def]
    original = _rows(2026)
    assert len(original) > 20
    path = tmp_path / "2026.ics"
    run("export", "2026", "-o", str(path))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and "SUMMARY:国庆节（补班）" in text
    assert text.count("BEGIN:VEVENT") < len(original)  # consecutive days are merged
    # forget 2026 entirely, then import the file back
    CalendarDay.objects.filter(date__year=2026).delete()
    CalendarYear.objects.filter(year=2026).update(known=False)
    selectors.invalidate()
    assert selectors.day_info(date(2026, 10, 10)).provisional
    out = run("import", str(path))
    assert "2026" in out
    assert _rows(2026) == original
    assert CalendarYear.objects.get(year=2026).known
    assert selectors.work_calendar().info(date(2026, 10, 10)) == SEED.info(date(2026, 10, 10))
    # and the CSV export round-trips too
    csv_path = tmp_path / "2026.csv"
    run("export", "2026", "--format", "csv", "-o", str(csv_path))
    CalendarDay.objects.filter(date__year=2026).delete()
    run("import", str(csv_path), "--format", "csv")
    assert _rows(2026) == original


THIRD_PARTY_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//example//holidays//CN\r
BEGIN:VEVENT\r
UID:a\r
DTSTART;VALUE=DATE:20271001\r
DTEND;VALUE=DATE:20271008\r
SUMMARY:国庆节 假期 第1天/共7天\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:b\r
DTSTART;VALUE=DATE:20270926\r
SUMMARY:国庆节 补班\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:c\r
DTSTART;VALUE=DATE:20271009\r
SUMMARY:国庆节(班)\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.mark.django_db
def test_ics_from_another_source_uses_summary_markers(tree, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cn.ics"
    path.write_text(THIRD_PARTY_ICS, encoding="utf-8")
    result = services.import_file(tree.admin, path.read_bytes(), filename=path.name)
    assert result.created == 9
    assert selectors.day_info(date(2027, 10, 2)).kind is DayKind.HOLIDAY
    assert selectors.day_info(date(2027, 10, 2)).name == "国庆节"
    for d in (date(2027, 9, 26), date(2027, 10, 9)):
        info = selectors.day_info(d)
        assert (info.working, info.kind, info.name, info.provisional) == (True, DayKind.MAKEUP, "国庆节", False)


BAD_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//t//t//CN
BEGIN:VEVENT
UID:1
DTSTART:20270101T000000
SUMMARY:元旦
END:VEVENT
BEGIN:VEVENT
UID:2
DTSTART;VALUE=DATE:20270103
DTEND;VALUE=DATE:20270102
SUMMARY:元旦
END:VEVENT
BEGIN:VEVENT
UID:3
DTSTART;VALUE=DATE:20270106
SUMMARY:补班
X-ZHIDU-KIND:makeup
END:VEVENT
BEGIN:VEVENT
UID:4
DTSTART;VALUE=DATE:20270201
SUMMARY:春节
RRULE:FREQ=YEARLY
END:VEVENT
END:VCALENDAR
"""


@pytest.mark.django_db
def test_ics_import_reports_every_bad_event_with_its_line(tree) -> None:  # type: ignore[no-untyped-def]
    count = CalendarDay.objects.count()
    with pytest.raises(services.ImportFailed) as err:
        services.import_ics(tree.admin, BAD_ICS)
    got = sorted((r.line, r.field) for r in err.value.rows)
    assert got == [(4, "DTSTART"), (9, "DTEND"), (15, "SUMMARY"), (15, "X-ZHIDU-KIND"), (21, "RRULE")]
    assert CalendarDay.objects.count() == count
    with pytest.raises(services.ImportFailed) as err:
        services.import_ics(tree.admin, b"not a calendar")
    assert err.value.rows[0].field == "file"


def test_summary_markers() -> None:
    assert formats.summary_is_working("国庆节（补班）") and formats.summary_is_working("春节 班")
    assert formats.summary_is_working("劳动节调休上班")
    assert not formats.summary_is_working("国庆节（休）") and not formats.summary_is_working("班禅纪念日")
    assert formats.summary_name("国庆节 假期 第3天/共8天") == "国庆节"
    assert formats.summary_name("劳动节调休上班") == "劳动节"
    assert formats.summary_name("元旦（休）") == "元旦"


# ------------------------------------------------------------------------------------ working hours


@pytest.mark.django_db
def test_working_hours_are_inherited_from_the_nearest_ancestor(tree, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    default = selectors.working_hours_for(tree.front)
    assert (default.day_start, default.day_end, default.break_start) == (time(8, 30), time(17, 30), None)
    sent: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(kwargs["units"])

    working_hours_changed.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.set_working_hours(tree.admin, tree.hotel, day_start=time(9), day_end=time(18),
                                       break_start=time(12), break_end=time(13))
    finally:
        working_hours_changed.disconnect(receiver)
    assert sent == [[tree.hotel.pk]]
    front = selectors.working_hours_for(tree.front)
    assert (front.day_start, front.break_start, front.unit_id) == (time(9), time(12), tree.hotel.pk)
    assert selectors.working_hours_for(tree.marketing).day_start == time(8, 30)
    assert selectors.working_hours_for(tree.root).unit_id is None
    services.set_working_hours(tree.admin, tree.front, day_start=time(7), day_end=time(15))
    assert selectors.working_hours_for(tree.front).day_start == time(7)
    assert selectors.working_hours_for(tree.front.pk).day_start == time(7)
    services.clear_working_hours(tree.admin, tree.front)
    assert selectors.working_hours_for(tree.front).day_start == time(9)
    assert AuditEvent.objects.filter(action__startswith="calendar.").filter(
        action__endswith="working_hours").count() == 3
    with pytest.raises(ValidationFailed) as err:
        services.set_working_hours(tree.admin, tree.front, day_start=time(18), day_end=time(9), break_start=time(12))
    assert {e.field for e in err.value.errors} == {"day_end", "break_end"}
    assert WorkingHours.objects.count() == 1


@pytest.mark.django_db
def test_working_hours_deadline_starts_at_the_next_working_start(tree) -> None:  # type: ignore[no-untyped-def]
    services.set_working_hours(tree.admin, tree.hotel, day_start=time(9), day_end=time(18),
                               break_start=time(12), break_end=time(13))
    tz = timezone.get_current_timezone()
    # Wednesday 2026-09-30 20:00 (after hours), national day holiday follows: next working start is
    # Thursday 2026-10-08 09:00; 4 working hours → 14:00 (the midday break is not counted).
    start = datetime(2026, 9, 30, 20, 0, tzinfo=tz)
    deadline, provisional = selectors.add_working_hours(start, 4, tree.front)
    assert deadline == datetime(2026, 10, 8, 14, 0, tzinfo=tz) and not provisional
    # an aware UTC start is read as local time
    utc = datetime(2026, 10, 8, 1, 30, tzinfo=UTC)
    assert selectors.add_working_hours(utc, 1, tree.front)[0] == datetime(2026, 10, 8, 10, 30, tzinfo=tz)
    deadline, provisional = selectors.working_days_deadline(date(2026, 9, 30), 3, tree.front)
    assert deadline == datetime(2026, 10, 10, 18, 0, tzinfo=tz) and not provisional
    deadline, provisional = selectors.working_days_deadline(date(2026, 12, 30), 3)
    assert deadline == datetime(2027, 1, 4, 17, 30, tzinfo=tz) and provisional  # 2027 unknown: weekdays only


# ---------------------------------------------------------------------------------------------- CLI


@pytest.mark.django_db
def test_cli_exact_outputs() -> None:
    assert run("is-workday", "2026-10-10") == "true\nmakeup 国庆节\n"
    assert run("is-workday", "2026-10-01") == "false\nholiday 国庆节\n"
    assert run("is-workday", "2026-10-12") == "true\nworkday\n"
    assert run("is-workday", "2027-03-06") == "false\nweekend\nprovisional\n"
    assert json.loads(run("is-workday", "2026-10-10", "--json")) == {
        "date": "2026-10-10", "working": True, "kind": "makeup", "name": "国庆节", "provisional": False}
    assert run("is-workday", "2026-10-10", "--json") == (
        '{"date": "2026-10-10", "working": true, "kind": "makeup", "name": "国庆节", "provisional": false}\n')
    assert run("add-workdays", "2026-09-30", "3") == "2026-10-10\n"
    assert run("add-workdays", "2026-10-10", "-3") == "2026-09-30\n"
    assert run("add-workdays", "2027-03-01", "1") == "2027-03-02 provisional\n"
    assert run("add-workdays", "2026-12-31", "3") == "2027-01-05 provisional\n"
    assert json.loads(run("add-workdays", "2026-09-30", "3", "--json")) == {
        "date": "2026-10-10", "working": True, "kind": "makeup", "name": "国庆节", "provisional": False}
    assert json.loads(run("add-workdays", "2027-03-01", "1", "--json")) == {
        "date": "2027-03-02", "working": True, "kind": "workday", "name": "", "provisional": True}


@pytest.mark.django_db
def test_cli_bad_input_names_the_argument() -> None:
    with pytest.raises(CommandError) as err:
        run("is-workday", "2026-13-01")
    assert "DATE" in str(err.value) and "2026-13-01" in str(err.value)
    with pytest.raises(CommandError) as err:
        run("add-workdays", "2026-10-01", "three")
    assert "N" in str(err.value) and "three" in str(err.value)
    with pytest.raises(CommandError) as err:
        run("add-workdays", "9999-12-30", "10")
    assert "N" in str(err.value)
    with pytest.raises(CommandError) as err:
        run("export", "3000")
    assert "YEAR" in str(err.value)


@pytest.mark.django_db
def test_cli_import_reports_every_bad_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    err = io.StringIO()
    count = CalendarDay.objects.count()
    with pytest.raises(CommandError):
        call_command("calendar", "import", str(path), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("第 3 行") and "date" in lines[0]
    assert CalendarDay.objects.count() == count
    out = io.StringIO()
    call_command("calendar", "import", str(path), "--partial", "--no-confirm", stdout=out, stderr=io.StringIO())
    assert CalendarDay.objects.count() == count + 1
    assert not CalendarYear.objects.filter(year=2027, known=True).exists()
    call_command("calendar", "confirm", "2027", stdout=out)
    assert CalendarYear.objects.get(year=2027).known


@pytest.mark.django_db
def test_cli_seed_adds_only_missing_years(tree) -> None:  # type: ignore[no-untyped-def]
    assert "无需改动" in run("seed")
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    services.set_day(tree.admin, date(2024, 10, 12), kind="makeup", name="国庆节", source="管理员更正")
    out = run("seed")
    assert "2025" in out and "2024" not in out
    explicit, _years = chinese_calendar_days()
    assert _rows(2025) == [(d, w, DayKind(k).value, n, package_source()) for d, (w, k, n) in sorted(explicit.items())
                           if d.year == 2025]
    assert CalendarDay.objects.get(date=date(2024, 10, 12)).source == "管理员更正"  # admin's edit kept


def _zhidu(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    exe = os.path.join(os.path.dirname(sys.executable), "zhidu")
    env = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([exe, "calendar", *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_cli_runs_against_an_unmigrated_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _zhidu(tmp_path, "is-workday", "2026-10-10")
    assert (result.returncode, result.stdout) == (0, "true\nmakeup 国庆节\n"), result.stderr
    result = _zhidu(tmp_path, "add-workdays", "2027-03-01", "1", "--json")
    assert json.loads(result.stdout)["provisional"] is True
    result = _zhidu(tmp_path, "is-workday", "2026-13-01")
    assert result.returncode != 0 and "DATE" in result.stderr and "2026-13-01" in result.stderr
    assert result.stdout == ""
