"""Item 10 (pages) — a page for each role, the duplicate hints (htmx), the public form's rate limit and
the tracking page; every transition from a page goes through its permission-checked service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cmp_helpers import at, register
from django.test import Client

from zhidu.complaints import services
from zhidu.complaints.models import Complaint, ComplaintSettings, State

pytestmark = pytest.mark.django_db


def login(person: Any) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def test_pages_need_login_except_the_public_ones(org, client: Client) -> None:
    for url in ("/complaints/", "/complaints/new/", "/complaints/queue/", "/complaints/spot-checks/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url
    assert client.get("/complaints/public/").status_code == 200
    assert client.get("/complaints/public/track/").status_code == 200


def test_each_role_sees_its_page(org) -> None:
    c = register(org, territory="a")
    services.assign_investigator(org.handler_a, c, investigator=org.staff_a, now=at(2026, 11, 23, 11))
    agent = login(org.agent)
    page = agent.get("/complaints/").content.decode()
    assert 'data-nav="complaints"' in page and 'data-link="new"' in page and 'id="overview"' in page
    assert agent.get("/complaints/new/").status_code == 200
    queue = login(org.handler_a).get("/complaints/queue/").content.decode()
    assert c.number in queue
    assert c.number not in login(org.handler_b).get("/complaints/queue/").content.decode()
    mine = login(org.staff_a).get("/complaints/investigations/").content.decode()
    assert c.number in mine
    assert login(org.verifier).get("/complaints/spot-checks/").status_code == 200
    assert login(org.agent).get("/complaints/spot-checks/").status_code == 403
    assert login(org.outsider).get("/complaints/").status_code == 403
    overview = login(org.gm).get("/complaints/").content.decode()
    assert 'data-state="investigating"' in overview and 'id="total">1<' in overview
    # the item page shows the form, the deadline with its clause, and only the actions the viewer may take
    detail = login(org.staff_a).get(f"/complaints/{c.pk}/").content.decode()
    assert "P4.4.4" in detail and 'data-action="findings"' in detail and 'data-action="transfer"' not in detail
    detail = login(org.handler_a).get(f"/complaints/{c.pk}/").content.decode()
    assert 'data-action="transfer"' in detail and 'data-action="investigator"' in detail
    assert login(org.handler_b).get(f"/complaints/{c.pk}/").status_code == 404


def test_agent_registers_from_the_form(org) -> None:
    agent = login(org.agent)
    r = agent.post("/complaints/new/", {
        "receiving_unit": org.cs.pk, "channel": "branch_hotline", "customer_phone": "13812345678",
        "customer_name": "王小明", "kind": "complaint", "category": "service_attitude", "territory": "a",
        "content": "客户经理态度差", "reply_needed": "on"})
    c = Complaint.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/complaints/{c.pk}/"
    assert c.receiving_person == org.agent and c.responsible_unit == org.county_a
    # missing fields come back on the form, nothing is written
    r = agent.post("/complaints/new/", {"receiving_unit": org.cs.pk, "channel": "fax", "kind": "complaint",
                                        "category": "service_attitude", "content": "传真内容"})
    assert r.status_code == 422 and Complaint.objects.count() == 1
    page = r.content.decode()
    assert 'data-field="forwarded_from"' in page and "P4.3.3" in page and 'class="field invalid" data-field="customer_name"' in page
    # "register and next" returns to an empty form
    r = agent.post("/complaints/new/", {
        "receiving_unit": org.cs.pk, "channel": "walk_in", "customer_phone": "13812345678", "customer_name": "王小明",
        "kind": "inquiry", "category": "policy", "content": "营业时间", "answered_on_spot": "on", "answer": "8:30-17:30",
        "next": "new"})
    assert r.status_code == 302 and r["Location"] == "/complaints/new/"
    assert Complaint.objects.get(kind="inquiry").state == State.CLOSED


def test_duplicate_hints_are_an_htmx_fragment(org) -> None:
    c = register(org, received_at=dt.datetime.now(tz=at(2026, 1, 1).tzinfo) - dt.timedelta(hours=1),
                 now=dt.datetime.now(tz=at(2026, 1, 1).tzinfo))
    r = login(org.agent).get("/complaints/duplicates/", {"receiving_unit": org.cs.pk, "customer_phone": "13812345678",
                                                         "content": c.content}, HTTP_HX_REQUEST="true")
    page = r.content.decode()
    assert r.status_code == 200 and "<html" not in page and c.number in page and "疑似重复" in page
    none = login(org.agent).get("/complaints/duplicates/", {"receiving_unit": org.cs.pk, "customer_phone": "139"})
    assert 'id="no-duplicates"' in none.content.decode()
    assert c.number not in login(org.outsider).get("/complaints/duplicates/", {
        "receiving_unit": org.cs.pk, "customer_phone": "13812345678"}).content.decode()


def test_transitions_from_the_item_page(org) -> None:
    c = register(org, territory="a", received_at=dt.datetime.now(tz=at(2026, 1, 1).tzinfo) - dt.timedelta(minutes=5),
                 now=dt.datetime.now(tz=at(2026, 1, 1).tzinfo))
    handler = login(org.handler_a)
    url = f"/complaints/{c.pk}/do"
    assert login(org.handler_b).post(f"{url}/investigator/", {"investigator": org.staff_a.pk}).status_code == 404
    assert login(org.verifier).post(f"{url}/investigator/", {"investigator": org.staff_a.pk}).status_code == 403
    assert handler.post(f"{url}/investigator/", {"investigator": org.staff_a.pk}).status_code == 302
    r = login(org.staff_a).post(f"{url}/findings/", {"findings": "", "responsibility_class": "customer"})
    assert r.status_code == 422 and "findings" in r.content.decode()
    r = login(org.staff_a).post(f"{url}/findings/", {"findings": "属实", "responsibility_class": "customer",
                                                     "explanation": "已解释", "fault_person": ["", ""],
                                                     "fault_severity": ["minor", "minor"]})
    assert r.status_code == 302
    assert login(org.agent).post(f"{url}/feedback/", {"method": "phone", "content": "已告知",
                                                      "satisfaction": "satisfied"}).status_code == 302
    assert handler.post(f"{url}/close/", {"note": ""}).status_code == 302
    c.refresh_from_db()
    assert c.state == State.CLOSED
    assert handler.post(f"{url}/nonsense/", {}).status_code == 404


def test_public_form_tracking_and_rate_limit(org) -> None:
    ComplaintSettings.objects.update(public_rate_limit=2)
    public = Client(REMOTE_ADDR="10.1.1.1")
    body = {"organization": "c-county", "kind": "complaint", "category": "service_attitude", "content": "排队太久",
            "name": "李四", "phone": "13900001234"}
    r = public.post("/complaints/public/", body)
    assert r.status_code == 201
    number = Complaint.objects.get().number
    assert number in r.content.decode()
    assert public.post("/complaints/public/", body).status_code == 201
    blocked = public.post("/complaints/public/", body)
    assert blocked.status_code == 429 and Complaint.objects.count() == 2
    assert Client(REMOTE_ADDR="10.1.1.2").post("/complaints/public/", body).status_code == 201
    bad = Client(REMOTE_ADDR="10.1.1.3").post("/complaints/public/", {**body, "phone": "12"})
    assert bad.status_code == 422
    found = public.get("/complaints/public/track/", {"number": number, "phone_last4": "1234"})
    assert found.status_code == 200 and 'id="track-result"' in found.content.decode()
    assert "13900001234" not in found.content.decode() and "李四" not in found.content.decode()
    missing = public.get("/complaints/public/track/", {"number": number, "phone_last4": "0000"})
    assert missing.status_code == 404 and 'id="track-none"' in missing.content.decode()


def test_tracking_lookups_are_rate_limited(org) -> None:
    c = register(org)
    guesser = Client(REMOTE_ADDR="10.9.9.9")
    codes = [guesser.get("/complaints/public/track/", {"number": c.number, "phone_last4": f"{i:04d}"}).status_code
             for i in range(31)]
    assert codes[:30] == [404] * 30 and codes[30] == 429
