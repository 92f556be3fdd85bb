"""Reads of attendance: schedules, people's months, the unit month sheet, queues — scoped to the actor.

A person always sees their own attendance; ``attendance.view`` over a unit shows its people.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zhidu.calendar import selectors as calendar_selectors
from zhidu.calendar.rules import WorkCalendar
from zhidu.core.errors import FieldError, NotFoundError, PermissionDeniedError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import Adoption, Employment, OrgUnit, Person, UnitKind, ancestor_paths
from zhidu.rulebook.selectors import params_for
from zhidu.sanctions.periods import period_of, shift_period  # noqa: F401 - the ledger's periods

from .models import (
    STATUS_MARKS,
    AttendancePolicy,
    CloseStatus,
    CorrectionStatus,
    DayResult,
    DutyException,
    LeaveApproval,
    LeaveRequest,
    LeaveStatus,
    MonthClose,
    MonthSummary,
    Pattern,
    Punch,
    PunchCorrection,
    RollCall,
    RosterAssignment,
    RosterDay,
    Rules,
    Shift,
    StepStatus,
)


def tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


# ------------------------------------------------------------------------------------------ periods


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of "YYYY-MM" (``ValidationFailed`` naming the field otherwise)."""
    try:
        year, month = (int(p) for p in str(period).split("-"))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationFailed(_("月份有误。"), [FieldError("period", _("月份格式应为 YYYY-MM。"))]) from None
    if len(str(period)) != 7:
        raise ValidationFailed(_("月份有误。"), [FieldError("period", _("月份格式应为 YYYY-MM。"))])
    return first, dt.date(year, month, _calendar.monthrange(year, month)[1])


# ----------------------------------------------------------------------------------- people, units


def employment_of(person: Person | int, on: dt.date | None = None, *, within: OrgUnit | None = None) -> Employment | None:
    """The person's employment in force on ``on`` (today), inside ``within`` when given."""
    day = on or timezone.localdate()
    qs = Employment.objects.select_related("unit").filter(
        person_id=person if isinstance(person, int) else person.pk, hired_on__lte=day,
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
    if within is not None:
        qs = qs.filter(unit__path__startswith=within.path)
    emp = qs.order_by("id").first()
    if emp is None:  # not hired yet on that day: their current employment still names the unit
        qs2 = Employment.objects.select_related("unit").filter(
            person_id=person if isinstance(person, int) else person.pk, ended_on__isnull=True)
        if within is not None:
            qs2 = qs2.filter(unit__path__startswith=within.path)
        emp = qs2.order_by("id").first()
    return emp


def unit_of(person: Person, on: dt.date | None = None) -> OrgUnit | None:
    emp = employment_of(person, on)
    return emp.unit if emp else None


def can_view_person(actor: access.Actor, person: Person, unit: OrgUnit | None = None) -> bool:
    if isinstance(actor, Person) and actor.pk == person.pk:
        return True
    target = unit or unit_of(person)
    return target is not None and access.can(actor, "attendance.view", target)


def employments_in(unit: OrgUnit, first: dt.date, last: dt.date) -> QuerySet[Employment]:
    """Employments in the unit's subtree that overlap ``first … last``; ``.values("person_id")`` of it is
    the people of ``people_of`` as a subquery."""
    return (Employment.objects.filter(unit__path__startswith=unit.path, hired_on__lte=last)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first)))


def people_of(unit: OrgUnit, first: dt.date, last: dt.date) -> list[Employment]:
    """Employments in the unit's subtree that overlap ``first … last`` (one per person: the first), each
    with its person and unit (one instance per unit, shared)."""
    units = {u.pk: u for u in OrgUnit.objects.filter(path__startswith=unit.path)}
    seen: dict[int, Employment] = {}
    for emp in employments_in(unit, first, last).select_related("person").order_by("person_id", "id"):
        if emp.person_id not in seen:
            emp.unit = units[emp.unit_id]
            seen[emp.person_id] = emp
    return sorted(seen.values(), key=lambda e: (e.unit.path, e.person.name, e.person_id))


