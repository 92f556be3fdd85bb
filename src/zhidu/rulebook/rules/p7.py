"""Pure rules of P7 酒店考勤 (hotel attendance), regulations.md § P7.

Facts come in as frozen dataclasses, parameters from a :class:`~zhidu.rulebook.params.ParamSet`
(``default/P7.yaml``), working days from a :class:`~zhidu.calendar.rules.WorkCalendar`; nothing
here reads the database or the clock. Every rule returns a :class:`~zhidu.rulebook.decision.Decision`
whose ``value`` is JSON-safe: amounts of money and day counts are decimal strings (``"5.00"``,
``"0.5"``), dates and datetimes ISO strings.

Counting conventions (spec): 超过 → ``gt``, 以上 → ``ge``, 以内/以下 → ``le``, 不满 → ``lt``; the
comparison lives with each parameter and ``Param.holds`` applies it. Minutes late or early are the
*started* minutes (30 min 01 s is 31 minutes), so "more than 30 minutes" is exact; minutes of notice
are *complete* minutes (59 min 59 s is 59), so "at least 60 minutes" is exact.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar
from zhidu.rulebook.decision import Decision, ParamUse, rule
from zhidu.rulebook.params import ParamSet

# Ranks (P7.8 经理以下 / 部门经理以上, P7.10 普通员工 / 中层以上管理人员), lowest first.
STAFF = "staff"
MIDDLE_MANAGER = "middle_manager"
DEPARTMENT_MANAGER = "department_manager"
GENERAL_MANAGER = "general_manager"
RANKS = (STAFF, MIDDLE_MANAGER, DEPARTMENT_MANAGER, GENERAL_MANAGER)

# Approvers a leave request may need (P7.7, P7.8, P7.11).
DIRECT_SUPERVISOR = "direct_supervisor"
HR = "hr"

# Leave kinds.
SICK = "sick"
PERSONAL = "personal"
MARRIAGE = "marriage"
HOME_VISIT = "home_visit"
MATERNITY = "maternity"
PRENATAL = "prenatal"
OTHER = "other"
LEAVE_KINDS = (SICK, PERSONAL, MARRIAGE, HOME_VISIT, MATERNITY, PRENATAL, OTHER)

# Day statuses of p7.day_status.
PRESENT = "present"
LATE = "late"
EARLY = "early"
LATE_EARLY = "late_early"
HALF_ABSENT = "half_absent"
ABSENT = "absent"
LEAVE = "leave"
EXCEPTION = "exception"
REST = "rest"
DAY_STATUSES = (PRESENT, LATE, EARLY, LATE_EARLY, HALF_ABSENT, ABSENT, LEAVE, EXCEPTION, REST)

# Outcomes of p7.lateness.
NONE = "none"
INSTANCE = "instance"
HALF_DAY = "half_day_absent"

_MINUTE = dt.timedelta(minutes=1)
_CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------------ helpers


def _rank_index(rank: str) -> int:
    try:
        return RANKS.index(rank)
    except ValueError:
        raise ValueError(f"unknown rank {rank!r}; expected one of {list(RANKS)}") from None


def is_middle_manager_or_above(rank: str) -> bool:
    """P7.10 中层以上管理人员."""
    return _rank_index(rank) >= RANKS.index(MIDDLE_MANAGER)


def is_department_manager_or_above(rank: str) -> bool:
    """P7.8 部门经理以上人员."""
    return _rank_index(rank) >= RANKS.index(DEPARTMENT_MANAGER)


def started_minutes(delta: dt.timedelta) -> int:
    """Minutes begun (ceiling), 0 for a non-positive span: 30 min 01 s → 31."""
    if delta <= dt.timedelta(0):
        return 0
    return -((-delta) // _MINUTE)


def complete_minutes(delta: dt.timedelta) -> int:
    """Whole minutes completed (floor): 59 min 59 s → 59."""
    return delta // _MINUTE


def num(d: Decimal | int) -> str:
    """A day count as text without trailing zeros: 1.0 → "1", 0.50 → "0.5"."""
    text = format(Decimal(d).normalize(), "f")
    return "0" if text in ("-0", "") else text


def money(d: Decimal) -> str:
    return str(d.quantize(_CENT, rounding=ROUND_HALF_UP))


def add_months(d: dt.date, months: int) -> dt.date:
    """The corresponding day ``months`` later; the month's last day when there is none
    (Civil Code art. 202: 没有对应日的，月末日为期间的最后一日)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def full_years(start: dt.date, on: dt.date) -> int:
    """Complete years from ``start`` to ``on``; the anniversary day counts (届满 includes the number).
    A 29 February start reaches its anniversary on 28 February of a common year (art. 202)."""
    years = on.year - start.year
    if years > 0 and add_months(start, 12 * years) > on:
        years -= 1
    return max(years, 0)


# ------------------------------------------------------------------------------ P7.2 / P7.4 lateness


@dataclass(frozen=True)
class LatenessEvent:
    """One late arrival or early departure.

    ``kind`` is ``"late"`` or ``"early"``; ``minutes`` the started minutes after the shift start (or
    before its end); ``permitted`` — the department supervisor allowed it (P7.4 未经部门主管允许) or
    there was a proper reason (P7.10 无正当理由)."""

    kind: str
    minutes: int
    rank: str = STAFF
    permitted: bool = False


