"""Load test of complaint intake over HTTP (P4.3.2, the API for hotline and 12345 systems).

Run:  .venv/bin/python bench/bench_complaints_intake.py [--seconds 20] [--clients 16] [--workers 2]
          [--threads 4] [--retry 0.1] [--postgres] [--no-jobs] [--group-commit auto|1|0]

Starts the production server command — ``zhidu serve --workers 2`` (gunicorn, ``zhidu.settings.production``,
``--workers`` worker processes, gthread with ``--threads`` threads each, the scheduled jobs in the
workers, one round at a time, unless ``--no-jobs``) on 127.0.0.1 — against a fresh database: SQLite
in WAL mode in a temporary directory, or with ``--postgres`` a temporary PostgreSQL database on
127.0.0.1:5432 (created and dropped here). ``--clients`` threads (stdlib ``http.client``, one
keep-alive connection each) then POST registrations to ``/api/v1/complaints`` with an
``Idempotency-Key`` for ``--seconds``; a fraction ``--retry`` of them is sent a second time with the
same key (as a hotline system retrying after a timeout). Reported: throughput, p50/p99 latency, and
the check that nothing was lost or duplicated (rows = acknowledged keys, one row per key).
Baseline in the same run: the same clients against ``/healthz`` (one ``SELECT 1``): the server's
ceiling on this machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user, system) used so far by process ``pid`` and its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            user += int(fields[11]) / tick
            system += int(fields[12]) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return user, system


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


class Result:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.status: dict[int, int] = {}
        self.acknowledged: dict[str, str] = {}   # key → number from the first 201
        self.replays_ok = 0
        self.replays_bad = 0
        self.errors: list[str] = []


def run_clients(port: int, seconds: float, clients: int, work: Any) -> tuple[Result, float]:
    res = Result()
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=work, args=(port, stop, i, res), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return res, time.perf_counter() - t0


def healthz_worker(port: int, stop: float, _i: int, res: Result) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, codes = [], {}
    while time.monotonic() < stop:
        t = time.perf_counter()
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        lat.append(time.perf_counter() - t)
        codes[r.status] = codes.get(r.status, 0) + 1
    with res.lock:
        res.latencies += lat
        for k, v in codes.items():
            res.status[k] = res.status.get(k, 0) + v


def make_intake_worker(token: str, unit_id: int, retry: float, run_id: str) -> Any:
    categories = ["service_attitude", "service_efficiency", "ordering", "delivery", "price", "staff_conduct"]

    def worker(port: int, stop: float, i: int, res: Result) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        lat: list[float] = []
        codes: dict[int, int] = {}
        acked: dict[str, str] = {}
        ok = bad = 0
        n = 0
        while time.monotonic() < stop:
            n += 1
            key = f"{run_id}-{i}-{n}"
            body = json.dumps({
                "kind": "complaint", "category": rng.choice(categories), "channel": "hotline_system",
                "content": f"热线转来：客户反映第{n}次送货延误，请核实处理。", "receiving_unit_id": unit_id,
                "customer_name": "热线客户", "customer_phone": f"139{rng.randrange(10**8):08d}",
                "territory": rng.choice(["a", "b"]), "external_ref": key,
            }, ensure_ascii=False).encode()
            sends = 2 if rng.random() < retry else 1
            for attempt in range(sends):
                t = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/complaints", body=body, headers={**headers, "Idempotency-Key": key})
                    r = conn.getresponse()
                    data = r.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    with res.lock:
                        res.errors.append(repr(exc))
                    continue
                lat.append(time.perf_counter() - t)
                codes[r.status] = codes.get(r.status, 0) + 1
                if r.status in (200, 201):
                    number = json.loads(data)["number"]
                    if attempt == 0 and r.status == 201:
                        acked[key] = number
                    elif attempt == 1:
                        if r.status == 200 and acked.get(key) == number:
                            ok += 1
                        else:
                            bad += 1
                elif len(res.errors) < 5:
                    with res.lock:
                        res.errors.append(f"{r.status}: {data[:300]!r}")
        with res.lock:
            res.latencies += lat
            for k, v in codes.items():
                res.status[k] = res.status.get(k, 0) + v
            res.acknowledged.update(acked)
            res.replays_ok += ok
            res.replays_bad += bad

    return worker


def setup_database(env: dict[str, str]) -> tuple[str, int]:
    """Migrate, create an organization with a hotline agent and an API token (in a subprocess with
    the server's environment); returns (token, receiving unit id)."""
    code = r"""
import datetime as dt, json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from zhidu.api.services import issue_token
from zhidu.complaints.models import ComplaintSettings, Territory
from zhidu.org import services
from zhidu.org.access import SYSTEM
from zhidu.org.models import UnitKind
root = services.create_organization(SYSTEM, code="bench", name="基准县")
branch = services.create_unit(SYSTEM, parent=root, code="branch", name="分公司", kind=UnitKind.COMPANY)
cs = services.create_unit(SYSTEM, parent=branch, code="cs", name="客服部", kind=UnitKind.DEPARTMENT)
mkt = services.create_unit(SYSTEM, parent=branch, code="mkt", name="营销中心", kind=UnitKind.DEPARTMENT)
a = services.create_unit(SYSTEM, parent=mkt, code="a", name="甲县公司", kind=UnitKind.COUNTY_COMPANY)
b = services.create_unit(SYSTEM, parent=mkt, code="b", name="乙县公司", kind=UnitKind.COUNTY_COMPANY)
services.adopt_regulation(SYSTEM, mkt, code="P4", adopted_on=dt.date(2020, 1, 1))
agent = services.create_person(SYSTEM, unit=cs, username="hotline", password="pw-123456!", name="热线接口")
services.assign_role(SYSTEM, agent, role="complaint_handler", unit=branch, valid_from=dt.date(2020, 1, 1))
ComplaintSettings.objects.create(organization_id=root.organization_id, branch_customer_service=cs)
Territory.objects.create(organization_id=root.organization_id, code="a", name="甲县", handling_unit=a)
Territory.objects.create(organization_id=root.organization_id, code="b", name="乙县", handling_unit=b)
_tok, raw = issue_token(SYSTEM, agent.user, name="bench")
print(json.dumps({"token": raw, "unit": cs.pk}))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False, cwd=ROOT)  # noqa: S603
    if out.returncode != 0:
        raise SystemExit(out.stderr.decode()[-3000:])
    data = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return data["token"], int(data["unit"])


def stored_keys(env: dict[str, str], run_id: str) -> dict[str, list[str]]:
    """Every stored registration of this run: idempotency key → numbers."""
    code = f"""
import django, json
django.setup()
from zhidu.complaints.models import Complaint
out = {{}}
for key, number in Complaint.objects.filter(idempotency_key__startswith="{run_id}-").values_list(
        "idempotency_key", "number"):
    out.setdefault(key, []).append(number)
print(json.dumps(out))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True, cwd=ROOT)  # noqa: S603
    return dict(json.loads(out.stdout.decode().strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--baseline-seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--retry", type=float, default=0.1)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-jobs", action="store_true", help="serve without the scheduled jobs (zhidu tick)")
    parser.add_argument("--group-commit", choices=["auto", "1", "0"], default="auto",
                        help="ZHIDU_GROUP_COMMIT for the server (auto: on SQLite only; 0: each registration "
                        "its own transaction)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="zhidu-bench-intake-"))
    env = {**os.environ, "ZHIDU_DATA_DIR": str(work), "DJANGO_SETTINGS_MODULE": "zhidu.settings.production",
           "SECRET_KEY": uuid.uuid4().hex * 2, "ALLOWED_HOSTS": "127.0.0.1,localhost", "ZHIDU_SSL_REDIRECT": "0",
           "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    env["ZHIDU_GROUP_COMMIT"] = args.group_commit
    pg_db = None
    if args.postgres:
        import psycopg

        pg_db = f"zhidu_bench_intake_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{pg_db}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
    port = free_port()
    proc = None
    try:
        token, unit_id = setup_database(env)
        cmd = [str(Path(sys.executable).parent / "zhidu"), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(args.workers), "--threads", str(args.threads), "--no-migrate"]
        if args.no_jobs:
            cmd.append("--no-jobs")
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
        wait_up(port, proc)

        base_cpu0 = tree_cpu(proc.pid)
        base, base_wall = run_clients(port, args.baseline_seconds, args.clients, healthz_worker)
        base_cpu = sum(b - a for a, b in zip(base_cpu0, tree_cpu(proc.pid), strict=True))
        run_id = uuid.uuid4().hex[:8]
        server_cpu0, client_cpu0 = tree_cpu(proc.pid), time.process_time()
        res, wall = run_clients(port, args.seconds, args.clients,
                                make_intake_worker(token, unit_id, args.retry, run_id))
        server_user, server_sys = (b - a for a, b in zip(server_cpu0, tree_cpu(proc.pid), strict=True))
        server_cpu, client_cpu = server_user + server_sys, time.process_time() - client_cpu0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    stored = stored_keys(env, run_id)
    if pg_db:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')

    created = len(res.acknowledged)
    requests = sum(res.status.values())
    base_n = sum(base.status.values())
    db = "PostgreSQL" if args.postgres else "SQLite (WAL)"
    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, CPython "
          f"{sys.version.split()[0]}; {db}; zhidu serve --workers {args.workers} --threads {args.threads} (gunicorn gthread)"
          f"{'' if not args.no_jobs else ', --no-jobs'}; ZHIDU_GROUP_COMMIT={args.group_commit}; "
          f"{args.clients} clients; {args.seconds:.0f} s; retry fraction {args.retry}")
    print()
    print("| measurement | intake `POST /api/v1/complaints` | baseline `GET /healthz` | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| requests/s | {requests / wall:.0f} | {base_n / base_wall:.0f} | {requests / wall / (base_n / base_wall):.2f} |")
    print(f"| complaints created/s | {created / wall:.0f} | | |")
    print(f"| p50 latency | {pct(res.latencies, 50) * 1e3:.1f} ms | {pct(base.latencies, 50) * 1e3:.1f} ms | |")
    print(f"| p99 latency | {pct(res.latencies, 99) * 1e3:.1f} ms | {pct(base.latencies, 99) * 1e3:.1f} ms | |")
    print(f"| server CPU per request (user + system) | {server_cpu / max(requests, 1) * 1e3:.2f} ms "
          f"({server_user / max(requests, 1) * 1e3:.2f} + {server_sys / max(requests, 1) * 1e3:.2f}) | "
          f"{base_cpu / max(base_n, 1) * 1e3:.2f} ms | |")
    print(f"| CPUs busy: server / load clients | {server_cpu / wall:.2f} / {client_cpu / wall:.2f} | | |")
    print()
    print(f"statuses: {dict(sorted(res.status.items()))}; baseline {dict(sorted(base.status.items()))}")
    rows = sum(len(v) for v in stored.values())
    lost = sum(1 for key, number in res.acknowledged.items() if stored.get(key) != [number])
    dups = sum(1 for v in stored.values() if len(v) > 1)
    print(f"acknowledged (201) keys {created}, stored rows {rows} for {len(stored)} keys; retries answered with "
          f"the same registration {res.replays_ok}, otherwise {res.replays_bad}; transport errors {len(res.errors)}")
    print(f"lost (acknowledged but not stored as acknowledged): {lost}; duplicated (keys with > 1 row): {dups}")
    if res.errors:
        print("first errors:", res.errors[:3])
    print("Targets: ≥ 500 complaints/s, p99 ≤ 100 ms, zero lost or duplicated.")


if __name__ == "__main__":
    main()