# ------------------------------------------------------------------------------------------ settings


def rules_for(unit: OrgUnit) -> str:
    """P11 when the nearest attendance setting says so, or the unit (or one above it) adopted P11 and
    no setting says otherwise; else P7."""
    paths = ancestor_paths(unit.path)
    policies = {p.unit.path: p for p in AttendancePolicy.objects.select_related("unit").filter(unit__path__in=paths)}
    for path in reversed(paths):
        p = policies.get(path)
        if p is not None and p.rules:
            return p.rules
    adopted = set(Adoption.objects.filter(unit__path__in=paths).values_list("regulation__code", flat=True))
    return Rules.P11 if "P11" in adopted else Rules.P7


def bonus_for(unit: OrgUnit) -> Decimal:
    paths = ancestor_paths(unit.path)
    policies = {p.unit.path: p for p in AttendancePolicy.objects.select_related("unit").filter(unit__path__in=paths)}
    for path in reversed(paths):
        p = policies.get(path)
        if p is not None and p.full_attendance_bonus:
            return p.full_attendance_bonus
    return Decimal("0.00")


# ------------------------------------------------------------------------------------------ schedule


@dataclass(frozen=True)
class ShiftTimes:
    start: dt.time
    end: dt.time
    code: str = ""
    name: str = ""
    source: str = ""  # "shift" · "p11" · "working_hours"

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class DayPlan:
    """One person's day: ``shift`` None is a rest day. ``rostered`` False: the calendar decides."""

    shift: ShiftTimes | None
    rostered: bool


