"""The month evaluation engine of attendance (P7, P11.7, P10.2.3): pure, no ORM, no clock.

One entry point, :func:`evaluate_month`, used by the CLI (``zhidu attendance evaluate``), the month
close, pages and the API. Inputs are plain frozen dataclasses (:class:`RosterEntry`, :class:`Punch`,
:class:`LeaveRecord`, :class:`AttendanceException`, :class:`PriorCounts`); parameters come from a
:class:`~zhidu.rulebook.params.ParamSet` (default: the shipped rulebook), working days from a
:class:`~zhidu.calendar.rules.WorkCalendar` (default: the ``chinese_calendar`` seed).

The result explains itself day by day: every :class:`DayResult` carries its clauses, and with
``explain=True`` the :class:`~zhidu.rulebook.decision.Decision` objects of the pure rules that decided
it (``p7.day_status``, ``p7.fine``, ``p7.sick_leave_valid`` …), whose ``explain()`` is the page text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from zhidu.calendar.rules import WorkCalendar
from zhidu.rulebook.decision import Decision
from zhidu.rulebook.params import ParamSet

__all__ = [
    "AttendanceException",
    "DayResult",
    "LeaveRecord",
    "MonthResult",
    "PersonMonth",
    "PriorCounts",
    "ProposedAction",
    "Punch",
    "RosterEntry",
    "Summary",
    "evaluate_month",
]

RuleSet = Literal["P7", "P11"]

# Leave statuses of LeaveRecord.status.
APPROVED = "approved"
PENDING = "pending"
REJECTED = "rejected"
LEAVE_STATUSES = (APPROVED, PENDING, REJECTED)

_ZERO = Decimal(0)


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


@dataclass(frozen=True, slots=True)
class LeaveRecord:
    """A leave over whole days ``start``…``end`` (both included). ``kind`` ∈ ``p7.LEAVE_KINDS``;
    ``status`` ∈ approved / pending / rejected. ``requested_at`` (P7.9 in advance), ``notified_at``
    (P7.5.2 sick notice before the shift), ``certificate_at`` (P7.5.2 sick note, P7.7 pre-natal
    certificate) may be None."""

    person_id: str
    kind: str
    start: dt.date
    end: dt.date
    status: str = APPROVED
    requested_at: dt.datetime | None = None
    notified_at: dt.datetime | None = None
    certificate_at: dt.datetime | None = None


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


def evaluate_month(
    month: str,
    roster: Iterable[RosterEntry],
    punches: Iterable[Punch],
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
    """Evaluate one month ("YYYY-MM") for everyone on ``roster``.

    ``params`` default to the shipped rulebook in force on the month's first day, ``calendar`` to the
    ``chinese_calendar`` seed. ``prior`` carries year-to-date counts per person id. ``explain`` keeps
    each day's and month's decisions (pages; slower), otherwise a fast path computes the same values.
    ``as_of``: the day the month is looked at — a sick note whose deadline is still open is pending
    (the leave stands) rather than missing; None evaluates as final.
    Raises ``ValueError`` for inputs that break the types' contracts (unknown rank, kind, status …).
    """
    raise NotImplementedError
