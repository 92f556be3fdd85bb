"""P1 青年志愿者服务中心内部管理 — pure rules (regulations.md § P1).

No ORM, no clock: facts come in as frozen dataclasses, parameters as a ``ParamSet``. Datetimes may be
naive (local Asia/Shanghai wall-clock time) or aware; compare like with like (mixing raises
``TypeError``). Decision values are JSON-friendly (dates as ISO text).

Month and year arithmetic (:func:`add_months`, :func:`add_years`) follows Civil Code art. 202: the
period ends on the corresponding day of the final month; where that month has no such day, on its
last day (31 January + 1 month → 28/29 February; 29 February + 1 year → 28 February). The other
regulation modules (p2, p4, p8) use the same helpers.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext_noop

from zhidu.rulebook.decision import Decision, rule
from zhidu.rulebook.params import ParamSet

__all__ = [
    "ActivityClose",
    "LeaveRequest",
    "ParticipationRecord",
    "Plan",
    "PlanTask",
    "add_months",
    "add_years",
    "bigram_jaccard",
]


# --------------------------------------------------------------------------- date helpers (shared)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (Civil Code art. 202: no corresponding day → month end)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int, *, leap_day: str = "feb28") -> dt.date:
    """``day`` plus ``years`` years; 29 February in a common year becomes 28 February (art. 202),
    or 1 March with ``leap_day="mar1"``."""
    if day.month == 2 and day.day == 29 and not _calendar.isleap(day.year + years):
        return dt.date(day.year + years, 3, 1) if leap_day == "mar1" else dt.date(day.year + years, 2, 28)
    return day.replace(year=day.year + years)


def _minutes(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) / 60 + Decimal(delta.microseconds) / 60_000_000


def _fmt(x: dt.datetime) -> str:
    return x.strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- P1.2.4 leave before a meeting


@dataclass(frozen=True)
class LeaveRequest:
    """A member's request for leave from a regular meeting (P1.2.4)."""

    meeting_start: dt.datetime
    requested_at: dt.datetime
    reason: str = ""


@rule("p1.meeting_leave_on_time", clauses=["P1.2.4"])
def meeting_leave_on_time(request: LeaveRequest, params: ParamSet) -> Decision:
    """Leave must be asked at least ``p1.leave_notice_minutes`` (30) before the meeting; exactly 30
    minutes before is on time (以上 includes the number). A late request is handled per
    ``p1.late_leave_handling`` (``unexcused`` or ``refused``)."""
    notice = params["p1.leave_notice_minutes"]
    handling = params["p1.late_leave_handling"]
    minutes = _minutes(request.meeting_start - request.requested_at)
    on_time = notice.holds(minutes)
    shown = str(minutes.to_integral_value(rounding=ROUND_DOWN))
    args = {"minutes": shown, "limit": notice.value, "meeting": _fmt(request.meeting_start),
            "requested": _fmt(request.requested_at)}
    if on_time:
        reason = gettext_noop("%(requested)s 请假，距 %(meeting)s 例会开始 %(minutes)s 分钟，不少于 %(limit)s 分钟，按时请假")
    elif minutes < 0:
        args["minutes"] = str((-minutes).to_integral_value(rounding=ROUND_DOWN))
        reason = (gettext_noop("例会 %(meeting)s 开始 %(minutes)s 分钟后才请假，请假不予受理")
                  if handling.value == "refused" else
                  gettext_noop("例会 %(meeting)s 开始 %(minutes)s 分钟后才请假，按无故缺席计"))
    elif handling.value == "refused":
        reason = gettext_noop("%(requested)s 请假，距 %(meeting)s 例会开始仅 %(minutes)s 分钟，不足 %(limit)s 分钟，请假不予受理")
    else:
        reason = gettext_noop("%(requested)s 请假，距 %(meeting)s 例会开始仅 %(minutes)s 分钟，不足 %(limit)s 分钟，按无故缺席计")
    return Decision(
        rule="p1.meeting_leave_on_time", value=on_time, clauses=("P1.2.4",), reason=reason, reason_args=args,
        params=(notice.use(), handling.use()),
        facts={"meeting_start": request.meeting_start.isoformat(), "requested_at": request.requested_at.isoformat(),
               "minutes_before": str(minutes.quantize(Decimal("0.01"))), "late_handling": None if on_time else handling.value},
    )


# --------------------------------------------------------------------------- P1.3.1 plans


