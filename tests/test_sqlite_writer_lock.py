"""zhidu.core.db.sqlite: writing transactions on a file database queue on ``<db>.writer.lock``;
the lock is held from BEGIN to COMMIT/ROLLBACK/close and concurrent writers all succeed."""

from __future__ import annotations

import copy
import fcntl
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from zhidu.core.db.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connections["default"].vendor != "sqlite", reason="SQLite backend only")


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Any:
    """These tests open their own database files, not the test database."""
    with django_db_blocker.unblock():
        yield


def wrapper(path: Path, alias: str) -> DatabaseWrapper:
    settings: dict[str, Any] = copy.deepcopy(connections["default"].settings_dict)
    settings.update(NAME=str(path), ENGINE="zhidu.core.db.sqlite")
    settings["OPTIONS"] = {**settings.get("OPTIONS", {}), "transaction_mode": "IMMEDIATE", "timeout": 20}
    return DatabaseWrapper(settings, alias=alias)


def begin(w: DatabaseWrapper) -> None:
    w.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)   # as atomic() does


def lock_is_free(path: Path) -> bool:
    fd = os.open(f"{path}.writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_the_lock_is_held_for_the_transaction_and_released_by_commit_rollback_and_close(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    w = wrapper(db, "lock-a")
    w.ensure_connection()
    with w.cursor() as cur:
        cur.execute("CREATE TABLE t (n INTEGER)")
    begin(w)
    with w.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (1)")
    assert not lock_is_free(db)
    w.commit()
    w.set_autocommit(True)
    assert lock_is_free(db)
    begin(w)
    assert not lock_is_free(db)
    w.rollback()
    w.set_autocommit(True)
    assert lock_is_free(db)
    begin(w)
    w.close()
    assert lock_is_free(db)


def test_concurrent_writers_all_commit(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    setup = wrapper(db, "lock-setup")
    with setup.cursor() as cur:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("CREATE TABLE t (worker INTEGER, n INTEGER)")
    setup.close()
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        w = wrapper(db, f"lock-{worker}")
        try:
            for n in range(40):
                begin(w)
                with w.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM t")
                    cur.execute("INSERT INTO t VALUES (%s, %s)", [worker, n])
                w.commit()
                w.set_autocommit(True)
        except BaseException as exc:
            errors.append(exc)
        finally:
            w.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = wrapper(db, "lock-check")
    with check.cursor() as cur:
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT worker) FROM t")
        assert cur.fetchone() == (240, 6)
    check.close()
    assert lock_is_free(db)