class DefaultShifts:
    """The default shift of each unit (its own, else the nearest above; else P11.7's hours for a P11
    unit; else the unit's working hours from the calendar), resolved once per unit."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self._by_path: dict[str, Shift] = {
            s.unit.path: s for s in Shift.objects.select_related("unit").filter(is_default=True, active=True)
        }
        self._cache: dict[int, ShiftTimes] = {}

    def for_unit(self, unit: OrgUnit) -> ShiftTimes:
        if unit.pk in self._cache:
            return self._cache[unit.pk]
        found: ShiftTimes | None = None
        for path in reversed(ancestor_paths(unit.path)):
            s = self._by_path.get(path)
            if s is not None:
                found = ShiftTimes(s.start, s.end, s.code, s.name, "shift")
                break
        if found is None:
            if rules_for(unit) == Rules.P11:
                params = params_for(unit, self.on)
                found = ShiftTimes(params.value("p11.work_start"), params.value("p11.work_end"), "p11.7",
                                   _("P11.7 工作时间"), "p11")
            else:
                hours = calendar_selectors.working_hours_for(unit)
                found = ShiftTimes(hours.day_start, hours.day_end, "", _("单位工作时间"), "working_hours")
        self._cache[unit.pk] = found
        return found


def plan_days(employments: Iterable[Employment], first: dt.date, last: dt.date,
              cal: WorkCalendar | None = None) -> dict[int, dict[dt.date, DayPlan]]:
    """Each person's days ``first … last``: their shift or rest, from the roster (assignments and
    one-day changes, two queries per 500 people) and the unit's default shift on calendar working
    days when nothing is rostered."""
    cal = cal or calendar_selectors.work_calendar()
    emps = list(employments)
    ids = [e.person_id for e in emps]
    defaults = DefaultShifts(first)
    assignments: dict[int, list[RosterAssignment]] = defaultdict(list)
    overrides: dict[tuple[int, dt.date], RosterDay] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for a in (RosterAssignment.objects.select_related("shift").filter(person_id__in=chunk, valid_from__lte=last)
                  .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first)).order_by("valid_from", "id")):
            assignments[a.person_id].append(a)
        for r in RosterDay.objects.select_related("shift").filter(person_id__in=chunk, date__gte=first, date__lte=last):
            overrides[(r.person_id, r.date)] = r
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = {d: cal.is_working_day(d) for d in days}
    times: dict[int, ShiftTimes] = {}
    plans: dict[tuple[int, bool], DayPlan] = {}

    def shift_times(s: Shift) -> ShiftTimes:
        t = times.get(s.pk)
        if t is None:
            t = times[s.pk] = ShiftTimes(s.start, s.end, s.code, s.name, "shift")
        return t

    def day_plan(t: ShiftTimes | None, rostered: bool) -> DayPlan:
        key = (id(t), rostered)
        p = plans.get(key)
        if p is None:
            p = plans[key] = DayPlan(t, rostered)
        return p

    rest_calendar = day_plan(None, False)
    rest_roster = day_plan(None, True)
    out: dict[int, dict[dt.date, DayPlan]] = {}
    overridden = {pid for pid, _d in overrides}
    # People on the same assignments (shift, pattern, dates) with no one-day changes have the same plan.
    same: dict[tuple[Any, ...], dict[dt.date, DayPlan]] = {}
    for emp in emps:
        mine = assignments.get(emp.person_id, [])
        if not mine and emp.person_id not in overridden:
            on = day_plan(defaults.for_unit(emp.unit), False)
            out[emp.person_id] = {d: on if working[d] else rest_calendar for d in days}
            continue
        default = defaults.for_unit(emp.unit)
        signature: tuple[Any, ...] | None = None
        if emp.person_id not in overridden:
            signature = (id(default), *((a.shift_id, a.pattern, a.weekdays, a.valid_from, a.valid_until) for a in mine))
            known = same.get(signature)
            if known is not None:
                out[emp.person_id] = dict(known)
                continue
        plan: dict[dt.date, DayPlan] = {}
        for d in days:
            o = overrides.get((emp.person_id, d))
            if o is not None:
                plan[d] = day_plan(shift_times(o.shift), True) if o.shift else rest_roster
                continue
            found = next((x for x in reversed(mine) if x.covers(d)), None)
            if found is None:
                plan[d] = day_plan(default, False) if working[d] else rest_calendar
            elif found.pattern == Pattern.WEEKLY:
                works = found.weekdays[d.weekday()] == "1" if len(found.weekdays) == 7 else working[d]
                plan[d] = day_plan(shift_times(found.shift), True) if works else rest_roster
            else:
                plan[d] = day_plan(shift_times(found.shift), False) if working[d] else rest_calendar
        out[emp.person_id] = plan
        if signature is not None:
            same[signature] = dict(plan)
    return out


def shift_on(person: Person, day: dt.date, unit: OrgUnit | None = None) -> ShiftTimes:
    """The shift the person works on ``day`` (their next shift's times when ``day`` is a rest day)."""
    emp = employment_of(person, day, within=unit)
    if emp is None:
        raise NotFoundError(_("此人员没有在职记录。"))
    plan = plan_days([emp], day, day + dt.timedelta(days=14))[emp.person_id]
    for d in sorted(plan):
        if plan[d].shift is not None:
            s = plan[d].shift
            assert s is not None
            return s
    return DefaultShifts(day).for_unit(emp.unit)


def scheduled_days(person: Person, unit: OrgUnit, first: dt.date, last: dt.date) -> list[dt.date]:
    emp = employment_of(person, first, within=unit) or employment_of(person, first)
    if emp is None:
        return []
    plan = plan_days([emp], first, last)[emp.person_id]
    return [d for d, p in sorted(plan.items()) if p.shift is not None]


# ------------------------------------------------------------------------------------ my attendance


@dataclass
class CalendarDay:
    date: dt.date
    in_month: bool
    result: DayResult | None = None
    punches: list[Punch] = field(default_factory=list)
    plan: DayPlan | None = None
    leave: LeaveRequest | None = None
    exception: bool = False

    @property
    def status(self) -> str:
        return self.result.status if self.result else ""

    @property
    def why(self) -> str:
        return self.result.explain() if self.result else ""


@dataclass
class PersonMonth:
    person: Person
    unit: OrgUnit | None
    period: str
    weeks: list[list[CalendarDay]]
    days: list[CalendarDay]
    summary: MonthSummary | None
    close: MonthClose | None
    leaves: list[LeaveRequest]
    corrections: list[PunchCorrection]

    @property
    def computed(self) -> bool:
        return self.summary is not None


def person_month(actor: access.Actor, person: Person, period: str) -> PersonMonth:
    """One person's month as a calendar: each day's stored result (status and why, with clauses),
    punches, plan, leave; the month summary. The person, or ``attendance.view`` over their unit."""
    first, last = parse_period(period)
    unit = unit_of(person, first) or unit_of(person)
    if not can_view_person(actor, person, unit):
        raise PermissionDeniedError(_("无权查看此人员的考勤。"))
    results = {r.date: r for r in DayResult.objects.filter(person=person, date__gte=first, date__lte=last)}
    local = tz()
    lo = dt.datetime.combine(first, dt.time.min, tzinfo=local)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=local)
    punches: dict[dt.date, list[Punch]] = defaultdict(list)
    for p in Punch.objects.filter(person=person, at__gte=lo, at__lt=hi).order_by("at"):
        punches[p.at.astimezone(local).date()].append(p)
    leaves = list(LeaveRequest.objects.filter(person=person, start_date__lte=last, end_date__gte=first)
                  .select_related("leave_type").order_by("start_date"))
    emp = employment_of(person, first)
    plan = plan_days([emp], first, last)[person.pk] if emp else {}
    exc_days = set()
    if emp is not None:
        for e in exceptions_for([emp], first, last).get(person.pk, []):
            exc_days.add(e)
    days: list[CalendarDay] = []
    for i in range((last - first).days + 1):
        d = first + dt.timedelta(days=i)
        leave = next((lv for lv in leaves if lv.start_date <= d <= lv.end_date
                      and lv.status in (LeaveStatus.APPROVED, LeaveStatus.PENDING)), None)
        days.append(CalendarDay(d, True, results.get(d), punches.get(d, []), plan.get(d), leave, d in exc_days))
    lead = first.weekday()
    cells: list[CalendarDay] = [CalendarDay(first - dt.timedelta(days=lead - i), False) for i in range(lead)] + days
    while len(cells) % 7:
        cells.append(CalendarDay(cells[-1].date + dt.timedelta(days=1), False))
    weeks = [cells[i:i + 7] for i in range(0, len(cells), 7)]
    summary = MonthSummary.objects.filter(person=person, period=period).first()
    close = None
    if unit is not None:
        close = MonthClose.objects.filter(unit__path__in=ancestor_paths(unit.path), period=period).order_by(
            "-unit__path").first()
    corrections = list(PunchCorrection.objects.filter(person=person, at__gte=lo, at__lt=hi).order_by("-requested_at"))
    return PersonMonth(person, unit, period, weeks, days, summary, close, leaves, corrections)


