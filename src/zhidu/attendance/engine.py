"""The month evaluation engine of attendance (P7, P11.7, P10.2.3): pure, no ORM, no clock.

One entry point, :func:`evaluate_month`, used by the CLI (``zhidu attendance evaluate``), the month
close, pages and the API. Inputs are plain frozen dataclasses (:class:`RosterEntry`, :class:`Punch`,
:class:`LeaveRecord`, :class:`AttendanceException`, :class:`PriorCounts`); parameters come from a
:class:`~zhidu.rulebook.params.ParamSet` (default: the shipped rulebook), working days from a
:class:`~zhidu.calendar.rules.WorkCalendar` (default: the ``chinese_calendar`` seed).

The result explains itself day by day: every :class:`DayResult` carries its clauses, and with
``explain=True`` the :class:`~zhidu.rulebook.decision.Decision` objects of the pure rules that decided
it (``p7.day_status``, ``p7.fine``, ``p7.sick_leave_valid`` …), whose ``explain()`` is the page text.
Bulk work (the CLI, a month close) uses the fast path; a page showing one person's month evaluates
that person again with ``explain=True`` (same values, by construction and by test).

Semantics (issue 5 "Default semantics"; every number is a rulebook parameter):

* P7 (default): no grace minutes; late/early by ≤ 30 minutes is one instance fined 5 yuan (staff)
  or 10 (middle managers and above, P7.10); more than 30 is half a day of absenteeism instead (P7.4);
  a working day without punch, valid leave or exception is 1 day, a single punch half a day (P7.1);
  every 4th instance of a manager in the month adds 1 day on the day it happens (P7.10); each day of
  absenteeism deducts 3 × base ÷ 21.75 (P7.12); unapproved or invalid leave is absenteeism (P7.5.1);
  2 consecutive working days or 3 days in the month propose suspension, 5 in the year dismissal
  (P7.12); lateness, early leave, absenteeism or personal leave lose the full-attendance bonus.
* P11 (``rules="P11"``): every sign-in after the shift start is a lateness of P11.7 (no half-day
  conversion): the 1st and 2nd of the month deduct 1 % of the base salary, the 3rd and later 5 %;
  P7.10 fines and the managers' conversion do not apply and leaving early is recorded (P11.2) without
  money. Absence, single punches, leave, exceptions, the P7.12 deduction and proposals and the bonus
  are as above, as the CLI contract says.
* Leave: sick leave needs notice ≥ 60 minutes before the shift of its first working day and the
  note (``certificate_at``) within 2 days (P7.5.2); other leave asked after it started is refused
  (P7.9, when ``requested_at`` is known) unless it has ``special_reason``; marriage leave needs the
  service and covers its entitlement's working days only (P7.6; the leave's first day is taken as
  the marriage date); pre-natal leave needs its certificate (P7.7; the 7 months are checked at
  request time).
* Days before ``hired_on`` are not working days of the person.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import functools
import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import repeat
from typing import Any, Literal, cast

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.seed import from_chinese_calendar
from zhidu.rulebook.decision import Decision
from zhidu.rulebook.params import DEFAULT_DIR, ParamSet, Rulebook, load_rulebook
from zhidu.rulebook.rules import p7, p11

__all__ = [
    "AttendanceException",
    "DayResult",
    "LeaveRecord",
    "MonthResult",
    "PersonMonth",
    "PriorCounts",
    "ProposedAction",
    "Punch",
    "PunchStamps",
    "RosterEntry",
    "Summary",
    "evaluate_month",
    "stamp",
    "write_json",
    "write_people_json",
]

RuleSet = Literal["P7", "P11"]

# Leave statuses of LeaveRecord.status.
APPROVED = "approved"
PENDING = "pending"
REJECTED = "rejected"
LEAVE_STATUSES = (APPROVED, PENDING, REJECTED)

_ZERO = Decimal(0)

# json.dumps(text, ensure_ascii=False) without the encoder object around it (the C function when there is one).
_encode_basestring: Callable[[str], str] = json.encoder.encode_basestring


# ------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One person on the roster. ``rank`` ∈ ``p7.RANKS``; ``gender`` ``"F"``/``"M"`` (or ``""``
    unknown); ``shift_end <= shift_start`` is an overnight shift ending the next day."""

    person_id: str
    name: str
    rank: str
    hired_on: dt.date | None
    gender: str
    birth_date: dt.date | None
    base_salary: Decimal
    shift_start: dt.time
    shift_end: dt.time


@dataclass(frozen=True, slots=True)
class Punch:
    """One clock-in/out, local wall-clock time (naive). The first punch belonging to a shift is the
    sign-in, the last the sign-out."""

    person_id: str
    at: dt.datetime


_EPOCH = dt.datetime(1, 1, 1)
_ONE_US = dt.timedelta(microseconds=1)


def stamp(at: dt.datetime) -> int:
    """A local (naive) datetime as microseconds since 0001-01-01 00:00, the unit of :class:`PunchStamps`."""
    return (at - _EPOCH) // _ONE_US


class PunchStamps(dict[str, list[int]]):
    """Person id → punch times as :func:`stamp` integers (any order): what the CSV reader gives, so
    that 440,000 punches need no datetime objects on the way in."""


@dataclass(frozen=True, slots=True)
class LeaveRecord:
    """A leave over whole days ``start``…``end`` (both included). ``kind`` ∈ ``p7.LEAVE_KINDS``;
    ``status`` ∈ approved / pending / rejected. ``requested_at`` (P7.9 in advance), ``notified_at``
    (P7.5.2 sick notice before the shift), ``certificate_at`` (P7.5.2 sick note, P7.7 pre-natal
    certificate) may be None. ``special_reason``: the approver accepted a special reason for leave
    asked after it started (P7.9)."""

    person_id: str
    kind: str
    start: dt.date
    end: dt.date
    status: str = APPROVED
    requested_at: dt.datetime | None = None
    notified_at: dt.datetime | None = None
    certificate_at: dt.datetime | None = None
    special_reason: bool = False


