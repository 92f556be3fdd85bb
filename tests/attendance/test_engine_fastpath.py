"""The engine's fast path agrees with the per-day rules on random months.

``evaluate_month(..., explain=False)`` decides each distinct shape of day once, on a canonical day,
and reuses the outcome; ``explain=True`` calls ``p7.day_status`` / ``p11.lateness`` / ``p7.fine`` …
on every real day with its real punches and dates. Both must give the same days and summaries, under
both rule sets and with unusual parameters; and every decision must render its explanation.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils.translation import override

from zhidu.attendance.engine import (
    AttendanceException,
    LeaveRecord,
    MonthResult,
    PriorCounts,
    Punch,
    RosterEntry,
    _Evaluator,
    attendance_params,
    default_calendar,
    evaluate_month,
)
from zhidu.rulebook.params import ParamSet
from zhidu.rulebook.rules import p7

SHIFTS = [("08:30", "17:30"), ("07:00", "15:00"), ("15:00", "23:00"), ("22:00", "06:00"), ("23:30", "07:30"),
          ("00:00", "08:00"), ("09:00", "09:00")]
KINDS = ["sick", "personal", "marriage", "maternity", "prenatal", "home_visit"]


def random_month(seed: int, month: str, people: int = 60) -> tuple[list[RosterEntry], list[Punch], list[LeaveRecord],
                                                                    list[AttendanceException], dict[str, PriorCounts]]:
    rng = random.Random(seed)
    year, mon = int(month[:4]), int(month[5:])
    first = dt.date(year, mon, 1)
    days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == mon]
    roster, punches, leaves, excs, prior = [], [], [], [], {}
    for n in range(people):
        start, end = rng.choice(SHIFTS)
        pid = f"P{n}"
        hired = rng.choice([dt.date(2015, 3, 1), dt.date(year - 1, mon, 15), first + dt.timedelta(days=rng.randrange(20))])
        e = RosterEntry(pid, pid, rng.choice(p7.RANKS), hired, rng.choice("FM"),
                        dt.date(rng.randrange(1970, 2004), rng.randrange(1, 13), rng.randrange(1, 28)),
                        Decimal(rng.randrange(2000, 9000)), dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        roster.append(e)
        absent_rate = rng.choice([0.0, 0.02, 0.2, 0.5])
        for d in [first - dt.timedelta(days=1), *days]:
            s = dt.datetime.combine(d, e.shift_start)
            t = dt.datetime.combine(d, e.shift_end)
            if t <= s:
                t += dt.timedelta(days=1)
            r = rng.random()
            if r < absent_rate:
                continue
            jitter = [rng.randrange(-40 * 60, 70 * 60), rng.randrange(-70 * 60, 40 * 60)]
            if rng.random() < 0.3:  # whole minutes, exactly on the thresholds sometimes
                jitter = [rng.choice([0, 29, 30, 31, 59, 60, 61]) * 60, -rng.choice([0, 29, 30, 31, 60]) * 60]
            stamps = [s + dt.timedelta(seconds=jitter[0]), t + dt.timedelta(seconds=jitter[1])]
            if rng.random() < 0.05:
                stamps = stamps[:1] if rng.random() < 0.5 else stamps[1:]
            if rng.random() < 0.05:
                stamps.append(stamps[0] + dt.timedelta(minutes=rng.randrange(1, 120)))  # a stray extra punch
            punches += [Punch(pid, x) for x in stamps]
        for _ in range(rng.choice([0, 0, 1, 2])):
            d0 = rng.choice(days)
            d1 = d0 + dt.timedelta(days=rng.randrange(0, 6))
            kind = rng.choice(KINDS)
            shift = dt.datetime.combine(d0, e.shift_start)
            leaves.append(LeaveRecord(
                pid, kind, d0, d1, rng.choice(["approved", "approved", "pending", "rejected"]),
                requested_at=rng.choice([None, shift - dt.timedelta(hours=rng.randrange(-5, 100))]),
                notified_at=rng.choice([None, shift - dt.timedelta(minutes=rng.choice([30, 59, 60, 61, 600]))]),
                certificate_at=rng.choice([None, shift + dt.timedelta(days=rng.randrange(0, 4))]),
                special_reason=rng.random() < 0.2))
        if rng.random() < 0.3:
            prior[pid] = PriorCounts(pid, Decimal(rng.randrange(0, 12)) / 2, rng.randrange(0, 9), rng.randrange(0, 5))
        if rng.random() < 0.1:
            excs.append(AttendanceException(rng.choice(days), pid, "指纹无法识别"))
    excs.append(AttendanceException(rng.choice(days), None, "停电"))
    return roster, punches, leaves, excs, prior


def assert_same(fast: MonthResult, slow: MonthResult) -> None:
    assert fast.to_json() == slow.to_json()
    assert fast.provisional == slow.provisional
    for pf, ps in zip(fast.people, slow.people, strict=True):
        assert [d.fine_yuan for d in pf.days] == [d.fine_yuan for d in ps.days]
        assert [d.provisional for d in pf.days] == [d.provisional for d in ps.days]
        sf, ss = pf.summary, ps.summary
        assert (sf.personal_leave_days, sf.sick_leave_days, sf.year_absent_days) == (
            ss.personal_leave_days, ss.sick_leave_days, ss.year_absent_days)
        assert [a.decision.as_dict() for a in sf.actions] == [a.decision.as_dict() for a in ss.actions]
        assert all(d.decisions for d in ps.days)


def render_everything(result: MonthResult) -> int:
    n = 0
    for lang in ("zh-hans", "en"):
        with override(lang):
            for p in result.people:
                for d in p.days:
                    n += len(d.explanations())
                n += len([x.explain() for x in p.summary.decisions])
    return n


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rules", ["P7", "P11"])
def test_fast_path_agrees_with_the_rules_day_by_day(seed: int, rules: str) -> None:
    month = ["2026-06", "2026-10", "2026-02", "2027-03", "2025-12", "2026-01"][seed]
    roster, punches, leaves, excs, prior = random_month(seed, month)
    kwargs = {"rules": rules, "prior": prior}
    fast = evaluate_month(month, roster, punches, leaves, excs, **kwargs)  # type: ignore[arg-type]
    slow = evaluate_month(month, roster, punches, leaves, excs, explain=True, **kwargs)  # type: ignore[arg-type]
    assert_same(fast, slow)
    assert render_everything(slow) > 0
    # the sample is not trivial: it has every status and proposals
    statuses = {d.status for p in fast.people for d in p.days}
    assert {"present", "rest", "absent", "half_absent", "leave", "exception"} <= statuses
    assert any(p.summary.actions for p in fast.people)


OVERRIDES = [
    {"p7.grace_minutes": 5, "p7.early_half_day_inclusive": True, "p7.fine_also_when_half_day": True},
    {"p7.single_punch_absence_days": Decimal(1), "p7.manager_lateness_window": "calendar_year",
     "p7.dismissal_basis": "P7.3", "p7.sick_note_day_kind": "working_day"},
    {"p7.lateness_loses_bonus": False, "p7.sick_leave_keeps_bonus": False, "p7.manager_lateness_per_absence": 2,
     "p11.lateness_deduction_mode": "all_at_5_once_3", "p11.grace_minutes": 3},
]


@pytest.mark.parametrize("overrides", OVERRIDES)
@pytest.mark.parametrize("rules", ["P7", "P11"])
def test_fast_path_agrees_under_other_parameters(overrides: dict[str, object], rules: str) -> None:
    params = attendance_params(dt.date(2026, 6, 1)).with_overrides(overrides)
    roster, punches, leaves, excs, prior = random_month(99, "2026-06", people=40)
    kwargs = {"rules": rules, "prior": prior, "params": params}
    fast = evaluate_month("2026-06", roster, punches, leaves, excs, **kwargs)  # type: ignore[arg-type]
    slow = evaluate_month("2026-06", roster, punches, leaves, excs, explain=True, **kwargs)  # type: ignore[arg-type]
    assert_same(fast, slow)


@pytest.mark.parametrize("basis", ["P7.12", "P7.3"])
def test_the_discipline_shortcut_never_skips_a_proposal(basis: str) -> None:
    """``_may_discipline`` may say True too often, never False when ``_discipline`` would propose."""
    params: ParamSet = attendance_params(dt.date(2026, 6, 1)).with_overrides({"p7.dismissal_basis": basis})
    ev = _Evaluator("2026-06", "P7", params, default_calendar(), False, None)
    working = [d for d in ev.dates if ev.working[d.day - 1]]
    rng = random.Random(3)
    checked = 0
    for _ in range(3000):
        chosen = sorted(rng.sample(working, rng.randrange(0, 5)))
        dated = [p7.AbsenceDay(d, rng.choice([Decimal("0.5"), Decimal(1)])) for d in chosen]
        converted = Decimal(rng.choice([0, 0, 1, 2]))
        prior_days = Decimal(rng.randrange(0, 10)) / 2
        run = rng.choice([0, 0, 1, 2, 4])
        if not (dated or converted or prior_days or run):
            continue
        outcome = ev._discipline(dated, converted, prior_days, run).value
        if not ev._may_discipline(dated, converted, prior_days, run):
            assert outcome == p7.NONE, (dated, converted, prior_days, run)
            checked += 1
    assert checked > 100
