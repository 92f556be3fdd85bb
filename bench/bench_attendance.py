"""Benchmark ``zhidu attendance evaluate`` (issue 5 target: 10,000 people × one month ≈ 440,000
punches in ≤ 3 s wall and ≤ 1 GiB peak memory, process start included) against a per-person-per-day
ORM baseline in the same run.

Run:  .venv/bin/python bench/bench_attendance.py [--people 10000] [--month 2026-03] [--runs 3]
                                                 [--baseline-people 200] [--seed 7]

1. ``bench/gen_attendance.py`` writes the CSV inputs (seeded) to a temporary directory.
2. The CLI runs end to end as a subprocess (``python -m zhidu attendance evaluate …``), ``--runs``
   times per configuration; wall time around the subprocess, peak memory as the largest sum of the
   resident sets of the process and its children (sampled from /proc every 20 ms) and the kernel's
   per-process maximum (``getrusage(RUSAGE_CHILDREN).ru_maxrss``). Configurations: the default (one
   process) and ``--jobs 2``, each without a bytecode cache (this environment sets
   PYTHONDONTWRITEBYTECODE, so every start compiles zhidu's sources) and with one (PYTHONPYCACHEPREFIX
   in a temporary directory, as an installed package has); and the full Django path the entry point
   takes for other settings (``DJANGO_SETTINGS_MODULE=zhidu.settings.base``: the same settings, every
   app set up). Every run's standard output must be the same bytes.
3. The baseline does what per-employee-day processors do (the approach of Frappe HR's attendance
   processing): the punches go into a table of a temporary SQLite database through a Django model
   (indexed on person and time), then for each person and each day of the month one ORM query
   fetches that day's punches and the day is decided by the same pure rule (``p7.day_status``,
   ``p7.lateness``/``p7.fine``), the month by ``p7.absence_deduction``, ``p7.full_attendance_bonus``
   and ``p7.discipline``. It runs on the first ``--baseline-people`` people and is extrapolated per
   person to the full roster. Its day statuses are compared with the CLI's for the people without
   leave records (they must agree).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from gen_attendance import generate  # noqa: E402

# ------------------------------------------------------------------------------------------ process


def _status(pid: int) -> tuple[int, int] | None:
    """(PPid, VmRSS kB) of a process, None when it does not exist (any more)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            ppid = kb = 0
            for line in f:
                if line.startswith("PPid:"):
                    ppid = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    kb = int(line.split()[1])
            return ppid, kb
    except OSError:
        return None


def _tree_rss_kib(root: int, span: int = 64) -> int:
    """Sum of VmRSS (kB) of ``root`` and its descendants. The CLI's children are forked right after
    it starts, so their ids follow the root's: looking at the next ``span`` ids keeps the sampler
    cheap (it shares the machine's two cores with what it measures)."""
    tree = {root}
    total = 0
    for pid in range(root, root + span):
        st = _status(pid)
        if st is not None and (pid == root or st[0] in tree):
            tree.add(pid)
            total += st[1]
    return total


