"""Pages and API of the sanctions ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext_noop

from zhidu.audit.models import AuditEvent
from zhidu.org.access import SYSTEM
from zhidu.rulebook.decision import Decision
from zhidu.sanctions import services
from zhidu.sanctions.models import LedgerEntry, PeriodLock, Status

MARCH = "2026-03"


@pytest.fixture
def ledger(tree, make_person):  # type: ignore[no-untyped-def]
    class L:
        worker = make_person(tree.front, name="张伟")
        hr = make_person(tree.hotel, role="hr", name="人事")
        manager = make_person(tree.front, role="department_manager", name="前厅经理")
        mkt_manager = make_person(tree.marketing, role="department_manager", name="营销经理")
    fine = Decision(rule="p7.lateness_fine", value=Decimal(10), clauses=("P7.10",),
                    reason=gettext_noop("迟到 %(n)s 次，每次罚款 %(each)s 元"), reason_args={"n": 2, "each": 5})
    L.fine = services.post_entry(SYSTEM, person=L.worker, kind="fine", period=MARCH, amount=Decimal(10),
                                 decision=fine, source_module="attendance", source_key="f1").entry
    absent = Decision(rule="p7.absenteeism_action", value="suspension", clauses=("P7.12",),
                      reason=gettext_noop("本月旷工 %(days)s 天，达到停职标准"), reason_args={"days": 2})
    L.action = services.propose_action(SYSTEM, person=L.worker, kind="suspension", period=MARCH, decision=absent,
                                       source_module="attendance", source_key="s1").entry
    return L


@pytest.mark.django_db
def test_pages_require_login(client: Client) -> None:
    for url in ("/sanctions/", f"/sanctions/statements/1/{MARCH}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.django_db
def test_nav_entry_follows_sanctions_view(client: Client, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.worker.user)
    assert 'data-nav="sanctions"' not in client.get("/").content.decode()
    assert client.get("/sanctions/")["Location"] == "/sanctions/mine/"  # staff go to their own statement
    client.force_login(ledger.manager.user)
    page = client.get("/").content.decode()
    assert 'data-nav="sanctions"' in page and "奖惩台账" in page


@pytest.mark.django_db
def test_queue_confirm_with_htmx(client: Client, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.hr.user)
    page = client.get("/sanctions/").content.decode()
    assert f'id="action-{ledger.action.pk}"' in page and 'data-form="confirm"' in page and 'data-form="reject"' in page
    assert "P7.12：本月旷工 2 天，达到停职标准" in page
    fragment = client.post(f"/sanctions/actions/{ledger.action.pk}/confirm/", {"note": "属实"},
                           HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-status="confirmed"' in fragment and "人事" in fragment
    entry = LedgerEntry.objects.get(pk=ledger.action.pk)
    assert entry.status == Status.CONFIRMED and entry.confirm_note == "属实"


@pytest.mark.django_db
def test_reject_without_reason_is_shown_and_writes_nothing(client: Client, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.hr.user)
    events = AuditEvent.objects.count()
    fragment = client.post(f"/sanctions/actions/{ledger.action.pk}/reject/", {"reason": ""}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200  # htmx swaps 2xx only: the row returns with its error
    text = fragment.content.decode()
    assert 'role="alert"' in text and 'data-status="proposed"' in text
    response = client.post(f"/sanctions/actions/{ledger.action.pk}/reject/", {"reason": " "})
    assert response.status_code == 422 and "驳回须填写理由" in response.content.decode()
    assert AuditEvent.objects.count() == events
    assert LedgerEntry.objects.get(pk=ledger.action.pk).status == Status.PROPOSED
    response = client.post(f"/sanctions/actions/{ledger.action.pk}/reject/", {"reason": "证据不足"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(pk=ledger.action.pk)
    assert entry.status == Status.REJECTED and entry.rejected_reason == "证据不足"


@pytest.mark.django_db
def test_department_manager_sees_the_queue_but_cannot_decide(client: Client, tree, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.manager.user)
    page = client.get("/sanctions/").content.decode()
    assert f'id="action-{ledger.action.pk}"' in page and 'data-form="confirm"' not in page
    events = AuditEvent.objects.count()
    assert client.post(f"/sanctions/actions/{ledger.action.pk}/confirm/").status_code == 403
    client.force_login(ledger.mkt_manager.user)
    assert client.post(f"/sanctions/actions/{ledger.action.pk}/confirm/").status_code == 404
    client.force_login(tree.admin.user)
    assert client.post(f"/sanctions/actions/{ledger.action.pk}/confirm/").status_code == 404
    assert AuditEvent.objects.count() == events
    assert LedgerEntry.objects.get(pk=ledger.action.pk).status == Status.PROPOSED


@pytest.mark.django_db
def test_statement_page_shows_clauses_and_why(client: Client, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.worker.user)
    response = client.get(f"/sanctions/statements/{ledger.worker.pk}/{MARCH}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "P7.10：迟到 2 次，每次罚款 5 元" in page and 'data-total="total"><strong>10.00' in page
    assert "停职" in page and "待确认" in page
    assert client.get("/sanctions/mine/")["Location"].startswith(f"/sanctions/statements/{ledger.worker.pk}/")
    client.force_login(ledger.mkt_manager.user)
    assert client.get(f"/sanctions/statements/{ledger.worker.pk}/{MARCH}/").status_code == 404
    client.force_login(ledger.manager.user)
    assert client.get(f"/sanctions/statements/{ledger.worker.pk}/2026-13/").status_code == 404
    assert client.get(f"/sanctions/statements/{ledger.worker.pk}/{MARCH}/").status_code == 200


@pytest.mark.django_db
def test_unit_page_lock_and_unlock(client: Client, tree, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.manager.user)
    page = client.get(f"/sanctions/units/{tree.front.pk}/{MARCH}/").content.decode()
    assert "张伟" in page and 'data-form="lock"' not in page
    assert client.post(f"/sanctions/units/{tree.front.pk}/{MARCH}/lock/").status_code == 403
    assert client.get(f"/sanctions/units/?unit={tree.front.pk}&period={MARCH}")["Location"] == (
        f"/sanctions/units/{tree.front.pk}/{MARCH}/")
    client.force_login(ledger.hr.user)
    assert client.post(f"/sanctions/units/{tree.front.pk}/{MARCH}/lock/").status_code == 302
    assert PeriodLock.objects.filter(unit=tree.front, period=MARCH, unlocked_at__isnull=True).exists()
    page = client.get(f"/sanctions/units/{tree.front.pk}/{MARCH}/").content.decode()
    assert "data-locked" in page and 'data-form="unlock"' in page
    response = client.post(f"/sanctions/units/{tree.front.pk}/{MARCH}/unlock/", {"reason": ""})
    assert response.status_code == 422
    assert client.post(f"/sanctions/units/{tree.front.pk}/{MARCH}/unlock/", {"reason": "补录"}).status_code == 302
    assert not PeriodLock.objects.filter(unlocked_at__isnull=True).exists()


# --- API ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_entries_and_statement(client: Client, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.manager.user)
    rows = client.get("/api/v1/sanctions/entries", {"period": MARCH}).json()
    assert {r["kind"] for r in rows} == {"fine", "suspension"}
    fine = next(r for r in rows if r["kind"] == "fine")
    assert fine["clauses"] == ["P7.10"] and fine["explanation"].startswith("P7.10：") and fine["decision"]["rule"]
    assert client.get("/api/v1/sanctions/entries", {"period": "bad"}).status_code == 422
    body = client.get(f"/api/v1/sanctions/statements/{ledger.worker.pk}/{MARCH}").json()
    assert Decimal(body["totals"]["total"]) == Decimal("10.00") and len(body["lines"]) == 2
    assert [p["id"] for p in client.get("/api/v1/sanctions/pending").json()] == [ledger.action.pk]
    client.force_login(ledger.mkt_manager.user)
    assert client.get("/api/v1/sanctions/entries").json() == []
    response = client.get(f"/api/v1/sanctions/statements/{ledger.worker.pk}/{MARCH}")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_api_confirm_and_reject(client: Client, ledger) -> None:  # type: ignore[no-untyped-def]
    client.force_login(ledger.manager.user)
    response = client.post(f"/api/v1/sanctions/entries/{ledger.action.pk}/confirm", {}, content_type="application/json")
    assert response.status_code == 403 and set(response.json()) == {"code", "message", "errors"}
    client.force_login(ledger.hr.user)
    response = client.post(f"/api/v1/sanctions/entries/{ledger.action.pk}/reject", {"reason": ""},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
    response = client.post(f"/api/v1/sanctions/entries/{ledger.action.pk}/confirm",
                           {"note": "属实", "effective_from": "2026-04-01"}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "confirmed" and body["effective_from"] == "2026-04-01"
    response = client.post(f"/api/v1/sanctions/entries/{ledger.fine.pk}/confirm", {}, content_type="application/json")
    assert response.status_code == 422  # a fine is not a proposal
    assert client.post("/api/v1/sanctions/entries/999999/reject", {"reason": "x"},
                       content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_openapi_lists_the_sanctions_endpoints(client: Client) -> None:
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").json()
    validate(spec)
    assert "/api/v1/sanctions/entries" in spec["paths"]
    assert "/api/v1/sanctions/entries/{entry_id}/confirm" in spec["paths"]
