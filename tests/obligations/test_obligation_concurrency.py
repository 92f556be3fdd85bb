"""Two ``zhidu tick`` processes at once, against a file SQLite database or PostgreSQL: every
reminder, breach and escalation happens once, and the audit chains stay intact."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from obl_helpers import at

from zhidu.obligations.models import Obligation

pytestmark = pytest.mark.django_db(transaction=True)

OVERDUE = 60
REMINDERS = 60


def _database_env(tmp_path: Path) -> tuple[dict[str, str], Any]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ZHIDU_DATA_DIR=str(tmp_path), ZHIDU_SMS_LOG=str(tmp_path / "sms.log"),
               EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", DJANGO_SETTINGS_MODULE="zhidu.settings")
    if connection.vendor == "sqlite":
        # The test database lives in memory: copy it to the file both processes will open.
        connection.ensure_connection()
        target = sqlite3.connect(tmp_path / "zhidu.sqlite3")
        connection.connection.backup(target)
        target.close()

        def query(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(tmp_path / "zhidu.sqlite3") as db:
                return db.execute(sql).fetchall()
    else:
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

        def query(sql: str) -> list[tuple[Any, ...]]:
            with connection.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
    return env, query


def _zhidu(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "zhidu", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_ticks_at_once_do_everything_exactly_once(tmp_path, people, open_one) -> None:  # type: ignore[no-untyped-def]
    overdue = [open_one().pk for _ in range(OVERDUE)]          # due Thursday 2026-11-26 17:30
    reminded = [open_one(days=5).pk for _ in range(REMINDERS)]  # due Monday 2026-11-30 17:30
    Obligation.objects.filter(pk__in=reminded).update(next_reminder_at=at(2026, 11, 27, 8, 45))
    env, query = _database_env(tmp_path)

    ticks = [_zhidu(env, "tick", "--now", "2026-11-27T09:00:00") for _ in range(2)]
    outputs = [t.communicate(timeout=300) for t in ticks]
    for tick, (_out, err) in zip(ticks, outputs, strict=True):
        assert tick.returncode == 0, err
    reports = [dict(kv.split("=") for kv in out.split()) for out, _err in outputs]
    print(reports)
    assert sum(int(r["breaches"]) for r in reports) == OVERDUE
    assert sum(int(r["escalations"]) for r in reports) == OVERDUE
    assert sum(int(r["reminders"]) for r in reports) == REMINDERS

    actions = Counter(dict(query(
        "SELECT action, COUNT(*) FROM audit_auditevent WHERE action IN "
        "('obligations.breach', 'obligations.escalate', 'obligations.remind') GROUP BY action")))
    assert actions == {"obligations.breach": OVERDUE, "obligations.escalate": OVERDUE, "obligations.remind": REMINDERS}
    per_obligation = query(
        "SELECT obligation_id, event, channel, COUNT(*) FROM obligations_notification "
        "WHERE event IN ('breach', 'escalate', 'remind') GROUP BY obligation_id, event, channel")
    assert all(row[3] == 1 for row in per_obligation), [r for r in per_obligation if r[3] != 1][:5]
    assert {row[0] for row in per_obligation if row[1] == "breach"} == set(overdue)
    assert {row[0] for row in per_obligation if row[1] == "remind"} == set(reminded)
    assert len(per_obligation) == OVERDUE * (2 + 3) + REMINDERS * 2
    assert query("SELECT status, COUNT(*) FROM obligations_notification WHERE channel = 'sms' GROUP BY status") == [
        ("sent", OVERDUE)]
    assert len((tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()) == OVERDUE

    verify = _zhidu(env, "audit", "verify", "--json")
    out, err = verify.communicate(timeout=120)
    assert verify.returncode == 0, out + err
    assert json.loads(out)["ok"] is True