@dataclass(frozen=True)
class Plan:
    """An activity plan (策划方案). ``kind`` is ``routine`` (固定的日常活动) or ``themed`` (主题活动)."""

    kind: str
    filed_on: dt.date
    activity_on: dt.date
    theme: str = ""
    content: str = ""
    feasibility: str = ""
    operations: str = ""

    @property
    def text(self) -> str:
        return "\n".join((self.theme, self.content, self.feasibility, self.operations))


def _latest_themed_filing(activity_on: dt.date, months: int) -> dt.date:
    """The last day ``d`` with ``add_months(d, months) <= activity_on``."""
    d = add_months(activity_on, -months)
    while add_months(d + dt.timedelta(days=1), months) <= activity_on:
        d += dt.timedelta(days=1)
    return d


@rule("p1.plan_lead_time", clauses=["P1.3.1"])
def plan_lead_time(plan: Plan, params: ParamSet) -> Decision:
    """A routine activity's plan is filed ≥ 7 days before it (提前一周); a themed activity's ≥ 1 month
    before (提前一月), months per Civil Code art. 202: ``filed_on + 1 month <= activity_on``, so a plan
    filed on 31 January serves an activity on 28 February of a common year."""
    if plan.kind == "routine":
        p = params["p1.routine_plan_lead_days"]
        lead = (plan.activity_on - plan.filed_on).days
        ok = p.holds(lead)
        latest = plan.activity_on - dt.timedelta(days=p.value)
        reason = (gettext_noop("日常活动 %(activity)s 的方案于 %(filed)s 提交，提前 %(lead)s 天，不少于 %(limit)s 天")
                  if ok else
                  gettext_noop("日常活动 %(activity)s 的方案于 %(filed)s 提交，仅提前 %(lead)s 天，应提前 %(limit)s 天（最迟 %(latest)s）"))
    elif plan.kind == "themed":
        p = params["p1.themed_plan_lead_months"]
        latest = _latest_themed_filing(plan.activity_on, p.value)
        ok = plan.filed_on <= latest
        lead = (plan.activity_on - plan.filed_on).days
        reason = (gettext_noop("主题活动 %(activity)s 的方案于 %(filed)s 提交，提前 %(limit)s 个月以上")
                  if ok else
                  gettext_noop("主题活动 %(activity)s 的方案于 %(filed)s 提交，不足 %(limit)s 个月，最迟应于 %(latest)s 提交"))
    else:
        raise ValueError(f"unknown plan kind {plan.kind!r} (routine or themed)")
    return Decision(
        rule="p1.plan_lead_time", value=ok, clauses=("P1.3.1",), reason=reason,
        reason_args={"activity": plan.activity_on.isoformat(), "filed": plan.filed_on.isoformat(), "lead": lead,
                     "limit": p.value, "latest": latest.isoformat()},
        params=(p.use(),),
        facts={"kind": plan.kind, "filed_on": plan.filed_on.isoformat(), "activity_on": plan.activity_on.isoformat(),
               "lead_days": lead, "latest_filing": latest.isoformat()},
    )


@rule("p1.plan_complete", clauses=["P1.3.1"])
def plan_complete(plan: Plan, params: ParamSet) -> Decision:
    """The plan states theme, content, feasibility and concrete operations (``p1.plan_required_fields``)."""
    p = params["p1.plan_required_fields"]
    missing = [name for name in p.value if not str(getattr(plan, name, "") or "").strip()]
    reason = gettext_noop("方案要素齐全") if not missing else gettext_noop("方案缺少：%(missing)s")
    return Decision(
        rule="p1.plan_complete", value=not missing, clauses=("P1.3.1",), reason=reason,
        reason_args={"missing": list(missing)}, params=(p.use(),), facts={"missing": missing},
    )


_SKIP_CATEGORIES = ("P", "Z", "C", "S")  # punctuation, separators, control, symbols


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in _SKIP_CATEGORIES)


def bigram_jaccard(a: str, b: str) -> Decimal:
    """Character-bigram Jaccard similarity of two texts (whitespace, punctuation and symbols removed,
    NFKC-normalized). One-character texts use the character itself; an empty text is similar to
    nothing (0)."""

    def grams(text: str) -> set[str]:
        t = _normalize(text)
        return {t[i:i + 2] for i in range(len(t) - 1)} if len(t) > 1 else set(t)

    ga, gb = grams(a), grams(b)
    if not ga or not gb:
        return Decimal(0)
    return Decimal(len(ga & gb)) / Decimal(len(ga | gb))


