"""Item 5 — feedback (P4.4.5): the result fed back by phone or message, five-level satisfaction,
dissatisfied → reopened with a reason; every contact ends with a reply (P4.6, ``p4.can_close``)."""

from __future__ import annotations

import pytest
from cmp_helpers import at, register

from zhidu.audit.models import AuditEvent
from zhidu.complaints import services
from zhidu.complaints.models import Satisfaction, State
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.models import Obligation
from zhidu.obligations.models import State as ObState

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.fixture
def handled(org):  # type: ignore[no-untyped-def]
    c = register(org, territory="a")
    services.assign_investigator(org.handler_a, c, investigator=org.staff_a, now=at(2026, 11, 23, 11))
    services.record_findings(org.staff_a, c, findings="属实", responsibility_class="customer", explanation="已解释",
                             now=at(2026, 11, 24, 9))
    c.refresh_from_db()
    return c


def test_five_satisfaction_levels() -> None:
    assert [str(label) for label in Satisfaction.labels] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def test_closing_needs_the_reply_on_file(org) -> None:
    c = register(org, territory="a")
    services.assign_investigator(org.handler_a, c, investigator=org.staff_a, now=at(2026, 11, 23, 11))
    with pytest.raises(ValidationFailed) as exc:  # not handled yet
        services.close(org.handler_a, c, now=at(2026, 11, 23, 12))
    assert "state" in _fields(exc)
    services.record_findings(org.staff_a, c, findings="属实", responsibility_class="customer", explanation="已解释",
                             now=at(2026, 11, 24, 9))
    with pytest.raises(ValidationFailed) as exc:  # no feedback, no satisfaction: p4.can_close says what is missing
        services.close(org.handler_a, c, now=at(2026, 11, 24, 10))
    assert _fields(exc) == {"feedback", "satisfaction"}
    assert "P4.4.3" in str(exc.value.errors[0].message) and "处理结果反馈" in str(exc.value.errors[0].message)


def test_feedback_then_close_meets_the_deadline(org, handled) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.record_feedback(org.agent, handled, method="fax", content="", satisfaction="", now=at(2026, 11, 24, 10))
    assert _fields(exc) == {"method", "content", "satisfaction"}
    with pytest.raises(PermissionDeniedError):  # neither receiving nor responsible unit
        services.record_feedback(org.handler_b, handled, method="phone", content="x", satisfaction="satisfied",
                                 now=at(2026, 11, 24, 10))
    # the receiving unit (接诉部门, the branch) feeds back
    services.record_feedback(org.agent, handled, method="message", content="短信告知处理结果",
                             satisfaction="basically_satisfied", opinion="希望下次快一点", now=at(2026, 11, 24, 10))
    with pytest.raises(PermissionDeniedError):  # closing is the responsible unit's
        services.close(org.handler_b, handled, now=at(2026, 11, 24, 11))
    services.close(org.handler_a, handled, now=at(2026, 11, 24, 11))
    handled.refresh_from_db()
    assert handled.state == State.CLOSED and handled.closed_on_time and handled.closed_by == org.handler_a
    assert handled.satisfaction == "basically_satisfied" and handled.customer_opinion == "希望下次快一点"
    ob = Obligation.objects.get(subject_id=str(handled.pk), kind="complaints.complaint_close")
    assert ob.state == ObState.MET and ob.met_on_time
    event = AuditEvent.objects.get(action="complaints.close", subject_id=str(handled.pk))
    assert {"P4.4.3", "P4.4.5", "P4.6", "P4.4.7"} <= set(event.clauses)


def test_dissatisfied_customer_reopens_with_a_reason(org, handled) -> None:
    with pytest.raises(ValidationFailed) as exc:  # a reason to reopen only when dissatisfied
        services.record_feedback(org.agent, handled, method="phone", content="告知", satisfaction="satisfied",
                                 reopen_reason="x", now=at(2026, 11, 24, 10))
    assert _fields(exc) == {"reopen_reason"}
    services.record_feedback(org.agent, handled, method="phone", content="告知", satisfaction="dissatisfied",
                             opinion="没解决", reopen_reason="客户坚持配送员应道歉", now=at(2026, 11, 24, 10))
    handled.refresh_from_db()
    assert handled.state == State.INVESTIGATING and handled.reopened_count == 1
    assert handled.reopen_reason == "客户坚持配送员应道歉" and handled.satisfaction == ""
    # the running period continues (reopened before closing)
    assert handled.due_at == at(2026, 11, 26, 17, 30)
    assert Obligation.objects.filter(subject_id=str(handled.pk), state="open").count() == 1
    assert AuditEvent.objects.get(action="complaints.reopen").payload["previous"]["satisfaction"] == "dissatisfied"


def test_closing_over_dissatisfaction_needs_a_note(org, handled) -> None:
    services.record_feedback(org.agent, handled, method="phone", content="告知", satisfaction="very_dissatisfied",
                             now=at(2026, 11, 24, 10))
    with pytest.raises(ValidationFailed) as exc:
        services.close(org.handler_a, handled, now=at(2026, 11, 24, 11))
    assert _fields(exc) == {"note"}
    services.close(org.handler_a, handled, note="属客户误解，已充分解释", now=at(2026, 11, 24, 11))
    handled.refresh_from_db()
    assert handled.state == State.CLOSED


def test_reopening_a_closed_item_starts_a_new_period(org, handled) -> None:
    services.record_feedback(org.agent, handled, method="phone", content="告知", satisfaction="satisfied",
                             now=at(2026, 11, 24, 10))
    services.close(org.handler_a, handled, now=at(2026, 11, 24, 11))
    with pytest.raises(ValidationFailed) as exc:
        services.reopen(org.handler_a, handled, reason="", now=at(2026, 11, 30, 9))
    assert _fields(exc) == {"reason"}
    services.reopen(org.handler_a, handled, reason="客户来电表示问题再次出现", now=at(2026, 11, 30, 9))
    handled.refresh_from_db()
    assert handled.state == State.INVESTIGATING and handled.closed_at is None and handled.retain_until is None
    assert handled.due_at == at(2026, 12, 3, 17, 30)  # 3 working days from the reopening
    obs = Obligation.objects.filter(subject_id=str(handled.pk), kind="complaints.complaint_close").order_by("id")
    assert [o.state for o in obs] == [ObState.MET, ObState.OPEN]


def test_inquiry_and_suggestion_end_with_their_reply(org) -> None:
    inquiry = register(org, kind="inquiry", category="ordering")
    with pytest.raises(ValidationFailed) as exc:
        services.answer(org.agent, inquiry, text="", now=at(2026, 11, 23, 11))
    assert _fields(exc) == {"text"}
    services.answer(org.agent, inquiry, text="周四下午五点", now=at(2026, 11, 23, 11))
    services.close(org.agent, inquiry, now=at(2026, 11, 23, 12))
    inquiry.refresh_from_db()
    assert inquiry.state == State.CLOSED
    suggestion = register(org, kind="suggestion", promised_reply_on=at(2026, 11, 30).date())
    services.report_to_leadership(org.agent, suggestion, leader=org.gm, instruction="同意试行", now=at(2026, 11, 24, 9))
    with pytest.raises(ValidationFailed) as exc:
        services.answer(org.agent, suggestion, text="已答复", now=at(2026, 11, 25, 9))
    assert _fields(exc) == {"adoption"}
    services.answer(org.agent, suggestion, text="您的建议已采纳", adoption="adopted", close=True, now=at(2026, 11, 25, 9))
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.adoption, suggestion.reported_to) == (State.CLOSED, "adopted", org.gm)
    assert suggestion.leadership_report == "同意试行"
