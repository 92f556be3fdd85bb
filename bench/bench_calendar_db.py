"""Benchmark the database-backed calendar provider (``zhidu.calendar.selectors``).

Run:  .venv/bin/python bench/bench_calendar_db.py [--calls 1000000] [--checks 5000]

Uses a fresh SQLite database in a temporary directory (migrated, so seeded from chinese_calendar)
unless DATABASE_URL is set.  Each figure is compared with a baseline measured in the same run:

* building the calendar from the database vs building it from the package (``from_chinese_calendar``);
* ``selectors.work_calendar().add_working_days`` (cache hit) vs calling the method on a calendar held
  in a local variable;
* the version check (``CHECK_INTERVAL = 0``: one primary-key query per call) vs the cache hit.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date


def _per_call(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=5_000)
    args = parser.parse_args()

    os.environ.setdefault("ZHIDU_DATA_DIR", tempfile.mkdtemp(prefix="zhidu-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from zhidu.calendar import selectors
    from zhidu.calendar.seed import from_chinese_calendar

    start = date(2026, 9, 30)
    builds_db, builds_seed = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        selectors.invalidate()
        selectors.snapshot()
        builds_db.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        from_chinese_calendar()
        builds_seed.append(time.perf_counter() - t0)
    assert selectors.snapshot().from_db

    cal = selectors.work_calendar()
    direct = _per_call(lambda: cal.add_working_days(start, 3), args.calls)
    cached = _per_call(lambda: selectors.work_calendar().add_working_days(start, 3), args.calls)
    selectors.CHECK_INTERVAL = 0.0
    checked = _per_call(lambda: selectors.work_calendar().add_working_days(start, 3), args.checks)
    selectors.CHECK_INTERVAL = 1.0

    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"CPython {sys.version.split()[0]}; database {django.db.connection.vendor}")
    print()
    print("| measurement | value | baseline | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| build calendar (DB vs package), median of 5 | {sorted(builds_db)[2] * 1e3:.1f} ms "
          f"| {sorted(builds_seed)[2] * 1e3:.1f} ms | {sorted(builds_db)[2] / sorted(builds_seed)[2]:.2f} × |")
    print(f"| `work_calendar().add_working_days` (cache hit vs local calendar) | {cached * 1e6:.2f} µs "
          f"| {direct * 1e6:.2f} µs | {cached / direct:.2f} × |")
    print(f"| same with a version check on every call | {checked * 1e6:.1f} µs | {cached * 1e6:.2f} µs "
          f"| {checked / cached:.0f} × |")


if __name__ == "__main__":
    main()
