"""Generate attendance CSV inputs for ``zhidu attendance evaluate`` (seeded, reproducible).

    python bench/gen_attendance.py OUTDIR [--people 10000] [--month 2026-03] [--seed 7]

Writes OUTDIR/roster.csv, punches.csv, leaves.csv and exceptions.csv in the CLI's formats. Working
days come from the ``chinese_calendar`` seed, so a month of 22 working days gives 10,000 × 22 × 2 ≈
440,000 punches. The mix: most people punch in a few minutes early and out a few minutes late; some
are late or leave early (≤ 30 minutes, and more), some forget a punch or do not come; hotel shifts
include overnight ones; a few leaves of every kind and status, and exception days.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from zhidu.calendar.seed import from_chinese_calendar

SHIFTS = [((8, 30), (17, 30), 0.80), ((7, 0), (15, 0), 0.07), ((15, 0), (23, 0), 0.07), ((23, 0), (7, 0), 0.06)]
RANKS = [("staff", 0.85), ("middle_manager", 0.10), ("department_manager", 0.04), ("general_manager", 0.01)]
KINDS = ["sick", "personal", "marriage", "maternity", "prenatal", "home_visit"]


def _pick(rng: random.Random, table: list[tuple[object, float]]) -> object:
    x = rng.random()
    for value, weight in table:
        x -= weight
        if x < 0:
            return value
    return table[-1][0]


def generate(out: Path, people: int = 10_000, month: str = "2026-03", seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    year, mon = int(month[:4]), int(month[5:])
    cal = from_chinese_calendar()
    days = [dt.date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]
    working = [d for d in days if cal.is_working_day(d)]
    roster_rows = ["person_id,name,rank,hired_on,gender,birth_date,base_salary,shift_start,shift_end"]
    shifts: list[tuple[dt.time, dt.time]] = []
    for n in range(people):
        start, end, _w = _pick(rng, [(s, s[2]) for s in SHIFTS])  # type: ignore[misc]
        rank = _pick(rng, RANKS)  # type: ignore[arg-type]
        hired = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 38))
        salary = rng.randrange(2500, 12000, 50)
        st, en = dt.time(*start), dt.time(*end)
        shifts.append((st, en))
        roster_rows.append(f"E{n:05d},员工{n},{rank},{hired},{rng.choice('FM')},{birth},{salary},"
                           f"{st:%H:%M},{en:%H:%M}")
    punch_rows = ["person_id,time"]
    for n, (st, en) in enumerate(shifts):
        pid = f"E{n:05d}"
        habit = rng.random()  # some people are late more often than others
        for d in working:
            r = rng.random()
            if r < 0.01:
                continue  # no punch
            start = dt.datetime.combine(d, st)
            end = dt.datetime.combine(d, en)
            if end <= start:
                end += dt.timedelta(days=1)
            if rng.random() < 0.03 + habit * 0.05:
                t_in = start + dt.timedelta(seconds=rng.randrange(1, 50 * 60))
            else:
                t_in = start - dt.timedelta(seconds=rng.randrange(0, 20 * 60))
            if rng.random() < 0.02:
                t_out = end - dt.timedelta(seconds=rng.randrange(1, 45 * 60))
            else:
                t_out = end + dt.timedelta(seconds=rng.randrange(0, 30 * 60))
            if r < 0.015:
                punch_rows.append(f"{pid},{t_in:%Y-%m-%dT%H:%M:%S}")  # forgot to punch out
                continue
            punch_rows.append(f"{pid},{t_in:%Y-%m-%dT%H:%M:%S}")
            punch_rows.append(f"{pid},{t_out:%Y-%m-%dT%H:%M:%S}")
    body = punch_rows[1:]
    rng.shuffle(body)  # machine exports are in time order across people, not grouped by person
    punch_rows[1:] = body
    leave_rows = ["person_id,kind,start,end,status,requested_at,notified_at,certificate_at"]
    for n in rng.sample(range(people), people // 50):
        st, _en = shifts[n]
        d0 = rng.choice(working)
        d1 = d0 + dt.timedelta(days=rng.randrange(0, 4))
        kind = rng.choice(KINDS)
        status = _pick(rng, [("approved", 0.85), ("pending", 0.1), ("rejected", 0.05)])
        start = dt.datetime.combine(d0, st)
        requested = start - dt.timedelta(hours=rng.randrange(-2, 72))
        notified = start - dt.timedelta(minutes=rng.randrange(30, 600)) if kind == "sick" else None
        cert = d0 + dt.timedelta(days=rng.randrange(0, 4)) if kind in ("sick", "prenatal") else None
        leave_rows.append(f"E{n:05d},{kind},{d0},{d1},{status},{requested:%Y-%m-%dT%H:%M},"
                          f"{'' if notified is None else f'{notified:%Y-%m-%dT%H:%M}'},{cert or ''}")
    exc_rows = ["date,person_id,reason", f"{working[3]},,停电"]
    for n in rng.sample(range(people), people // 200):
        exc_rows.append(f"{rng.choice(working)},E{n:05d},指纹无法识别")
    for name, rows in (("roster", roster_rows), ("punches", punch_rows), ("leaves", leave_rows),
                       ("exceptions", exc_rows)):
        (out / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"people": people, "punches": len(punch_rows) - 1, "leaves": len(leave_rows) - 1,
            "exceptions": len(exc_rows) - 1, "working_days": len(working)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--month", default="2026-03")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(generate(args.outdir, args.people, args.month, args.seed))


if __name__ == "__main__":
    main()
