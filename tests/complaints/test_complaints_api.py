"""Item 10 (API) — the whole lifecycle of each type end to end through /api/v1/complaints, the
hotline integration with its idempotency key, the public form and tracking (rate-limited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from zhidu.api.services import issue_token
from zhidu.calendar.selectors import work_calendar
from zhidu.complaints.models import Complaint, ComplaintSettings
from zhidu.obligations.models import Obligation
from zhidu.org import services as org_services
from zhidu.org.access import SYSTEM
from zhidu.sanctions.models import LedgerEntry

pytestmark = pytest.mark.django_db

BASE = "/api/v1/complaints"


class Api:
    """A client acting as one person (session) with JSON helpers."""

    def __init__(self, person: Any) -> None:
        self.client = Client()
        self.client.force_login(person.user)

    def post(self, path: str, body: dict[str, Any] | None = None, status: int = 200, **headers: str) -> Any:
        r = self.client.post(f"{BASE}{path}", body or {}, content_type="application/json", headers=headers)
        assert r.status_code == status, r.content.decode()
        return r.json()

    def get(self, path: str, status: int = 200, **params: Any) -> Any:
        r = self.client.get(f"{BASE}{path}", params)
        assert r.status_code == status, r.content.decode()
        return r.json()


def _form(org: Any, **kw: Any) -> dict[str, Any]:
    body = {"kind": "complaint", "category": "service_attitude", "channel": "hotline_system",
            "content": "客户经理上门服务态度差。", "receiving_unit_id": org.cs.pk, "customer_name": "王小明",
            "customer_phone": "13812345678", "territory": "a"}
    body.update(kw)
    return body


def test_complaint_lifecycle_end_to_end(org) -> None:
    agent, handler, staff, verifier = Api(org.agent), Api(org.handler_a), Api(org.staff_a), Api(org.verifier)
    c = agent.post("", _form(org), status=201)
    assert c["state"] == "open" and c["responsible_unit_id"] == org.county_a.pk and not c["replayed"]
    assert c["deadline_clauses"] == ["P4.4.4"] and c["due_at"] and "P4.4.4" in c["deadline_explanation"]
    cid = c["id"]
    handler.post(f"/{cid}/investigator", {"investigator_id": org.staff_a.pk})
    assert staff.get(f"/{cid}")["state"] == "investigating"
    plan_due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    body = staff.post(f"/{cid}/findings", {
        "findings": "属实", "responsibility_class": "mistake", "correction": "已致歉", "plan": "培训",
        "plan_owner_id": org.manager_a.pk, "plan_due_on": plan_due,
        "faults": [{"person_id": org.cs_staff.pk, "severity": "minor"}]})
    assert body["state"] == "handled" and body["responsibility_class"] == "mistake"
    assert LedgerEntry.objects.get(person=org.cs_staff).amount == 10
    body = agent.post(f"/{cid}/feedback", {"method": "phone", "content": "已告知", "satisfaction": "dissatisfied",
                                           "reopen_reason": "客户要求赔偿"})
    assert body["state"] == "investigating" and body["reopened_count"] == 1
    staff.post(f"/{cid}/findings", {"findings": "复查", "responsibility_class": "customer", "explanation": "已解释"})
    agent.post(f"/{cid}/feedback", {"method": "message", "content": "短信告知", "satisfaction": "very_satisfied"})
    closed = handler.post(f"/{cid}/close", {"note": ""})
    assert closed["state"] == "closed" and closed["closed_on_time"] is True and closed["retain_until"]
    # spot check of this month: fail → reopened with a rectification deadline
    period = timezone.localtime().strftime("%Y-%m")
    check = verifier.post("/spot-checks", {"unit_id": org.county_a.pk, "period": period, "seed": "api"}, status=201)
    assert check["population"] == 1 and check["sample"] == [cid] and "P4.4.6" in check["explanation"]
    assert verifier.get(f"/spot-checks/{check['id']}")["seed"] == "api"
    item = check["items"][0]
    Api(org.handler_a).post(f"/spot-checks/items/{item['id']}", {"passed": True}, status=404)  # not theirs
    result = verifier.post(f"/spot-checks/items/{item['id']}", {"passed": False, "notes": "回访不符"})
    assert result["result"] == "failed"
    again = handler.get(f"/{cid}")
    assert again["state"] == "investigating" and again["spot_check_result"] == "failed"
    assert Obligation.objects.filter(subject_id=str(cid), kind="complaints.spot_check_rectification",
                                     state="open").exists()
    marked = Api(org.manager_a).post(f"/{cid}/important", {"important": True, "years": 5})
    assert marked["important"] is True
    queue = handler.get("", queue=True)
    assert [x["id"] for x in queue] == [cid]


def test_inquiry_lifecycle(org) -> None:
    agent = Api(org.agent)
    c = agent.post("", _form(org, kind="inquiry", category="ordering", territory=""), status=201)
    assert c["responsible_unit_id"] == org.orders.pk and c["deadline_clauses"] == ["P4.4.1"]
    received = dt.datetime.fromisoformat(c["received_at"])
    assert dt.datetime.fromisoformat(c["due_at"]) - received == dt.timedelta(hours=24)
    agent.post(f"/{c['id']}/answer", {"text": "", "close": True}, status=422)
    done = agent.post(f"/{c['id']}/answer", {"text": "周四 17:00 前", "close": True})
    assert done["state"] == "closed" and done["answer"] == "周四 17:00 前" and done["closed_on_time"]


def test_suggestion_lifecycle(org) -> None:
    agent = Api(org.agent)
    promised, _p = work_calendar().add_working_days(timezone.localdate(), 3)
    err = agent.post("", _form(org, kind="suggestion"), status=422)
    assert [e["field"] for e in err["errors"]] == ["promised_reply_on"]
    c = agent.post("", _form(org, kind="suggestion", promised_reply_on=promised.isoformat()), status=201)
    assert c["deadline_clauses"] == ["P4.4.2"] and c["promised_reply_on"] == promised.isoformat()
    agent.post(f"/{c['id']}/report", {"leader_id": org.gm.pk, "instruction": "同意"})
    agent.post(f"/{c['id']}/answer", {"text": "已采纳", "adoption": "adopted"})
    agent.post(f"/{c['id']}/feedback", {"method": "phone", "content": "已电话告知", "satisfaction": "satisfied"})
    done = agent.post(f"/{c['id']}/close", {})
    assert done["state"] == "closed" and done["adoption"] == "adopted" and done["satisfaction"] == "satisfied"


def test_hotline_system_with_token_and_idempotency_key(org, client: Client) -> None:
    bot = org_services.create_person(SYSTEM, unit=org.cs, name="12345热线接口", username="hotline-12345",
                                     password="pw-123456!")
    org_services.assign_role(SYSTEM, bot, role="complaint_handler", unit=org.cs, valid_from=dt.date(2020, 1, 1))
    _token, raw = issue_token(SYSTEM, bot.user, name="12345")
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "WO-2026-000123"}
    body = _form(org, external_ref="WO-2026-000123", receiving_person_name="12345 坐席 0871")
    first = client.post(BASE, body, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    retry = client.post(BASE, body, content_type="application/json", headers=headers)
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"] and retry.json()["replayed"] is True
    assert Complaint.objects.count() == 1 and first.json()["receiving_person_name"] == "12345 坐席 0871"
    conflict = client.post(BASE, {**body, "content": "别的事"}, content_type="application/json", headers=headers)
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    in_body = client.post(BASE, {**body, "idempotency_key": "WO-2"}, content_type="application/json",
                          headers={"Authorization": f"Bearer {raw}"})
    assert in_body.status_code == 201
    assert client.post(BASE, {**body, "idempotency_key": "WO-2"}, content_type="application/json",
                       headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert Complaint.objects.count() == 2


def _instants(body: dict[str, Any]) -> dict[str, Any]:
    """The body with its date-times as aware datetimes."""
    def value(v: Any) -> Any:
        if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == "T":
            return dt.datetime.fromisoformat(v)
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        return v

    return {k: value(v) for k, v in body.items()}


@pytest.mark.parametrize("kind", ["complaint", "suggestion", "inquiry-on-the-spot"])
def test_registration_body_is_the_validated_one(org, kind: str) -> None:  # type: ignore[no-untyped-def]
    """The registration and its replay answer with the response model built without validation
    (api._built): byte for byte what the validated path (GET) renders for the same registration."""
    agent = Api(org.agent)
    extra: dict[str, Any] = {"external_ref": f"X-{kind}", "subject_staff": "张三", "customer_contact": "微信 wx01"}
    if kind == "suggestion":
        promised, _p = work_calendar().add_working_days(timezone.localdate(), 3)
        extra |= {"kind": "suggestion", "promised_reply_on": promised.isoformat()}
    elif kind == "inquiry-on-the-spot":
        extra |= {"kind": "inquiry", "category": "ordering", "territory": "", "answered_on_spot": True,
                  "answer": "当场答复"}
    created = agent.client.post(BASE, _form(org, **extra), content_type="application/json",
                                headers={"Idempotency-Key": f"same-{kind}"})
    assert created.status_code == 201, created.content
    shown = agent.client.get(f"{BASE}/{created.json()['id']}")
    # the same fields in the same order, the same values (an instant may be written in another zone:
    # the registration answers with the deadline as computed, the read with it as stored)
    assert list(created.json()) == list(shown.json())
    assert _instants(created.json()) == _instants(shown.json())
    replay = agent.client.post(BASE, _form(org, **extra), content_type="application/json",
                               headers={"Idempotency-Key": f"same-{kind}"})
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert _instants(replay.json()) == _instants(shown.json()) | {"replayed": True}
    assert created.json()["received_at"] and isinstance(created.json()["attachments"], list)


def test_errors_have_the_shape_and_name_fields(org, client: Client) -> None:
    assert client.post(BASE, _form(org), content_type="application/json").status_code == 401
    denied = Api(org.outsider).post("", _form(org), status=403)
    assert denied["code"] == "permission_denied"
    bad = Api(org.agent).post("", _form(org, category="nope", content="", channel="x"), status=422)
    assert {e["field"] for e in bad["errors"]} >= {"category", "content", "channel"}
    assert Api(org.agent).get("/999999", status=404)["code"] == "not_found"
    c = Api(org.agent).post("", _form(org), status=201)
    Api(org.handler_b).get(f"/{c['id']}", status=404)  # outside their scope
    Api(org.handler_b).post(f"/{c['id']}/close", {}, status=404)


def test_duplicates_overview_and_deadline_endpoints(org) -> None:
    agent = Api(org.agent)
    agent.post("", _form(org), status=201)
    dups = agent.get("/duplicates", unit_id=org.cs.pk, phone="13812345678", content="客户经理上门态度差")
    assert len(dups) == 1 and dups[0]["likely"]
    Api(org.verifier).get("/duplicates", status=403, unit_id=org.cs.pk, phone="13812345678")
    overview = Api(org.gm).get("/overview")
    assert overview["by_state"]["open"] == 1 and overview["total"] == 1
    d = agent.get("/deadline", type="complaint", received="2026-09-30T10:00:00")
    assert d["due_at"].startswith("2026-10-10T17:30:00") and d["clauses"] == ["P4.4.4"]


def test_attachments_upload_and_download(org) -> None:
    agent = Api(org.agent)
    c = agent.post("", _form(org), status=201)
    r = agent.client.post(f"{BASE}/{c['id']}/attachments", {"files": [SimpleUploadedFile("a.txt", b"hello")]})
    assert r.status_code == 200, r.content
    att = r.json()["attachments"][0]
    assert att["name"] == "a.txt" and att["size"] == 5
    got = agent.client.get(f"{BASE}/{c['id']}/attachments/{att['id']}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"hello"  # type: ignore[attr-defined]
    assert Api(org.handler_b).client.get(f"{BASE}/{c['id']}/attachments/{att['id']}").status_code == 404


# ------------------------------------------------------------------------------------------ public


def test_public_form_and_tracking(org, client: Client) -> None:
    r = client.post(f"{BASE}/public", {"kind": "complaint", "category": "service_attitude",
                                       "content": "营业厅排队太久", "name": "李四", "phone": "13900001234"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    c = Complaint.objects.get(number=number)
    assert (c.channel, c.receiving_unit, c.receiving_person_name) == ("web", org.cs, "网上自助登记")
    track = client.get(f"{BASE}/public/track", {"number": number.lower().replace("-", ""), "phone_last4": "1234"})
    assert track.status_code == 200 and track.json()["state"] == "open"
    assert "李四" not in track.content.decode() and "13900001234" not in track.content.decode()
    assert client.get(f"{BASE}/public/track", {"number": number, "phone_last4": "9999"}).status_code == 404
    bad = client.post(f"{BASE}/public", {"kind": "complaint", "category": "service_attitude", "content": "x",
                                         "name": "", "phone": "1"}, content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"customer_name", "customer_phone"}
    suggestion = client.post(f"{BASE}/public", {"kind": "suggestion", "category": "other", "content": "建议增设座椅",
                                                "name": "王五", "phone": "13900005678"}, content_type="application/json")
    assert suggestion.status_code == 201 and suggestion.json()["due_at"]  # promised 5 working days


def test_public_form_is_rate_limited_per_address(org) -> None:
    ComplaintSettings.objects.update(public_rate_limit=3)
    body = {"kind": "inquiry", "category": "policy", "content": "营业时间？", "name": "张三", "phone": "13900001111"}
    one, two = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    codes = [one.post(f"{BASE}/public", body, content_type="application/json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert one.post(f"{BASE}/public", body, content_type="application/json").json()["code"] == "rate_limited"
    assert two.post(f"{BASE}/public", body, content_type="application/json").status_code == 201
    assert Complaint.objects.count() == 4


def test_public_form_closed_without_an_intake_unit(org, client: Client) -> None:
    ComplaintSettings.objects.update(public_intake_unit=None)
    r = client.post(f"{BASE}/public", {"kind": "inquiry", "category": "policy", "content": "x", "name": "a",
                                       "phone": "13900001111"}, content_type="application/json")
    assert r.status_code == 422 and not Complaint.objects.exists()
