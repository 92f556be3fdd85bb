"""Benchmark the complaints statistics page (P4.5) over 1,000,000 registrations.

Run:  .venv/bin/python bench/bench_complaints_stats.py [--rows 1000000] [--repeat 5] [--postgres]

A fresh SQLite database (WAL, as in production) in a temporary directory — or with ``--postgres`` a
temporary PostgreSQL database on 127.0.0.1:5432 (created and dropped here; rows loaded by COPY): migrated, one organization
(branch → marketing centre → 12 county companies, a customer-service department), a general manager
with ``complaints.view`` over everything, then ``--rows`` registrations bulk-inserted with raw
``executemany`` spread over 2024-01 … 2026-11 (random type, category, channel, county, on-time flag,
satisfaction, reopen count, spot-check result), stamped ``updated_at`` a day before the run (history).

Measured:

* the time to build the pre-aggregated table (``complaints.aggregates.rebuild``: day rows grouped
  from the complaints, then month, quarter and year rows) and its size per grain;
* median of ``--repeat`` renders through the Django test client (logged in) of the statistics page
  for one month with its 12-month trend (the default view), for 12 months, for all 35 months, and
  of the monthly analysis report — reading the table (each render starts with the refresh check);
* baseline (same run): the same pages with the direct computation over the complaints table
  (``stats.compute_direct`` / ``root_causes_direct``, the computation before the table), median of
  ``--baseline-repeat``; the figures of both are asserted equal;
* the cost of staying current: the default view right after one registration changed (the refresh
  recomputes its day and that day's month, quarter and year rows), and that refresh alone.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    os.environ["ZHIDU_DATA_DIR"] = tempfile.mkdtemp(prefix="zhidu-bench-cmpstats-")
    os.environ.pop("DATABASE_URL", None)
    pg_db = None
    if args.postgres:
        import psycopg

        pg_db = f"zhidu_bench_stats_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{pg_db}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
    try:
        run(args)
    finally:
        if pg_db:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')


def run(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)

    from zhidu.complaints import stats
    from zhidu.complaints.models import Category, Complaint
    from zhidu.org import services
    from zhidu.org.access import SYSTEM
    from zhidu.org.models import UnitKind

    root = services.create_organization(SYSTEM, code="bench", name="基准县")
    branch = services.create_unit(SYSTEM, parent=root, code="branch", name="分公司", kind=UnitKind.COMPANY)
    cs = services.create_unit(SYSTEM, parent=branch, code="cs", name="客服部", kind=UnitKind.DEPARTMENT)
    marketing = services.create_unit(SYSTEM, parent=branch, code="mkt", name="营销中心", kind=UnitKind.DEPARTMENT)
    counties = [services.create_unit(SYSTEM, parent=marketing, code=f"c{i}", name=f"县公司{i}",
                                     kind=UnitKind.COUNTY_COMPANY) for i in range(12)]
    gm = services.create_person(SYSTEM, unit=branch, username="bench-gm", password="pw-123456!", name="总经理")  # noqa: S106
    services.assign_role(SYSTEM, gm, role="general_manager", unit=root, valid_from=datetime(2020, 1, 1).date())

    # ---- bulk insert (raw executemany), every NOT NULL column filled
    rng = random.Random(args.seed)
    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    template: dict[str, Any] = {}
    for f in fields:
        if f.has_default():
            v = f.get_default()
            template[f.column] = "{}" if isinstance(v, dict) else "[]" if isinstance(v, list) else v
        elif f.null:
            template[f.column] = None
        else:
            template[f.column] = ""
    cats = list(Category.objects.values_list("code", flat=True))
    kinds = ["complaint"] * 6 + ["inquiry"] * 3 + ["suggestion"]
    channels = ["branch_hotline", "county_phone", "walk_in", "guide_desk", "customer_service", "web",
                "hotline_system"]
    sats = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied", "", ""]
    classes = ["violation", "mistake", "mistake", "customer", ""]
    t_start = datetime(2024, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 26, tzinfo=UTC) - t_start).total_seconds()
    org_id = root.organization_id
    # stored as Django stores them on SQLite (naive UTC text), so that the text comparisons of the
    # queries (updated_at > watermark, received_at ranges) order them like Django's own values
    stamp = connection.ops.adapt_datetimefield_value
    yesterday = stamp(datetime.now(UTC) - timedelta(days=1))
    idx = {c: i for i, c in enumerate(columns)}
    base_row = [template[c] for c in columns]
    for c in ("created_at", "updated_at", "registered_at"):
        base_row[idx[c]] = yesterday
    base_row[idx["organization_id"]] = org_id
    base_row[idx["receiving_unit_id"]] = cs.pk
    base_row[idx["receiving_person_name"]] = "受理员"
    base_row[idx["customer_name"]] = "客户"
    base_row[idx["content"]] = "基准数据"
    base_row[idx["route_basis"]] = "table"

    def rows(lo: int, hi: int) -> list[list[Any]]:
        out = []
        for i in range(lo, hi):
            r = list(base_row)
            received = t_start + timedelta(seconds=rng.random() * span)
            kind = rng.choice(kinds)
            closed = rng.random() < 0.9
            r[idx["number"]] = f"B{i:09d}"
            r[idx["kind"]] = kind
            r[idx["category"]] = rng.choice(cats)
            r[idx["channel"]] = rng.choice(channels)
            r[idx["responsible_unit_id"]] = counties[i % len(counties)].pk
            r[idx["received_at"]] = stamp(received)
            r[idx["state"]] = "closed" if closed else "open"
            if closed:
                r[idx["closed_at"]] = stamp(received + timedelta(days=2))
                r[idx["closed_on_time"]] = rng.random() < 0.93
                r[idx["satisfaction"]] = rng.choice(sats)
                r[idx["reopened_count"]] = 1 if rng.random() < 0.04 else 0
                r[idx["spot_check_result"]] = rng.choice(["", "", "", "", "passed", "passed", "failed"])
                if kind == "complaint":
                    r[idx["responsibility_class"]] = rng.choice(classes)
            out.append(r)
        return out

    sql = (f"INSERT INTO {Complaint._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join('?' for _ in columns)})")
    t0 = time.perf_counter()
    connection.ensure_connection()
    batch = 50_000
    if connection.vendor == "postgresql":
        from django.db import transaction

        from zhidu.core.bulk import insert_rows

        for lo in range(0, args.rows, batch):
            with transaction.atomic():
                insert_rows(Complaint._meta.db_table, columns, rows(lo, min(args.rows, lo + batch)))
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        raw = connection.connection
        for lo in range(0, args.rows, batch):
            raw.execute("BEGIN")
            raw.executemany(sql, rows(lo, min(args.rows, lo + batch)))
            raw.execute("COMMIT")
        raw.execute("ANALYZE")
    insert_s = time.perf_counter() - t0
    assert Complaint.objects.count() == args.rows

    from zhidu.complaints import aggregates
    from zhidu.complaints.models import ComplaintStat

    t0 = time.perf_counter()
    built = aggregates.rebuild()
    build_s = time.perf_counter() - t0
    assert built.rebuilt, built
    grains = dict(ComplaintStat.objects.values_list("grain").annotate(n=Count("id")).values_list("grain", "n"))

    client = Client()
    client.force_login(gm.user)

    def page(url: str, params: dict[str, str], repeat: int) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(repeat + 1):
            t = time.perf_counter()
            r = client.get(url, params)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.status_code
            size = len(r.content)
        return _median(times[1:]), size

    month = {"start": "2026-10-01", "end": "2026-11-01"}
    year = {"start": "2025-11-01", "end": "2026-11-01"}
    full = {"start": "2024-01-01", "end": "2026-12-01"}
    report = {"month": "2026-10"}
    lo_year, hi = datetime(2025, 10, 31, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC)
    in_year = Complaint.objects.filter(received_at__gte=lo_year, received_at__lt=hi).count()
    in_month = Complaint.objects.filter(received_at__gte=datetime(2026, 9, 30, 16, tzinfo=UTC),
                                        received_at__lt=hi).count()
    cases = [("stats", month), ("stats", year), ("stats", full), ("report", report)]
    urls = {"stats": "/complaints/stats/", "report": "/complaints/stats/report/"}
    load_before = os.getloadavg()
    table = [page(urls[k], params, args.repeat) for k, params in cases]

    # the baseline: the same pages computed straight over the complaints table
    compute, root_causes = stats.compute, stats.root_causes
    stats.compute = functools.partial(compute, source="direct")
    stats.root_causes = functools.partial(root_causes, source="direct")
    try:
        direct = [page(urls[k], params, args.baseline_repeat) for k, params in cases]
    finally:
        stats.compute, stats.root_causes = compute, root_causes
    # the same figures both ways (every view measured, the report's root causes)
    for _k, params in cases[:3]:
        kw = {"start": date.fromisoformat(params["start"]), "end": date.fromisoformat(params["end"])}
        assert stats.compute(gm, **kw) == stats.compute_direct(gm, **kw), params
    lo_oct, hi_oct = datetime(2026, 9, 30, 16, tzinfo=UTC), hi
    assert stats.root_causes(gm, lo_oct, hi_oct) == stats.root_causes_direct(gm, lo_oct, hi_oct)

    # staying current: one registration changes (its satisfaction), the next render refreshes first
    changed_times, refresh_times = [], []
    for i in range(args.repeat):
        item = Complaint.objects.filter(received_at__gte=lo_year, received_at__lt=hi).order_by("id")[i]
        item.satisfaction = "very_dissatisfied" if item.satisfaction != "very_dissatisfied" else "satisfied"
        item.save(update_fields=["satisfaction", "updated_at"])
        t = time.perf_counter()
        r = client.get(urls["stats"], month)
        changed_times.append(time.perf_counter() - t)
        assert r.status_code == 200
        item.save(update_fields=["satisfaction", "updated_at"])
        t = time.perf_counter()
        rep = aggregates.refresh()
        refresh_times.append(time.perf_counter() - t)
        assert rep.days >= 1, rep
    t_changed, t_refresh = _median(changed_times), _median(refresh_times)
    # (within SETTLE of a change the same day is recomputed by every refresh: the figures above are that case)
    load_after = os.getloadavg()
    database = (f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
                if connection.vendor == "postgresql" else f"SQLite {connection.Database.sqlite_version}")

    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"CPython {sys.version.split()[0]}; {database}; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after the renders")
    print(f"{args.rows:,} registrations inserted in {insert_s:.1f} s; {in_year:,} received 2025-11 … 2026-10, "
          f"{in_month:,} in 2026-10")
    print(f"statistics table built in {build_s:.1f} s: " + ", ".join(
        f"{g} {grains.get(g, 0):,} rows" for g in ("D", "M", "Q", "Y")))
    print()
    print(f"| page (median of {args.repeat}; baseline of {args.baseline_repeat}) | from the table "
          "| baseline: direct over the complaints | ratio |")
    print("| --- | ---: | ---: | ---: |")
    labels = [f"one month (2026-10: {in_month:,} rows) with its 12-month trend ({in_year:,} rows) — the default view",
              f"12 months 2025-11 … 2026-10 ({in_year:,} rows) in every breakdown",
              f"35 months 2024-01 … 2026-11 ({args.rows:,} rows) in every breakdown",
              "monthly analysis report (2026-10, with the previous month, 12-month trend, root causes)"]
    for label, (t_table, _a), (t_direct, _b) in zip(labels, table, direct, strict=True):
        print(f"| {label} | {t_table * 1e3:.0f} ms | {t_direct * 1e3:,.0f} ms | {t_direct / t_table:.0f} × faster |")
    print(f"| the default view right after one registration changed (refresh + render) | {t_changed * 1e3:.0f} ms "
          f"| {direct[0][0] * 1e3:,.0f} ms | {direct[0][0] / t_changed:.0f} × faster |")
    print(f"| the refresh alone after one change (its day, month, quarter and year rows) | {t_refresh * 1e3:.0f} ms "
          "| | |")
    print()
    print("Target: statistics page ≤ 500 ms over 1,000,000 registrations.")

if __name__ == "__main__":
    main()