@dataclass(frozen=True, slots=True)
class AttendanceException:
    """P10.2.3: attendance could not be captured on ``date`` (power cut, broken machine, unreadable
    fingerprints), recorded by the duty officer, for one person or (``person_id`` None) everyone."""

    date: dt.date
    person_id: str | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PriorCounts:
    """Year-to-date figures carried into the month from the earlier months of the same year.

    ``year_absent_days``: absenteeism days before the month (P7.12 "5 cumulative in a year");
    ``year_lateness_instances``: lateness/early-leave instances before the month (only read when
    ``p7.manager_lateness_window = calendar_year``); ``trailing_absent_run``: full days of absenteeism
    on the last working days before the month, consecutively (P7.12 "5 consecutive days" across months).
    """

    person_id: str
    year_absent_days: Decimal = _ZERO
    year_lateness_instances: int = 0
    trailing_absent_run: int = 0


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class DayResult:
    """One person's day. ``status`` ∈ present, late, early, late_early, half_absent, absent, leave,
    exception, rest; ``absent_days`` includes a manager's every-4th-lateness day (P7.10); ``leave`` the
    kind of leave covering the day (valid or not); ``clauses`` every clause that decided the day;
    ``decisions`` the rules' decisions (only with ``explain=True``)."""

    date: dt.date
    status: str
    late_minutes: int
    early_minutes: int
    absent_days: Decimal
    leave: str | None
    clauses: tuple[str, ...]
    fine_yuan: Decimal = _ZERO
    provisional: bool = False
    decisions: tuple[Decision, ...] = ()

    def explanations(self) -> list[str]:
        """The day's "why", one text per decision, in the active language."""
        return [d.explain() for d in self.decisions]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "status": self.status, "late_minutes": self.late_minutes,
                "early_minutes": self.early_minutes, "absent_days": _num(self.absent_days), "leave": self.leave,
                "clauses": list(self.clauses)}


@dataclass(frozen=True, slots=True)
class ProposedAction:
    """A disciplinary action proposed for HR to confirm (P7.12 / P7.3): ``suspension`` or ``dismissal``."""

    action: str
    clauses: tuple[str, ...]
    decision: Decision

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "clauses": list(self.clauses)}


@dataclass(frozen=True, slots=True)
class Summary:
    """A person's month. Money in yuan rounded to the fen: ``fines_yuan`` P7.10 fines,
    ``deduction_yuan`` P7.12 absenteeism deduction plus P11.7 lateness deductions."""

    late_count: int
    early_count: int
    absent_days: Decimal
    fines_yuan: Decimal
    deduction_yuan: Decimal
    full_attendance_bonus: bool
    actions: list[ProposedAction] = field(default_factory=list)
    personal_leave_days: int = 0
    sick_leave_days: int = 0
    year_absent_days: Decimal = _ZERO
    decisions: tuple[Decision, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"late_count": self.late_count, "early_count": self.early_count,
                "absent_days": _num(self.absent_days), "fines_yuan": _money(self.fines_yuan),
                "deduction_yuan": _money(self.deduction_yuan), "full_attendance_bonus": self.full_attendance_bonus,
                "actions": [a.to_json() for a in self.actions]}


@dataclass(frozen=True, slots=True)
class PersonMonth:
    person_id: str
    entry: RosterEntry
    days: list[DayResult]
    summary: Summary
    provisional: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "days": [d.to_json() for d in self.days],
                "summary": self.summary.to_json()}


@dataclass(frozen=True, slots=True)
class MonthResult:
    """``provisional``: the calendar does not know the month's year (working days are Monday–Friday
    until an administrator confirms or imports it)."""

    month: str
    rules: str
    people: list[PersonMonth]
    provisional: bool = False

    def to_json(self) -> dict[str, Any]:
        """Exactly the CLI contract: ``{"month", "people": [{"person_id", "days": [...], "summary": {...}}]}``."""
        return {"month": self.month, "people": [p.to_json() for p in self.people]}


