"""Idempotency under concurrent retries: two (or more) threads send the same request with the same key
at the same moment, each in its own database connection and transaction; exactly one registration
exists afterwards and every thread gets it back. Runs on SQLite and PostgreSQL.

On SQLite the threads use a file database like production (WAL, ``BEGIN IMMEDIATE``, busy timeout):
the test database is in memory with a shared cache, whose table locks fail at once instead of
waiting, so it is copied to a file first."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from cmp_helpers import MONDAY, intake
from django.db import connection, connections

from zhidu.audit.models import AuditEvent
from zhidu.complaints import services
from zhidu.complaints.models import Complaint
from zhidu.obligations.models import Obligation

# the tables counted below (literal names: no SQL built from strings)
assert (Complaint._meta.db_table, AuditEvent._meta.db_table, Obligation._meta.db_table) == (
    "complaints_complaint", "audit_auditevent", "obligations_obligation")

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def _file_copy(tmp_path: Path) -> Path | None:
    """SQLite in memory → a file copy the threads open; None on PostgreSQL (threads share the server)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return None
    connection.ensure_connection()
    path = tmp_path / "race.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return path


def _count(db: Path | None, sql: str, *args: Any) -> int:
    if db is None:
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), args)
            return int(cursor.fetchone()[0])
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def _race(org: Any, key: str, db: Path | None, n: int = THREADS) -> tuple[list[services.IntakeResult],
                                                                           list[BaseException]]:
    barrier = threading.Barrier(n)
    results: list[services.IntakeResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            if db is not None:  # this thread's own connection, to the file copy
                own = connections["default"]
                own.settings_dict = {**own.settings_dict, "NAME": str(db)}
            barrier.wait(timeout=30)
            result = services.register(org.agent, intake(org), idempotency_key=key, now=MONDAY)
            with lock:
                results.append(result)
        except BaseException as exc:  # collected and reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def test_concurrent_retries_make_one_registration(org, tmp_path) -> None:
    db = _file_copy(tmp_path)
    for round_ in range(3):
        key = f"WO-race-{round_}"
        results, errors = _race(org, key, db)
        assert not errors, errors
        assert len(results) == THREADS
        assert sum(r.created for r in results) == 1, (connection.vendor, [r.created for r in results])
        assert len({r.complaint.pk for r in results}) == 1
        pk = str(results[0].complaint.pk)
        assert _count(db, "SELECT COUNT(*) FROM complaints_complaint WHERE idempotency_key = ?", key) == 1
        assert _count(db, "SELECT COUNT(*) FROM audit_auditevent WHERE action = ? AND subject_id = ?",
                      "complaints.register", pk) == 1
        assert _count(db, "SELECT COUNT(*) FROM obligations_obligation WHERE subject_id = ?", pk) == 1
