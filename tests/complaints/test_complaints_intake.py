"""Item 1 — intake through every channel on the registration form (P4.3.2), attachments, likely
duplicates, idempotent registration, permissions."""

from __future__ import annotations

from pathlib import Path

import pytest
from cmp_helpers import MONDAY, at, intake, register
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from zhidu.audit.models import AuditEvent
from zhidu.complaints import selectors, services
from zhidu.complaints.models import Attachment, Complaint, ComplaintSettings, State
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.models import Obligation
from zhidu.org import services as org_services
from zhidu.org.access import SYSTEM

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.mark.parametrize(("channel", "clause", "extra"), [
    ("branch_hotline", "P4.3.1", {}),
    ("county_phone", "P4.3.1", {}),
    ("walk_in", "P4.3.2", {}),
    ("fax", "P4.3.3", {"forwarded_from": "县商务局 传真 0731-5550123"}),
    ("forwarded", "P4.3.3", {"forwarded_from": "营销中心"}),
    ("customer_service", "P11.1", {}),
])
def test_agent_registers_through_each_channel(org, channel: str, clause: str, extra: dict[str, str]) -> None:
    c = register(org, channel=channel, **extra)
    assert c.channel == channel and c.state == State.OPEN
    assert c.receiving_unit == org.cs and c.receiving_person == org.agent and c.receiving_person_name == "刘受理"
    assert c.registered_by == org.agent and c.number.startswith("TS261123-")
    event = AuditEvent.objects.get(action="complaints.register", subject_id=str(c.pk))
    assert {"P4.3.2", clause} <= set(event.clauses)
    assert "13812345678" not in str(event.payload) and "王小明" not in str(event.payload)  # no personal data in the log


@pytest.mark.parametrize("channel", ["guide_desk", "duty_officer"])
def test_service_hall_guide_desk_and_duty_officer(org, channel: str) -> None:
    """P10.1 / P10.2.5: the hall's complaints about windows are recorded with the window."""
    c = register(org, org.duty, channel=channel, receiving_unit=org.hall, category="window_service",
                 subject_unit=org.window, subject_staff="窗口办事员")
    assert c.responsible_unit == org.hall and c.subject_unit == org.window
    clause = "P10.1" if channel == "guide_desk" else "P10.2.5"
    assert clause in AuditEvent.objects.get(action="complaints.register", subject_id=str(c.pk)).clauses
    director = register(org, org.director, channel=channel, receiving_unit=org.hall, category="window_service")
    assert director.receiving_person == org.director


def test_forwarded_and_fax_need_their_origin(org) -> None:
    for channel in ("fax", "forwarded"):
        with pytest.raises(ValidationFailed) as exc:
            register(org, channel=channel)
        assert "forwarded_from" in _fields(exc)


def test_customer_record_fills_the_form(org) -> None:
    customer = org_services.create_person(SYSTEM, unit=org.root, name="客户张三", phone="13611112222")
    c = register(org, customer=customer, customer_name="", customer_phone="")
    assert (c.customer, c.customer_name, c.customer_phone) == (customer, "客户张三", "13611112222")