def exceptions_for(employments: Iterable[Employment], first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    """P10.2.3 exception days per person for ``first … last``: exceptions recorded for a unit the
    person works in (or one above it, or below their unit's close scope) or for the person by name."""
    emps = list(employments)
    if not emps:
        return {}
    local = tz()
    lo = dt.datetime.combine(first, dt.time.min, tzinfo=local)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=local)
    rows = list(DutyException.objects.select_related("unit").filter(start__lt=hi, end__gte=lo)
                .prefetch_related("people"))
    out: dict[int, set[dt.date]] = defaultdict(set)
    if not rows:
        return out
    by_path: dict[str, list[int]] = defaultdict(list)  # people by their unit's path (a few units)
    for emp in emps:
        by_path[emp.unit.path].append(emp.person_id)
    present = {emp.person_id for emp in emps}
    for e in rows:
        dates = [d for d in e.dates(local) if first <= d <= last]
        named = {p.pk for p in e.people.all()}
        if named:
            for pid in sorted(named & present):
                out[pid].update(dates)
            continue
        for path, pids in by_path.items():
            if path.startswith(e.unit.path):
                for pid in pids:
                    out[pid].update(dates)
    return out


# ------------------------------------------------------------------------------------ month sheet


@dataclass
class SheetRow:
    employment: Employment
    summary: MonthSummary | None
    days: list[DayResult | None]


