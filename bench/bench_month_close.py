"""Benchmark: the attendance month close from the database (issue 5 target: 10,000 people ≤ 10 s, the first
posting to the sanctions ledger included).

Run:  .venv/bin/python bench/bench_month_close.py [--people 10000] [--month 2026-03] [--seed 7] [--postgres [URL]]
                                                  [--baseline-sample 200] [--single-sample 1000] [--profile] [--keep DIR]
                                                  [--src DIR]   (another copy of the sources, e.g. an earlier commit's)

Builds a fresh database (the real schema, by ``migrate``): a file SQLite database in a temporary data directory,
or with ``--postgres`` a temporary PostgreSQL database created next to URL's (default
postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end. Fills it with the inputs of
``bench/gen_attendance.py`` (the CLI benchmark's generator, same seed): one hotel unit adopting P7, ``--people``
employees with their ranks and salaries, four shifts (an overnight one included; the 08:30–17:30 default, the
others by roster assignment), ≈ 44 punches per person, leave of every kind and status, and duty-officer
exceptions (one unit-wide day); a full-attendance bonus so that bonus losses are posted too. Then, in the same run:

* ``services.close_month(SYSTEM, unit, month)`` — the first close as HR runs it: load everything from the
  database, evaluate, store every person-day and person-month, then post fines, deductions and bonus losses
  to the sanctions ledger and propose suspensions/dismissals — with its stages timed;
* the same close again (nothing changed: it must post nothing);
* checks: the stored month summaries equal ``engine.evaluate_month`` on the generator's CSV files (the
  ``zhidu attendance evaluate`` path, no database); the ledger's attendance totals equal the summaries'
  (fines, deductions, bonus losses); every audit chain verifies (``zhidu audit verify``);
* the ledger baseline: ``--single-sample`` of the posted entries posted again one ``post_entry`` each
  (under another source module), scaled to all of them;
* the baseline: the per-person-per-day ORM approach the peers take (for each person and day: query the
  day's punches, leave and exceptions, decide with ``p7.day_status``, save the day's row) on a sample of
  ``--baseline-sample`` people, scaled to everyone.

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


def _src() -> Path:
    """``--src DIR``: the sources to measure (e.g. an exported earlier commit's ``src``, for a before/after
    comparison in the same minutes); read before Django is imported."""
    for i, arg in enumerate(sys.argv):
        if arg == "--src" and i + 1 < len(sys.argv):
            return Path(sys.argv[i + 1]).resolve()
        if arg.startswith("--src="):
            return Path(arg.split("=", 1)[1]).resolve()
    return ROOT / "src"


sys.path.insert(0, str(_src()))
sys.path.insert(0, str(ROOT / "bench"))

EPOCH = dt.datetime(1, 1, 1)
CENT = Decimal("0.01")


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


def _setup(data_dir: Path, database_url: str | None = None) -> None:
    os.environ["ZHIDU_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _pg_database(url: str, create: bool, name: str) -> str:
    """Create (or drop) the temporary PostgreSQL database ``name`` on the server of ``url``; its URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return urlunsplit(parts._replace(path=f"/{name}"))


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