@rule("p1.plan_duplicate", clauses=["P1.3.1"])
def plan_duplicate(text: str, earlier: Mapping[str, str] | Iterable[tuple[str, str]], params: ParamSet) -> Decision:
    """Plans must not duplicate earlier ones (互不雷同): value is the ids of earlier plans whose bigram
    Jaccard similarity to ``text`` is ≥ ``p1.plan_similarity_threshold``, most similar first. A
    warning, not a block."""
    p = params["p1.plan_similarity_threshold"]
    items = earlier.items() if isinstance(earlier, Mapping) else earlier
    scored = [(plan_id, bigram_jaccard(text, other)) for plan_id, other in items]
    hits = sorted(((pid, s) for pid, s in scored if p.holds(s)), key=lambda x: (-x[1], x[0]))
    best = max((s for _, s in scored), default=Decimal(0))
    similarity = {pid: str(s.quantize(Decimal("0.001"))) for pid, s in hits}
    if hits:
        reason = gettext_noop("方案与以往方案 %(plans)s 近似（相似度 %(best)s，达到 %(limit)s），请避免雷同")
    else:
        reason = gettext_noop("未发现与以往方案雷同（最高相似度 %(best)s，低于 %(limit)s）")
    return Decision(
        rule="p1.plan_duplicate", value=[pid for pid, _ in hits], clauses=("P1.3.1",), reason=reason,
        reason_args={"plans": [pid for pid, _ in hits], "best": str(best.quantize(Decimal("0.01"))),
                     "limit": str(p.value)},
        params=(p.use(),), facts={"compared": len(scored), "similarity": similarity},
    )


# --------------------------------------------------------------------------- P1.3.2 tasks have owners


@dataclass(frozen=True)
class PlanTask:
    name: str
    owner: str | None = None


@rule("p1.plan_tasks_assigned", clauses=["P1.3.2"])
def plan_tasks_assigned(tasks: Iterable[PlanTask]) -> Decision:
    """Before the activity every task of the plan has an owner (活动细则落实到人)."""
    tasks = list(tasks)
    unassigned = [t.name for t in tasks if not (t.owner or "").strip()]
    if not tasks:
        reason = gettext_noop("方案没有列出任何任务，无法落实到人")
    elif unassigned:
        reason = gettext_noop("以下任务尚未落实到人：%(tasks)s")
    else:
        reason = gettext_noop("%(count)s 项任务均已落实到人")
    return Decision(
        rule="p1.plan_tasks_assigned", value=bool(tasks) and not unassigned, clauses=("P1.3.2",), reason=reason,
        reason_args={"tasks": list(unassigned), "count": len(tasks)},
        facts={"tasks": len(tasks), "unassigned": unassigned},
    )


# --------------------------------------------------------------------------- P1.3.4 close an activity


@dataclass(frozen=True)
class ActivityClose:
    photo_count: int
    has_report: bool


@rule("p1.activity_can_close", clauses=["P1.3.4"])
def activity_can_close(activity: ActivityClose, params: ParamSet) -> Decision:
    """An activity is closed only with photos (≥ ``p1.close_min_photos``) and a news report."""
    photos = params["p1.close_min_photos"]
    report = params["p1.close_requires_report"]
    missing = []
    if not photos.holds(activity.photo_count):
        missing.append("photos")
    if report.value and not activity.has_report:
        missing.append("report")
    if not missing:
        reason = gettext_noop("已有活动照片 %(photos)s 张和报道，可以结项")
    elif missing == ["photos"]:
        reason = gettext_noop("活动照片 %(photos)s 张，至少需要 %(min)s 张，不能结项")
    elif missing == ["report"]:
        reason = gettext_noop("活动尚无报道，不能结项")
    else:
        reason = gettext_noop("活动照片 %(photos)s 张（至少需要 %(min)s 张）且尚无报道，不能结项")
    return Decision(
        rule="p1.activity_can_close", value=not missing, clauses=("P1.3.4",), reason=reason,
        reason_args={"photos": activity.photo_count, "min": photos.value}, params=(photos.use(), report.use()),
        facts={"photo_count": activity.photo_count, "has_report": activity.has_report, "missing": missing},
    )


# --------------------------------------------------------------------------- P1.3.5 sign-in records


@dataclass(frozen=True)
class ParticipationRecord:
    person: str
    signed_in_at: dt.datetime | None
    signed_out_at: dt.datetime | None = None