def _num(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _money(d: Decimal) -> str:
    return str(d.quantize(Decimal("0.01")))


# ------------------------------------------------------------------------------------------- engine
#
# How a month is evaluated, per person:
#
# 1. Punches are assigned to shift days: the day whose shift midpoint is nearest (each shift day owns
#    the 24 hours centred on its shift's midpoint), so an overnight shift's 06:00 sign-out belongs to
#    the evening before. The first punch of a shift day is the sign-in, the last the sign-out.
# 2. Leave records get a verdict (P7.5.1 approved?, P7.5.2 sick notice and note, P7.6 marriage
#    eligibility, P7.7 pre-natal certificate, P7.9 asked in advance); invalid leave is unapproved leave.
# 3. Each day is decided by ``p7.day_status`` (P11 mode: ``p11.lateness`` for a day with both punches),
#    each lateness/early leave by ``p7.lateness`` and ``p7.fine``. The fast path (explain=False) calls
#    these same rules once per distinct shape of day — (late minutes, early minutes), "single punch",
#    "no punch with unapproved leave", … — on a canonical day and reuses the outcome; only the date
#    differs between days of the same shape, and the rules' outcomes do not depend on it.
# 4. The month: managers' every-4th instance (``p7.manager_lateness_to_absence``), the absenteeism
#    deduction (``p7.absence_deduction``), P11.7 deductions (``p11.lateness_deduction``), the bonus
#    (``p7.full_attendance_bonus``) and the disciplinary proposal (``p7.discipline``, extended here by
#    the year-to-date days carried in ``PriorCounts`` and the managers' converted days, which have no
#    date of their own and so count toward totals but never toward a run of consecutive days).

_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000
_HALF_DAY_US = _DAY_US // 2
_CANON_DATE = dt.date(2000, 1, 3)  # a Monday; the canonical day of the fast path
_CANON_START = dt.time(8, 0)
_CANON_END = dt.time(17, 0)

# Shapes of a day (the fast path's memo keys start with one of these).
_REST, _LEAVE, _EXCEPTION, _NONE, _SINGLE, _TWO = range(6)

# Clauses a valid leave of these kinds adds to its days beyond its rules' own (P7.5.3: unpaid, loses
# the full-attendance bonus).
_KIND_CLAUSES = {p7.PERSONAL: ("P7.5.3",)}


@functools.lru_cache(maxsize=1)
def _attendance_rulebook() -> Rulebook:
    return load_rulebook(files=[DEFAULT_DIR / "P7.yaml", DEFAULT_DIR / "P11.yaml"])


def attendance_params(on: dt.date) -> ParamSet:
    """The shipped rulebook's P7 and P11 parameters in force on ``on`` (only the two files the engine
    reads are parsed: the CLI starts faster)."""
    return _attendance_rulebook().params_on(on)


@functools.lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The ``chinese_calendar`` seed (no database), built once per process."""
    return from_chinese_calendar(range_start=dt.date(2000, 1, 1), range_end=dt.date(2040, 12, 31))


def parse_month(month: str) -> tuple[int, int]:
    """"YYYY-MM" → (year, month); ``ValueError`` otherwise."""
    if len(month) != 7 or month[4] != "-" or not (month[:4].isdigit() and month[5:].isdigit()):
        raise ValueError(f"month {month!r} is not YYYY-MM")
    year, mon = int(month[:4]), int(month[5:])
    if not (1 <= mon <= 12 and 1 <= year <= 9998):
        raise ValueError(f"month {month!r} is not YYYY-MM")
    return year, mon


def _us_of(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for g in groups for c in g))


@dataclass(frozen=True, slots=True)
class _Core:
    """What the rules decided about one day, before leave clauses and the month's counting."""

    status: str
    absence: Decimal
    clauses: tuple[str, ...]
    late_minutes: int
    early_minutes: int
    late_instance: bool
    early_instance: bool
    fine: Decimal
    decisions: tuple[Decision, ...]


@dataclass(frozen=True, slots=True)
class _Verdict:
    """A leave's effect on one day: ``state`` as ``WorkDay.leave`` reads it (``approved`` = a valid,
    approved leave; ``unapproved`` = pending, rejected or invalid)."""

    kind: str
    state: str
    clauses: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the fast path of :meth:`_Evaluator._plain_person` shares between the people of one shift and
    rank: the day windows' bounds (``n + 1`` stamps); the month's days as they are without any punch
    (rest, exception, no punch); the days open to punches as (index, shift start and end stamps, the
    day on time and its core if it counts for the month, the day's core without a punch if it counts);
    the other days that count (none with the shipped rules); the rank's memo of days by key."""

    all_exc: set[int]
    bounds: list[int]
    days: list[DayResult]
    open_days: list[tuple[int, int, int, DayResult, _Core | None, _Core | None]]
    closed_noisy: list[tuple[int, _Core]]
    memo: dict[int, tuple[DayResult, _Core, bool]]


class _Evaluator:
    def __init__(self, month: str, rules: str, params: ParamSet, calendar: WorkCalendar, explain: bool,
                 as_of: dt.date | None) -> None:
        if rules not in ("P7", "P11"):
            raise ValueError(f"rules {rules!r}: expected 'P7' or 'P11'")
        year, mon = parse_month(month)
        self.month = month
        self.p11 = rules == "P11"
        self.params = params
        self.calendar = calendar
        self.explain = explain
        self.as_of = as_of
        self.first = dt.date(year, mon, 1)
        n = _cal.monthrange(year, mon)[1]
        self.dates = [self.first + dt.timedelta(days=i) for i in range(n)]
        self.last = self.dates[-1]
        self.base = dt.datetime.combine(self.first, dt.time())
        self.base_us = stamp(self.base)
        self.working = [calendar.is_working_day(d) for d in self.dates]
        self.provisional_days = [not calendar.is_known(d) for d in self.dates]
        self.provisional = any(self.provisional_days)
        self._core_memo: dict[tuple[Any, ...], _Core] = {}
        self._day_memo: dict[tuple[Any, ...], tuple[DayResult, _Core, bool]] = {}
        self._plain_memo: dict[str, dict[int, tuple[DayResult, _Core, bool]]] = {}
        self._deduction_memo: dict[tuple[Any, ...], Decision] = {}
        self._conversion_memo: dict[tuple[str, int], Decision] = {}
        self._bonus_memo: dict[tuple[Decimal, int, int, int], Decision] = {}
        self._discipline_memo: dict[tuple[Decimal, int, Decimal, int], bool] = {}
        self._plans: dict[tuple[dt.time, dt.time, str], _Plan] = {}
        self._status_memo: dict[p7.WorkDay, Decision] = {}
        self._lateness_memo: dict[p7.LatenessEvent, tuple[Any, Decision | None]] = {}
        if self.p11:
            self._p11_grace = params["p11.grace_minutes"]

    # ------------------------------------------------------------------------------ one day, rules

    def _core(self, wd: p7.WorkDay, rank: str, *, canonical: bool = False) -> _Core:
        """Decide one day with the pure rules (both paths come through here). ``canonical``: the fast
        path's canonical day, whose ``p7.day_status`` decision is remembered (the same canonical day
        comes for every rank)."""
        params = self.params
        both = wd.punch_in is not None and wd.punch_out is not None
        working = wd.rostered if wd.rostered is not None else self.calendar.is_working_day(wd.date)
        if self.p11 and both and working and wd.leave != "approved" and not wd.exception:
            return self._p11_core(wd)
        day = self._status_memo.get(wd) if canonical else None
        if day is None:
            day = p7.day_status(wd, params, self.calendar)
            if canonical:
                self._status_memo[wd] = day
        facts = day.facts
        late_min, early_min = int(facts["late_minutes"]), int(facts["early_minutes"])
        decisions: list[Decision] = [day]
        late_inst = early_inst = False
        fine = _ZERO
        if both and day.value not in (p7.REST, p7.LEAVE, p7.EXCEPTION):
            for kind, minutes in (("late", late_min), ("early", early_min)):
                outcome, fined = self._lateness(p7.LatenessEvent(kind, minutes, rank))
                if fined is None:
                    continue
                if outcome == p7.INSTANCE:
                    if kind == "late":
                        late_inst = True
                    else:
                        early_inst = True
                amount = Decimal(fined.value)
                if amount:
                    fine += amount
                    decisions.append(fined)
        clauses = _merge(day.clauses, ("P7.10",) if fine else ())
        return _Core(str(day.value), Decimal(str(facts["absence_days"])), clauses, late_min, early_min, late_inst,
                     early_inst, fine, tuple(decisions))

    def _lateness(self, event: p7.LatenessEvent) -> tuple[Any, Decision | None]:
        """``p7.lateness`` and, unless its outcome is ``none``, ``p7.fine`` of one lateness or early
        leave, memoized (they depend on kind, minutes and rank only)."""
        hit = self._lateness_memo.get(event)
        if hit is None:
            outcome = p7.lateness(event, self.params).value
            hit = self._lateness_memo[event] = (outcome, None if outcome == p7.NONE else p7.fine(event, self.params))
        return hit

    def _p11_core(self, wd: p7.WorkDay) -> _Core:
        """P11.7: every sign-in after the start is a lateness (no half-day conversion); leaving early is
        recorded (P11.2 按时出勤上下班) and loses the full-attendance bonus, but costs nothing."""
        assert wd.punch_in is not None and wd.punch_out is not None
        arrival = p11.lateness(p11.Arrival(wd.date, wd.punch_in, work_start=wd.shift_start), self.params)
        late = bool(arrival.value)
        late_min = int(arrival.facts["minutes"])
        start = dt.datetime.combine(wd.date, wd.shift_start)
        end = dt.datetime.combine(wd.date, wd.shift_end)
        if end <= start:
            end += dt.timedelta(days=1)
        early_min = p7.started_minutes(end - wd.punch_out)
        early = self._p11_grace.holds(early_min)
        status = p7.LATE_EARLY if late and early else p7.LATE if late else p7.EARLY if early else p7.PRESENT
        args = {"date": wd.date.isoformat(), "minutes": early_min, "grace": self._p11_grace.value}
        reason = (gettext_noop("%(date)s 早退 %(minutes)s 分钟，未按时下班") if early
                  else gettext_noop("%(date)s 按时下班"))
        left = Decision(rule="attendance.p11_early", value=early, clauses=("P11.2",), reason=reason, reason_args=args,
                        params=(self._p11_grace.use(),), facts={"early_minutes": early_min})
        clauses: tuple[str, ...] = ("P11.7",) if late else ()
        clauses = _merge(clauses, ("P11.2",) if early or not late else ())
        return _Core(status, _ZERO, clauses, late_min, early_min, late, early, _ZERO, (arrival, left))

    def _canonical(self, shape: int, late_min: int = 0, early_min: int = 0, leave: str | None = None) -> p7.WorkDay:
        """A day of the given shape on the canonical date and shift (fast path)."""
        start = dt.datetime.combine(_CANON_DATE, _CANON_START)
        end = dt.datetime.combine(_CANON_DATE, _CANON_END)
        punch_in = punch_out = None
        if shape == _TWO:
            punch_in = start + dt.timedelta(minutes=late_min)
            punch_out = end - dt.timedelta(minutes=early_min)
        elif shape == _SINGLE:
            punch_in = start
        return p7.WorkDay(_CANON_DATE, _CANON_START, _CANON_END, punch_in=punch_in, punch_out=punch_out,
                          leave=leave, exception=shape == _EXCEPTION, rostered=shape != _REST)

    def _fast_core(self, shape: int, late_min: int, early_min: int, leave: str | None, rank: str) -> _Core:
        key = (shape, late_min, early_min, leave, rank)
        core = self._core_memo.get(key)
        if core is None:
            core = self._core(self._canonical(shape, late_min, early_min, leave), rank, canonical=True)
            core = _Core(core.status, core.absence, core.clauses, core.late_minutes, core.early_minutes,
                         core.late_instance, core.early_instance, core.fine, ())
            self._core_memo[key] = core
        return core

    # ------------------------------------------------------------------------------ leave verdicts

    def _verdicts(self, entry: RosterEntry, records: list[LeaveRecord]) -> dict[int, _Verdict]:
        """Day index → the leave covering it (a valid approved leave wins over an invalid one)."""
        out: dict[int, _Verdict] = {}
        marriages = 0
        for rec in sorted(records, key=lambda r: (r.start, r.end)):
            if rec.end < rec.start:
                raise ValueError(f"leave of {rec.person_id}: end {rec.end} is before start {rec.start}")
            if rec.status not in LEAVE_STATUSES:
                raise ValueError(f"leave of {rec.person_id}: status {rec.status!r} is not one of {list(LEAVE_STATUSES)}")
            lo = max(rec.start, self.first)
            hi = min(rec.end, self.last)
            if rec.kind == p7.MARRIAGE and rec.status == APPROVED:
                marriages += 1
            if lo > hi:
                continue
            per_day = self._verdict_days(entry, rec, marriages > 1)
            for i in range((lo - self.first).days, (hi - self.first).days + 1):
                v = per_day(self.dates[i])
                old = out.get(i)
                if old is None or (old.state != "approved" and v.state == "approved"):
                    out[i] = v
        return out

    def _verdict_days(self, entry: RosterEntry, rec: LeaveRecord, married_before: bool) -> Callable[[dt.date], _Verdict]:
        params = self.params
        kind = rec.kind
        if rec.status != APPROVED:
            reason = (gettext_noop("%(start)s 至 %(end)s 的请假尚未批准") if rec.status == PENDING
                      else gettext_noop("%(start)s 至 %(end)s 的请假未获批准"))
            d = Decision(rule="attendance.leave_status", value=rec.status, clauses=("P7.5.1",), reason=reason,
                         reason_args={"start": rec.start.isoformat(), "end": rec.end.isoformat()},
                         facts={"kind": kind, "status": rec.status})
            bad = _Verdict(kind, "unapproved", ("P7.5.1",), (d,) if self.explain else ())
            return lambda _d: bad
        checks: list[Decision] = []
        valid = True
        first_work = self._first_working(rec.start, rec.end)
        shift_start = dt.datetime.combine(first_work, entry.shift_start)
        if kind == p7.SICK:
            note = rec.certificate_at.date() if rec.certificate_at is not None else None
            sick = p7.sick_leave_valid(p7.SickLeave(shift_start, rec.start, rec.notified_at, note, as_of=self.as_of),
                                       params, self.calendar)
            checks.append(sick)
            valid = sick.value is not False
        else:
            if rec.requested_at is not None:
                timing = p7.retroactive_leave(p7.LeaveTiming(dt.datetime.combine(rec.start, entry.shift_start),
                                                             rec.requested_at, rec.special_reason), params)
                checks.append(timing)
                valid = timing.value != p7.REFUSED
            if valid and kind == p7.PRENATAL and rec.certificate_at is None:
                checks.append(Decision(
                    rule="attendance.prenatal_certificate", value=False, clauses=("P7.7",),
                    reason=gettext_noop("待产假未持县级以上医院证明，不能按待产假处理"),
                    facts={"start": rec.start.isoformat()}))
                valid = False
        granted: int | None = None
        if valid and kind == p7.MARRIAGE and entry.hired_on and entry.birth_date and entry.gender in ("F", "M"):
            applied = rec.requested_at.date() if rec.requested_at is not None else rec.start
            m = p7.marriage_leave(p7.MarriageLeave(entry.hired_on, applied, rec.start, entry.birth_date,
                                                   "female" if entry.gender == "F" else "male",
                                                   already_taken=married_before), params)
            checks.append(m)
            granted = int(m.value)
            valid = granted > 0
        clauses = _merge(*(c.clauses for c in checks))
        decisions = tuple(checks) if self.explain else ()
        if not valid:  # the last check is the one that failed; its clauses explain the absenteeism
            bad = _Verdict(kind, "unapproved", checks[-1].clauses, decisions)
            return lambda _d: bad
        good = _Verdict(kind, "approved", _merge(clauses, _KIND_CLAUSES.get(kind, ())), decisions)
        if granted is None:
            return lambda _d: good
        # P7.6: the entitlement covers the leave's first `granted` working days; later ones are not leave.
        covered = set(self._working_days(rec.start, rec.end)[:granted])
        beyond = _Verdict(kind, "unapproved", checks[-1].clauses, decisions)
        return lambda d: good if d in covered or not self.calendar.is_working_day(d) else beyond

    def _first_working(self, start: dt.date, end: dt.date) -> dt.date:
        days = self._working_days(start, end)
        return days[0] if days else start

    def _working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        out = []
        d = start
        while d <= end:
            if self.calendar.is_working_day(d):
                out.append(d)
            d += dt.timedelta(days=1)
        return out

    # ------------------------------------------------------------------------------ one person

    def person(self, entry: RosterEntry, stamps: list[int], records: list[LeaveRecord], own_exc: set[int],
               all_exc: set[int], prior: PriorCounts | None) -> PersonMonth:
        if not (self.explain or records or own_exc) and (entry.hired_on is None or entry.hired_on <= self.first):
            return self._plain_person(entry, stamps, all_exc, prior)
        n = len(self.dates)
        s_us = _us_of(entry.shift_start)
        e_us = _us_of(entry.shift_end)
        if e_us <= s_us:
            e_us += _DAY_US
        origin = self.base_us  # stamps count from 0001-01-01; day i's midnight is origin + i days
        w0 = origin + (s_us + e_us) // 2 - _HALF_DAY_US
        s_us += origin
        e_us += origin
        first: list[int | None] = [None] * n
        last: list[int | None] = [None] * n
        for t in sorted(stamps):
            i = (t - w0) // _DAY_US
            if 0 <= i < n:
                if first[i] is None:
                    first[i] = t
                else:
                    last[i] = t
        verdicts = self._verdicts(entry, records) if records else {}
        hire = (entry.hired_on - self.first).days if entry.hired_on is not None else -1
        rank = entry.rank
        days: list[DayResult] = []
        if self.explain:
            cores: list[tuple[int, _Core]] = []
            for i in range(n):
                verdict = verdicts.get(i)
                exc = i in own_exc or i in all_exc
                working = self.working[i] and i >= hire
                shape = self._shape(working, verdict, exc, first[i], last[i])
                core = self._core(self._real_day(entry, i, first[i], last[i], verdict, exc, working), rank)
                days.append(self._day(i, core, verdict, shape))
                cores.append((i, core))
            return self._month(entry, days, cores, verdicts, prior)
        # Fast path: one memo lookup per day, keyed by the day's shape (see _fast_core); only the days
        # with something to count ("noisy") are looked at again for the month.
        plain = self._plain_memo.setdefault(rank, {})
        excs = own_exc | all_exc if own_exc else all_exc
        working_days = self.working
        day_append = days.append
        noisy: list[tuple[int, _Core]] = []
        for i in range(n):
            verdict = verdicts.get(i) if verdicts else None
            if not working_days[i] or i < hire:
                shape = _REST
            elif verdict is not None and verdict.state == "approved":
                shape = _LEAVE
            elif i in excs:
                shape = _EXCEPTION
            elif (f := first[i]) is None:
                shape = _NONE
            elif (la := last[i]) is None:
                shape = _SINGLE
            else:
                shape = _TWO
                late_us = f - i * _DAY_US - s_us
                early_us = i * _DAY_US + e_us - la
                late_min = -((-late_us) // _MINUTE_US) if late_us > 0 else 0
                early_min = -((-early_us) // _MINUTE_US) if early_us > 0 else 0
            if shape != _TWO:
                late_min = early_min = 0
            if verdict is None:  # an int key: cheaper to hash than a tuple (minutes < 2**12: shifts ≤ 24 h)
                hit = plain.get(((i << 3 | shape) << 12 | late_min) << 12 | early_min)
            else:
                hit = self._day_memo.get((i, shape, late_min, early_min, rank, verdict.kind, verdict.state,
                                          verdict.clauses))
            if hit is None:
                hit = self._fast_day(i, shape, late_min, early_min, rank, verdict)
            day_append(hit[0])
            if hit[2]:
                noisy.append((i, hit[1]))
        if not noisy and not verdicts and prior is None:
            return PersonMonth(entry.person_id, entry, days, self._quiet_summary(), self.provisional)
        return self._month(entry, days, noisy, verdicts, prior)

    def _plain_person(self, entry: RosterEntry, stamps: list[int], all_exc: set[int], prior: PriorCounts | None
                      ) -> PersonMonth:
        """The fast path of the commonest person: no leave, no exception of their own, employed the
        whole month — the same day keys and memo as :meth:`person`, with the shift's :class:`_Plan`."""
        plan = self._plan(entry.shift_start, entry.shift_end, entry.rank, all_exc)
        ss = sorted(stamps)
        pos = list(map(bisect_left, repeat(ss), plan.bounds))  # day i's punches: ss[pos[i]:pos[i + 1]]
        days = plan.days.copy()
        noisy: list[tuple[int, _Core]] = []
        plain = plan.memo
        for i, start, end, present, present_core, none_core in plan.open_days:
            a = pos[i]
            b = pos[i + 1]
            if b - a > 1:
                f = ss[a]
                la = ss[b - 1]
                if f <= start and la >= end:  # on time: late and early 0 minutes
                    days[i] = present
                    if present_core is not None:
                        noisy.append((i, present_core))
                    continue
                late_us = f - start
                early_us = end - la
                late_min = -((-late_us) // _MINUTE_US) if late_us > 0 else 0
                early_min = -((-early_us) // _MINUTE_US) if early_us > 0 else 0
                hit = plain.get(((i << 3 | _TWO) << 12 | late_min) << 12 | early_min)
                if hit is None:
                    hit = self._fast_day(i, _TWO, late_min, early_min, entry.rank, None)
            elif b > a:
                hit = plain.get((i << 3 | _SINGLE) << 24)
                if hit is None:
                    hit = self._fast_day(i, _SINGLE, 0, 0, entry.rank, None)
            else:  # no punch: the plan's day
                if none_core is not None:
                    noisy.append((i, none_core))
                continue
            days[i] = hit[0]
            if hit[2]:
                noisy.append((i, hit[1]))
        if plan.closed_noisy:
            noisy = sorted(noisy + plan.closed_noisy, key=lambda x: x[0])
        if not noisy and prior is None:
            return PersonMonth(entry.person_id, entry, days, self._quiet_summary(), self.provisional)
        return self._month(entry, days, noisy, {}, prior)

    def _plan(self, shift_start: dt.time, shift_end: dt.time, rank: str, all_exc: set[int]) -> _Plan:
        key = (shift_start, shift_end, rank)
        plan = self._plans.get(key)
        if plan is not None and plan.all_exc == all_exc:
            return plan
        n = len(self.dates)
        s_us = _us_of(shift_start)
        e_us = _us_of(shift_end)
        if e_us <= s_us:
            e_us += _DAY_US
        origin = self.base_us
        w0 = origin + (s_us + e_us) // 2 - _HALF_DAY_US  # as in person(): day i owns [w0 + i days, w0 + i + 1 days)
        memo = self._plain_memo.setdefault(rank, {})

        def hit(i: int, shape: int) -> tuple[DayResult, _Core, bool]:
            found = memo.get((i << 3 | shape) << 24)
            return found if found is not None else self._fast_day(i, shape, 0, 0, rank, None)

        days: list[DayResult] = []
        open_days: list[tuple[int, int, int, DayResult, _Core | None, _Core | None]] = []
        closed_noisy: list[tuple[int, _Core]] = []
        for i in range(n):
            shape = _REST if not self.working[i] else _EXCEPTION if i in all_exc else _NONE
            day, core, noisy = hit(i, shape)
            days.append(day)
            if shape == _NONE:
                present = hit(i, _TWO)
                open_days.append((i, origin + i * _DAY_US + s_us, origin + i * _DAY_US + e_us, present[0],
                                  present[1] if present[2] else None, core if noisy else None))
            elif noisy and (core.absence or core.fine or core.late_instance or core.early_instance):
                closed_noisy.append((i, core))  # does not happen with the shipped rules: exception and rest count nothing
        plan = self._plans[key] = _Plan(set(all_exc), [w0 + i * _DAY_US for i in range(n + 1)], days, open_days,
                                        closed_noisy, memo)
        return plan

    def _fast_day(self, i: int, shape: int, late_min: int, early_min: int, rank: str, verdict: _Verdict | None
                  ) -> tuple[DayResult, _Core, bool]:
        """Decide a day of this shape once (``_fast_core``) and remember the result for its key."""
        core = self._fast_core(shape, late_min, early_min, None if verdict is None else verdict.state, rank)
        noisy = not (core.status in (p7.PRESENT, p7.REST) and not (core.absence or core.fine or core.late_instance
                                                                    or core.early_instance))
        hit = (self._day(i, core, verdict, shape), core, noisy)
        if verdict is None and late_min < 4096 and early_min < 4096:
            self._plain_memo.setdefault(rank, {})[((i << 3 | shape) << 12 | late_min) << 12 | early_min] = hit
        else:
            self._day_memo[(i, shape, late_min, early_min, rank,
                            None if verdict is None else verdict.kind, None if verdict is None else verdict.state,
                            None if verdict is None else verdict.clauses)] = hit
        return hit

    @staticmethod
    def _shape(working: bool, verdict: _Verdict | None, exc: bool, f: int | None, la: int | None) -> int:
        if not working:
            return _REST
        if verdict is not None and verdict.state == "approved":
            return _LEAVE
        if exc:
            return _EXCEPTION
        if f is None:
            return _NONE
        return _SINGLE if la is None else _TWO

    def _real_day(self, entry: RosterEntry, i: int, f: int | None, la: int | None, verdict: _Verdict | None,
                  exc: bool, working: bool) -> p7.WorkDay:
        punch_in = _EPOCH + f * _ONE_US if f is not None else None
        punch_out = _EPOCH + la * _ONE_US if la is not None else None
        return p7.WorkDay(self.dates[i], entry.shift_start, entry.shift_end, punch_in=punch_in, punch_out=punch_out,
                          leave=verdict.state if verdict is not None else None, exception=exc,
                          rostered=False if self.working[i] and not working else None, rank=entry.rank)

    def _day(self, i: int, core: _Core, verdict: _Verdict | None, shape: int) -> DayResult:
        clauses = core.clauses
        decisions = core.decisions
        if verdict is not None and (core.status == p7.LEAVE or (shape == _NONE and core.status == p7.ABSENT)):
            clauses = _merge(clauses, verdict.clauses) if core.status == p7.LEAVE else _merge(verdict.clauses, clauses)
            decisions = decisions + verdict.decisions
        return DayResult(self.dates[i], core.status, core.late_minutes, core.early_minutes, core.absence,
                         verdict.kind if verdict is not None else None, clauses, core.fine, self.provisional_days[i],
                         decisions)

    # ------------------------------------------------------------------------------ one month

    def _quiet_summary(self) -> Summary:
        """The summary of a month with nothing to count (no lateness, absenteeism or leave)."""
        bonus = self._bonus_memo.get((_ZERO, 0, 0, 0))
        if bonus is None:
            bonus = self._bonus_memo[(_ZERO, 0, 0, 0)] = p7.full_attendance_bonus(p7.MonthAttendance(), self.params)
        return Summary(0, 0, _ZERO, _ZERO, _ZERO, bool(bonus.value), [])

    def _month(self, entry: RosterEntry, days: list[DayResult], cores: list[tuple[int, _Core]],
               verdicts: dict[int, _Verdict], prior: PriorCounts | None) -> PersonMonth:
        """The month from its days; ``cores`` are (day index, core) of the days that may count (at
        least those with lateness, absenteeism, fines or leave), in date order."""
        late_count = early_count = full = 0
        fines = dated_total = _ZERO
        dated_any = False
        for _i, c in cores:
            if c.late_instance:
                late_count += 1
            if c.early_instance:
                early_count += 1
            if c.fine:
                fines += c.fine
            if c.absence:
                dated_any = True
                dated_total += c.absence
                if c.absence >= 1:
                    full += 1
        month_decisions: list[Decision] = []
        # P7.10: every 4th instance of a middle manager or above adds a day of absenteeism on its day.
        converted = _ZERO
        if not self.p11 and (late_count or early_count) and p7.is_middle_manager_or_above(entry.rank):
            window = self.params["p7.manager_lateness_window"].value
            count = prior.year_lateness_instances if prior is not None and window == "calendar_year" else 0
            before = Decimal(self._conversion(entry.rank, count).value)
            for i, core in cores:
                step = int(core.late_instance) + int(core.early_instance)
                if not step:
                    continue
                count += step
                conv = self._conversion(entry.rank, count)
                total = Decimal(conv.value)
                if total > before:
                    extra = total - before
                    converted += extra
                    d = days[i]
                    days[i] = replace(d, absent_days=d.absent_days + extra, clauses=_merge(d.clauses, ("P7.10",)),
                                      decisions=d.decisions + ((conv,) if self.explain else ()))
                before = total
        absent = dated_total + converted
        personal = sick = 0
        for i, v in verdicts.items():
            if days[i].status == p7.LEAVE:
                if v.kind == p7.PERSONAL:
                    personal += 1
                elif v.kind == p7.SICK:
                    sick += 1
        deduction = _ZERO
        if absent:
            ded = self._deduction("P7.12", absent, entry.base_salary)
            deduction += Decimal(ded.value)
            month_decisions.append(ded)
        if self.p11 and late_count:
            ded = self._deduction("P11.7", late_count, entry.base_salary)
            deduction += Decimal(ded.value)
            month_decisions.append(ded)
        bonus_key = (absent, late_count + early_count, personal, sick)
        bonus = self._bonus_memo.get(bonus_key)
        if bonus is None:
            attendance = p7.MonthAttendance(absent, late_count + early_count, Decimal(personal), Decimal(sick))
            bonus = self._bonus_memo[bonus_key] = p7.full_attendance_bonus(attendance, self.params)
        month_decisions.append(bonus)
        actions: list[ProposedAction] = []
        prior_days = prior.year_absent_days if prior is not None else _ZERO
        run = prior.trailing_absent_run if prior is not None else 0
        if (dated_any or converted or prior_days or run) and (
                self.explain or self._may_discipline_totals(absent, full, prior_days, run)):
            dated = [p7.AbsenceDay(self.dates[i], core.absence) for i, core in cores if core.absence]
            decision = self._discipline(dated, converted, prior_days, run)
            month_decisions.append(decision)
            if decision.value in (p7.SUSPENSION, p7.DISMISSAL):
                actions.append(ProposedAction(str(decision.value), decision.clauses, decision))
        summary = Summary(late_count, early_count, absent, fines, deduction, bool(bonus.value), actions, personal, sick,
                          prior_days + absent, tuple(month_decisions) if self.explain else ())
        return PersonMonth(entry.person_id, entry, days, summary, self.provisional)

    def _conversion(self, rank: str, count: int) -> Decision:
        """``p7.manager_lateness_to_absence`` for a count, memoized (it depends on rank and count only)."""
        key = (rank, count)
        decision = self._conversion_memo.get(key)
        if decision is None:
            decision = p7.manager_lateness_to_absence(p7.ManagerLateness(rank, count), self.params)
            self._conversion_memo[key] = decision
        return decision

    def _deduction(self, clause: str, amount: Decimal | int, base: Decimal) -> Decision:
        """``p7.absence_deduction`` (P7.12, ``amount`` days) or ``p11.lateness_deduction`` (P11.7,
        ``amount`` latenesses), memoized: many people share a salary and a count."""
        key = (clause, amount, base)
        decision = self._deduction_memo.get(key)
        if decision is None:
            if clause == "P7.12":
                decision = p7.absence_deduction(p7.AbsenceDeduction(Decimal(amount), base), self.params)
            else:
                decision = p11.lateness_deduction(p11.LatenessMonth(base, int(amount)), self.params)
            self._deduction_memo[key] = decision
        return decision

    def _may_discipline(self, dated: list[p7.AbsenceDay], converted: Decimal, prior_days: Decimal, run: int) -> bool:
        """False only when ``p7.discipline`` (with the extensions of ``_discipline``) is sure to propose
        nothing: every cumulative total is under its threshold and there are too few full days for a
        run long enough. Conservative (a test checks it against the rule); saves the rule's cost for
        the many people with a half day or a single day of absenteeism."""
        month_total = sum((a.days for a in dated), _ZERO) + converted
        full = sum(1 for a in dated if a.days >= 1)
        return self._may_discipline_totals(month_total, full, prior_days, run)

    def _may_discipline_totals(self, month_total: Decimal, full: int, prior_days: Decimal, run: int) -> bool:
        """:meth:`_may_discipline` from the month's total days of absenteeism (dated and converted) and
        its number of full days, memoized."""
        key = (month_total, full, prior_days, run)
        may = self._discipline_memo.get(key)
        if may is None:
            may = self._discipline_memo[key] = self._may_discipline_uncached(month_total, full, prior_days, run)
        return may

    def _may_discipline_uncached(self, month_total: Decimal, full: int, prior_days: Decimal, run: int) -> bool:
        params = self.params
        year_total = month_total + max(prior_days, Decimal(run))
        if params["p7.dismissal_basis"].value == "P7.3":
            thresholds = [(params["p7.p73_dismissal_cumulative_days"], year_total),
                          (params["p7.p73_dismissal_consecutive_days"], full + run)]
        else:
            thresholds = [(params["p7.suspension_monthly_cumulative_days"], month_total),
                          (params["p7.dismissal_yearly_cumulative_days"], year_total),
                          (params["p7.suspension_consecutive_days"], full),
                          (params["p7.dismissal_consecutive_days"], full + run)]
        return any(p.holds(x) for p, x in thresholds)

    def _discipline(self, dated: list[p7.AbsenceDay], converted: Decimal, prior_days: Decimal, run: int) -> Decision:
        """``p7.discipline`` on the month's dated absenteeism plus the run carried in from last month;
        then the undated days (earlier months' remainder, managers' converted days) added to the
        cumulative totals — they count toward "3 in a month" / "5 in a year" but form no run."""
        params = self.params
        carried: list[p7.AbsenceDay] = []
        d = self.first
        for _ in range(max(run, 0)):
            d, _p = self.calendar.previous_working_day(d)
            carried.append(p7.AbsenceDay(d, Decimal(1)))
        in_year = sum((a.days for a in carried if a.date.year == self.first.year), _ZERO)
        undated_prior = max(prior_days - in_year, _ZERO)
        decision = p7.discipline(carried[::-1] + dated, self.last, params, self.calendar)
        if not (undated_prior or converted):
            return decision
        facts = dict(decision.facts)
        args = dict(decision.reason_args)
        month_total = Decimal(str(facts["month_total"])) + converted
        year_total = Decimal(str(facts["year_total"])) + converted + undated_prior
        facts.update(month_total=p7.num(month_total), year_total=p7.num(year_total),
                     prior_year_days=p7.num(prior_days), manager_lateness_days=p7.num(converted))
        if decision.value == p7.DISMISSAL:
            return replace(decision, facts=facts)
        basis = params["p7.dismissal_basis"]
        if basis.value == "P7.3":
            cum = params["p7.p73_dismissal_cumulative_days"]
            total = Decimal(str(facts["window_total"])) + converted + undated_prior
            facts["window_total"] = p7.num(total)
            if cum.holds(total):
                return replace(decision, value=p7.DISMISSAL, facts=facts, params=(*decision.params, cum.use()),
                               reason=gettext_noop("累积旷工 %(total)s 天，达到 %(limit)s 天，建议解除劳动合同（视为开除），不予任何补偿"),
                               reason_args={**args, "total": p7.num(total), "limit": p7.num(cum.value)})
            return replace(decision, facts=facts, reason_args={**args, "total": p7.num(total)})
        d_year = params["p7.dismissal_yearly_cumulative_days"]
        s_month = params["p7.suspension_monthly_cumulative_days"]
        if d_year.holds(year_total):
            return replace(decision, value=p7.DISMISSAL, facts=facts, params=(params["p7.dismissal_basis"].use(), d_year.use()),
                           reason=gettext_noop("%(year)s 年内累计旷工 %(total)s 天，达到 %(limit)s 天以上，建议开除"),
                           reason_args={**args, "total": p7.num(year_total), "limit": p7.num(d_year.value)})
        if decision.value == p7.SUSPENSION:
            return replace(decision, facts=facts)
        if s_month.holds(month_total):
            reason = gettext_noop("%(month)s 月内累计旷工 %(total)s 天，达到 %(limit)s 天，建议停职反省，停职期间停发工资及奖金")
            return replace(decision, value=p7.SUSPENSION, facts=facts, params=(basis.use(), s_month.use()), reason=reason,
                           reason_args={**args, "total": p7.num(month_total), "limit": p7.num(s_month.value)})
        return replace(decision, facts=facts,
                       reason_args={**args, "total": p7.num(month_total), "year_total": p7.num(year_total)})


def _group_punches(punches: Iterable[Punch] | Mapping[str, Sequence[dt.datetime]] | PunchStamps,
                   ids: Mapping[str, RosterEntry]) -> dict[str, list[int]]:
    """Person id → punch times as :func:`stamp` integers, for the people on the roster."""
    if isinstance(punches, PunchStamps):
        return {pid: punches.get(pid, []) for pid in ids}
    out: dict[str, list[int]] = {pid: [] for pid in ids}
    try:
        if isinstance(punches, Mapping):
            for pid, times in cast(Mapping[str, Sequence[dt.datetime]], punches).items():
                lst = out.get(pid)
                if lst is not None:
                    lst.extend([(t - _EPOCH) // _ONE_US for t in times])
        else:
            for p in punches:
                lst = out.get(p.person_id)
                if lst is not None:
                    lst.append((p.at - _EPOCH) // _ONE_US)
    except TypeError:
        raise ValueError("punch times must be local (naive) datetimes") from None
    return out


def evaluate_month(
    month: str,
    roster: Iterable[RosterEntry],
    punches: Iterable[Punch] | Mapping[str, Sequence[dt.datetime]] | PunchStamps,
    leaves: Iterable[LeaveRecord] = (),
    exceptions: Iterable[AttendanceException] = (),
    *,
    rules: RuleSet = "P7",
    params: ParamSet | None = None,
    calendar: WorkCalendar | None = None,
    prior: Mapping[str, PriorCounts] | None = None,
    explain: bool = False,
    as_of: dt.date | None = None,
) -> MonthResult:
    """Evaluate one month ("YYYY-MM") for everyone on ``roster`` (in roster order).

    ``punches``: :class:`Punch` objects, a mapping person id → datetimes (a ``values_list`` query), or
    :class:`PunchStamps` (the CSV reader's integers). Punches, leave and exceptions of people not
    on the roster are ignored. ``params`` default to the shipped rulebook in force on the month's
    first day, ``calendar`` to the ``chinese_calendar`` seed. ``prior`` carries year-to-date counts per
    person id. ``explain`` keeps each day's and month's decisions (pages; slower), otherwise a fast
    path computes the same values. ``as_of``: the day the month is looked at — a sick note whose
    deadline is still open is pending (the leave stands) rather than missing; None evaluates as final.
    Raises ``ValueError`` for inputs that break the types' contracts (unknown rank, leave status …).
    """
    year, mon = parse_month(month)
    first = dt.date(year, mon, 1)
    ev = _Evaluator(month, rules, params if params is not None else attendance_params(first),
                    calendar if calendar is not None else default_calendar(), explain, as_of)
    entries = list(roster)
    ids: dict[str, RosterEntry] = {}
    for e in entries:
        if e.person_id in ids:
            raise ValueError(f"person {e.person_id!r} is on the roster twice")
        if e.rank not in p7.RANKS:
            raise ValueError(f"person {e.person_id!r}: unknown rank {e.rank!r}; expected one of {list(p7.RANKS)}")
        ids[e.person_id] = e
    stamps = _group_punches(punches, ids)
    by_person: dict[str, list[LeaveRecord]] = {}
    for rec in leaves:
        if rec.person_id in ids:
            by_person.setdefault(rec.person_id, []).append(rec)
    everyone: set[int] = set()
    own: dict[str, set[int]] = {}
    for x in exceptions:
        if not (ev.first <= x.date <= ev.last):
            continue
        i = (x.date - ev.first).days
        if x.person_id is None or x.person_id == "":
            everyone.add(i)
        else:
            own.setdefault(x.person_id, set()).add(i)
    prior = prior or {}
    people = [ev.person(e, stamps[e.person_id], by_person.get(e.person_id, []), own.get(e.person_id, set()), everyone,
                        prior.get(e.person_id)) for e in entries]
    return MonthResult(month, rules, people, ev.provisional)


def write_json(result: MonthResult, write: Callable[[str], object]) -> None:
    """Write ``json.dumps(result.to_json(), ensure_ascii=False)`` through ``write`` in pieces, without
    building the whole document (days shared between people are encoded once)."""
    write('{"month": ' + json.dumps(result.month) + ', "people": [')
    write_people_json(result.people, write)
    write("]}")


def write_people_json(people: Sequence[PersonMonth], write: Callable[[str], object], *, chunk: int = 200) -> None:
    """The people of a result as JSON array items joined by ", " (no brackets), in pieces: exactly
    ``json.dumps(person.to_json(), ensure_ascii=False)`` for each, but a day object shared between
    people (the fast path's) is encoded once, and so is a summary equal to one already encoded."""
    dumps = json.dumps
    quote = _encode_basestring
    day_texts: dict[int, str] = {}
    day_text = day_texts.get
    summary_texts: dict[tuple[Any, ...], str] = {}
    parts: list[str] = []
    for n, person in enumerate(people):
        days = person.days
        texts = list(map(day_text, map(id, days)))
        if None in texts:
            for k, day in enumerate(days):
                if texts[k] is None:
                    texts[k] = day_texts[id(day)] = day_text(id(day)) or dumps(day.to_json(), ensure_ascii=False)
        s = person.summary
        # Equal amounts give equal text, except a negative zero ("-0.00"): such a summary is not shared.
        key = None if s.actions or s.fines_yuan.is_signed() or s.deduction_yuan.is_signed() else (
            s.late_count, s.early_count, s.absent_days, s.fines_yuan, s.deduction_yuan, s.full_attendance_bonus)
        summary = summary_texts.get(key) if key is not None else None
        if summary is None:
            summary = dumps(s.to_json(), ensure_ascii=False)
            if key is not None:
                summary_texts[key] = summary
        parts += ('{"person_id": ' if n == 0 else ', {"person_id": ', quote(person.person_id), ', "days": [',
                  ", ".join(cast(list[str], texts)), '], "summary": ', summary, "}")
        if len(parts) >= 7 * chunk:
            write("".join(parts))
            parts = []
    if parts:
        write("".join(parts))