def _lateness(event: LatenessEvent, params: ParamSet) -> tuple[str, str, dict[str, object], tuple[str, ...], tuple[ParamUse, ...]]:
    """(outcome, reason, reason_args, clauses, params) shared by p7.lateness, p7.day_status, p7.fine."""
    if event.kind not in ("late", "early"):
        raise ValueError(f"unknown lateness kind {event.kind!r}; expected 'late' or 'early'")
    late = event.kind == "late"
    grace = params["p7.grace_minutes"]
    limit = params["p7.late_half_day_minutes" if late else "p7.early_half_day_minutes"]
    inclusive = params["p7.early_half_day_inclusive"]
    uses: tuple[ParamUse, ...] = (grace.use(), limit.use()) + (() if late else (inclusive.use(),))
    args: dict[str, object] = {"minutes": event.minutes, "limit": limit.value, "grace": grace.value}
    if not grace.holds(event.minutes):
        reason = (gettext_noop("迟到 %(minutes)s 分钟，未超过宽限 %(grace)s 分钟，不计迟到") if late
                  else gettext_noop("早退 %(minutes)s 分钟，未超过宽限 %(grace)s 分钟，不计早退"))
        return NONE, reason, args, ("P7.2",), uses
    if event.permitted:
        reason = (gettext_noop("迟到 %(minutes)s 分钟，已经部门主管允许，不计迟到") if late
                  else gettext_noop("早退 %(minutes)s 分钟，已经部门主管允许，不计早退"))
        return NONE, reason, args, ("P7.4",), uses
    over = limit.holds(event.minutes) or (not late and inclusive.value and event.minutes >= limit.value)
    if over:
        if late:
            reason = gettext_noop("迟到 %(minutes)s 分钟，超过 %(limit)s 分钟，按旷工半天处理")
        elif limit.holds(event.minutes):
            reason = gettext_noop("早退 %(minutes)s 分钟，超过 %(limit)s 分钟，按旷工半天处理")
        else:
            reason = gettext_noop("早退 %(minutes)s 分钟，达到 %(limit)s 分钟以上，按旷工半天处理")
        return HALF_DAY, reason, args, ("P7.4",), uses
    reason = (gettext_noop("迟到 %(minutes)s 分钟，未超过 %(limit)s 分钟，记迟到一次") if late
              else gettext_noop("早退 %(minutes)s 分钟，未超过 %(limit)s 分钟，记早退一次"))
    return INSTANCE, reason, args, ("P7.2",), uses


@rule("p7.lateness", clauses=["P7.2", "P7.4", "P7.10"])
def lateness(event: LatenessEvent, params: ParamSet) -> Decision:
    """Late arrival / early departure → ``"none"``, ``"instance"`` (one lateness, fined under P7.10) or
    ``"half_day_absent"`` (more than 30 minutes without the supervisor's permission, P7.4)."""
    outcome, reason, args, clauses, uses = _lateness(event, params)
    absence = params["p7.half_day_absence_days"]
    days = absence.value if outcome == HALF_DAY else Decimal(0)
    return Decision(
        rule="p7.lateness", value=outcome, clauses=clauses, reason=reason, reason_args=args,
        params=uses + ((absence.use(),) if outcome == HALF_DAY else ()),
        facts={"kind": event.kind, "minutes": event.minutes, "rank": event.rank, "permitted": event.permitted,
               "absence_days": num(days)},
    )


# --------------------------------------------------------------------------- P7.1 etc.: a working day


@dataclass(frozen=True)
class WorkDay:
    """One person's day: shift, punches, leave and recorded exceptions.

    ``shift_start``/``shift_end`` are wall-clock times on ``date`` (an end at or before the start ends
    the next day); punches are datetimes in the same (local) time. ``leave`` is ``"approved"``,
    ``"unapproved"`` (applied for but not approved, P7.5.1) or None. ``exception`` — the duty officer
    recorded that attendance could not be captured (power cut, broken machine, unreadable fingerprint,
    P10.2.3). ``rostered`` overrides the calendar (hotel rosters work weekends); None asks the calendar.
    """

    date: dt.date
    shift_start: dt.time
    shift_end: dt.time
    punch_in: dt.datetime | None = None
    punch_out: dt.datetime | None = None
    leave: str | None = None
    exception: bool = False
    rostered: bool | None = None
    late_permitted: bool = False
    early_permitted: bool = False
    rank: str = STAFF


def _shift_bounds(day: WorkDay) -> tuple[dt.datetime, dt.datetime]:
    punch = day.punch_in or day.punch_out
    tz = punch.tzinfo if punch is not None else None
    start = dt.datetime.combine(day.date, day.shift_start, tzinfo=tz)
    end = dt.datetime.combine(day.date, day.shift_end, tzinfo=tz)
    if end <= start:
        end += dt.timedelta(days=1)
    return start, end


