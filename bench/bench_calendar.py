"""Benchmark WorkCalendar.add_working_days against chinese_calendar.find_workday.

Run:  .venv/bin/python bench/bench_calendar.py [--pairs 1000000] [--cc-pairs 20000] [--seed 20260930]

Prints a small markdown table.  Both libraries are timed on the same kind of (start, n) pairs; the
``chinese_calendar`` subsample is restricted to starts in 2005 … 2025 and |n| <= 60 so that its walk
never leaves the years it supports (it raises NotImplementedError outside them).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import date, timedelta

import chinese_calendar

from zhidu.calendar.seed import from_chinese_calendar


def _pairs(rng: random.Random, count: int, first: date, last: date, max_n: int) -> list[tuple[date, int]]:
    span = (last - first).days
    return [(first + timedelta(days=rng.randrange(span + 1)), rng.randint(-max_n, max_n)) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--cc-pairs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20260930)
    args = parser.parse_args()

    t0 = time.perf_counter()
    cal = from_chinese_calendar()
    build_s = time.perf_counter() - t0

    rng = random.Random(args.seed)
    # Main sample: starts 2000 … 2030 (known and provisional years), n in -250 … 250.
    pairs = _pairs(rng, args.pairs, date(2000, 1, 1), date(2030, 12, 31), 250)
    cc_pairs = _pairs(rng, args.cc_pairs, date(2005, 1, 1), date(2025, 12, 31), 60)

    add = cal.add_working_days
    t0 = time.perf_counter()
    for start, n in pairs:
        add(start, n)
    ours_s = time.perf_counter() - t0

    # Empty-loop overhead, to show how much of the time is the call itself.
    t0 = time.perf_counter()
    for _start, _n in pairs:
        pass
    loop_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    for start, n in cc_pairs:
        add(start, n)
    ours_sub_s = time.perf_counter() - t0

    find = chinese_calendar.find_workday
    t0 = time.perf_counter()
    for start, n in cc_pairs:
        find(n, start)
    cc_s = time.perf_counter() - t0

    # Sanity check (not timed): the two agree once find_workday's conventions are mapped onto
    # art. 201 counting (find_workday(0, d) is "d or the next working day"; for n > 0 it counts d
    # itself when d is a working day).
    mismatches = 0
    for start, n in cc_pairs:
        if n == 0:
            continue
        delta = n if (n < 0 or cal.is_working_day(start)) else n - 1
        if find(delta, start) != add(start, n)[0]:
            mismatches += 1

    ours_rate = len(pairs) / ours_s
    ours_sub_rate = len(cc_pairs) / ours_sub_s
    cc_rate = len(cc_pairs) / cc_s
    print(f"Machine: {platform.platform()}, {platform.machine()}, cpu_count={os.cpu_count()}, "
          f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"chinese_calendar {chinese_calendar.__version__}")
    print(f"Calendar build (from_chinese_calendar): {build_s * 1000:.1f} ms; seed={args.seed}")
    print()
    print("| implementation | sample | calls | seconds | calls/s | µs/call |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| WorkCalendar.add_working_days | 2000–2030, n∈[-250,250] | {len(pairs):,} | {ours_s:.3f} "
          f"| {ours_rate:,.0f} | {1e6 / ours_rate:.3f} |")
    print(f"| (empty loop over same pairs) | | {len(pairs):,} | {loop_s:.3f} | | "
          f"{loop_s * 1e6 / len(pairs):.3f} |")
    print(f"| WorkCalendar.add_working_days | 2005–2025, n∈[-60,60] | {len(cc_pairs):,} | {ours_sub_s:.4f} "
          f"| {ours_sub_rate:,.0f} | {1e6 / ours_sub_rate:.3f} |")
    print(f"| chinese_calendar.find_workday | 2005–2025, n∈[-60,60] | {len(cc_pairs):,} | {cc_s:.3f} "
          f"| {cc_rate:,.0f} | {1e6 / cc_rate:.3f} |")
    print()
    print(f"Speed-up vs find_workday on the same subsample: {ours_sub_rate / cc_rate:,.0f}×; "
          f"main-sample rate / find_workday rate: {ours_rate / cc_rate:,.0f}×")
    print(f"Agreement check on subsample (n≠0, conventions mapped): {mismatches} mismatches")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