def run_cli(argv: list[str], env: dict[str, str], out_path: Path) -> tuple[float, int, int]:
    """(wall seconds, peak tree RSS KiB, kernel max RSS KiB of a child) of one CLI run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = 0
    done = threading.Event()
    with out_path.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "zhidu", "attendance", *argv], stdout=out,  # noqa: S603
                                stderr=subprocess.PIPE, env=env, cwd=out_path.parent)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kib(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _out, err = proc.communicate()
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"the CLI failed ({proc.returncode}): {err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak, max(after, before)


# ------------------------------------------------------------------------------------------ baseline


def baseline(data: Path, month: str, people: int, db_dir: Path) -> dict[str, Any]:
    """Per-person-per-day ORM evaluation of the first ``people`` people; returns timings and statuses."""
    os.environ["ZHIDU_DATA_DIR"] = str(db_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.db import connection, models
    from django.utils import timezone

    from zhidu.attendance import csvio
    from zhidu.attendance.engine import attendance_params, default_calendar
    from zhidu.rulebook.rules import p7

    class BenchPunch(models.Model):
        person_id = models.CharField(max_length=20)
        at = models.DateTimeField()

        class Meta:
            app_label = "attendance"
            db_table = "bench_attendance_punch"
            indexes = [models.Index(fields=["person_id", "at"], name="bench_att_person_at")]

        def __str__(self) -> str:
            return f"{self.person_id} {self.at}"

    with connection.schema_editor() as editor:
        editor.create_model(BenchPunch)

    problems: list[csvio.CsvProblem] = []
    everybody = csvio.read_roster(data / "roster.csv", problems)
    known = {e.person_id: e for e in everybody}
    all_stamps = csvio.read_punches(data / "punches.csv", known, problems)
    leaves = csvio.read_leaves(data / "leaves.csv", known, problems)
    excs = csvio.read_exceptions(data / "exceptions.csv", known, problems)
    assert not problems, problems[:3]
    roster = everybody[:people]
    stamps = {e.person_id: all_stamps[e.person_id] for e in roster}
    epoch = datetime(1, 1, 1)
    tz = timezone.get_current_timezone()
    rows = [BenchPunch(person_id=pid, at=(epoch + timedelta(microseconds=us)).replace(tzinfo=tz))
            for pid, lst in stamps.items() for us in lst]
    t0 = time.perf_counter()
    BenchPunch.objects.bulk_create(rows, batch_size=2000)
    insert_s = time.perf_counter() - t0

    year, mon = int(month[:4]), int(month[5:])
    first = date(year, mon, 1)
    dates = [first + timedelta(days=i) for i in range(31) if (first + timedelta(days=i)).month == mon]
    params = attendance_params(first)
    cal = default_calendar()
    with_leave = {rec.person_id for rec in leaves}
    approved = {(rec.person_id, first + timedelta(days=i)) for rec in leaves if rec.status == "approved"
                for i in range((rec.end - first).days + 1) if rec.start <= first + timedelta(days=i) <= rec.end}
    unapproved = {(rec.person_id, first + timedelta(days=i)) for rec in leaves if rec.status != "approved"
                  for i in range((rec.end - first).days + 1) if rec.start <= first + timedelta(days=i) <= rec.end}
    everyone = {x.date for x in excs if x.person_id is None}
    own = {(x.person_id, x.date) for x in excs if x.person_id}
    statuses: dict[str, list[str]] = {}
    queries = 0
    t0 = time.perf_counter()
    for e in roster:
        start = datetime.combine(first, e.shift_start)
        end = datetime.combine(first, e.shift_end)
        if end <= start:
            end += timedelta(days=1)
        window_start = start + (end - start) / 2 - timedelta(hours=12)
        person_days: list[str] = []
        absences: list[p7.AbsenceDay] = []
        fines = Decimal(0)
        lateness = 0
        for d in dates:
            lo = (window_start + (d - first)).replace(tzinfo=tz)
            punches = list(BenchPunch.objects.filter(person_id=e.person_id, at__gte=lo, at__lt=lo + timedelta(days=1))
                           .order_by("at").values_list("at", flat=True))
            queries += 1
            local = [timezone.localtime(x, tz).replace(tzinfo=None) for x in punches]
            leave = "approved" if (e.person_id, d) in approved else "unapproved" if (e.person_id, d) in unapproved else None
            hired = e.hired_on is None or d >= e.hired_on
            wd = p7.WorkDay(d, e.shift_start, e.shift_end, punch_in=local[0] if local else None,
                            punch_out=local[-1] if len(local) > 1 else None, leave=leave,
                            exception=d in everyone or (e.person_id, d) in own, rostered=None if hired else False,
                            rank=e.rank)
            decision = p7.day_status(wd, params, cal)
            person_days.append(str(decision.value))
            if decision.facts["absence_days"] != "0":
                absences.append(p7.AbsenceDay(d, Decimal(decision.facts["absence_days"])))
            if len(local) > 1 and decision.value not in (p7.REST, p7.LEAVE, p7.EXCEPTION):
                for kind, minutes in (("late", decision.facts["late_minutes"]), ("early", decision.facts["early_minutes"])):
                    event = p7.LatenessEvent(kind, int(minutes), e.rank)
                    if p7.lateness(event, params).value == p7.INSTANCE:
                        lateness += 1
                    fines += Decimal(p7.fine(event, params).value)
        total = sum((a.days for a in absences), Decimal(0))
        p7.absence_deduction(p7.AbsenceDeduction(total, e.base_salary), params)
        p7.full_attendance_bonus(p7.MonthAttendance(total, lateness), params)
        p7.discipline(absences, dates[-1], params, cal)
        statuses[e.person_id] = person_days
    eval_s = time.perf_counter() - t0
    return {"people": len(roster), "punches": len(rows), "insert_s": insert_s, "eval_s": eval_s, "queries": queries,
            "statuses": statuses, "with_leave": with_leave, "sqlite": connection.Database.sqlite_version}


# ------------------------------------------------------------------------------------------ main


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    return (f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
            f"CPython {platform.python_version()}; load average at start {os.getloadavg()[0]:.2f}; "
            f"{date.today().isoformat()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--month", default="2026-03")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-people", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="zhidu-bench-att-"))
    try:
        data = work / "data"
        info = generate(data, args.people, args.month, args.seed)
        print(f"machine: {machine()}")
        print(f"inputs: {info}")
        argv = ["evaluate", "--roster", str(data / "roster.csv"), "--punches", str(data / "punches.csv"),
                "--leaves", str(data / "leaves.csv"), "--exceptions", str(data / "exceptions.csv"),
                "--month", args.month, "--format", "json"]
        base_env = {**os.environ, "ZHIDU_DATA_DIR": str(work / "cli-data"),
                    "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none?connect_timeout=1"}  # no database needed
        cold_env = {**base_env, "PYTHONDONTWRITEBYTECODE": "1"}
        cold_env.pop("PYTHONPYCACHEPREFIX", None)
        warm_env = {k: v for k, v in base_env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        run_cli(["evaluate", "--help"], warm_env, work / "help.txt")  # fill the bytecode cache
        out = work / "out.json"
        results: dict[str, list[tuple[float, int, int]]] = {}
        loads: list[float] = []
        full_env = {**cold_env, "DJANGO_SETTINGS_MODULE": "zhidu.settings.base"}
        digests: set[str] = set()
        for label, env, extra in (("no bytecode cache, default (one process)", cold_env, []),
                                  ("no bytecode cache, --jobs 2", cold_env, ["--jobs", "2"]),
                                  ("bytecode cached, default (one process)", warm_env, []),
                                  ("bytecode cached, --jobs 2", warm_env, ["--jobs", "2"]),
                                  # last: the kernel's maximum of the children only grows
                                  ("no bytecode cache, full Django setup", full_env, [])):
            results[label] = []
            for _ in range(args.runs):
                loads.append(os.getloadavg()[0])
                results[label].append(run_cli(argv + extra, env, out))
                digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
        if len(digests) != 1:
            raise SystemExit(f"the configurations printed different output ({len(digests)} versions)")
        startup = [run_cli(["evaluate", "--help"], env, work / "help.txt")[0]
                   for env in (cold_env, warm_env) for _ in range(args.runs)]
        result = json.loads(out.read_text(encoding="utf-8"))
        size_mb = out.stat().st_size / 1e6
        cli_status = {p["person_id"]: [d["status"] for d in p["days"]] for p in result["people"]}

        base = baseline(data, args.month, args.baseline_people, work / "baseline-db")
        compared = mismatched = 0
        for pid, days in base["statuses"].items():
            if pid in base["with_leave"]:
                continue
            compared += len(days)
            mismatched += sum(1 for a, b in zip(days, cli_status[pid], strict=True) if a != b)
        per_person = base["eval_s"] / base["people"]
        extrapolated = per_person * args.people

        print(f"output: {size_mb:.1f} MB JSON, {len(result['people'])} people")
        print("\n| configuration | wall s (median; min – max) | peak RSS, process tree MiB | max RSS of one process MiB |")
        print("| --- | ---: | ---: | ---: |")
        for label, rows in results.items():
            walls = [r[0] for r in rows]
            print(f"| {label} | {statistics.median(walls):.2f} ({min(walls):.2f} – {max(walls):.2f}) | "
                  f"{max(r[1] for r in rows) / 1024:.0f} | {max(r[2] for r in rows) / 1024:.0f} |")
        cold_start = statistics.median(startup[:args.runs])
        warm_start = statistics.median(startup[args.runs:])
        print(f"\nprocess start alone (`zhidu attendance evaluate --help`): {cold_start:.2f} s without bytecode cache, "
              f"{warm_start:.2f} s with")
        print(f"1-minute load average before the runs: {min(loads):.2f} – {max(loads):.2f}; "
              f"standard output identical in all {sum(len(r) for r in results.values())} runs")
        best = statistics.median([r[0] for r in results["no bytecode cache, default (one process)"]])
        print(f"\nbaseline (per person per day, ORM on SQLite {base['sqlite']}): {base['people']} people, "
              f"{base['punches']} punches inserted in {base['insert_s']:.2f} s (not counted); evaluation "
              f"{base['eval_s']:.2f} s, {base['queries']} queries = {per_person * 1000:.1f} ms per person → "
              f"{extrapolated:.0f} s for {args.people} people (extrapolated)")
        print(f"ratio: baseline / CLI (no bytecode cache, default) = {extrapolated / best:.0f} ×")
        print(f"day statuses compared with the CLI: {compared} days of people without leave, {mismatched} differ")
        if mismatched:
            raise SystemExit("the baseline and the CLI disagree")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
