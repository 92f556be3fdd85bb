"""Item 6 — spot checks (P4.4.6, P4.6) and item 7 — retention and the purge (P4.4.7)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from cmp_helpers import at, register
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from zhidu.audit.models import AuditEvent
from zhidu.complaints import selectors, services
from zhidu.complaints.models import Attachment, Complaint, Criticism, SpotCheckItem, SpotResult, State
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.models import Obligation
from zhidu.obligations.models import State as ObState
from zhidu.rulebook.params import default_params
from zhidu.rulebook.rules import p4

pytestmark = pytest.mark.django_db


def closed(org, *, day: int = 23, territory: str = "a", **kw):  # type: ignore[no-untyped-def]
    """A complaint received and closed on 2026-11-<day> (a working day)."""
    handler = org.handler_a if territory == "a" else org.handler_b
    staff = org.staff_a if territory == "a" else org.handler_b
    c = register(org, territory=territory, received_at=at(2026, 11, day, 9), now=at(2026, 11, day, 9, 1), **kw)
    services.assign_investigator(handler, c, investigator=staff, now=at(2026, 11, day, 10))
    services.record_findings(staff, c, findings="属实", responsibility_class="customer", explanation="已解释",
                             now=at(2026, 11, day, 11))
    services.record_feedback(org.agent, c, method="phone", content="已告知", satisfaction="satisfied",
                             now=at(2026, 11, day, 12))
    services.close(handler, c, now=at(2026, 11, day, 13))
    c.refresh_from_db()
    return c


# ------------------------------------------------------------------------------------------ spot checks


def test_sample_is_reproducible_from_the_recorded_seed(org) -> None:
    items = [closed(org, day=d) for d in (2, 3, 4, 5, 6, 9, 10)] + [closed(org, day=11, territory="b")]
    check = services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-11", seed="s-1",
                                     now=at(2026, 12, 1, 9))
    population = sorted(c.pk for c in items[:7])
    assert check.population == population  # county A only, closed in November
    sample = sorted(it.complaint_id for it in check.items.all())
    assert len(sample) == 5  # ceil(10 % × 7) = 1 < the minimum of 5
    again = p4.spot_check_sample(population, "s-1", default_params(dt.date(2026, 12, 1)))
    assert sorted(int(i) for i in again.value) == sample == sorted(int(i) for i in check.decision["value"])
    other = services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-11", seed="s-2",
                                     now=at(2026, 12, 1, 9))
    assert other.seed == "s-2" and other.population == population
    random_seed = services.draw_spot_check(org.verifier, unit=org.marketing, period="2026-11", now=at(2026, 12, 1, 9))
    assert len(random_seed.seed) == 16 and len(random_seed.population) == 8
    assert "P4.4.6" in AuditEvent.objects.filter(action="complaints.spot_check").latest("id").clauses


def test_only_the_verifier_draws_and_decides(org) -> None:
    c = closed(org)
    with pytest.raises(PermissionDeniedError):
        services.draw_spot_check(org.handler_a, unit=org.county_a, period="2026-11", now=at(2026, 12, 1, 9))
    with pytest.raises(ValidationFailed) as exc:
        services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-13", now=at(2026, 12, 1, 9))
    assert {e.field for e in exc.value.errors} == {"period"}
    check = services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-11", now=at(2026, 12, 1, 9))
    item = check.items.get(complaint=c)
    with pytest.raises(PermissionDeniedError):
        services.record_spot_result(org.handler_a, item, passed=True, now=at(2026, 12, 1, 10))
    with pytest.raises(ValidationFailed) as exc:  # a failure needs notes
        services.record_spot_result(org.verifier, item, passed=False, notes="", now=at(2026, 12, 1, 10))
    assert {e.field for e in exc.value.errors} == {"notes"}


def test_pass_is_recorded(org) -> None:
    c = closed(org)
    check = services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-11", now=at(2026, 12, 1, 9))
    services.record_spot_result(org.verifier, check.items.get(), passed=True, notes="回访属实", now=at(2026, 12, 1, 10))
    c.refresh_from_db()
    assert c.spot_check_result == SpotResult.PASSED and c.state == State.CLOSED
    with pytest.raises(ValidationFailed):  # decided once
        services.record_spot_result(org.verifier, check.items.get(), passed=False, notes="x", now=at(2026, 12, 1, 11))


def test_failure_reopens_criticizes_and_sets_a_rectification_deadline(org) -> None:
    c = closed(org)
    check = services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-11", now=at(2026, 12, 1, 9))
    services.record_spot_result(org.verifier, check.items.get(), passed=False, notes="回访客户称问题未解决",
                                now=at(2026, 12, 1, 10))
    c.refresh_from_db()
    assert c.spot_check_result == SpotResult.FAILED and c.state == State.INVESTIGATING and c.reopened_count == 1
    criticism = Criticism.objects.get(complaint=c)
    assert criticism.unit == org.county_a and criticism.text == "回访客户称问题未解决"
    assert criticism.due_at == at(2026, 12, 8, 17, 30) == c.due_at  # 5 working days (p4.rectification_working_days)
    ob = Obligation.objects.get(pk=criticism.obligation_id)
    assert (ob.kind, ob.responsible_unit, ob.due_at) == ("complaints.spot_check_rectification", org.county_a,
                                                        criticism.due_at)
    assert set(ob.clauses) == {"P4.4.6", "P4.6"}
    # rectified: handled and closed again → the criticism is resolved and the obligation met
    services.record_findings(org.staff_a, c, findings="复查后已解决", responsibility_class="customer",
                             explanation="再次上门说明", now=at(2026, 12, 2, 9))
    services.record_feedback(org.agent, c, method="phone", content="再次告知", satisfaction="satisfied",
                             now=at(2026, 12, 2, 10))
    services.close(org.handler_a, c, now=at(2026, 12, 2, 11))
    ob.refresh_from_db()
    criticism.refresh_from_db()
    assert ob.state == ObState.MET and ob.met_on_time and criticism.resolved_at is not None
    assert selectors.state_counts(org.gm)["criticisms_open"] == 0


# ------------------------------------------------------------------------------------------ retention


def test_retain_until_on_close(org) -> None:
    c = closed(org)
    assert c.retain_until == dt.date(2027, 11, 23)  # one year from closing (P4.4.7)
    assert c.retention_why().clauses == ("P4.4.7",)
    with pytest.raises(PermissionDeniedError):
        services.mark_important(org.handler_a, c, important=True, now=at(2026, 12, 1, 9))
    services.mark_important(org.manager_a, c, important=True, now=at(2026, 12, 1, 9))
    c.refresh_from_db()
    assert c.retain_until == dt.date(2029, 11, 23)  # important: p4.retention_important_years = 3
    services.mark_important(org.manager_a, c, important=True, years=10, now=at(2026, 12, 1, 9))
    c.refresh_from_db()
    assert c.retain_until == dt.date(2036, 11, 23)


def _purge(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("retention", "purge", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_purge_dry_run_then_apply(org) -> None:
    doc = SimpleUploadedFile("身份证.jpg", b"\xff\xd8id-card", content_type="image/jpeg")
    old = closed(org, day=2, customer_name="王小明", customer_contact="微信 wang_xm",
                 content="我是王小明，电话13812345678，身份证110101199003071234，小明的邮箱 wxm@example.com。",
                 attachments=[doc])
    important = closed(org, day=3)
    services.mark_important(org.manager_a, important, important=True, now=at(2026, 12, 1, 9))
    recent = closed(org, day=20)
    Complaint.objects.filter(pk=recent.pk).update(retain_until=dt.date(2027, 12, 31))
    stored = Path(old.attachments.get().file.path)
    assert stored.is_file()
    events = AuditEvent.objects.count()

    dry = _purge("--today", "2027-11-10")
    assert dry["applied"] is False and dry["numbers"] == [old.number] and dry["attachments"] == 1
    old.refresh_from_db()
    assert old.anonymized_at is None and old.customer_name == "王小明" and stored.is_file()
    assert AuditEvent.objects.count() == events  # a dry run writes nothing

    applied = _purge("--today", "2027-11-10", "--apply")
    assert applied["applied"] is True and applied["numbers"] == [old.number]
    old.refresh_from_db()
    assert old.anonymized_at is not None and old.customer is None
    assert old.customer_name == "（已匿名）" and old.customer_phone == "***********" and old.customer_contact == ""
    for secret in ("王小明", "小明", "13812345678", "110101199003071234", "wxm@example.com"):
        assert secret not in old.content, secret
    assert "我是" in old.content  # the rest of the text stays
    # the statistics fields stay
    assert (old.kind, old.category, old.channel, old.responsible_unit, old.responsibility_class, old.satisfaction,
            old.closed_on_time) == ("complaint", "service_attitude", "branch_hotline", org.county_a, "customer",
                                    "satisfied", True)
    att = Attachment.objects.get(complaint=old)
    assert att.deleted_at is not None and not att.file and not stored.exists()
    event = AuditEvent.objects.get(action="complaints.purge")
    assert event.clauses == ["P4.4.7"] and "王小明" not in json.dumps(event.payload, ensure_ascii=False)
    assert selectors.track(old.number, "5678") is None
    # nothing left to do; the important and the recent record are kept
    assert _purge("--today", "2027-11-10", "--apply")["numbers"] == []
    assert _purge("--today", "2029-11-30")["numbers"] == [recent.number, important.number]  # by retention date


def test_purge_refuses_anyone_but_the_system(org) -> None:
    from zhidu.core.errors import ZhiduError

    with pytest.raises(ZhiduError):
        services.purge(org.gm, apply=True)


def test_text_purge_prints_a_summary(org) -> None:
    closed(org, day=2)
    out = StringIO()
    call_command("retention", "purge", "--today", "2028-01-01", stdout=out)
    assert "would anonymize (dry run; --apply to do it) 1 record(s)" in out.getvalue()
    assert SpotCheckItem.objects.count() == 0