def _ledger_check(month: str) -> tuple[int, dict[str, tuple[Decimal, Decimal]]]:
    """The ledger's attendance amounts in force (entries and their posted adjustments) per kind, against the
    stored summaries' fines, deductions and bonus losses; the number of kinds that differ."""
    from django.db.models import Sum

    from zhidu.attendance.models import MonthSummary
    from zhidu.sanctions.models import LedgerEntry, Status

    sums = MonthSummary.objects.filter(period=month).aggregate(fine=Sum("fines"), deduction=Sum("deductions"),
                                                                 bonus_loss=Sum("bonus_lost"))
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for kind in ("fine", "deduction", "bonus_loss"):
        posted = LedgerEntry.objects.filter(source_module="attendance", period=month, kind=kind,
                                            status=Status.POSTED).aggregate(a=Sum("amount"))["a"] or Decimal(0)
        out[kind] = (Decimal(posted).quantize(CENT), Decimal(sums[kind] or 0).quantize(CENT))  # SQLite sums as REAL
    return sum(1 for a, b in out.values() if a != b), out


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
    parser.add_argument("--postgres", nargs="?", const="postgres://postgres@127.0.0.1:5432/postgres",
                        help="run on a temporary PostgreSQL database created on this server (dropped at the end)")
    parser.add_argument("--keep", help="build the data directory (SQLite database, CSV files) here and keep it")
    parser.add_argument("--src", help="measure the sources in this directory instead of the work tree's src/")
    args = parser.parse_args()

    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="zhidu-bench-close-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    pg_name = f"zhidu_bench_close_{os.getpid()}"
    database_url = _pg_database(args.postgres, True, pg_name) if args.postgres else None
    try:
        t0 = time.perf_counter()
        _setup(data_dir, database_url)
        from django.db import connection

        import gen_attendance
        from zhidu.attendance import services
        from zhidu.attendance.models import DayResult, MonthSummary
        from zhidu.audit.selectors import verify_chains
        from zhidu.org.access import SYSTEM
        from zhidu.sanctions.models import LedgerEntry

        csv_dir = data_dir / "csv"
        gen = gen_attendance.generate(csv_dir, args.people, args.month, args.seed)
        data = _populate(csv_dir, args.month)
        unit = data["unit"]
        if Decimal(args.bonus):
            services.set_policy(SYSTEM, unit, full_attendance_bonus=Decimal(args.bonus))
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        build_s = time.perf_counter() - t0

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        cpu = time.process_time()
        post = not args.results_only
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            first = prof.runcall(services.close_month, SYSTEM, unit, args.month, post_ledger=post)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        else:
            first = services.close_month(SYSTEM, unit, args.month, post_ledger=post)
        first_s = time.perf_counter() - t
        first_cpu = time.process_time() - cpu
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.results_only:
            print(f"results: {first_s:.2f} s", {k: round(v, 2) for k, v in first.timings.items()})
            return
        posted = sum(first.ledger.values())
        t = time.perf_counter()
        again = services.close_month(SYSTEM, unit, args.month)
        again_s = time.perf_counter() - t
        assert again.ledger == {} and again.proposed == 0, (again.ledger, again.proposed)
        mismatches = _check(data, args.month)
        ledger_diffs, ledger_sums = _ledger_check(args.month)
        audit = verify_chains()
        single_s, single_n = _single_baseline(args.month, args.single_sample)
        single_total = single_s * posted / max(single_n, 1)
        base_s, sampled = _baseline(unit, args.month, args.baseline_sample)
        base_total = base_s * args.people / max(sampled, 1)
        results_s = first_s - first.timings.get("ledger", 0.0)
        ledger_s = first.timings.get("ledger", 0.0)
        if connection.vendor == "postgresql":
            database = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 100}"
        else:
            database = f"SQLite {sqlite3.sqlite_version}, database {(data_dir / 'zhidu.sqlite3').stat().st_size / 1e6:,.0f} MB"
        load = os.getloadavg()

        print(f"Machine: {platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, {database}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
              f"{args.month}, seed {args.seed}: {gen['people']:,} people, {data['punches']:,} punches, {gen['leaves']} leaves, "
              f"{gen['exceptions']} exception rows; built in {build_s:,.0f} s; sources {_src()}")
        print()
        print("| measurement | value |")
        print("| --- | ---: |")
        print(f"| **first close**: `close_month(SYSTEM, unit, month)` — {first.people:,} people, {first.days:,} "
              f"person-days, {posted:,} ledger entries + {first.proposed:,} proposals | **{first_s:.2f} s** |")
        for stage, secs in first.timings.items():
            print(f"| · {stage} | {secs:.2f} s |")
        print(f"| CPU time of the benchmark's process during the first close (a loaded machine stretches the wall "
              f"time, less this){' — the PostgreSQL server works besides' if database_url else ''} | {first_cpu:.2f} s |")
        print(f"| results (load + evaluate + store) | {results_s:.2f} s |")
        print(f"| ledger per entry | {ledger_s / max(posted + first.proposed, 1) * 1000:.3f} ms |")
        print(f"| peak resident memory (before → after) | {rss_before:,.0f} → {peak_mb:,.0f} MB |")
        print(f"| whole close again, nothing changed (results + ledger check, posts nothing) | {again_s:.2f} s "
              f"({', '.join(f'{k} {v:.2f}' for k, v in again.timings.items())}) |")
        print(f"| ledger baseline: one `post_entry` each, {single_n:,} entries in {single_s:.1f} s, scaled to {posted:,} | "
              f"{single_total:,.1f} s ({single_s / max(single_n, 1) * 1000:.1f} ms each) |")
        print(f"| ratio ledger baseline ÷ ledger step | {single_total / max(ledger_s, 1e-9):,.0f} × |")
        print(f"| baseline: per-person-per-day ORM, {sampled} people in {base_s:.1f} s, scaled to {args.people:,} | "
              f"{base_total:,.0f} s |")
        print(f"| ratio baseline ÷ results | {base_total / max(results_s, 1e-9):,.0f} × |")
        print(f"| ratio baseline ÷ first close (results + ledger) | **{base_total / first_s:,.0f} ×** |")
        print(f"| stored summaries ≠ engine on the CSV files (CLI path) | {mismatches} |")
        print(f"| ledger totals ≠ summaries (fines / deductions / bonus losses: "
              f"{' / '.join(str(a) for a, _b in ledger_sums.values())} yuan) | {ledger_diffs} |")
        print(f"| audit chains verified ({audit.streams} streams, {audit.events:,} events) | "
              f"{'ok' if audit.ok else 'BROKEN: ' + str(audit.breaks[0])} |")
        print(f"| rows: DayResult / MonthSummary / LedgerEntry | {DayResult.objects.count():,} / "
              f"{MonthSummary.objects.count():,} / {LedgerEntry.objects.filter(source_module='attendance').count():,} |")
        target = "met" if first_s <= 10 else "MISSED"
        print(f"\nTarget ≤ 10 s for the first close of {args.people:,} people (results + ledger): {target} ({first_s:.2f} s).")
        sys.stdout.flush()
    finally:
        if database_url:
            from django.db import connections

            connections.close_all()
            _pg_database(args.postgres, False, pg_name)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
