"""P4 客户投诉处理 — pure rules (regulations.md § P4).

No ORM, no clock, no settings: facts come in as frozen dataclasses, parameters as a ``ParamSet``,
working days from a :class:`~zhidu.calendar.rules.WorkCalendar`.

Datetimes: pass aware datetimes in the organization's local time (``timezone.localtime(x)``) and get
aware datetimes back in the same ``tzinfo``; naive datetimes are read as local wall-clock time
(Asia/Shanghai) and the results are naive too. Days and "close of business" are taken from the
input's wall clock. Clock-hour deadlines are exact elapsed time (computed in UTC for aware input).

Decision values are JSON-friendly: deadlines as ISO 8601 text (``datetime.fromisoformat`` reads them
back), ``None`` when the deadline cannot be set — ``facts["error"]`` then names why.

Counting (regulations.md "Counting conventions", Civil Code arts. 201–203): a period in days starts
the day after the day of receipt; "n 个工作日内" ends at close of business (``p4.close_of_business``,
17:30) of the n-th working day after receipt, make-up working days (调休) included; dates in years
the calendar does not know are computed Monday–Friday and flagged ``provisional``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar, close_of_business
from zhidu.rulebook.decision import Decision, msg, rule
from zhidu.rulebook.params import ParamSet
from zhidu.rulebook.rules.p1 import add_years

__all__ = [
    "Closing",
    "Complaint",
    "Contact",
    "Inquiry",
    "RouteRequest",
    "RoutingTable",
    "Suggestion",
    "sample_size",
]

WILDCARD = "*"


def _fmt(x: dt.datetime) -> str:
    return x.strftime("%Y-%m-%d %H:%M")


def _plus_clock_hours(start: dt.datetime, hours: int) -> dt.datetime:
    """``start`` + ``hours`` of elapsed time; aware input is added in UTC and returned in its own tzinfo."""
    if start.tzinfo is None:
        return start + dt.timedelta(hours=hours)
    return (start.astimezone(dt.UTC) + dt.timedelta(hours=hours)).astimezone(start.tzinfo)


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Inquiry:
    """咨询 not answered on the spot (P4.4.1)."""

    received: dt.datetime


@dataclass(frozen=True)
class Suggestion:
    """建议 (P4.4.2): where a reply is needed, the promised reply date (a date: close of business that
    day; or a datetime)."""

    received: dt.datetime
    reply_needed: bool = True
    promised: dt.date | dt.datetime | None = None


@dataclass(frozen=True)
class Complaint:
    """投诉 (P4.4.4): ``special`` cases (with a reason) get the longer period."""

    received: dt.datetime
    special: bool = False
    special_reason: str = ""


@dataclass(frozen=True)
class Contact:
    """Any registered contact, for the :func:`deadline` dispatcher; ``kind`` is one of
    ``inquiry`` / ``suggestion`` / ``complaint`` (``p4.contact_types``)."""

    kind: str
    received: dt.datetime
    special: bool = False
    special_reason: str = ""
    reply_needed: bool = True
    promised: dt.date | dt.datetime | None = None


# --------------------------------------------------------------------------- P4.4.1 inquiry


@rule("p4.inquiry_deadline", clauses=["P4.4.1"])
def inquiry_deadline(inquiry: Inquiry, params: ParamSet, calendar: WorkCalendar | None = None) -> Decision:
    """An inquiry not answered on the spot is answered within 24 hours of receipt (le: exactly 24 hours
    is in time). Clock hours by default; working hours (needs ``calendar``) with
    ``p4.inquiry_hours_basis = working``."""
    hours = params["p4.inquiry_answer_hours"]
    basis = params["p4.inquiry_hours_basis"]
    used = [hours.use(), basis.use()]
    provisional = False
    if basis.value == "working":
        if calendar is None:
            raise ValueError("p4.inquiry_hours_basis = working needs a WorkCalendar")
        start, close = params["p4.working_day_start"], params["p4.close_of_business"]
        due, provisional = calendar.add_working_hours(inquiry.received, hours.value, start.value, close.value)
        used += [start.use(), close.use()]
        reason = gettext_noop("%(received)s 受理的咨询，应在 %(hours)s 个工作小时内答复，截止 %(due)s")
    else:
        due = _plus_clock_hours(inquiry.received, hours.value)
        reason = gettext_noop("%(received)s 受理的咨询，应在 %(hours)s 小时内答复，截止 %(due)s")
    return Decision(
        rule="p4.inquiry_deadline", value=due.isoformat(), clauses=("P4.4.1",), reason=reason,
        reason_args={"received": _fmt(inquiry.received), "hours": hours.value, "due": _fmt(due)},
        params=tuple(used), facts={"received": inquiry.received.isoformat(), "basis": basis.value},
        provisional=provisional,
    )


# --------------------------------------------------------------------------- P4.4.2 suggestion


@rule("p4.suggestion_deadline", clauses=["P4.4.2"])
def suggestion_deadline(suggestion: Suggestion, params: ParamSet) -> Decision:
    """A suggestion that needs a reply must carry the reply date promised to the customer; the
    deadline is that date at close of business (or the promised datetime). Without a promise the
    value is ``None`` and ``facts["error"] == "promise_required"`` (the service refuses to register it)."""
    required = params["p4.suggestion_promise_required"]
    close = params["p4.close_of_business"]
    received = suggestion.received
    facts: dict[str, Any] = {"received": received.isoformat(), "reply_needed": suggestion.reply_needed}
    args: dict[str, Any] = {"received": _fmt(received)}
    if not suggestion.reply_needed:
        return Decision(
            rule="p4.suggestion_deadline", value=None, clauses=("P4.4.2",),
            reason=gettext_noop("%(received)s 受理的建议无需答复，不设答复期限"), reason_args=args,
            params=(required.use(),), facts=facts,
        )
    if suggestion.promised is None:
        if required.value:
            facts["error"] = "promise_required"
            return Decision(
                rule="p4.suggestion_deadline", value=None, clauses=("P4.4.2",),
                reason=gettext_noop("需要答复的建议必须向客户承诺答复期限"), reason_args=args,
                params=(required.use(),), facts=facts,
            )
        return Decision(
            rule="p4.suggestion_deadline", value=None, clauses=("P4.4.2",),
            reason=gettext_noop("%(received)s 受理的建议未承诺答复期限"), reason_args=args,
            params=(required.use(),), facts=facts,
        )
    promised = suggestion.promised
    due = promised if isinstance(promised, dt.datetime) else close_of_business(promised, close.value, tz=received.tzinfo)
    args["due"] = _fmt(due)
    facts["promised"] = promised.isoformat()
    if due < received:
        facts["error"] = "promise_before_receipt"
        return Decision(
            rule="p4.suggestion_deadline", value=None, clauses=("P4.4.2",),
            reason=gettext_noop("承诺的答复期限 %(due)s 早于受理时间 %(received)s"), reason_args=args,
            params=(required.use(), close.use()), facts=facts,
        )
    return Decision(
        rule="p4.suggestion_deadline", value=due.isoformat(), clauses=("P4.4.2",),
        reason=gettext_noop("%(received)s 受理的建议，已向客户承诺在 %(due)s 前答复采纳情况"), reason_args=args,
        params=(required.use(), close.use()), facts=facts,
    )


# --------------------------------------------------------------------------- P4.4.4 complaint


@rule("p4.complaint_deadline", clauses=["P4.4.4"])
def complaint_deadline(complaint: Complaint, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """A complaint is closed within 3 working days (le), a special case with a reason within 7: the
    n-th working day after the day of receipt (not counted), at close of business 17:30. Received
    2026-09-30 10:00 → due 2026-10-10 17:30 (the National Day make-up Saturday). With
    ``p4.after_hours_receipt_next_day`` a complaint received after close of business or on a rest day
    counts as received on the next working day."""
    normal = params["p4.complaint_working_days"]
    special = params["p4.complaint_special_working_days"]
    needs_reason = params["p4.special_case_requires_reason"]
    close = params["p4.close_of_business"]
    after_hours = params["p4.after_hours_receipt_next_day"]
    received = complaint.received
    facts: dict[str, Any] = {"received": received.isoformat(), "special": complaint.special}
    if complaint.special and needs_reason.value and not complaint.special_reason.strip():
        facts["error"] = "special_reason_required"
        return Decision(
            rule="p4.complaint_deadline", value=None, clauses=("P4.4.4",),
            reason=gettext_noop("按特殊情况（%(days)s 个工作日）办理须注明理由"),
            reason_args={"days": special.value}, params=(special.use(), needs_reason.use()), facts=facts,
        )
    days = special if complaint.special else normal
    start = received.date()
    provisional = False
    moved = after_hours.value and (not calendar.is_working_day(start) or received.time() >= close.value)
    if moved:
        start, provisional = calendar.next_working_day(start)
    due_day, p = calendar.add_working_days(start, days.value)
    provisional = provisional or p
    due = close_of_business(due_day, close.value, tz=received.tzinfo)
    facts.update({"working_days": days.value, "counted_from": (start + dt.timedelta(days=1)).isoformat(),
                  "receipt_moved_to": start.isoformat() if moved else None, "due_date": due_day.isoformat()})
    if complaint.special:
        facts["special_reason"] = complaint.special_reason
        reason = gettext_noop("%(received)s 受理的投诉属特殊情况（%(why)s），受理当日不计，%(days)s 个工作日内办结，截止 %(due)s")
    else:
        reason = gettext_noop("%(received)s 受理的投诉，受理当日不计，%(days)s 个工作日内办结，截止 %(due)s")
    return Decision(
        rule="p4.complaint_deadline", value=due.isoformat(), clauses=("P4.4.4",), reason=reason,
        reason_args={"received": _fmt(received), "days": days.value, "due": _fmt(due), "why": complaint.special_reason},
        params=(days.use(), close.use(), after_hours.use()) + ((needs_reason.use(),) if complaint.special else ()),
        facts=facts, provisional=provisional,
    )


@rule("p4.complaint_overdue", clauses=["P4.4.4", "P4.6"])
def complaint_overdue(complaint: Complaint, params: ParamSet, calendar: WorkCalendar, *,
                      closed_at: dt.datetime | None = None, as_of: dt.datetime | None = None) -> Decision:
    """Was the complaint closed late (``closed_at`` after the deadline), or is it still open past the
    deadline at ``as_of``? Closing exactly at the deadline is in time. Value: ``True`` when overdue,
    ``None`` when the deadline cannot be set; ``facts["status"]`` is on_time / late / open / overdue."""
    deadline = complaint_deadline(complaint, params, calendar)
    if deadline.value is None:
        return deadline
    if closed_at is None and as_of is None:
        raise ValueError("give closed_at or as_of")
    due = dt.datetime.fromisoformat(deadline.value)
    args = {"due": _fmt(due)}
    if closed_at is not None:
        overdue = closed_at > due
        status = "late" if overdue else "on_time"
        args["closed"] = _fmt(closed_at)
        reason = (gettext_noop("%(closed)s 办结，超过期限 %(due)s") if overdue
                  else gettext_noop("%(closed)s 办结，未超过期限 %(due)s"))
    else:
        assert as_of is not None
        overdue = as_of > due
        status = "overdue" if overdue else "open"
        args["as_of"] = _fmt(as_of)
        reason = (gettext_noop("截至 %(as_of)s 尚未办结，已超过期限 %(due)s") if overdue
                  else gettext_noop("截至 %(as_of)s 尚未办结，期限 %(due)s"))
    return Decision(
        rule="p4.complaint_overdue", value=overdue, clauses=("P4.4.4", "P4.6"), reason=reason, reason_args=args,
        params=deadline.params, facts={**deadline.facts, "due": deadline.value, "status": status,
                                       "closed_at": closed_at.isoformat() if closed_at else None},
        provisional=deadline.provisional,
    )


# --------------------------------------------------------------------------- P4.4 dispatcher


@rule("p4.deadline", clauses=["P4.4", "P4.4.1", "P4.4.2", "P4.4.4"])
def deadline(contact: Contact, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """The reply/closing deadline of any contact by its type: inquiry → :func:`inquiry_deadline`,
    suggestion → :func:`suggestion_deadline`, complaint → :func:`complaint_deadline`. Returns that
    rule's decision (its ``rule`` names the specific rule)."""
    types = params["p4.contact_types"]
    if contact.kind not in types.value:
        raise ValueError(f"unknown contact type {contact.kind!r}; expected one of {list(types.value)}")
    if contact.kind == "inquiry":
        return inquiry_deadline(Inquiry(contact.received), params, calendar)
    if contact.kind == "suggestion":
        return suggestion_deadline(Suggestion(contact.received, contact.reply_needed, contact.promised), params)
    return complaint_deadline(Complaint(contact.received, contact.special, contact.special_reason), params, calendar)