@dataclass
class MonthSheet:
    unit: OrgUnit
    period: str
    dates: list[dt.date]
    rows: list[SheetRow]
    close: MonthClose | None
    rules: str
    corrections: list[dict[str, Any]]

    @property
    def locked(self) -> bool:
        return self.close is not None and self.close.status == CloseStatus.LOCKED


def month_sheet(actor: access.Actor, unit: OrgUnit, period: str) -> MonthSheet:
    access.require(actor, "attendance.view", unit)
    first, last = parse_period(period)
    emps = people_of(unit, first, last)
    ids = [e.person_id for e in emps]
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    by_person: dict[int, dict[dt.date, DayResult]] = defaultdict(dict)
    for r in DayResult.objects.filter(person_id__in=ids, date__gte=first, date__lte=last).only(
            "person_id", "date", "status", "late_minutes", "early_minutes", "absent_days", "clauses", "why",
            "provisional", "leave", "fine"):
        by_person[r.person_id][r.date] = r
    summaries = {s.person_id: s for s in MonthSummary.objects.filter(person_id__in=ids, period=period)}
    rows = [SheetRow(e, summaries.get(e.person_id), [by_person[e.person_id].get(d) for d in dates]) for e in emps]
    close = MonthClose.objects.filter(unit=unit, period=period).select_related(
        "closed_by", "approved_by", "locked_by").first()
    return MonthSheet(unit, period, dates, rows, close, rules_for(unit), list(close.corrections) if close else [])


ACTION_LABELS = {"suspension": _lazy("停职反省"), "dismissal": _lazy("开除")}