@rule("p7.day_status", clauses=["P7.1", "P7.2", "P7.4", "P7.5", "P7.5.1", "P10.2.3"])
def day_status(day: WorkDay, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """The attendance status of one day: present / late / early / late_early / half_absent / absent /
    leave / exception / rest. ``facts["absence_days"]`` is the absenteeism the day carries ("0",
    "0.5", "1") and ``facts["instances"]`` the lateness/early-leave instances (for P7.10 fines)."""
    if day.leave not in (None, "approved", "unapproved"):
        raise ValueError(f"unknown leave state {day.leave!r}; expected 'approved', 'unapproved' or None")
    if day.rostered is None:
        info = calendar.info(day.date)
        working, provisional, kind = info.working, info.provisional, str(info.kind)
    else:
        working, provisional, kind = day.rostered, False, "rostered" if day.rostered else "off"
    facts: dict[str, object] = {"date": day.date.isoformat(), "working": working, "day_kind": kind,
                                "late_minutes": 0, "early_minutes": 0, "absence_days": "0", "instances": 0}

    def done(status: str, clauses: tuple[str, ...], reason: str, args: dict[str, object] | None = None,
             uses: tuple[ParamUse, ...] = (), absence: Decimal = Decimal(0), instances: int = 0) -> Decision:
        facts.update(absence_days=num(absence), instances=instances)
        return Decision(rule="p7.day_status", value=status, clauses=clauses, reason=reason,
                        reason_args={"date": day.date.isoformat(), **(args or {})}, params=uses, facts=facts,
                        provisional=provisional)

    if not working:
        return done(REST, ("P7.1",), gettext_noop("%(date)s 不是工作日"))
    if day.leave == "approved":
        return done(LEAVE, ("P7.5",), gettext_noop("%(date)s 已批准请假"))
    if day.exception:
        return done(EXCEPTION, ("P10.2.3",), gettext_noop("%(date)s 考勤未成功，已由值班人员统一记录，按出勤处理"))
    if day.punch_in is None and day.punch_out is None:
        if day.leave == "unapproved":
            return done(ABSENT, ("P7.5.1",), gettext_noop("%(date)s 请假未批准而擅自缺勤，按旷工一天处理"),
                        absence=Decimal(1))
        return done(ABSENT, ("P7.1", "P7.5.1"), gettext_noop("%(date)s 未签到也未签退，且未办理请假手续，按旷工一天处理"),
                    absence=Decimal(1))
    if day.punch_in is None or day.punch_out is None:
        single = params["p7.single_punch_absence_days"]
        days = single.value
        status = ABSENT if days >= 1 else HALF_ABSENT if days > 0 else PRESENT
        reason = (gettext_noop("%(date)s 缺少签到记录，按旷工 %(days)s 天处理") if day.punch_in is None
                  else gettext_noop("%(date)s 缺少签退记录，按旷工 %(days)s 天处理"))
        return done(status, ("P7.1",), reason, {"days": num(days)}, (single.use(),), absence=days)

    start, end = _shift_bounds(day)
    late_min = started_minutes(day.punch_in - start)
    early_min = started_minutes(end - day.punch_out)
    facts.update(late_minutes=late_min, early_minutes=early_min)
    late = _lateness(LatenessEvent("late", late_min, day.rank, day.late_permitted), params)
    early = _lateness(LatenessEvent("early", early_min, day.rank, day.early_permitted), params)
    half = params["p7.half_day_absence_days"]
    halves = [r for r in (late, early) if r[0] == HALF_DAY]
    instances = [r for r in (late, early) if r[0] == INSTANCE]
    uses = late[4] + tuple(u for u in early[4] if u not in late[4])
    absence = half.value * len(halves)
    if halves:
        uses += (half.use(),)
        status = ABSENT if absence >= 1 else HALF_ABSENT
        if len(halves) == 1 and not instances:
            _, reason, args, clauses, _ = halves[0]
            return done(status, clauses, reason, args, uses, absence=absence)
        args = {"late": late_min, "early": early_min, "days": num(absence)}
        return done(status, ("P7.2", "P7.4"),
                    gettext_noop("%(date)s 迟到 %(late)s 分钟、早退 %(early)s 分钟，共按旷工 %(days)s 天处理"),
                    args, uses, absence=absence, instances=len(instances))
    if len(instances) == 2:
        return done(LATE_EARLY, ("P7.2",), gettext_noop("%(date)s 迟到 %(late)s 分钟、早退 %(early)s 分钟，各记一次"),
                    {"late": late_min, "early": early_min}, uses, instances=2)
    if instances:
        _, reason, args, clauses, _ = instances[0]
        return done(LATE if instances[0] is late else EARLY, clauses, reason, args, uses, instances=1)
    return done(PRESENT, ("P7.1",), gettext_noop("%(date)s 按时签到、签退"), uses=uses)


# ------------------------------------------------------------------------------------- P7.10 fines


@rule("p7.fine", clauses=["P7.10"])
def fine(event: LatenessEvent, params: ParamSet) -> Decision:
    """P7.10: 5 yuan per lateness/early leave for ordinary staff, 10 yuan for middle managers and above;
    none when permitted or within the grace period; none for a half-day absenteeism unless
    ``p7.fine_also_when_half_day``. ``value`` is the amount in yuan as text."""
    outcome, _, args, _, _ = _lateness(event, params)
    manager = is_middle_manager_or_above(event.rank)
    amount_p = params["p7.fine_manager_yuan" if manager else "p7.fine_staff_yuan"]
    also = params["p7.fine_also_when_half_day"]
    facts = {"kind": event.kind, "minutes": event.minutes, "rank": event.rank, "outcome": outcome}
    if outcome == NONE:
        return Decision(rule="p7.fine", value=money(Decimal(0)), clauses=("P7.10",),
                        reason=gettext_noop("未记迟到早退，不罚款"), facts=facts)
    if outcome == HALF_DAY and not also.value:
        return Decision(rule="p7.fine", value=money(Decimal(0)), clauses=("P7.10",),
                        reason=gettext_noop("超过 %(limit)s 分钟已按旷工半天处理，不另罚款"),
                        reason_args={"limit": args["limit"]}, params=(also.use(),), facts=facts)
    reason = (gettext_noop("中层以上管理人员无正当理由迟到早退，每次罚款 %(amount)s 元") if manager
              else gettext_noop("普通员工无正当理由迟到早退，每次罚款 %(amount)s 元"))
    amount = money(amount_p.value)
    return Decision(rule="p7.fine", value=amount, clauses=("P7.10",), reason=reason, reason_args={"amount": amount},
                    params=(amount_p.use(),) + ((also.use(),) if outcome == HALF_DAY else ()), facts=facts)


@dataclass(frozen=True)
class ManagerLateness:
    """A manager's accumulated count of unexcused lateness/early-leave instances in the window
    ``p7.manager_lateness_window`` (the caller counts; this rule converts)."""

    rank: str
    count: int


@rule("p7.manager_lateness_to_absence", clauses=["P7.10"])
def manager_lateness_to_absence(m: ManagerLateness, params: ParamSet) -> Decision:
    """P7.10: for middle managers and above every 4 accumulated instances count as one day of
    absenteeism. ``value`` is the days of absenteeism the count amounts to (text);
    ``facts["triggered"]`` tells whether this count (the latest instance) completed a block."""
    per = params["p7.manager_lateness_per_absence"]
    days_p = params["p7.manager_lateness_absence_days"]
    window = params["p7.manager_lateness_window"]
    uses = (per.use(), days_p.use(), window.use())
    if not is_middle_manager_or_above(m.rank):
        return Decision(rule="p7.manager_lateness_to_absence", value="0", clauses=("P7.10",),
                        reason=gettext_noop("普通员工的迟到早退不按次数折算旷工"),
                        facts={"rank": m.rank, "count": m.count, "blocks": 0, "triggered": False})
    blocks = max(m.count, 0) // per.value
    total = days_p.value * blocks
    triggered = m.count > 0 and m.count % per.value == 0
    args = {"count": m.count, "per": per.value, "days": num(days_p.value), "total": num(total)}
    if triggered:
        reason = gettext_noop("中层以上管理人员第 %(count)s 次迟到早退，每累计 %(per)s 次按旷工 %(days)s 天处理，"
                              "累计旷工 %(total)s 天")
    else:
        reason = gettext_noop("中层以上管理人员累计迟到早退 %(count)s 次，每累计 %(per)s 次按旷工 %(days)s 天处理，"
                              "累计旷工 %(total)s 天")
    return Decision(rule="p7.manager_lateness_to_absence", value=num(total), clauses=("P7.10",), reason=reason,
                    reason_args=args, params=uses,
                    facts={"rank": m.rank, "count": m.count, "blocks": blocks, "triggered": triggered})


# ------------------------------------------------------------------------ P7.12 / P7.3 absenteeism


@dataclass(frozen=True)
class AbsenceDeduction:
    days: Decimal  # days of absenteeism (half days allowed)
    monthly_base: Decimal  # monthly base salary, yuan


@rule("p7.absence_deduction", clauses=["P7.12"])
def absence_deduction(a: AbsenceDeduction, params: ParamSet) -> Decision:
    """P7.12: one day of absenteeism is deducted as 3 days of absence: days × 3 × base ÷ 21.75,
    rounded to the fen (half up). ``value`` is the amount in yuan (text)."""
    mult = params["p7.absence_pay_multiplier"]
    divisor = params["p7.pay_divisor_days"]
    days = Decimal(a.days)
    base = Decimal(a.monthly_base)
    equivalent = days * mult.value
    amount = money(equivalent * base / divisor.value)
    return Decision(
        rule="p7.absence_deduction", value=amount, clauses=("P7.12",),
        reason=gettext_noop("旷工 %(days)s 天按缺勤 %(equivalent)s 天扣款：%(base)s 元 ÷ %(divisor)s × %(equivalent)s = %(amount)s 元"),
        reason_args={"days": num(days), "equivalent": num(equivalent), "base": money(base),
                     "divisor": num(divisor.value), "amount": amount},
        params=(mult.use(), divisor.use()), facts={"days": num(days), "monthly_base": money(base)},
    )


@dataclass(frozen=True)
class AbsenceDay:
    """One day (or half day) of absenteeism."""

    date: dt.date
    days: Decimal = Decimal(1)


SUSPENSION = "suspension"
DISMISSAL = "dismissal"


def _runs(dates: Sequence[dt.date], calendar: WorkCalendar) -> tuple[list[list[dt.date]], bool]:
    """Group sorted dates into runs of consecutive working days (no working day between two dates of a
    run: Friday and the next Monday are consecutive). Returns (runs, provisional)."""
    runs: list[list[dt.date]] = []
    provisional = False
    for d in dates:
        if runs:
            nxt, p = calendar.next_working_day(runs[-1][-1])
            provisional = provisional or p
            if d <= nxt:
                runs[-1].append(d)
                continue
        runs.append([d])
    return runs, provisional


def _by_date(absences: Iterable[AbsenceDay], until: dt.date) -> dict[dt.date, Decimal]:
    per_day: dict[dt.date, Decimal] = {}
    for a in absences:
        if a.date <= until:
            per_day[a.date] = min(per_day.get(a.date, Decimal(0)) + Decimal(a.days), Decimal(1))
    return per_day


@rule("p7.discipline", clauses=["P7.3", "P7.12"])
def discipline(absences: Sequence[AbsenceDay], as_of: dt.date, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """Proposal from a person's absenteeism up to ``as_of``: ``"dismissal"``, ``"suspension"`` or
    ``"none"``.

    Default basis P7.12: in the calendar month of ``as_of`` 2 consecutive working days or 3 cumulative
    days → suspension without pay or bonus; 5 consecutive days, or 5 cumulative in the calendar year →
    dismissal. With ``p7.dismissal_basis = P7.3``: 2 consecutive or 2 cumulative days → dismissal
    (contract ended without compensation). Half days count toward the cumulative totals; only full days
    form a consecutive run. The hotel "有权" — the result is a proposal for a person to decide."""
    basis = params["p7.dismissal_basis"]
    per_day = _by_date(absences, as_of)
    year_start = dt.date(as_of.year, 1, 1)
    month_start = as_of.replace(day=1)
    provisional = not calendar.is_known(as_of)
    full_days = sorted(d for d, n in per_day.items() if n >= 1)
    year_total = sum((n for d, n in per_day.items() if d >= year_start), Decimal(0))
    month_total = sum((n for d, n in per_day.items() if d >= month_start), Decimal(0))
    facts: dict[str, object] = {"as_of": as_of.isoformat(), "basis": basis.value, "month_total": num(month_total),
                                "year_total": num(year_total), "dates": [d.isoformat() for d in sorted(per_day)]}
    month_key = f"{as_of.year:04d}-{as_of.month:02d}"

    def decide(value: str, clauses: tuple[str, ...], reason: str, args: dict[str, object],
               uses: tuple[ParamUse, ...]) -> Decision:
        return Decision(rule="p7.discipline", value=value, clauses=clauses, reason=reason,
                        reason_args={"month": month_key, "year": as_of.year, **args}, params=(basis.use(), *uses),
                        facts=facts, provisional=provisional)

    if basis.value == "P7.3":
        window = params["p7.p73_cumulative_window"]
        run_p = params["p7.p73_dismissal_consecutive_days"]
        cum_p = params["p7.p73_dismissal_cumulative_days"]
        start = year_start if window.value == "calendar_year" else dt.date.min
        runs, p = _runs([d for d in full_days if d >= start], calendar)
        provisional = provisional or p
        longest = max((len(r) for r in runs), default=0)
        total = sum((n for d, n in per_day.items() if d >= start), Decimal(0))
        facts.update(longest_run=longest, window_total=num(total))
        uses = (window.use(), run_p.use(), cum_p.use())
        if run_p.holds(longest):
            return decide(DISMISSAL, ("P7.3",),
                          gettext_noop("连续旷工 %(run)s 天，达到 %(limit)s 天，建议解除劳动合同（视为开除），不予任何补偿"),
                          {"run": longest, "limit": run_p.value}, uses)
        if cum_p.holds(total):
            return decide(DISMISSAL, ("P7.3",),
                          gettext_noop("累积旷工 %(total)s 天，达到 %(limit)s 天，建议解除劳动合同（视为开除），不予任何补偿"),
                          {"total": num(total), "limit": num(cum_p.value)}, uses)
        return decide(NONE, ("P7.3",), gettext_noop("累积旷工 %(total)s 天，未达到 %(limit)s 天"),
                      {"total": num(total), "limit": num(cum_p.value)}, uses)

    d_run = params["p7.dismissal_consecutive_days"]
    d_year = params["p7.dismissal_yearly_cumulative_days"]
    s_run = params["p7.suspension_consecutive_days"]
    s_month = params["p7.suspension_monthly_cumulative_days"]
    # Runs touching this year (a run across New Year still counts as consecutive).
    runs, p = _runs(full_days, calendar)
    provisional = provisional or p
    year_run = max((len(r) for r in runs if r[-1] >= year_start), default=0)
    month_runs, p = _runs([d for d in full_days if d >= month_start], calendar)
    provisional = provisional or p
    month_run = max((len(r) for r in month_runs), default=0)
    facts.update(longest_run=year_run, month_longest_run=month_run)
    if d_run.holds(year_run):
        return decide(DISMISSAL, ("P7.12",), gettext_noop("连续旷工 %(run)s 天，达到 %(limit)s 天，建议开除"),
                      {"run": year_run, "limit": d_run.value}, (d_run.use(),))
    if d_year.holds(year_total):
        return decide(DISMISSAL, ("P7.12",),
                      gettext_noop("%(year)s 年内累计旷工 %(total)s 天，达到 %(limit)s 天以上，建议开除"),
                      {"total": num(year_total), "limit": num(d_year.value)}, (d_year.use(),))
    if s_run.holds(month_run):
        return decide(SUSPENSION, ("P7.12",),
                      gettext_noop("%(month)s 月内连续旷工 %(run)s 天，达到 %(limit)s 天，建议停职反省，停职期间停发工资及奖金"),
                      {"run": month_run, "limit": s_run.value}, (s_run.use(),))
    if s_month.holds(month_total):
        return decide(SUSPENSION, ("P7.12",),
                      gettext_noop("%(month)s 月内累计旷工 %(total)s 天，达到 %(limit)s 天，建议停职反省，停职期间停发工资及奖金"),
                      {"total": num(month_total), "limit": num(s_month.value)}, (s_month.use(),))
    return decide(NONE, ("P7.12",),
                  gettext_noop("%(month)s 月内累计旷工 %(total)s 天，%(year)s 年内累计 %(year_total)s 天，未达到停职或开除标准"),
                  {"total": num(month_total), "year_total": num(year_total)},
                  (s_run.use(), s_month.use(), d_run.use(), d_year.use()))


# --------------------------------------------------------------------------------- P7.5.2 sick leave


@dataclass(frozen=True)
class SickLeave:
    """A sick-leave claim: when the department manager was told, when the stamped hospital note came.

    ``first_day`` is the first day off sick; ``as_of`` (optional) the day the claim is looked at, so
    that a note not yet brought while the deadline is still open gives ``None`` (pending)."""

    shift_start: dt.datetime
    first_day: dt.date
    notified_at: dt.datetime | None = None
    note_submitted_on: dt.date | None = None
    note_stamped: bool = True
    as_of: dt.date | None = None


@rule("p7.sick_leave_valid", clauses=["P7.5.2"])
def sick_leave_valid(s: SickLeave, params: ParamSet, calendar: WorkCalendar | None = None) -> Decision:
    """P7.5.2: the department manager is told at least 1 hour before the shift and a stamped hospital
    note is brought within 2 days (the first sick day not counted, Civil Code art. 201); otherwise no
    sick-leave treatment and the days count as absenteeism. ``value``: True valid, False invalid, None
    still waiting for the note. ``p7.sick_note_day_kind = working_day`` needs ``calendar``."""
    notice = params["p7.sick_notice_minutes"]
    note_days = params["p7.sick_note_days"]
    day_kind = params["p7.sick_note_day_kind"]
    uses = (notice.use(), note_days.use(), day_kind.use())
    provisional = False
    if day_kind.value == "working_day":
        if calendar is None:
            raise ValueError("p7.sick_note_day_kind = working_day needs a WorkCalendar")
        deadline, provisional = calendar.add_working_days(s.first_day, note_days.value)
    else:
        deadline = s.first_day + dt.timedelta(days=note_days.value)
    lead = complete_minutes(s.shift_start - s.notified_at) if s.notified_at is not None else None
    facts: dict[str, object] = {"shift_start": s.shift_start.isoformat(), "first_day": s.first_day.isoformat(),
                                "notified_at": s.notified_at.isoformat() if s.notified_at else None,
                                "lead_minutes": lead, "note_deadline": deadline.isoformat(),
                                "note_submitted_on": s.note_submitted_on.isoformat() if s.note_submitted_on else None,
                                "note_stamped": s.note_stamped}
    args: dict[str, object] = {"lead": lead, "limit": notice.value, "days": note_days.value,
                               "deadline": deadline.isoformat(),
                               "submitted": s.note_submitted_on.isoformat() if s.note_submitted_on else ""}

    def decide(value: bool | None, reason: str) -> Decision:
        return Decision(rule="p7.sick_leave_valid", value=value, clauses=("P7.5.2",), reason=reason, reason_args=args,
                        params=uses, facts=facts, provisional=provisional)

    if lead is None:
        return decide(False, gettext_noop("上班前未通知部门经理，不能享受病假待遇，按旷工处理"))
    if lead < 0:
        return decide(False, gettext_noop("上班后才通知部门经理，不能享受病假待遇，按旷工处理"))
    if not notice.holds(lead):
        return decide(False, gettext_noop("上班前 %(lead)s 分钟才通知部门经理，不足 %(limit)s 分钟，不能享受病假待遇，按旷工处理"))
    if s.note_submitted_on is None:
        if s.as_of is not None and s.as_of <= deadline:
            return decide(None, gettext_noop("已在上班前 %(lead)s 分钟通知；病假单须在 %(deadline)s 前交到部门"))
        return decide(False, gettext_noop("未在 %(days)s 日内（%(deadline)s 前）交病假单，不能享受病假待遇，按旷工处理"))
    if s.note_submitted_on > deadline:
        return decide(False, gettext_noop("病假单 %(submitted)s 才交，超过 %(days)s 日期限（%(deadline)s），不能享受病假待遇，按旷工处理"))
    if not s.note_stamped:
        return decide(False, gettext_noop("病假单未加盖医院公章，不能享受病假待遇，按旷工处理"))
    return decide(True, gettext_noop("上班前 %(lead)s 分钟通知部门经理，病假单 %(submitted)s 交到部门（期限 %(deadline)s），病假有效"))


@dataclass(frozen=True)
class SickSpell:
    """One continuous spell of sick leave, both ends included."""

    start: dt.date
    end: dt.date


@rule("p7.sick_leave_days", clauses=["P7.5.2"])
def sick_leave_days(s: SickSpell, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """P7.5.2: sick-leave days are counted continuously, rest days and statutory holidays included
    (``p7.sick_leave_counts_rest_days``; false counts working days only). ``value`` is the day count."""
    if s.end < s.start:
        raise ValueError("a sick spell cannot end before it starts")
    p = params["p7.sick_leave_counts_rest_days"]
    if p.value:
        days, provisional = (s.end - s.start).days + 1, False
        reason = gettext_noop("病假 %(start)s 至 %(end)s 连续计算（含工休日和法定假期）共 %(days)s 天")
    else:
        before = s.start - dt.timedelta(days=1)
        days = calendar.working_days_between(before, s.end)
        provisional = calendar.span_provisional(before, s.end)
        reason = gettext_noop("病假 %(start)s 至 %(end)s 按工作日计算共 %(days)s 天")
    return Decision(rule="p7.sick_leave_days", value=days, clauses=("P7.5.2",), reason=reason,
                    reason_args={"start": s.start.isoformat(), "end": s.end.isoformat(), "days": days},
                    params=(p.use(),), facts={"start": s.start.isoformat(), "end": s.end.isoformat()},
                    provisional=provisional)


@rule("p7.sick_return_certificate", clauses=["P7.5.2"])
def sick_return_certificate(s: SickSpell, params: ParamSet) -> Decision:
    """P7.5.2: after more than 3 consecutive months of sick leave, returning to work needs a certificate
    from a designated hospital. The spell exceeds 3 months when it reaches the corresponding day 3
    months after its first day (1 Jan … 31 Mar is exactly 3 months; … 1 Apr is more)."""
    p = params["p7.sick_return_certificate_months"]
    limit_day = add_months(s.start, p.value)
    needed = s.end >= limit_day
    args = {"start": s.start.isoformat(), "end": s.end.isoformat(), "months": p.value}
    reason = (gettext_noop("连续病休 %(start)s 至 %(end)s，超过 %(months)s 个月，申请继续工作需有定点医院证明") if needed
              else gettext_noop("连续病休 %(start)s 至 %(end)s，未超过 %(months)s 个月，复工无需医院证明"))
    return Decision(rule="p7.sick_return_certificate", value=needed, clauses=("P7.5.2",), reason=reason,
                    reason_args=args, params=(p.use(),), facts={"limit_day": limit_day.isoformat()})


# ------------------------------------------------------------------------------ P7.6 marriage leave


@dataclass(frozen=True)
class MarriageLeave:
    """A marriage-leave application. ``sex`` is ``"female"`` or ``"male"``; age is taken on
    ``marriage_date`` (the registration date on the certificate), service on ``applied_on``."""

    hired_on: dt.date
    applied_on: dt.date
    marriage_date: dt.date
    birth_date: dt.date
    sex: str
    first_marriage: bool = True
    certificate_copy: bool = True
    already_taken: bool = False


@rule("p7.marriage_leave", clauses=["P7.6"])
def marriage_leave(m: MarriageLeave, params: ParamSet) -> Decision:
    """P7.6: after at least 1 year of service, 3 paid days; a first marriage at late-marriage age
    (women ≥ 23, men ≥ 25, on the marriage date) 10 paid days instead; certificate copy attached; one
    block, once. ``value`` is the number of paid days (0 when not granted)."""
    if m.sex not in ("female", "male"):
        raise ValueError(f"unknown sex {m.sex!r}; expected 'female' or 'male'")
    service_p = params["p7.marriage_min_service_years"]
    base_p = params["p7.marriage_leave_days"]
    late_days_p = params["p7.late_marriage_leave_days"]
    age_p = params["p7.late_marriage_age_female" if m.sex == "female" else "p7.late_marriage_age_male"]
    service = full_years(m.hired_on, m.applied_on)
    age = full_years(m.birth_date, m.marriage_date)
    facts = {"service_years": service, "age_at_marriage": age, "sex": m.sex, "first_marriage": m.first_marriage}
    args: dict[str, object] = {"years": service_p.value, "service": service, "hired": m.hired_on.isoformat(),
                               "age": age, "limit": age_p.value}

    def decide(days: int, reason: str, uses: tuple[ParamUse, ...]) -> Decision:
        return Decision(rule="p7.marriage_leave", value=days, clauses=("P7.6",), reason=reason,
                        reason_args={**args, "days": days}, params=uses, facts=facts)

    if m.already_taken:
        return decide(0, gettext_noop("婚假一次性使用，已经休过，不再享受"), ())
    if not service_p.holds(service):
        return decide(0, gettext_noop("%(hired)s 入职，服务未满 %(years)s 年，不享受婚假"), (service_p.use(),))
    if not m.certificate_copy:
        return decide(0, gettext_noop("未附结婚证书复印件，暂不能批准婚假"), (service_p.use(),))
    if m.first_marriage and age_p.holds(age):
        reason = (gettext_noop("初婚女员工结婚时 %(age)s 周岁，达到晚婚年龄 %(limit)s 周岁，享受 %(days)s 天有薪婚假")
                  if m.sex == "female" else
                  gettext_noop("初婚男员工结婚时 %(age)s 周岁，达到晚婚年龄 %(limit)s 周岁，享受 %(days)s 天有薪婚假"))
        return decide(late_days_p.value, reason, (service_p.use(), age_p.use(), late_days_p.use()))
    return decide(base_p.value, gettext_noop("服务满 %(years)s 年，享受 %(days)s 天有薪婚假"),
                  (service_p.use(), age_p.use(), base_p.use()))


# ---------------------------------------------------------------------------------- P7.7 pregnancy


@dataclass(frozen=True)
class Pregnancy:
    """Completed months of pregnancy, and the paperwork for pre-natal leave."""

    months: int
    front_line: bool = True
    county_hospital_certificate: bool = False
    approved_by_department_manager: bool = False
    approved_by_hr: bool = False


@rule("p7.prenatal_leave", clauses=["P7.7"])
def prenatal_leave(p: Pregnancy, params: ParamSet) -> Decision:
    """P7.7: from 5 months a front-line employee may be moved to back-office work; from 7 months, with
    a county-level (or higher) hospital certificate and the approval of the department manager and HR,
    pre-natal leave paid at the government minimum living allowance. ``value``: ``"none"``,
    ``"back_office"``, ``"needs_certificate"``, ``"needs_approval"`` or ``"prenatal_leave"``."""
    back = params["p7.pregnancy_back_office_months"]
    leave_p = params["p7.prenatal_leave_months"]
    pay = params["p7.prenatal_pay_basis"]
    missing = [r for r, ok in ((DEPARTMENT_MANAGER, p.approved_by_department_manager), (HR, p.approved_by_hr)) if not ok]
    facts = {"months": p.months, "front_line": p.front_line, "missing_approvals": missing}
    args = {"months": p.months, "back": back.value, "leave": leave_p.value}

    def decide(value: str, reason: str, uses: tuple[ParamUse, ...]) -> Decision:
        return Decision(rule="p7.prenatal_leave", value=value, clauses=("P7.7",), reason=reason, reason_args=args,
                        params=uses, facts=facts)

    if leave_p.holds(p.months):
        uses = (leave_p.use(), pay.use())
        if not p.county_hospital_certificate:
            return decide("needs_certificate", gettext_noop("怀孕 %(months)s 个月，申请待产假须持县级以上医院证明"), uses)
        if missing:
            return decide("needs_approval", gettext_noop("怀孕 %(months)s 个月，待产假须经部门经理及人事部批准"), uses)
        return decide("prenatal_leave",
                      gettext_noop("怀孕 %(months)s 个月，持县级以上医院证明并经部门经理及人事部批准，"
                                   "可休待产假，待产期间享受政府规定最低生活费"),
                      uses)
    if back.holds(p.months) and p.front_line:
        return decide("back_office", gettext_noop("一线员工怀孕 %(months)s 个月（%(back)s 个月以上），可根据部门需要安排二线工作"),
                      (back.use(),))
    return decide(NONE, gettext_noop("怀孕 %(months)s 个月，暂无调岗或待产假安排"), (back.use(), leave_p.use()))


# ------------------------------------------------------------------------ P7.8 / P7.11 approval chain


@dataclass(frozen=True)
class LeaveRequest:
    """Who asks for how much of which leave: ``kind`` from ``LEAVE_KINDS``, ``days`` (half days
    allowed), ``rank`` from ``RANKS``."""

    kind: str
    days: Decimal
    rank: str = STAFF


@rule("p7.approval_chain", clauses=["P7.7", "P7.8", "P7.11"])
def approval_chain(req: LeaveRequest, params: ParamSet) -> Decision:
    """Who must approve a leave request, in order: a list of ``"direct_supervisor"``,
    ``"department_manager"``, ``"hr"``, ``"general_manager"``.

    P7.8 (default ``p7.approval_scheme``): ≤ 3 days the department manager, > 3 days HR; marriage,
    home-visit and maternity leave of staff below manager the department manager and HR; department
    managers and above HR and the general manager. P7.11: 1 day the direct supervisor, ≥ 3 days the
    general manager (2 days: ``p7.p711_between_approver``). Pre-natal leave: department manager and HR
    (P7.7) under either scheme; so are the special kinds, which P7.11 does not cover."""
    if req.kind not in LEAVE_KINDS:
        raise ValueError(f"unknown leave kind {req.kind!r}; expected one of {list(LEAVE_KINDS)}")
    _rank_index(req.rank)
    days = Decimal(req.days)
    if days <= 0:
        raise ValueError("leave days must be positive")
    scheme = params["p7.approval_scheme"]
    special = params["p7.special_leave_kinds"]
    managers_all = params["p7.managers_all_leave_hr_gm"]
    manager = is_department_manager_or_above(req.rank)
    args: dict[str, object] = {"days": num(days)}
    facts = {"kind": req.kind, "days": num(days), "rank": req.rank, "scheme": scheme.value}

    def decide(roles: list[str], clauses: tuple[str, ...], reason: str, uses: tuple[ParamUse, ...]) -> Decision:
        return Decision(rule="p7.approval_chain", value=roles, clauses=clauses, reason=reason, reason_args=args,
                        params=(scheme.use(), *uses), facts=facts)

    if req.kind == PRENATAL:
        return decide([DEPARTMENT_MANAGER, HR], ("P7.7",), gettext_noop("待产假须经部门经理及人事部批准"), ())
    if req.kind in special.value:
        if manager:
            return decide([HR, GENERAL_MANAGER], ("P7.8",),
                          gettext_noop("部门经理以上人员请婚假、探亲假、生育假，需人事部和总经理批准"), (special.use(),))
        return decide([DEPARTMENT_MANAGER, HR], ("P7.8",),
                      gettext_noop("经理以下人员请婚假、探亲假、生育假，需部门经理和人事部批准"), (special.use(),))
    if scheme.value == "P7.11":
        sup = params["p7.p711_supervisor_max_days"]
        gm = params["p7.p711_gm_min_days"]
        between = params["p7.p711_between_approver"]
        args["limit"] = num(gm.value)
        args["sup"] = num(sup.value)
        if gm.holds(days):
            return decide([GENERAL_MANAGER], ("P7.11",), gettext_noop("请假 %(days)s 天（%(limit)s 天以上），由总经理批准"),
                          (sup.use(), gm.use()))
        if sup.holds(days):
            return decide([DIRECT_SUPERVISOR], ("P7.11",), gettext_noop("请假 %(days)s 天（%(sup)s 天以内），由主管领导批准"),
                          (sup.use(), gm.use()))
        if between.value == GENERAL_MANAGER:
            return decide([GENERAL_MANAGER], ("P7.11",),
                          gettext_noop("请假 %(days)s 天（超过 %(sup)s 天、不满 %(limit)s 天），按本单位规定由总经理批准"),
                          (sup.use(), gm.use(), between.use()))
        return decide([DIRECT_SUPERVISOR], ("P7.11",),
                      gettext_noop("请假 %(days)s 天（超过 %(sup)s 天、不满 %(limit)s 天），按本单位规定由主管领导批准"),
                      (sup.use(), gm.use(), between.use()))
    if manager and managers_all.value:
        return decide([HR, GENERAL_MANAGER], ("P7.8",), gettext_noop("部门经理以上人员请假，需人事部和总经理批准"),
                      (managers_all.use(),))
    limit = params["p7.dept_manager_max_days"]
    args["limit"] = num(limit.value)
    if limit.holds(days):
        return decide([DEPARTMENT_MANAGER], ("P7.8",), gettext_noop("请假 %(days)s 天（%(limit)s 天以内），由部门经理批准"),
                      (managers_all.use(), limit.use()))
    return decide([HR], ("P7.8",), gettext_noop("请假 %(days)s 天（超过 %(limit)s 天），报人事部批准"),
                  (managers_all.use(), limit.use()))


# ------------------------------------------------------------------------- P7.9 retroactive leave


@dataclass(frozen=True)
class LeaveTiming:
    """When a leave was asked for, relative to its start, and how."""

    leave_start: dt.datetime
    applied_at: dt.datetime
    special_reason: bool = False
    in_writing: bool = True


IN_ADVANCE = "in_advance"
RETROACTIVE_ALLOWED = "retroactive_allowed"
REFUSED = "refused"


@rule("p7.retroactive_leave", clauses=["P7.9", "P7.11"])
def retroactive_leave(t: LeaveTiming, params: ParamSet) -> Decision:
    """P7.9: leave is asked in advance; retroactive leave without a special reason is refused and the
    absence treated as unjustified absence or early leave. Under ``p7.approval_scheme = P7.11`` the
    request must also be in writing (no phone requests) unless there is a special reason. ``value``:
    ``"in_advance"``, ``"retroactive_allowed"`` (special reason, still to be approved) or ``"refused"``."""
    advance = params["p7.leave_min_advance_minutes"]
    scheme = params["p7.approval_scheme"]
    written = params["p7.p711_written_required"]
    lead = complete_minutes(t.leave_start - t.applied_at)
    facts = {"leave_start": t.leave_start.isoformat(), "applied_at": t.applied_at.isoformat(), "lead_minutes": lead,
             "special_reason": t.special_reason, "in_writing": t.in_writing}
    uses = (advance.use(), scheme.use())
    args = {"lead": lead, "limit": advance.value}
    if scheme.value == "P7.11" and written.value and not t.in_writing and not t.special_reason:
        return Decision(rule="p7.retroactive_leave", value=REFUSED, clauses=("P7.11",),
                        reason=gettext_noop("请假需以书面形式提出，无特殊情况不允许电话请假，否则按旷工处理"),
                        reason_args=args, params=(*uses, written.use()), facts=facts)
    if t.applied_at <= t.leave_start and advance.holds(lead):
        return Decision(rule="p7.retroactive_leave", value=IN_ADVANCE, clauses=("P7.9",),
                        reason=gettext_noop("请假在假期开始前 %(lead)s 分钟提出，属提前请假"), reason_args=args,
                        params=uses, facts=facts)
    if t.special_reason:
        return Decision(rule="p7.retroactive_leave", value=RETROACTIVE_ALLOWED, clauses=("P7.9",),
                        reason=gettext_noop("事后补假，有特殊情况，可按规定报批"), reason_args=args, params=uses,
                        facts=facts)
    return Decision(rule="p7.retroactive_leave", value=REFUSED, clauses=("P7.9",),
                    reason=gettext_noop("未提前请假，无特殊情况不得事后补假，按无正当理由缺勤或早退处理"), reason_args=args,
                    params=uses, facts=facts)


# ------------------------------------------------------------------ P7.5.3 full-attendance bonus


@dataclass(frozen=True)
class MonthAttendance:
    """One person's month, summed from day statuses and leave."""

    absence_days: Decimal = Decimal(0)
    lateness_count: int = 0
    personal_leave_days: Decimal = Decimal(0)
    sick_leave_days: Decimal = Decimal(0)


@rule("p7.full_attendance_bonus", clauses=["P7.2", "P7.5.2", "P7.5.3"])
def full_attendance_bonus(m: MonthAttendance, params: ParamSet) -> Decision:
    """Does the month keep the full-attendance bonus? Lost by personal leave (P7.5.3), by absenteeism
    or lateness (``p7.lateness_loses_bonus``), and by sick leave unless ``p7.sick_leave_keeps_bonus``
    (P7.5.2, default: sick leave with complete paperwork keeps it — invalid sick leave is absenteeism
    and is counted in ``absence_days``)."""
    personal = params["p7.personal_leave_loses_bonus"]
    lateness_p = params["p7.lateness_loses_bonus"]
    sick = params["p7.sick_leave_keeps_bonus"]
    facts = {"absence_days": num(m.absence_days), "lateness_count": m.lateness_count,
             "personal_leave_days": num(m.personal_leave_days), "sick_leave_days": num(m.sick_leave_days)}
    args: dict[str, object] = dict(facts)

    def decide(value: bool, clauses: tuple[str, ...], reason: str, uses: tuple[ParamUse, ...]) -> Decision:
        return Decision(rule="p7.full_attendance_bonus", value=value, clauses=clauses, reason=reason, reason_args=args,
                        params=uses, facts=facts)

    if m.personal_leave_days > 0 and personal.value:
        return decide(False, ("P7.5.3",), gettext_noop("本月事假 %(personal_leave_days)s 天，事假不享受全勤奖"),
                      (personal.use(),))
    if m.absence_days > 0:
        return decide(False, ("P7.2",), gettext_noop("本月旷工 %(absence_days)s 天，不享受全勤奖"), ())
    if lateness_p.value and m.lateness_count > 0:
        return decide(False, ("P7.2",), gettext_noop("本月迟到早退 %(lateness_count)s 次，不享受全勤奖"),
                      (lateness_p.use(),))
    if m.sick_leave_days > 0:
        if sick.value:
            return decide(True, ("P7.5.2",), gettext_noop("本月病假 %(sick_leave_days)s 天，手续齐全的病假仍享受全勤奖"),
                          (sick.use(),))
        return decide(False, ("P7.5.2",), gettext_noop("本月病假 %(sick_leave_days)s 天，按本单位规定不享受全勤奖"),
                      (sick.use(),))
    return decide(True, ("P7.5.3",), gettext_noop("本月全勤，享受全勤奖"), (personal.use(), lateness_p.use(), sick.use()))