# --------------------------------------------------------------------------- P4.4.6 spot checks


def sample_size(population: int, rate_percent: Decimal, minimum: int) -> int:
    """``max(minimum, ceil(rate × population))`` capped at ``population``."""
    if population <= 0:
        return 0
    by_rate = int((Decimal(rate_percent) * population / 100).to_integral_value(rounding=ROUND_CEILING))
    return min(population, max(minimum, by_rate))


def _rank(seed: str, item: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{item}".encode()).hexdigest()


@rule("p4.spot_check_sample", clauses=["P4.4.6"])
def spot_check_sample(ids: Iterable[str | int], seed: str | int, params: ParamSet) -> Decision:
    """The handled complaints the marketing centre verifies: ``max(min_sample, ceil(rate × n))`` of the
    ``n`` ids (capped at ``n``), chosen by ranking each id by SHA-256 of ``seed`` and the id. The same
    ids and seed always give the same sample (whatever their order or the Python version), and adding
    ids never reshuffles the ranks of the others. Value: the chosen ids, sorted."""
    rate = params["p4.spot_check_rate"]
    minimum = params["p4.spot_check_min_sample"]
    population = sorted({str(i) for i in ids})
    size = sample_size(len(population), rate.value, minimum.value)
    chosen = sorted(sorted(population, key=lambda i: (_rank(str(seed), i), i))[:size])
    return Decision(
        rule="p4.spot_check_sample", value=chosen, clauses=("P4.4.6",),
        reason=gettext_noop("从 %(population)s 件已办结投诉中抽查 %(size)s 件（比例 %(rate)s%%，至少 %(min)s 件）"),
        reason_args={"population": len(population), "size": size, "rate": str(rate.value), "min": minimum.value},
        params=(rate.use(), minimum.use()), facts={"seed": str(seed), "population": len(population), "size": size},
    )


@rule("p4.rectification_deadline", clauses=["P4.4.6", "P4.6"])
def rectification_deadline(failed_at: dt.datetime, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """A handling result that fails verification is sent back: rectify within
    ``p4.rectification_working_days`` working days (day of the finding not counted), close of business."""
    days = params["p4.rectification_working_days"]
    close = params["p4.close_of_business"]
    due_day, provisional = calendar.add_working_days(failed_at.date(), days.value)
    due = close_of_business(due_day, close.value, tz=failed_at.tzinfo)
    return Decision(
        rule="p4.rectification_deadline", value=due.isoformat(), clauses=("P4.4.6", "P4.6"),
        reason=gettext_noop("%(failed)s 验证不符，责令 %(days)s 个工作日内整改，截止 %(due)s"),
        reason_args={"failed": _fmt(failed_at), "days": days.value, "due": _fmt(due)},
        params=(days.use(), close.use()), facts={"failed_at": failed_at.isoformat(), "due_date": due_day.isoformat()},
        provisional=provisional,
    )


# --------------------------------------------------------------------------- P4.4.7 retention


@rule("p4.retain_until", clauses=["P4.4.7"])
def retain_until(closed_on: dt.date, params: ParamSet, *, important: bool = False,
                 record_years: int | None = None) -> Decision:
    """Records are kept 1 year from closing (important ones ``p4.retention_important_years``, or a
    longer per-record period): value is the last day to keep them (ISO date, inclusive) — the
    anniversary of ``closed_on``; 29 February → 28 February (Civil Code art. 202). A per-record period
    shorter than the rulebook's is not applied."""
    base = params["p4.retention_important_years"] if important else params["p4.retention_years"]
    years = base.value if record_years is None else max(base.value, record_years)
    until = add_years(closed_on, years)
    dispose_from = until + dt.timedelta(days=1)
    reason = (gettext_noop("%(closed)s 办结的重要资料保存 %(years)s 年，至 %(until)s，%(dispose)s 起可销毁") if important
              else gettext_noop("%(closed)s 办结的资料保存 %(years)s 年，至 %(until)s，%(dispose)s 起可销毁"))
    return Decision(
        rule="p4.retain_until", value=until.isoformat(), clauses=("P4.4.7",), reason=reason,
        reason_args={"closed": closed_on.isoformat(), "years": years, "until": until.isoformat(),
                     "dispose": dispose_from.isoformat()},
        params=(base.use(),),
        facts={"closed_on": closed_on.isoformat(), "important": important, "years": years,
               "record_years": record_years, "dispose_from": dispose_from.isoformat()},
    )


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class RoutingTable:
    """Where complaints go. ``entries`` maps ``(category, territory)`` to a unit code (``"*"`` matches
    any category or territory); ``county_marketing`` maps a territory (county) to its marketing
    department; unmatched contacts go to the order department, which routes them by hand (P4.2)."""

    branch_customer_service: str
    order_department: str
    county_marketing: Mapping[str, str] = field(default_factory=dict)
    entries: Mapping[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteRequest:
    """A registered contact: its category, the customer's territory (county), the unit that received it
    and the territories that unit covers (empty: all of them, e.g. the branch)."""

    category: str
    territory: str
    receiving_unit: str
    receiving_scope: frozenset[str] = frozenset()


@rule("p4.route", clauses=["P4.2", "P4.3.3", "P4.4.3"])
def route(request: RouteRequest, table: RoutingTable, params: ParamSet) -> Decision:
    """The responsible unit for a contact, in this order: outside the receiving unit's scope → branch
    customer service (P4.3.3, registered and passed on at once); product (卷烟商品) problems → the
    county marketing department of the customer's territory (P4.4.3); otherwise the routing table,
    most specific first (category+territory, category, territory: territorial handling, P4.2); else
    the marketing centre's order department (P4.2)."""
    products = params["p4.product_quality_categories"]
    category, territory = request.category, request.territory
    basis: str
    if request.receiving_scope and territory not in request.receiving_scope:
        unit, basis, clauses = table.branch_customer_service, "out_of_scope", ("P4.3.3",)
        reason = gettext_noop("超出受理单位 %(receiver)s 的范围，登记后转分公司客户服务部 %(unit)s")
    elif category in products.value and territory in table.county_marketing:
        unit, basis, clauses = table.county_marketing[territory], "product_quality", ("P4.4.3",)
        reason = gettext_noop("卷烟商品问题，转 %(territory)s 县级营销部门 %(unit)s 协调处理")
    else:
        for key in ((category, territory), (category, WILDCARD), (WILDCARD, territory)):
            if key in table.entries:
                unit, basis, clauses = table.entries[key], "table", ("P4.2",)
                reason = gettext_noop("按分级负责、属地管理，%(category)s 类（%(territory)s）由 %(unit)s 处理")
                break
        else:
            unit, basis, clauses = table.order_department, "order_department", ("P4.2",)
            reason = gettext_noop("未找到 %(category)s 类（%(territory)s）的责任单位，由营销中心订单部 %(unit)s 分类传送")
    return Decision(
        rule="p4.route", value=unit, clauses=clauses, reason=reason,
        reason_args={"receiver": request.receiving_unit, "unit": unit, "category": category, "territory": territory},
        params=(products.use(),),
        facts={"category": category, "territory": territory, "receiving_unit": request.receiving_unit,
               "basis": basis},
    )


# --------------------------------------------------------------------------- P4.3.2 registration form


#: The registration form's fields (``p4.registration_required_fields``) as the form names them.
_FORM_LABELS = {
    "customer": gettext_noop("客户"), "contact": gettext_noop("联系方式"), "channel": gettext_noop("受理渠道"),
    "received_at": gettext_noop("受理时间"), "kind": gettext_noop("类型"), "content": gettext_noop("内容"),
    "receiving_unit": gettext_noop("受理单位"), "receiving_person": gettext_noop("受理人"),
}


@rule("p4.registration_complete", clauses=["P4.3.2"])
def registration_complete(form: Mapping[str, Any], params: ParamSet) -> Decision:
    """Every contact is recorded in the registration form with all of ``p4.registration_required_fields``
    (customer, contact, channel, time received, type, content, receiving unit and person)."""
    p = params["p4.registration_required_fields"]
    missing = [f for f in p.value if form.get(f) is None or (isinstance(form.get(f), str) and not form[f].strip())]
    return Decision(
        rule="p4.registration_complete", value=not missing, clauses=("P4.3.2",),
        reason=gettext_noop("登记表填写完整") if not missing else gettext_noop("登记表缺少：%(missing)s"),
        reason_args={"missing": [msg(_FORM_LABELS[f]) if f in _FORM_LABELS else f for f in missing]},
        params=(p.use(),), facts={"missing": missing},
    )


# --------------------------------------------------------------------------- closing


@dataclass(frozen=True)
class Closing:
    """What is on file when a contact is to be closed."""

    kind: str
    answer_recorded: bool = False       # inquiry: the answer (P4.4.1); suggestion: the adoption reply (P4.4.2)
    reply_needed: bool = True           # suggestion only
    investigator: str = ""              # complaint: the named investigator (P4.4.3)
    classification: str = ""            # complaint: violation / mistake / customer (P4.4.3)
    rectification_plan: bool = False   # complaint: a plan, where the class needs one (P4.4.3)
    result_fed_back: bool = False       # complaint: result fed back to the complainant (P4.4.5)
    satisfaction: str = ""              # complaint: the complainant's opinion (P4.4.5)


_LABELS = {
    "answer": gettext_noop("答复结果"), "reply": gettext_noop("采纳情况答复"), "investigator": gettext_noop("调查人"),
    "classification": gettext_noop("调查定性"), "rectification_plan": gettext_noop("整改方案"),
    "feedback": gettext_noop("处理结果反馈"), "satisfaction": gettext_noop("投诉人意见"),
}


@rule("p4.can_close", clauses=["P4.4.1", "P4.4.2", "P4.4.3", "P4.4.5", "P4.6"])
def can_close(closing: Closing, params: ParamSet) -> Decision:
    """Every contact a reply, every complaint an outcome (件件有落实，事事有回复): an inquiry needs its
    recorded answer; a suggestion needing a reply, the reply on adoption; a complaint, an investigator,
    a classification (and a rectification plan for the classes that need one), the result fed back and
    the complainant's opinion."""
    classes = params["p4.complaint_classes"]
    plan_classes = params["p4.rectification_plan_classes"]
    satisfaction = params["p4.satisfaction_required"]
    missing: list[str] = []
    used = [classes.use(), plan_classes.use(), satisfaction.use()]
    if closing.kind == "inquiry":
        clauses: tuple[str, ...] = ("P4.4.1", "P4.6")
        if not closing.answer_recorded:
            missing.append("answer")
    elif closing.kind == "suggestion":
        clauses = ("P4.4.2", "P4.6")
        if closing.reply_needed and not closing.answer_recorded:
            missing.append("reply")
    elif closing.kind == "complaint":
        clauses = ("P4.4.3", "P4.4.5", "P4.6")
        if not closing.investigator.strip():
            missing.append("investigator")
        if closing.classification not in classes.value:
            missing.append("classification")
        elif closing.classification in plan_classes.value and not closing.rectification_plan:
            missing.append("rectification_plan")
        if not closing.result_fed_back:
            missing.append("feedback")
        if satisfaction.value and not closing.satisfaction.strip():
            missing.append("satisfaction")
    else:
        raise ValueError(f"unknown contact type {closing.kind!r}")
    return Decision(
        rule="p4.can_close", value=not missing, clauses=clauses,
        reason=gettext_noop("可以办结") if not missing else gettext_noop("不能办结，缺少：%(missing)s"),
        reason_args={"missing": [msg(_LABELS[m]) for m in missing]}, params=tuple(used),
        facts={"kind": closing.kind, "missing": missing},
    )