def month_sheet_xlsx(sheet: MonthSheet) -> bytes:
    """The month sheet as an Excel workbook: one row per person, one column per day, the month totals;
    a second sheet lists every non-present working day with its reason and clauses."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("考勤月报")[:31]
    ws.append([_("单位"), sheet.unit.name, _("月份"), sheet.period, _("规则"), sheet.rules,
               _("状态"), sheet.close.get_status_display() if sheet.close else _("未结算")])
    header = [_("人员"), _("部门"), _("职级")] + [d.day for d in sheet.dates] + [
        _("迟到"), _("早退"), _("旷工（天）"), _("请假（天）"), _("罚款（元）"), _("扣款（元）"), _("全勤奖"), _("建议处分")]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    details = []
    for row in sheet.rows:
        emp, s = row.employment, row.summary
        marks = [STATUS_MARKS.get(r.status, "") if r else "" for r in row.days]
        totals = [
            s.late_count if s else None, s.early_count if s else None, float(s.absent_days) if s else None,
            float(s.leave_days) if s else None, float(s.fines) if s else None, float(s.deductions) if s else None,
            (_("是") if s.full_attendance_bonus else _("否")) if s else None,
            _("、").join(str(ACTION_LABELS.get(a.get("action"), a.get("action"))) for a in s.actions) if s else None,
        ]
        ws.append([emp.person.name, emp.unit.name, str(emp.get_rank_display()), *marks, *totals])
        for r in row.days:
            if r is not None and r.status not in ("present", "rest"):
                details.append([emp.person.name, r.date.isoformat(), r.get_status_display(), r.late_minutes,
                                r.early_minutes, float(r.absent_days), _("、").join(r.clauses), r.explain()])
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 14
    for i in range(len(sheet.dates)):
        ws.column_dimensions[get_column_letter(4 + i)].width = 4
    ws2 = wb.create_sheet(_("明细")[:31])
    ws2.append([_("人员"), _("日期"), _("状态"), _("迟到（分钟）"), _("早退（分钟）"), _("旷工（天）"), _("条款"), _("原因")])
    for cell in ws2[1]:
        cell.font = Font(bold=True)
    for line in details:
        ws2.append(line)
    ws2.column_dimensions["H"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------ leave queues


def leave_visible(actor: access.Actor, leave: LeaveRequest) -> bool:
    if isinstance(actor, Person) and actor.pk in (leave.person_id, leave.requested_by_id):
        return True
    if access.can(actor, "attendance.view", leave.unit) or access.can(actor, "attendance.approve_leave", leave.unit):
        return True
    return isinstance(actor, Person) and leave.steps.filter(approver=actor).exists()


def get_leave(actor: access.Actor, leave_id: int) -> LeaveRequest:
    leave = LeaveRequest.objects.select_related("person", "unit", "leave_type", "requested_by").filter(pk=leave_id).first()
    if leave is None or not leave_visible(actor, leave):
        raise NotFoundError(_("未找到此请假申请。"))
    return leave


def my_leaves(person: Person) -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.filter(person=person).select_related("leave_type").prefetch_related(
        "steps__approver", "steps__decided_by").order_by("-start_date", "-id")


def leaves_to_approve(actor: access.Actor) -> list[LeaveApproval]:
    """Pending steps the actor may decide: the step's role held over the person's unit (not their own)."""
    from .services import may_decide_step

    if not isinstance(actor, Person):
        return []
    paths = access.scope_paths(actor, "attendance.approve_leave")
    if not paths:
        return []
    cond = Q()
    for p in paths:
        cond |= Q(request__unit__path__startswith=p)
    steps = (LeaveApproval.objects.filter(cond, status=StepStatus.PENDING, request__status=LeaveStatus.PENDING)
             .exclude(request__person=actor)
             .select_related("request__person", "request__unit", "request__leave_type", "approver")
             .order_by("request__start_date", "id"))
    return [s for s in steps if may_decide_step(actor, s)]


def unit_leaves(actor: access.Actor, unit: OrgUnit, first: dt.date, last: dt.date) -> QuerySet[LeaveRequest]:
    access.require(actor, "attendance.view", unit)
    return (LeaveRequest.objects.filter(unit__path__startswith=unit.path, start_date__lte=last, end_date__gte=first)
            .select_related("person", "unit", "leave_type").order_by("start_date", "id"))


def corrections_to_decide(actor: access.Actor) -> QuerySet[PunchCorrection]:
    paths = access.scope_paths(actor, "attendance.punch_manual")
    qs = PunchCorrection.objects.filter(status=CorrectionStatus.PENDING).select_related("person", "unit")
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    cond = Q()
    for p in paths:
        cond |= Q(unit__path__startswith=p)
    qs = qs.filter(cond)
    if isinstance(actor, Person):
        qs = qs.exclude(person=actor)
    return qs.order_by("requested_at", "id")


# ------------------------------------------------------------------------------------ roll call


@dataclass
class RollCallLine:
    employment: Employment
    suggested: str
    recorded: str
    note: str
    punches: list[dt.datetime]
    leave: LeaveRequest | None


def roll_call_sheet(actor: access.Actor, unit: OrgUnit, day: dt.date) -> tuple[RollCall | None, list[RollCallLine]]:
    """P10.2.1: the window staff of the unit on ``day`` with what the record suggests (a punch →
    present, approved leave → leave, else absent) and what the duty officer recorded."""
    access.require(actor, "attendance.exception", unit)
    everyone = [e for e in people_of(unit, day, day) if e.person_id != getattr(actor, "pk", None)]
    # the window staff when the unit has service windows (a service hall), else everyone in it
    emps = [e for e in everyone if e.unit.kind == UnitKind.WINDOW] or everyone
    ids = [e.person_id for e in emps]
    local = tz()
    lo = dt.datetime.combine(day, dt.time.min, tzinfo=local)
    punches: dict[int, list[dt.datetime]] = defaultdict(list)
    for pid, at in Punch.objects.filter(person_id__in=ids, at__gte=lo, at__lt=lo + dt.timedelta(days=1)).values_list(
            "person_id", "at").order_by("at"):
        punches[pid].append(at.astimezone(local))
    leaves = {lv.person_id: lv for lv in LeaveRequest.objects.filter(
        person_id__in=ids, status=LeaveStatus.APPROVED, start_date__lte=day, end_date__gte=day)}
    roll = RollCall.objects.filter(unit=unit, date=day).prefetch_related("entries").first()
    recorded = {e.person_id: e for e in roll.entries.all()} if roll else {}
    lines = []
    for e in emps:
        suggested = "leave" if e.person_id in leaves else ("present" if punches.get(e.person_id) else "absent")
        r = recorded.get(e.person_id)
        lines.append(RollCallLine(e, suggested, r.presence if r else "", r.note if r else "", punches.get(e.person_id, []),
                                  leaves.get(e.person_id)))
    return roll, lines


# ------------------------------------------------------------------------------------ statements


@dataclass
class PersonStatement:
    person: Person
    period: str
    summary: MonthSummary | None
    ledger: Any  # zhidu.sanctions.selectors.Statement
    bonus_amount: Decimal


def person_statement(actor: access.Actor, person: Person, period: str) -> PersonStatement:
    """Issue item 6: the month's fines, deductions and bonus from the sanctions ledger (with each
    line's why) next to the attendance summary and its trace."""
    from zhidu.sanctions import selectors as ledger

    parse_period(period)
    unit = unit_of(person)
    if not can_view_person(actor, person, unit):
        raise PermissionDeniedError(_("无权查看此人员的考勤。"))
    summary = MonthSummary.objects.filter(person=person, period=period).first()
    try:
        stmt = ledger.statement(actor, person, period)
    except PermissionDeniedError:
        stmt = None
    return PersonStatement(person, period, summary, stmt, bonus_for(unit) if unit else Decimal("0.00"))


