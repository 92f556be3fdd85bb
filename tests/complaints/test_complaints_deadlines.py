"""Item 3 — deadlines as obligations (P4.4.1, P4.4.2, P4.4.4) and item 11 — the CLI.

Counting: the day of receipt is not counted, a period in working days ends at close of business
(17:30) of its last working day, 调休 make-up Saturdays are working days; unknown years are provisional.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from cmp_helpers import MONDAY, TZ, at, register
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhidu.calendar.selectors import work_calendar
from zhidu.complaints import services
from zhidu.complaints.models import Kind
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.obligations.jobs import run_tick
from zhidu.obligations.models import Obligation
from zhidu.obligations.models import State as ObState
from zhidu.rulebook.params import default_params

pytestmark = pytest.mark.django_db


def _ob(c, kind: str | None = None) -> Obligation:  # type: ignore[no-untyped-def]
    qs = Obligation.objects.filter(subject_type="complaints.complaint", subject_id=str(c.pk))
    return qs.get(kind=kind) if kind else qs.get(state__in=["open", "extended", "breached"])


def test_inquiry_is_answered_within_24_clock_hours(org) -> None:
    c = register(org, kind="inquiry", category="ordering", received_at=at(2026, 11, 27, 16, 0),
                 now=at(2026, 11, 27, 16, 1))
    assert c.due_at == at(2026, 11, 28, 16, 0)  # a Saturday: clock hours (counting conventions)
    ob = _ob(c, "complaints.inquiry_answer")
    assert ob.due_at == c.due_at and ob.clauses == ["P4.4.1"] and ob.responsible_unit == org.orders
    assert ob.deadline_spec["basis"] == "clock_hours"
    services.answer(org.agent, c, text="周四下午五点前。", close=True, now=at(2026, 11, 28, 10))
    ob.refresh_from_db()
    c.refresh_from_db()
    assert ob.state == ObState.MET and ob.met_on_time and c.closed_on_time


def test_suggestion_needs_a_promised_working_day_when_a_reply_is_needed(org) -> None:
    with pytest.raises(ValidationFailed) as exc:
        register(org, kind="suggestion")
    assert {e.field for e in exc.value.errors} == {"promised_reply_on"}
    with pytest.raises(ValidationFailed):
        register(org, kind="suggestion", promised_reply_on=dt.date(2026, 11, 20))  # before receipt
    with pytest.raises(ValidationFailed):
        register(org, kind="suggestion", promised_reply_on=dt.date(2026, 11, 29))  # a Sunday
    c = register(org, kind="suggestion", promised_reply_on=dt.date(2026, 11, 30))
    assert c.due_at == at(2026, 11, 30, 17, 30)
    assert _ob(c, "complaints.suggestion_reply").clauses == ["P4.4.2"]
    no_reply = register(org, kind="suggestion", reply_needed=False)
    assert no_reply.due_at is None and not Obligation.objects.filter(subject_id=str(no_reply.pk)).exists()


def test_complaint_closes_within_3_working_days_across_national_day(org) -> None:
    """Received 2026-09-30 10:00 → due 2026-10-10 17:30, the make-up Saturday after the holiday."""
    c = register(org, territory="a", received_at=at(2026, 9, 30, 10, 0), now=at(2026, 9, 30, 10, 5))
    assert c.due_at == at(2026, 10, 10, 17, 30) and not c.deadline_provisional
    ob = _ob(c, "complaints.complaint_close")
    assert ob.due_at == c.due_at and ob.clauses == ["P4.4.4"] and ob.responsible_unit == org.county_a
    assert ob.deadline_spec == {"basis": "working_days", "days": 3, "start": "2026-09-30", "close": "17:30"}
    assert "P4.4.4" in c.deadline_why().explain()


def test_special_case_needs_reason_and_approver(org) -> None:
    with pytest.raises(ValidationFailed) as exc:
        register(org, territory="a", special=True)
    assert {e.field for e in exc.value.errors} == {"special_reason", "special_approver"}
    with pytest.raises(ValidationFailed) as exc:  # county B's manager cannot approve for county A
        register(org, territory="a", special=True, special_reason="需现场核查", special_approver=org.handler_b)
    assert {e.field for e in exc.value.errors} == {"special_approver"}
    c = register(org, territory="a", special=True, special_reason="需现场核查", special_approver=org.manager_a)
    assert c.due_at == at(2026, 12, 2, 17, 30)  # 7 working days after Monday 23 November
    assert (c.special_reason, c.special_approver) == ("需现场核查", org.manager_a)


def test_marking_special_later_extends_the_obligation(org) -> None:
    c = register(org, territory="a")
    with pytest.raises(PermissionDeniedError):
        services.mark_special(org.staff_a, c, reason="x", approver=org.manager_a, now=at(2026, 11, 24, 9))
    with pytest.raises(ValidationFailed) as exc:
        services.mark_special(org.handler_a, c, reason="", approver=org.handler_a, now=at(2026, 11, 24, 9))
    assert {e.field for e in exc.value.errors} == {"reason", "approver"}
    services.mark_special(org.handler_a, c, reason="涉及承运商，需调取记录", approver=org.manager_a,
                          now=at(2026, 11, 24, 9))
    c.refresh_from_db()
    ob = _ob(c, "complaints.complaint_close")
    assert c.special and c.due_at == ob.due_at == at(2026, 12, 2, 17, 30)
    assert ob.state == ObState.EXTENDED and ob.extension_approver == org.manager_a
    assert ob.original_due_at == at(2026, 11, 26, 17, 30)
    with pytest.raises(ValidationFailed):  # once only
        services.mark_special(org.manager_a, c, reason="again", now=at(2026, 11, 24, 10))
    late = register(org, territory="a")
    with pytest.raises(ValidationFailed) as exc:  # only before the deadline
        services.mark_special(org.manager_a, late, reason="x", now=at(2026, 11, 27, 9))
    assert {e.field for e in exc.value.errors} == {"special"}


def test_unknown_year_is_provisional(org) -> None:
    c = register(org, territory="a", received_at=at(2031, 3, 3, 10), now=at(2031, 3, 3, 10, 5))
    assert c.deadline_provisional and c.due_at == at(2031, 3, 6, 17, 30)
    assert _ob(c).provisional


def test_breach_and_escalation_come_from_the_engine(org) -> None:
    c = register(org, territory="a")
    report = run_tick(at(2026, 11, 27, 9, 0))
    assert report.breaches >= 1 and report.escalations >= 1
    ob = _ob(c)
    assert ob.state == ObState.BREACHED and ob.escalation_level == 1
    # closing late meets it late; the item records that it was not on time
    services.assign_investigator(org.handler_a, c, investigator=org.staff_a, now=at(2026, 11, 27, 10))
    services.record_findings(org.staff_a, c, findings="客户误解", responsibility_class="customer",
                             explanation="已解释", now=at(2026, 11, 27, 11))
    services.record_feedback(org.agent, c, method="phone", content="已告知", satisfaction="satisfied",
                             now=at(2026, 11, 27, 12))
    services.close(org.handler_a, c, now=at(2026, 11, 27, 13))
    c.refresh_from_db()
    ob.refresh_from_db()
    assert c.closed_on_time is False and ob.state == ObState.MET and ob.met_on_time is False


# ------------------------------------------------------------------------------------------ property


def _working(day: dt.date) -> bool:
    return work_calendar().is_working_day(day)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(received=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2032, 12, 31, 23, 59)),
       special=st.booleans(), after_hours_next_day=st.booleans(), promise_days=st.integers(0, 40))
def test_deadlines_never_fall_on_a_rest_day_nor_precede_receipt(received: dt.datetime, special: bool,
                                                                after_hours_next_day: bool, promise_days: int) -> None:
    received = received.replace(tzinfo=TZ)
    params = default_params(received.date()).with_overrides({"p4.after_hours_receipt_next_day": after_hours_next_day})
    c = services.compute_deadline(Kind.COMPLAINT, received, params, special=special, special_reason="理由" if special else "")
    assert c.due is not None and c.due > received
    assert _working(c.due.date()) and c.due.timetz().replace(tzinfo=None) == dt.time(17, 30)
    days = 7 if special else 3
    assert work_calendar().working_days_between(received.date(), c.due.date()) >= days
    # the working-hours reading of P4.4.1 (parameter) also ends within working time on a working day
    working = params.with_overrides({"p4.inquiry_hours_basis": "working"})
    i = services.compute_deadline(Kind.INQUIRY, received, working)
    assert i.due is not None and i.due > received and _working(i.due.date())
    # clock hours (the default) never precede receipt either
    clock = services.compute_deadline(Kind.INQUIRY, received, params)
    assert clock.due == received + dt.timedelta(hours=24)
    # a suggestion's promise, once moved to a working day as the service requires, is met at its close
    promised, _p = work_calendar().next_working_day(received.date() + dt.timedelta(days=promise_days), include_self=True)
    s = services.compute_deadline(Kind.SUGGESTION, received, params, promised=promised)
    if s.due is not None:
        assert s.due >= received and _working(s.due.date())
    else:
        assert s.decision.facts["error"] == "promise_before_receipt" and promised == received.date()


# ------------------------------------------------------------------------------------------ CLI (item 11)


def _cli(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("complaints", "deadline", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_cli_complaint_across_national_day() -> None:
    out = _cli("--type", "complaint", "--received", "2026-09-30T10:00")
    assert out["due_at"] == "2026-10-10T17:30:00+08:00"
    assert out["provisional"] is False and out["clauses"] == ["P4.4.4"]


def test_cli_other_types_and_options() -> None:
    assert _cli("--type", "complaint", "--received", "2026-09-30T10:00", "--special")["due_at"] == \
        "2026-10-15T17:30:00+08:00"
    assert _cli("--type", "inquiry", "--received", "2026-09-30T10:00")["due_at"] == "2026-10-01T10:00:00+08:00"
    # an aware input in another zone is read in Shanghai time
    assert _cli("--type", "inquiry", "--received", "2026-09-30T02:00:00+00:00")["due_at"] == \
        "2026-10-01T10:00:00+08:00"
    s = _cli("--type", "suggestion", "--received", "2026-09-30T10:00", "--promised", "2026-10-12")
    assert s == {**s, "due_at": "2026-10-12T17:30:00+08:00", "clauses": ["P4.4.2"], "provisional": False}
    late = _cli("--type", "complaint", "--received", "2031-09-30T10:00")
    assert late["provisional"] is True


def test_cli_suggestion_without_promise_fails() -> None:
    with pytest.raises(CommandError):
        _cli("--type", "suggestion", "--received", "2026-09-30T10:00")


@pytest.mark.django_db(transaction=False)
def test_cli_works_without_a_migrated_database(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(ZHIDU_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="zhidu.settings")
    proc = subprocess.run([sys.executable, "-m", "zhidu", "complaints", "deadline", "--type", "complaint",
                           "--received", "2026-09-30T10:00", "--json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["due_at"], out["provisional"], out["clauses"]) == ("2026-10-10T17:30:00+08:00", False, ["P4.4.4"])


def test_cli_matches_the_service(org) -> None:
    c = register(org, territory="a", received_at=at(2026, 9, 30, 10, 0), now=at(2026, 9, 30, 10, 5))
    assert dt.datetime.fromisoformat(str(_cli("--type", "complaint", "--received", "2026-09-30T10:00")["due_at"])) == c.due_at
    assert MONDAY.tzinfo is TZ


def test_items_follow_a_calendar_change(org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from zhidu.calendar import services as calendar_services
    from zhidu.calendar.selectors import invalidate
    from zhidu.org.access import SYSTEM

    c = register(org, territory="a")
    assert c.due_at == at(2026, 11, 26, 17, 30)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_services.set_day(SYSTEM, dt.date(2026, 11, 24), working=False, kind="holiday", name="测试假日")
        c.refresh_from_db()
        assert c.due_at == _ob(c).due_at == at(2026, 11, 27, 17, 30)
        assert "2026-11-27 17:30" in c.deadline_why().explain()
    finally:
        invalidate()  # the test's transaction is rolled back: no other test may see the holiday
