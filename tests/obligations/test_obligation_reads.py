"""Inbox (scope, order, filters, count), compliance figures and their Excel export, pages, API."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.test import Client
from obl_helpers import LOOSE_KIND, at
from openpyxl import load_workbook

from zhidu.core.errors import PermissionDeniedError
from zhidu.obligations import deadlines, jobs, selectors, services
from zhidu.obligations.models import Notification, Obligation, State

pytestmark = pytest.mark.django_db


def test_inbox_scope_order_and_filters(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    late = open_one(days=5)
    soon = open_one(days=2)
    other = open_one(kind=LOOSE_KIND, person=people.front_manager)
    mkt = open_one(unit=tree.marketing, person=people.stranger, actor=people.mkt_manager)
    assert [i.id for i in selectors.inbox(people.handler)] == [soon.pk, late.pk]  # their own, soonest first
    assert [i.id for i in selectors.inbox(people.front_manager)] == [soon.pk, other.pk, late.pk]  # the unit's
    assert [i.id for i in selectors.inbox(people.gm)] == [soon.pk, other.pk, late.pk]  # the hotel's subtree
    assert [i.id for i in selectors.inbox(people.mkt_manager)] == [mkt.pk]
    assert selectors.inbox(people.stranger)[0].id == mkt.pk
    assert [i.id for i in selectors.inbox(people.front_manager, module="customerservice")] == [other.pk]
    assert selectors.inbox_count(people.front_manager) == 3 and selectors.inbox_count(people.handler) == 2

    item = selectors.inbox(people.handler)[0]
    assert item.clauses == ["P4.4.4"] and item.why.startswith("P4.4.4：") and item.mine and item.can_meet
    assert not selectors.inbox(people.gm)[0].mine and selectors.inbox(people.gm)[0].can_meet

    services.meet(people.handler, soon, now=at(2026, 11, 24, 9))
    assert selectors.inbox_count(people.handler) == 1
    assert [i.id for i in selectors.inbox(people.handler, state=State.MET)] == [soon.pk]
    jobs.run_tick(at(2026, 12, 1, 9))  # `late` (due 2026-11-30) is breached: still in the inbox
    assert [(i.id, i.state, i.overdue) for i in selectors.inbox(people.handler)] == [(late.pk, "breached", True)]


def _compliance_fixture(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    on_time = [open_one() for _ in range(3)]
    for ob in on_time:
        services.meet(people.handler, ob, now=at(2026, 11, 25, 9))
    services.meet(people.handler, open_one(), now=at(2026, 11, 27, 9))       # met late
    open_one()                                                             # breached below
    services.waive(people.gm, open_one(), reason="重复登记")                   # waived
    open_one(days=30)                                                      # not due yet
    open_one(unit=tree.marketing, person=people.stranger, actor=people.mkt_manager)  # breached, elsewhere
    open_one(now=at(2026, 10, 20, 9), start=dt.date(2026, 10, 20))         # opened before the period
    jobs.run_tick(at(2026, 11, 28, 9))


def test_compliance_figures(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    _compliance_fixture(tree, people, open_one)
    report = selectors.compliance(people.gm, tree.hotel, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert [(r.unit, r.opened, r.met_on_time, r.met_late, r.breached, r.waived, r.pending) for r in report.rows] == [
        ("前厅部", 7, 3, 1, 1, 1, 1)]
    assert report.total.opened == 7 and report.total.on_time_rate == pytest.approx(3 / 5)
    root = selectors.compliance(tree.admin.__class__.objects.get(pk=people.gm.pk), tree.hotel,
                                dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert root.total.opened == 1 and root.total.breached == 1 and root.total.on_time_rate == 0
    with pytest.raises(PermissionDeniedError):
        selectors.compliance(people.front_manager, tree.hotel, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    with pytest.raises(PermissionDeniedError):
        selectors.compliance(people.handler, tree.front, dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_compliance_excel_reads_back(tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    _compliance_fixture(tree, people, open_one)
    report = selectors.compliance(people.gm, tree.hotel, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    wb = load_workbook(io.BytesIO(selectors.compliance_xlsx(report)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1] == ("单位", "新开", "按期完成", "逾期完成", "超期未办", "已豁免", "未到期", "按期率")
    assert rows[2][:7] == ("前厅部", 7, 3, 1, 1, 1, 1) and rows[2][7] == pytest.approx(0.6)
    assert rows[3][:2] == ("合计", 7)


# ---------------------------------------------------------------------------------------------- pages


def test_my_work_page_lists_the_inbox_with_clause_why_and_count(client: Client, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    open_one(start=dt.date(2030, 3, 1), now=at(2030, 3, 1, 9))  # provisional
    client.force_login(people.handler.user)
    page = client.get("/my-work/").content.decode()
    assert f'data-obligation="{ob.pk}"' in page and "办结投诉 TS-001" in page and "P4.4.4" in page
    assert "3 个工作日内" in page and "暂定" in page
    assert 'id="nav-badge-my_work" data-count="2"' in page
    # filters
    assert "TS-001" not in client.get("/my-work/?state=met").content.decode()
    assert "TS-001" not in client.get("/my-work/?module=attendance").content.decode()


def test_meet_with_htmx_returns_the_row_and_the_new_count(client: Client, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one()
    open_one()
    client.force_login(people.handler.user)
    fragment = client.post(f"/obligations/{ob.pk}/meet/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-state="met"' in fragment
    assert 'id="nav-badge-my_work" hx-swap-oob="true" data-count="1"' in fragment
    assert Obligation.objects.get(pk=ob.pk).state == State.MET
    # somebody else's obligation does not exist for a stranger
    client.force_login(people.stranger.user)
    assert client.post(f"/obligations/{ob.pk}/meet/").status_code == 404


def test_detail_page_extend_and_waive(client: Client, people, open_one) -> None:  # type: ignore[no-untyped-def]
    ob = open_one(now=at(2026, 11, 23, 9))
    client.force_login(people.gm.user)
    page = client.get(f"/obligations/{ob.pk}/").content.decode()
    assert "延期" in page and "豁免" in page and "P4.4.4" in page
    response = client.post(f"/obligations/{ob.pk}/", {"action": "waive", "reason": ""})
    assert response.status_code == 200 and "请说明豁免原因" in response.content.decode()
    response = client.post(f"/obligations/{ob.pk}/", {"action": "waive", "reason": "客户撤诉"})
    assert response.status_code == 302 and Obligation.objects.get(pk=ob.pk).state == State.WAIVED
    client.force_login(people.handler.user)
    assert client.post(f"/obligations/{ob.pk}/", {"action": "waive", "reason": "x"}).status_code == 403


def test_compliance_page_and_export(client: Client, tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    _compliance_fixture(tree, people, open_one)
    client.force_login(people.gm.user)
    page = client.get(f"/obligations/compliance/?unit={tree.hotel.pk}&start=2026-11-01&end=2026-11-30").content.decode()
    assert "前厅部" in page and "60%" in page and "导出 Excel" in page
    response = client.get(f"/obligations/compliance/export.xlsx?unit={tree.hotel.pk}&start=2026-11-01&end=2026-11-30")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2][:2] == ("前厅部", 7)
    client.force_login(people.handler.user)
    assert client.get("/obligations/compliance/").status_code == 403
    assert 'data-nav="compliance"' not in client.get("/my-work/").content.decode()


def test_notifications_page_and_mark_read(client: Client, people, open_one) -> None:  # type: ignore[no-untyped-def]
    open_one()
    open_one()
    client.force_login(people.handler.user)
    page = client.get("/obligations/notifications/").content.decode()
    assert "新的待办事项：办结投诉 TS-001" in page and 'id="nav-badge-notifications" data-count="2"' in page
    first = Notification.objects.filter(recipient=people.handler).order_by("id").first()
    assert first is not None
    client.post("/obligations/notifications/", {"id": first.pk})
    assert selectors.unread_count(people.handler) == 1
    client.post("/obligations/notifications/")
    assert selectors.unread_count(people.handler) == 0
    # nobody can mark someone else's notifications
    client.force_login(people.stranger.user)
    other = Notification.objects.create(recipient=people.handler, channel="in_app", event="open", message="x",
                                        subject="x", body="x", created_at=at(2026, 11, 23, 9), status="sent")
    client.post("/obligations/notifications/", {"id": other.pk})
    assert Notification.objects.get(pk=other.pk).read_at is None


# ---------------------------------------------------------------------------------------------- API


def test_api_inbox_meet_extend_waive_compliance(client: Client, tree, people, open_one) -> None:  # type: ignore[no-untyped-def]
    a, b, c = open_one(days=10), open_one(days=11), open_one(days=12)
    client.force_login(people.handler.user)
    inbox = client.get("/api/v1/obligations/inbox").json()
    assert [i["id"] for i in inbox] == [a.pk, b.pk, c.pk] and inbox[0]["clauses"] == ["P4.4.4"]
    assert client.post(f"/api/v1/obligations/{a.pk}/meet", {"note": "ok"}, content_type="application/json").json()[
        "state"] == "met"
    response = client.post(f"/api/v1/obligations/{b.pk}/waive", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"

    client.force_login(people.front_manager.user)
    due = b.due_at + dt.timedelta(days=1)
    response = client.post(f"/api/v1/obligations/{b.pk}/extend", json.dumps({"new_due": due.isoformat(), "reason": ""}),
                           content_type="application/json")
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["reason"]
    response = client.post(f"/api/v1/obligations/{b.pk}/extend",
                           json.dumps({"new_due": due.isoformat(), "reason": "核查"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "extended"

    client.force_login(people.gm.user)
    assert client.post(f"/api/v1/obligations/{c.pk}/waive", {"reason": "撤诉"},
                       content_type="application/json").json()["state"] == "waived"
    report = client.get(f"/api/v1/obligations/compliance?unit_id={tree.hotel.pk}&start=2026-11-01&end=2026-11-30").json()
    assert report["total"]["opened"] == 3 and report["total"]["met_on_time"] == 1 and report["total"]["waived"] == 1
    client.force_login(people.stranger.user)
    assert client.post(f"/api/v1/obligations/{b.pk}/meet", {}, content_type="application/json").status_code == 404


def test_deadline_spec_errors_are_named() -> None:
    with pytest.raises(deadlines.SpecError) as err:
        deadlines.normalize({"basis": "working_days", "days": -1}, at(2026, 1, 5, 9), at(2026, 1, 5).tzinfo)
    assert err.value.key == "days"


def test_admin_shows_obligations_read_only(client: Client, people, open_one) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    ob = open_one()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!"))
    assert client.get("/admin/obligations/obligation/").status_code == 200
    assert client.get("/admin/obligations/notification/").status_code == 200
    assert client.get("/admin/obligations/obligation/add/").status_code == 403
    assert client.post(f"/admin/obligations/obligation/{ob.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Obligation.objects.filter(pk=ob.pk).exists()
