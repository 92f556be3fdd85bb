"""Benchmark the complaints statistics page (P4.5) over 1,000,000 registrations.

Run:  .venv/bin/python bench/bench_complaints_stats.py [--rows 1000000] [--repeat 5]

A fresh SQLite database (WAL, as in production) in a temporary directory: migrated, one organization
(branch → marketing centre → 12 county companies, a customer-service department), a general manager
with ``complaints.view`` over everything, then ``--rows`` registrations bulk-inserted with raw
``executemany`` spread over 2024-01 … 2026-11 (random type, category, channel, county, on-time flag,
satisfaction, reopen count, spot-check result).

Measured, median of ``--repeat`` renders through the Django test client (logged in):

* the statistics page for one month with its 12-month trend (the default view), for 12 months, and
  for all 35 months;
* the monthly analysis report;
* baseline (same run): the totals and per-month counts computed in Python over the rows of the
  12 months (and of all 35) fetched with ``values_list`` (the page without SQL aggregation).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    os.environ["ZHIDU_DATA_DIR"] = tempfile.mkdtemp(prefix="zhidu-bench-cmpstats-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
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
    org_id, now = root.organization_id, datetime.now(UTC).isoformat(sep=" ")
    idx = {c: i for i, c in enumerate(columns)}
    base_row = [template[c] for c in columns]
    for c in ("created_at", "updated_at", "registered_at"):
        base_row[idx[c]] = now
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
            r[idx["received_at"]] = received.isoformat(sep=" ")
            r[idx["state"]] = "closed" if closed else "open"
            if closed:
                r[idx["closed_at"]] = (received + timedelta(days=2)).isoformat(sep=" ")
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
    raw = connection.connection
    batch = 50_000
    for lo in range(0, args.rows, batch):
        raw.execute("BEGIN")
        raw.executemany(sql, rows(lo, min(args.rows, lo + batch)))
        raw.execute("COMMIT")
    raw.execute("ANALYZE")
    insert_s = time.perf_counter() - t0
    assert Complaint.objects.count() == args.rows

    client = Client()
    client.force_login(gm.user)

    def page(url: str, params: dict[str, str]) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            r = client.get(url, params)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.status_code
            size = len(r.content)
        return _median(times[1:]), size

    month = {"start": "2026-10-01", "end": "2026-11-01"}
    year = {"start": "2025-11-01", "end": "2026-11-01"}
    full = {"start": "2024-01-01", "end": "2026-12-01"}
    lo_year, hi = datetime(2025, 10, 31, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC)
    in_year = Complaint.objects.filter(received_at__gte=lo_year, received_at__lt=hi).count()
    in_month = Complaint.objects.filter(received_at__gte=datetime(2026, 9, 30, 16, tzinfo=UTC),
                                        received_at__lt=hi).count()
    t_month, _ = page("/complaints/stats/", month)
    t_year, _ = page("/complaints/stats/", year)
    t_full, _ = page("/complaints/stats/", full)
    t_report, _ = page("/complaints/stats/report/", {"month": "2026-10"})

    # ---- baseline: the same totals and per-month counts in Python over the rows
    def python_figures(start: datetime, end: datetime) -> dict[str, int]:
        out = {"n": 0, "closed": 0, "on_time": 0, "rated": 0, "satisfied": 0, "reopened": 0, "spot": 0,
               "spot_pass": 0}
        months: dict[str, int] = {}
        for received, on_time, sat, reopened, spot in Complaint.objects.filter(
                received_at__gte=start, received_at__lt=end).values_list(
                "received_at", "closed_on_time", "satisfaction", "reopened_count", "spot_check_result").iterator(
                chunk_size=10_000):
            out["n"] += 1
            key = f"{received:%Y-%m}"
            months[key] = months.get(key, 0) + 1
            if on_time is not None:
                out["closed"] += 1
                out["on_time"] += bool(on_time)
            if sat:
                out["rated"] += 1
                out["satisfied"] += sat in stats.SATISFIED
            out["reopened"] += reopened > 0
            if spot in ("passed", "failed"):
                out["spot"] += 1
                out["spot_pass"] += spot == "passed"
        return out

    base_times = []
    for _ in range(max(1, args.repeat // 2)):
        t = time.perf_counter()
        py = python_figures(lo_year, hi)
        base_times.append(time.perf_counter() - t)
    t_base = _median(base_times)
    t = time.perf_counter()
    python_figures(datetime(2023, 12, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
    t_base_full = time.perf_counter() - t
    sql_total = stats.compute(SYSTEM, start=datetime(2025, 11, 1).date(), end=datetime(2026, 11, 1).date()).total
    assert (sql_total.n, sql_total.on_time, sql_total.satisfied) == (py["n"], py["on_time"], py["satisfied"]), \
        (sql_total, py)

    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"CPython {sys.version.split()[0]}; SQLite {connection.Database.sqlite_version}")
    print(f"{args.rows:,} registrations inserted in {insert_s:.1f} s; {in_year:,} received 2025-11 … 2026-10, "
          f"{in_month:,} in 2026-10")
    print()
    print(f"| measurement (median of {args.repeat}) | value | baseline: Python over the rows | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| statistics page, one month (2026-10: {in_month:,} rows; trend of 12 months: {in_year:,} rows) "
          f"| {t_month * 1e3:.0f} ms | {t_base * 1e3:.0f} ms | {t_base / t_month:.1f} × faster |")
    print(f"| statistics page, 12 months 2025-11 … 2026-10 ({in_year:,} rows) | {t_year * 1e3:.0f} ms "
          f"| {t_base * 1e3:.0f} ms | {t_base / t_year:.1f} × faster |")
    print(f"| statistics page, 2024-01 … 2026-11 ({args.rows:,} rows) | {t_full * 1e3:.0f} ms "
          f"| {t_base_full * 1e3:.0f} ms | {t_base_full / t_full:.1f} × faster |")
    print(f"| monthly analysis report (2026-10, with 12-month trend) | {t_report * 1e3:.0f} ms | | |")
    print()
    print("Target: statistics page ≤ 500 ms over 1,000,000 registrations.")


if __name__ == "__main__":
    main()