@rule("p1.participation_records_complete", clauses=["P1.3.5"])
def participation_records_complete(records: Iterable[ParticipationRecord], params: ParamSet) -> Decision:
    """Every participant signed in (and, with ``p1.require_sign_out``, out after signing in)."""
    sign_out = params["p1.require_sign_out"]
    problems: dict[str, str] = {}
    records = list(records)
    for r in records:
        if r.signed_in_at is None:
            problems[r.person] = "no_sign_in"
        elif sign_out.value and r.signed_out_at is None:
            problems[r.person] = "no_sign_out"
        elif r.signed_out_at is not None and r.signed_out_at < r.signed_in_at:
            problems[r.person] = "sign_out_before_sign_in"
    reason = (gettext_noop("%(count)s 名参与人员签到记录完整") if not problems
              else gettext_noop("签到记录不完整：%(people)s"))
    return Decision(
        rule="p1.participation_records_complete", value=not problems, clauses=("P1.3.5",), reason=reason,
        reason_args={"count": len(records), "people": list(problems)}, params=(sign_out.use(),),
        facts={"participants": len(records), "problems": problems},
    )


# --------------------------------------------------------------------------- P1.4.1 attendance grade


@rule("p1.attendance_grade", clauses=["P1.4.1"])
def attendance_grade(leaves: int, unexcused: int, params: ParamSet) -> Decision:
    """Yearly meeting attendance grade. Counted leaves = leaves + ``p1.unexcused_leave_weight`` ×
    unexcused (interpretation: one unexcused absence counts as 2 leaves). ≤ 1 → A, each further leave
    one grade lower down to E; more than 5 counted leaves, or 2 unexcused absences → ``"removal"``
    (除名) — either condition by default (``p1.removal_combination``)."""
    if leaves < 0 or unexcused < 0:
        raise ValueError("leaves and unexcused absences cannot be negative")
    weight = params["p1.unexcused_leave_weight"]
    scale = params["p1.grade_scale"]
    a_max = params["p1.grade_a_max_leaves"]
    removal_leaves = params["p1.removal_leaves"]
    removal_unexcused = params["p1.removal_unexcused"]
    combination = params["p1.removal_combination"]
    counted = leaves + weight.value * unexcused
    by_leaves = removal_leaves.holds(counted)
    by_unexcused = removal_unexcused.holds(unexcused)
    removed = (by_leaves or by_unexcused) if combination.value == "either" else (by_leaves and by_unexcused)
    grades = list(scale.value)
    if removed:
        value = "removal"
        reason = gettext_noop("全年请假 %(leaves)s 次、无故缺席 %(unexcused)s 次（折算请假 %(counted)s 次），予以除名")
    else:
        steps = 0 if a_max.holds(counted) else counted - a_max.value
        value = grades[min(steps, len(grades) - 1)]
        reason = gettext_noop("全年请假 %(leaves)s 次、无故缺席 %(unexcused)s 次（折算请假 %(counted)s 次），出勤等级 %(grade)s")
    return Decision(
        rule="p1.attendance_grade", value=value, clauses=("P1.4.1",), reason=reason,
        reason_args={"leaves": leaves, "unexcused": unexcused, "counted": counted, "grade": value},
        params=(weight.use(), a_max.use(), removal_leaves.use(), removal_unexcused.use(), combination.use(),
                scale.use()),
        facts={"leaves": leaves, "unexcused": unexcused, "counted_leaves": counted,
               "removal_by_leaves": by_leaves, "removal_by_unexcused": by_unexcused},
    )


@rule("p1.assessment_period", clauses=["P1.4.1", "P1.4.5"])
def assessment_period(on: dt.date, params: ParamSet) -> Decision:
    """The assessment year containing ``on``: the school year (from ``p1.academic_year_start_month``,
    by default 1 September – 31 August) or the calendar year (``p1.assessment_year_basis``). Value:
    ``{"start": …, "end": …}`` (ISO dates, both inclusive)."""
    basis = params["p1.assessment_year_basis"]
    start_month = params["p1.academic_year_start_month"]
    if basis.value == "calendar":
        start = dt.date(on.year, 1, 1)
    else:
        year = on.year if on.month >= start_month.value else on.year - 1
        start = dt.date(year, start_month.value, 1)
    end = add_months(start, 12) - dt.timedelta(days=1)
    reason = (gettext_noop("按自然年考核：%(start)s 至 %(end)s") if basis.value == "calendar"
              else gettext_noop("按学年考核：%(start)s 至 %(end)s"))
    return Decision(
        rule="p1.assessment_period", value={"start": start.isoformat(), "end": end.isoformat()},
        clauses=("P1.4.1", "P1.4.5"), reason=reason, reason_args={"start": start.isoformat(), "end": end.isoformat()},
        params=(basis.use(), start_month.use()), facts={"on": on.isoformat()},
    )