# ------------------------------------------------------------------------------- on-demand trace


@dataclass
class ExplainedMonth:
    """One person's month re-evaluated from the current records with every rule's decision kept."""

    days: dict[dt.date, list[str]]
    month: list[str]
    provisional: bool
    differs: bool  # the stored results are not what the records give now (the month needs a new close)


def explain_person_month(actor: access.Actor, person: Person, period: str) -> ExplainedMonth | None:
    """The full "why" of one person's month: the engine with ``explain=True`` on the same inputs the
    month close reads (one person: a few milliseconds). None when the person has no employment."""
    from zhidu.rulebook.selectors import params_for as _params

    from . import services

    first, last = parse_period(period)
    emp = employment_of(person, first) or employment_of(person)
    if emp is None:
        return None
    if not can_view_person(actor, person, emp.unit):
        raise PermissionDeniedError(_("无权查看此人员的考勤。"))
    cal = calendar_selectors.work_calendar()
    unit = emp.unit
    inputs = services._close_inputs(unit, [emp], first, last, cal)
    today = timezone.localdate()
    rules = rules_for(unit)
    results, provisional = services._evaluate(period, inputs, rules, _params(unit, first), cal, first, last, today,
                                              explain=True)
    pm = results.get(person.pk)
    if pm is None:
        return None
    stored = {r.date: (r.status, r.absent_days) for r in DayResult.objects.filter(person=person, date__gte=first,
                                                                                    date__lte=last)}
    differs = bool(stored) and any(stored.get(d.date) != (d.status, d.absent_days) for d in pm.days)
    return ExplainedMonth(
        days={d.date: d.explanations() for d in pm.days},
        month=[d.explain() for d in pm.summary.decisions],
        provisional=provisional, differs=differs,
    )
