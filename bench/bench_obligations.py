"""Benchmark: find the breached obligations among 1,000,000 open ones on SQLite (target ≤ 20 ms).

Run:  .venv/bin/python bench/bench_obligations.py [--rows 1000000] [--overdue 0.001] [--repeat 30] [--keep DIR]

Builds a fresh file SQLite database (the real schema, by ``migrate``) in a temporary data directory,
bulk-inserts ``--rows`` open obligations with executemany (due dates spread over the next 90 days,
``--overdue`` of them already past), then times, in the same run:

* the query ``zhidu tick`` runs to find breaches (``jobs.breach_candidates``: id, state and deadline
  of the overdue open obligations, earliest first), for every overdue one and for one batch of 500;
* the same SQL with ``NOT INDEXED`` — a full table scan — as the baseline.

Prints the query plans, the median and the ratio, as a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _setup(data_dir: Path) -> None:
    os.environ["ZHIDU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _populate(rows: int, overdue_share: float, now: dt.datetime, seed: int) -> tuple[int, int]:
    from django.db import connection, transaction

    from zhidu.org import services as org_services
    from zhidu.org.access import SYSTEM
    from zhidu.org.models import UnitKind

    root = org_services.create_organization(SYSTEM, code="bench", name="基准县")
    units = [org_services.create_unit(SYSTEM, parent=root, code=f"u{i}", name=f"单位{i}", kind=UnitKind.DEPARTMENT)
             for i in range(20)]
    rng = random.Random(seed)
    adapt = connection.ops.adapt_datetimefield_value
    n_overdue = round(rows * overdue_share)
    overdue_at = set(rng.sample(range(rows), n_overdue))
    decision = '{"rule": "obligations.deadline", "clauses": ["P4.4.4"], "reason": "", "provisional": false}'
    cols = ("subject_type, subject_id, module, kind, title, title_args, clauses, responsible_unit_id, opened_at, "
            "due_at, original_due_at, provisional, deadline_spec, depends_on_calendar, decision, state, state_reason, "
            "extension_count, escalation_level, reminder_count, next_reminder_at")
    sql = f"INSERT INTO obligations_obligation ({cols}) VALUES ({', '.join(['%s'] * 21)})"  # noqa: S608
    batch: list[tuple[Any, ...]] = []
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(rows):
            if i in overdue_at:
                due = now - dt.timedelta(seconds=rng.randrange(1, 30 * 86400))
            else:
                due = now + dt.timedelta(seconds=rng.randrange(1, 90 * 86400))
            opened = due - dt.timedelta(days=3)
            state = "extended" if rng.random() < 0.02 else "open"
            batch.append((
                "complaints.complaint", str(i), "complaints", "complaint.close", "办结投诉 %(n)s", f'{{"n": {i}}}',
                '["P4.4.4"]', units[i % len(units)].pk, adapt(opened), adapt(due), adapt(due), False,
                '{"basis": "fixed"}', False, decision, state, "", 0, 0, 0, adapt(due - dt.timedelta(hours=4)),
            ))
            if len(batch) == 20_000:
                cur.executemany(sql, batch)
                batch.clear()
        if batch:
            cur.executemany(sql, batch)
    return rows, n_overdue


def _median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    result = fn()  # warm the page cache and the statement cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=float, default=0.001, help="share of rows already past their deadline")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--baseline-repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--keep", help="build the database in this directory and keep it")
    args = parser.parse_args()

    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="zhidu-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        _setup(data_dir)
        from django.db import connection
        from django.utils import timezone

        from zhidu.obligations import jobs

        now = timezone.make_aware(dt.datetime(2026, 11, 26, 10, 0))
        rows, n_overdue = _populate(args.rows, args.overdue, now, args.seed)
        build_s = time.perf_counter() - t0

        # The exact query of `zhidu tick` (jobs.breach_candidates): every overdue obligation, and the
        # tick's batch of the first 500; the baseline is the same SQL forced to scan the table.
        qs = jobs.overdue(now).order_by("due_at", "id").values_list("id", "state", "due_at")
        all_sql, params = qs.query.sql_with_params()
        table = '"obligations_obligation"'
        baseline_sql = all_sql.replace(f"FROM {table}", f"FROM {table} NOT INDEXED", 1)
        assert baseline_sql != all_sql

        def run(sql: str) -> list[Any]:
            with connection.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        def plan(sql: str) -> str:
            with connection.cursor() as cur:
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                return "; ".join(str(r[-1]) for r in cur.fetchall())

        ids_ms, ids = _median_ms(lambda: jobs.breach_candidates(now, limit=None), args.repeat)
        batch_ms, batch_rows = _median_ms(lambda: jobs.breach_candidates(now), args.repeat)
        sql_ms, _rows = _median_ms(lambda: run(all_sql), args.repeat)
        base_ms, base_ids = _median_ms(lambda: run(baseline_sql), args.baseline_repeat)
        assert [r[0] for r in ids] == [r[0] for r in base_ids] and len(ids) == n_overdue  # type: ignore[attr-defined]
        assert len(batch_rows) == min(jobs.BATCH, n_overdue)  # type: ignore[arg-type]
        db_mb = (data_dir / "zhidu.sqlite3").stat().st_size / 1e6

        print(f"Machine: {platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
              f"{rows:,} open obligations, {n_overdue:,} overdue; database {db_mb:,.0f} MB, built in {build_s:,.0f} s")
        print()
        print("Plan (tick):     ", plan(all_sql))
        print("Plan (baseline): ", plan(baseline_sql))
        print()
        print("| query | rows | median ms | vs baseline |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| every overdue obligation: `jobs.breach_candidates(now, limit=None)` (ORM) | {len(ids):,} | "  # type: ignore[arg-type]
              f"{ids_ms:.2f} | {base_ms / ids_ms:,.0f} × faster |")
        print(f"| the same SQL on the cursor (no ORM) | {len(ids):,} | {sql_ms:.2f} | {base_ms / sql_ms:,.0f} × faster |")  # type: ignore[arg-type]
        print(f"| one tick batch: `jobs.breach_candidates(now)` ({jobs.BATCH}) | {len(batch_rows):,} | "  # type: ignore[arg-type]
              f"{batch_ms:.2f} | {base_ms / batch_ms:,.0f} × faster |")
        print(f"| baseline: the same SQL with `NOT INDEXED` (full scan) | {len(base_ids):,} | {base_ms:.1f} | 1 × |")  # type: ignore[arg-type]
        target = "met" if ids_ms <= 20 else "MISSED"
        print(f"\nTarget ≤ 20 ms for finding every breached obligation: {target} ({ids_ms:.2f} ms).")
        sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
