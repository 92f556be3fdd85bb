"""Benchmark: the attendance month close from the database (issue 5 target: 10,000 people ≤ 10 s).

Run:  .venv/bin/python bench/bench_month_close.py [--people 10000] [--month 2026-03] [--baseline-sample 200] [--keep DIR]

Builds a fresh file SQLite database (the real schema, by ``migrate``) in a temporary data directory and
fills it with the inputs of ``bench/gen_attendance.py`` (the CLI benchmark's generator, same seed): one
hotel unit adopting P7, ``--people`` employees with their ranks and salaries, four shifts (an overnight
one included; the 08:30–17:30 default, the others by roster assignment), ≈ 44 punches per person, leave
of every kind and status, and duty-officer exceptions (one unit-wide day). Then, in the same run:

* ``services.close_month(SYSTEM, unit, month)`` — first close (stores every person-day and person-month,
  posts fines, deductions and bonus losses to the sanctions ledger, proposes suspensions/dismissals),
  with its stages timed;
* the same close again (nothing changed: it must post nothing);
* the ledger baseline: ``--single-sample`` of the posted entries posted again one ``post_entry`` each
  (under another source module), scaled to all of them;
* the baseline: the per-person-per-day ORM approach the peers take (for each person and day: query the
  day's punches, leave and exceptions, decide with ``p7.day_status``, save the day's row) on a sample of
  ``--baseline-sample`` people, scaled to everyone;
* a consistency check: the stored month summaries equal ``engine.evaluate_month`` on the generator's
  CSV files (the ``zhidu attendance evaluate`` path, no database).

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

EPOCH = dt.datetime(1, 1, 1)


def _single_baseline(month: str, sample: int) -> tuple[float, int]:
    """The ledger baseline in the same run: the first ``sample`` money entries of the close posted again
    one by one with ``post_entry`` (the per-entry path the close used before ``post_entries``), under
    another source module so that each is a new entry, in transactions of 200 as the close did."""
    from django.db import transaction

    from zhidu.org.access import SYSTEM
    from zhidu.rulebook.decision import Decision
    from zhidu.sanctions import services as ledger
    from zhidu.sanctions.models import LedgerEntry

    rows = list(LedgerEntry.objects.filter(source_module="attendance", period=month, adjusts__isnull=True,
                                           amount__isnull=False).select_related("person", "unit").order_by("id")[:sample])
    t = time.perf_counter()
    for i in range(0, len(rows), 200):
        with transaction.atomic():
            for e in rows[i:i + 200]:
                ledger.post_entry(SYSTEM, person=e.person, unit=e.unit, kind=e.kind, period=e.period, amount=e.amount,
                                  decision=Decision.from_dict(e.decision or {}), source_module="bench-single",
                                  source_key=e.source_key, period_start=e.period_start, period_end=e.period_end)
    return time.perf_counter() - t, len(rows)


def _setup(data_dir: Path) -> None:
    os.environ["ZHIDU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _populate(csv_dir: Path, month: str) -> dict[str, Any]:
    """The generator's CSV inputs as database rows (bulk inserts; not part of the timed close)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from zhidu.attendance import csvio
    from zhidu.attendance.models import (
        DutyException,
        ExceptionReason,
        LeaveRequest,
        LeaveStatus,
        PunchSource,
        RosterAssignment,
        Shift,
    )
    from zhidu.org import services as org_services
    from zhidu.org.access import SYSTEM
    from zhidu.org.models import Employment, Person, UnitKind

    problems: list[Any] = []
    roster = csvio.read_roster(csv_dir / "roster.csv", problems)
    known = {e.person_id: e for e in roster}
    stamps = csvio.read_punches(csv_dir / "punches.csv", known, problems)
    leaves = csvio.read_leaves(csv_dir / "leaves.csv", known, problems)
    exceptions = csvio.read_exceptions(csv_dir / "exceptions.csv", known, problems)
    assert not problems, problems[:5]

    root = org_services.create_organization(SYSTEM, code="bench", name="基准县")
    unit = org_services.create_unit(SYSTEM, parent=root, code="hotel", name="基准酒店", kind=UnitKind.COMPANY)
    org_services.adopt_regulation(SYSTEM, unit, code="P7", adopted_on=dt.date(2020, 1, 1))
    tz = timezone.get_default_timezone()
    first = dt.date.fromisoformat(f"{month}-01")
    with transaction.atomic():
        people = Person.objects.bulk_create([
            Person(organization_id=root.organization_id, name=e.name, gender=e.gender, birth_date=e.birth_date)
            for e in roster], batch_size=2000)
        ids = {e.person_id: p.pk for e, p in zip(roster, people, strict=True)}
        Employment.objects.bulk_create([
            Employment(person_id=ids[e.person_id], unit=unit, rank=e.rank, hired_on=e.hired_on or dt.date(2020, 1, 1),
                       base_salary=e.base_salary) for e in roster], batch_size=2000)
        shifts: dict[tuple[dt.time, dt.time], Shift] = {}
        for e in roster:
            key = (e.shift_start, e.shift_end)
            if key not in shifts:
                default = key == (dt.time(8, 30), dt.time(17, 30))
                shifts[key] = Shift.objects.create(unit=unit, code=f"s{len(shifts)}", name=f"{key[0]:%H:%M}–{key[1]:%H:%M}",
                                                   start=key[0], end=key[1], is_default=default)
        RosterAssignment.objects.bulk_create([
            RosterAssignment(person_id=ids[e.person_id], unit=unit, shift=shifts[(e.shift_start, e.shift_end)],
                             valid_from=first) for e in roster if not shifts[(e.shift_start, e.shift_end)].is_default],
            batch_size=2000)
        adapt = connection.ops.adapt_datetimefield_value
        now = timezone.now()
        sql = ("INSERT INTO attendance_punch (person_id, unit_id, at, source, device, reason, created_at) "
               "VALUES (%s, %s, %s, %s, %s, %s, %s)")
        batch: list[tuple[Any, ...]] = []
        n_punches = 0
        with connection.cursor() as cur:
            for pid, times in stamps.items():
                for t in times:
                    at = (EPOCH + dt.timedelta(microseconds=t)).replace(tzinfo=tz)
                    batch.append((ids[pid], unit.pk, adapt(at), PunchSource.MACHINE_CSV, "M1", "", adapt(now)))
                if len(batch) >= 20_000:
                    cur.executemany(sql, batch)
                    n_punches += len(batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
                n_punches += len(batch)
        status = {"approved": LeaveStatus.APPROVED, "pending": LeaveStatus.PENDING, "rejected": LeaveStatus.REJECTED}
        LeaveRequest.objects.bulk_create([
            LeaveRequest(person_id=ids[lv.person_id], unit=unit, kind=lv.kind, start_date=lv.start, end_date=lv.end,
                         days=Decimal((lv.end - lv.start).days + 1), status=status[lv.status],
                         requested_at=(lv.requested_at or dt.datetime.combine(lv.start, dt.time(0))).replace(tzinfo=tz),
                         requested_by_id=ids[lv.person_id],
                         notified_at=lv.notified_at.replace(tzinfo=tz) if lv.notified_at else None,
                         certificate_at=lv.certificate_at.replace(tzinfo=tz) if lv.certificate_at else None,
                         hospital_certificate=lv.kind == "prenatal" and lv.certificate_at is not None)
            for lv in leaves], batch_size=1000)
        for x in exceptions:
            start = dt.datetime.combine(x.date, dt.time(7, 0), tzinfo=tz)
            row = DutyException.objects.create(unit=unit, start=start, end=start + dt.timedelta(hours=2),
                                               reason=ExceptionReason.POWER_CUT if x.person_id is None
                                               else ExceptionReason.FINGERPRINT)
            if x.person_id is not None:
                row.people.add(ids[x.person_id])
    return {"unit": unit, "ids": ids, "roster": roster, "stamps": stamps, "leaves": leaves, "exceptions": exceptions,
            "punches": n_punches}


def _baseline(unit: Any, month: str, sample: int) -> tuple[float, int]:
    """The per-person-per-day ORM approach (one query per kind of input and one save per person-day)."""
    from django.db import transaction
    from django.utils import timezone

    from zhidu.attendance import selectors
    from zhidu.attendance.models import DayResult, DutyException, LeaveRequest, LeaveStatus, Punch
    from zhidu.calendar.selectors import work_calendar
    from zhidu.rulebook.rules import p7
    from zhidu.rulebook.selectors import params_for

    first, last = selectors.parse_period(month)
    tz = timezone.get_default_timezone()
    cal = work_calendar()
    emps = selectors.people_of(unit, first, last)[:sample]
    t0 = time.perf_counter()
    n = 0
    with transaction.atomic():
        params = params_for(unit, first)
        for emp in emps:
            shift = selectors.shift_on(emp.person, first, unit)
            d = first
            while d <= last:
                lo = dt.datetime.combine(d, shift.start, tzinfo=tz) - dt.timedelta(hours=4)
                hi = lo + dt.timedelta(hours=24)
                times = list(Punch.objects.filter(person=emp.person, at__gte=lo, at__lt=hi).order_by("at")
                             .values_list("at", flat=True))
                leave = LeaveRequest.objects.filter(person=emp.person, start_date__lte=d, end_date__gte=d).first()
                exc = DutyException.objects.filter(unit=unit, start__date__lte=d, end__date__gte=d).exists()
                day = p7.day_status(p7.WorkDay(
                    d, shift.start, shift.end, punch_in=times[0].astimezone(tz) if times else None,
                    punch_out=times[-1].astimezone(tz) if len(times) > 1 else None,
                    leave=("approved" if leave.status == LeaveStatus.APPROVED else "unapproved") if leave else None,
                    exception=exc, rank=emp.rank), params, cal)
                DayResult.objects.update_or_create(person=emp.person, date=d, defaults={
                    "unit": emp.unit, "status": day.value, "clauses": list(day.clauses),
                    "absent_days": Decimal(str(day.facts["absence_days"])),
                    "why": [{"reason": day.reason, "args": dict(day.reason_args)}]})
                n += 1
                d += dt.timedelta(days=1)
    return time.perf_counter() - t0, len(emps)


def _check(data: dict[str, Any], month: str) -> int:
    """The stored summaries equal the engine on the CSV inputs (the CLI's path, no database)."""
    from zhidu.attendance import engine
    from zhidu.attendance.models import MonthSummary
    from zhidu.calendar.selectors import work_calendar
    from zhidu.rulebook.selectors import params_for

    first = dt.date.fromisoformat(f"{month}-01")
    result = engine.evaluate_month(month, data["roster"], data["stamps"], data["leaves"], data["exceptions"],
                                   rules="P7", params=params_for(data["unit"], first), calendar=work_calendar(),
                                   as_of=dt.date.today())
    ids = data["ids"]
    stored = {s.person_id: s for s in MonthSummary.objects.filter(period=month)}
    mismatches = 0
    for pm in result.people:
        s = stored[ids[pm.person_id]]
        want = pm.summary
        got = (s.late_count, s.early_count, s.absent_days, s.fines, s.deductions, s.full_attendance_bonus,
               [a["action"] for a in s.actions])
        exp = (want.late_count, want.early_count, want.absent_days, want.fines_yuan, want.deduction_yuan,
               want.full_attendance_bonus, [a.action for a in want.actions])
        mismatches += got != exp
    return mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--month", default="2026-03")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--bonus", default="100", help="full-attendance bonus (yuan) posted as a loss; 0: none")
    parser.add_argument("--results-only", action="store_true", help="time the results step only (profiling)")
    parser.add_argument("--single-sample", type=int, default=1000,
                        help="entries posted again one by one with post_entry (the ledger baseline)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first close")
    parser.add_argument("--keep", help="build the database in this directory and keep it")
    args = parser.parse_args()

    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="zhidu-bench-close-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        _setup(data_dir)
        import gen_attendance
        from zhidu.attendance import services
        from zhidu.attendance.models import DayResult, MonthSummary
        from zhidu.org.access import SYSTEM
        from zhidu.sanctions.models import LedgerEntry

        csv_dir = data_dir / "csv"
        gen = gen_attendance.generate(csv_dir, args.people, args.month, args.seed)
        data = _populate(csv_dir, args.month)
        unit = data["unit"]
        if Decimal(args.bonus):
            services.set_policy(SYSTEM, unit, full_attendance_bonus=Decimal(args.bonus))
        build_s = time.perf_counter() - t0

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            first = prof.runcall(services.close_month, SYSTEM, unit, args.month, post_ledger=False)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        else:
            first = services.close_month(SYSTEM, unit, args.month, post_ledger=False)
        first_s = time.perf_counter() - t
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.results_only:
            print(f"results: {first_s:.2f} s", {k: round(v, 2) for k, v in first.timings.items()})
            return
        t = time.perf_counter()
        counts, proposed = services.sync_ledger(unit, args.month)
        ledger_s = time.perf_counter() - t
        posted = sum(counts.values())
        t = time.perf_counter()
        again = services.close_month(SYSTEM, unit, args.month)
        again_s = time.perf_counter() - t
        assert again.ledger == {} and again.proposed == 0, (again.ledger, again.proposed)
        mismatches = _check(data, args.month)
        single_s, single_n = _single_baseline(args.month, args.single_sample)
        single_total = single_s * posted / max(single_n, 1)
        base_s, sampled = _baseline(unit, args.month, args.baseline_sample)
        base_total = base_s * args.people / max(sampled, 1)
        db_mb = (data_dir / "zhidu.sqlite3").stat().st_size / 1e6

        print(f"Machine: {platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {args.month}: "
              f"{gen['people']:,} people, {data['punches']:,} punches, {gen['leaves']} leaves, "
              f"{gen['exceptions']} exception rows; database {db_mb:,.0f} MB, built in {build_s:,.0f} s")
        print()
        print("| measurement | value |")
        print("| --- | ---: |")
        print(f"| **month close, results**: `close_month(…, post_ledger=False)` (people / person-days stored) | "
              f"**{first_s:.2f} s** ({first.people:,} / {first.days:,}) |")
        for stage, secs in first.timings.items():
            print(f"| · {stage} | {secs:.2f} s |")
        print(f"| peak resident memory (before → after) | {rss_before:,.0f} → {peak_mb:,.0f} MB |")
        print(f"| first posting to the ledger: `sync_ledger` — {posted:,} entries (`post_entries`, batches of 2,000) "
              f"+ {proposed:,} proposals (`propose_action`) | "
              f"{ledger_s:.2f} s ({ledger_s / max(posted + proposed, 1) * 1000:.2f} ms each) |")
        print(f"| **month close + first posting** (results + `sync_ledger`) | **{first_s + ledger_s:.2f} s** |")
        print(f"| ledger baseline: one `post_entry` each, {single_n:,} entries in {single_s:.1f} s, scaled to {posted:,} | "
              f"{single_total:,.1f} s ({single_s / max(single_n, 1) * 1000:.1f} ms each) |")
        print(f"| ratio ledger baseline ÷ `post_entries` | {single_total / max(ledger_s, 1e-9):,.0f} × |")
        print(f"| whole close again, nothing changed (results + ledger check, posts nothing) | {again_s:.2f} s |")
        print(f"| baseline: per-person-per-day ORM, {sampled} people in {base_s:.1f} s, scaled to {args.people:,} | "
              f"{base_total:,.0f} s |")
        print(f"| ratio baseline ÷ results | **{base_total / first_s:,.0f} ×** |")
        print(f"| ratio baseline ÷ (results + first ledger posting) | {base_total / (first_s + ledger_s):,.1f} × |")
        print(f"| stored summaries ≠ engine on the CSV files (CLI path) | {mismatches} |")
        print(f"| rows: DayResult / MonthSummary / LedgerEntry | {DayResult.objects.count():,} / "
              f"{MonthSummary.objects.count():,} / {LedgerEntry.objects.filter(source_module='attendance').count():,} |")
        target = "met" if first_s <= 10 else "MISSED"
        print(f"\nTarget ≤ 10 s for the month close of {args.people:,} people (results): {target} ({first_s:.2f} s); "
              f"with the first ledger posting: {first_s + ledger_s:.1f} s.")
        sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