def test_every_missing_field_is_named_and_nothing_is_written(org) -> None:
    before = (Complaint.objects.count(), AuditEvent.objects.count(), Obligation.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.register(org.agent, intake(org, kind="complaint", category="nope", channel="pigeon", content=" ",
                                            customer_name="", customer_phone="12ab", territory="zz"), now=MONDAY)
    assert {"category", "channel", "content", "customer_name", "customer_phone", "territory"} <= _fields(exc)
    assert (Complaint.objects.count(), AuditEvent.objects.count(), Obligation.objects.count()) == before


def test_contact_is_required_phone_or_other(org) -> None:
    with pytest.raises(ValidationFailed) as exc:
        register(org, customer_phone="")
    assert "customer_phone" in _fields(exc)
    c = register(org, customer_phone="", customer_contact="微信 wxid_abc")
    assert c.customer_contact == "微信 wxid_abc"


def test_received_in_the_future_is_refused(org) -> None:
    with pytest.raises(ValidationFailed) as exc:
        register(org, received_at=at(2026, 11, 23, 12, 0), now=MONDAY)
    assert _fields(exc) == {"received_at"}


def test_intake_needs_the_action_over_the_receiving_unit(org) -> None:
    with pytest.raises(PermissionDeniedError):
        register(org, org.outsider)
    with pytest.raises(PermissionDeniedError):  # a county handler cannot register for the branch's hotline
        register(org, org.handler_a)
    with pytest.raises(PermissionDeniedError):  # the verifier verifies, it does not register
        register(org, org.verifier)
    assert not Complaint.objects.exists()


def test_attachments_are_stored_under_the_data_dir(org) -> None:
    files = [SimpleUploadedFile("照片.jpg", b"\xff\xd8jpeg", content_type="image/jpeg"),
             SimpleUploadedFile("录音.txt", b"hello", content_type="text/plain")]
    c = register(org, attachments=files)
    atts = list(c.attachments.order_by("id"))
    assert [a.name for a in atts] == ["照片.jpg", "录音.txt"] and atts[0].size == 6
    path = Path(atts[0].file.path)
    assert path.is_file() and str(path).startswith(str(Path(settings.DATA_DIR) / "uploads"))
    more = services.add_attachments(org.handler_a if c.responsible_unit == org.county_a else org.agent, c,
                                    [SimpleUploadedFile("补充.pdf", b"%PDF")], now=MONDAY)
    assert len(more) == 1 and Attachment.objects.filter(complaint=c).count() == 3
    big = SimpleUploadedFile("big.bin", b"x" * (services.MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(ValidationFailed) as exc:
        register(org, attachments=[big])
    assert _fields(exc) == {"attachments"}


def test_inquiry_answered_on_the_spot_is_closed_at_once(org) -> None:
    c = register(org, kind="inquiry", category="policy", answered_on_spot=True, answer="带身份证即可。")
    assert c.state == State.CLOSED and c.closed_on_time and c.answered_on_spot
    assert not Obligation.objects.filter(subject_id=str(c.pk)).exists()
    with pytest.raises(ValidationFailed) as exc:
        register(org, kind="inquiry", answered_on_spot=True, answer="")
    assert "answer" in _fields(exc)
    with pytest.raises(ValidationFailed) as exc:
        register(org, kind="complaint", answered_on_spot=True, answer="x")
    assert "answered_on_spot" in _fields(exc)


# ------------------------------------------------------------------------------------------ duplicates


def test_likely_duplicates_same_phone_similar_content_recent(org) -> None:
    first = register(org, content="配送员态度恶劣，送货迟到两小时还出言不逊。", received_at=at(2026, 11, 20, 9))
    other = register(org, content="询问下个月的订货政策有没有变化。", kind="inquiry", category="policy",
                     received_at=at(2026, 11, 21, 9))
    old = register(org, content="配送员态度恶劣，送货迟到两小时还出言不逊。", received_at=at(2026, 11, 2, 9),
                   now=at(2026, 11, 2, 10))
    register(org, customer_phone="13900009999", content="配送员态度恶劣，送货迟到两小时还出言不逊。")
    found = selectors.likely_duplicates(org.agent, org.root.organization_id, phone="138-1234-5678",
                                        content="送货的配送员态度恶劣，还迟到了两个小时", now=MONDAY)
    numbers = [d.complaint.number for d in found]
    assert numbers[0] == first.number and found[0].likely and found[0].content  # most similar first
    assert other.number in numbers and not next(d for d in found if d.complaint == other).likely
    assert old.number not in numbers  # outside the 7-day window
    ComplaintSettings.objects.filter(organization_id=org.root.organization_id).update(duplicate_window_days=30)
    again = selectors.likely_duplicates(org.agent, org.root.organization_id, phone="13812345678",
                                        content="配送员态度恶劣", now=MONDAY)
    assert old.number in [d.complaint.number for d in again]
    assert selectors.likely_duplicates(org.agent, org.root.organization_id, phone="", content="x") == []


def test_duplicate_excerpt_only_for_readers(org) -> None:
    c = register(org, territory="b")  # county B's, registered by the branch
    found = selectors.likely_duplicates(org.handler_a, org.root.organization_id, phone="13812345678",
                                        content=c.content, now=MONDAY)
    assert found[0].complaint == c and found[0].likely and found[0].content == ""


# ------------------------------------------------------------------------------------------ idempotency


def test_retried_request_returns_the_first_registration(org) -> None:
    first = services.register(org.agent, intake(org), idempotency_key="12345-WO-1", now=MONDAY)
    again = services.register(org.agent, intake(org), idempotency_key="12345-WO-1", now=at(2026, 11, 23, 10, 5))
    assert first.created and not again.created and again.complaint.pk == first.complaint.pk
    assert Complaint.objects.count() == 1
    assert AuditEvent.objects.filter(action="complaints.register").count() == 1
    assert Obligation.objects.count() == 1
    with pytest.raises(services.IdempotencyConflict) as exc:
        services.register(org.agent, intake(org, content="另一件事"), idempotency_key="12345-WO-1", now=MONDAY)
    assert exc.value.status == 409 and exc.value.code == "idempotency_conflict"
    other = services.register(org.agent, intake(org), idempotency_key="12345-WO-2", now=MONDAY)
    assert other.created and Complaint.objects.count() == 2


def test_tracking_number_collisions_are_drawn_again(org, monkeypatch) -> None:
    taken = register(org)
    tokens = iter([taken.number, "TS261123-ZZZZZZ"])
    monkeypatch.setattr(services.rules, "tracking_number", lambda day, token=None: next(tokens))
    c = register(org)
    assert c.number == "TS261123-ZZZZZZ" and Complaint.objects.count() == 2
