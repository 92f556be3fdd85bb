"""Group commit: the short writes of concurrent requests in one process share one transaction.

A registration's writes (the form, its deadline obligation, notifications, two audit events) take
well under a millisecond of database work, but each transaction also pays its own begin, commit
(SQLite: appending every touched page to the WAL; PostgreSQL: flushing the WAL) and its turn at the
database's writer lock. When several threads of a worker process write at the same moment, ``run``
lets the first of them — the *leader* — run every waiting write in one transaction, each in its own
savepoint, and commit once; the others sleep until that commit and then return their own result.

- A write's result is returned, or its exception raised, only after the commit that made it durable
  (or failed): nothing is acknowledged that is not stored.
- One write failing (say an ``IntegrityError`` from a duplicate idempotency key) rolls back its own
  savepoint only; the others still commit. A failing commit fails every write of the batch, and
  each write's ``on_rollback`` (if given) then undoes what it did outside the database (files).
- On PostgreSQL a batch first takes a transaction-scoped advisory lock, so the batches of several
  worker processes run one after another, as SQLite's writer lock makes them: a batch locks many
  audit-chain heads in no fixed order, and two batches taking them at once could deadlock.
- A write runs in the leader's thread with the leader's database connection: it must take what it
  needs as arguments, not from thread-local state (the request's language is carried over).
- Called inside a transaction (the caller's, or a test's), ``run`` just runs the write there, in a
  savepoint: batching is only for writes that would otherwise commit on their own.
- ``ZHIDU_GROUP_COMMIT`` (environment): ``auto`` (default) batches on SQLite only — its writers take
  turns at one lock anyway, so a batch saves commits without costing parallelism; on PostgreSQL
  transactions run side by side and batching them measured slower (docs/PERFORMANCE.md). ``1`` / ``0``
  force it on / off (``0``: the benchmark's baseline).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

T = TypeVar("T")
log = logging.getLogger(__name__)

#: most writes committed together (a batch is what waited while the previous one committed)
MAX_BATCH = 64


class _Write(Generic[T]):
    __slots__ = ("done", "error", "fn", "language", "on_rollback", "ran", "result")

    def __init__(self, fn: Callable[[], T], language: str | None,
                 on_rollback: Callable[[], None] | None = None) -> None:
        self.fn = fn
        self.on_rollback = on_rollback
        self.language = language
        self.done = False
        self.ran = False          # fn completed in the batch's transaction
        self.result: T | None = None
        self.error: BaseException | None = None


_waiting: list[_Write[Any]] = []
_waiting_lock = threading.Lock()
_leader = threading.Lock()
#: for tests and benchmarks: number of transactions committed and writes in them
stats = {"batches": 0, "writes": 0}


#: pg_advisory_xact_lock key of the batches ("zhidu" group commit)
PG_LOCK_KEY = 0x7A6869647567


def enabled() -> bool:
    """Whether writes are batched here (``ZHIDU_GROUP_COMMIT``; see the module's docstring)."""
    mode = str(getattr(settings, "ZHIDU_GROUP_COMMIT", "auto"))
    if mode in ("1", "true", "yes", "on"):
        return True
    if mode in ("0", "false", "no", "off"):
        return False
    return connection.vendor == "sqlite"


def run(fn: Callable[[], T], *, on_rollback: Callable[[], None] | None = None) -> T:
    """Run ``fn`` (database writes) in a transaction, possibly shared with other threads' writes;
    return its result once that transaction has committed. ``on_rollback`` runs (in some thread) if
    ``fn`` completed but its transaction then failed to commit."""
    if connection.in_atomic_block or not enabled():
        with transaction.atomic():
            return fn()
    write: _Write[T] = _Write(fn, translation.get_language(), on_rollback)
    with _waiting_lock:
        _waiting.append(write)
    while not write.done:
        with _leader:
            if write.done:
                break
            _commit()
    if write.error is not None:
        raise write.error
    return write.result  # type: ignore[return-value]  # set when no error


def _take() -> list[_Write[Any]]:
    with _waiting_lock:
        batch = _waiting[:MAX_BATCH]
        del _waiting[:MAX_BATCH]
    return batch


def _commit() -> None:
    """Commit what is waiting. The batch is taken once the transaction holds the database's writer
    lock (SQLite: at BEGIN; PostgreSQL: the advisory lock), so that the writes queued while this
    process waited for it go in too."""
    batch: list[_Write[Any]] = []
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
            batch = _take()
            for write in batch:
                try:
                    with translation.override(write.language), transaction.atomic():
                        write.result = write.fn()
                    write.ran = True
                except Exception as exc:  # this write only: its savepoint is rolled back
                    write.error = exc
        stats["batches"] += 1
        stats["writes"] += len(batch)
    except BaseException as exc:  # the commit (or the transaction) failed: nothing of the batch is stored
        if not batch:  # it failed before taking them (at BEGIN): they fail with it, none waits forever
            batch = _take()
        for write in batch:
            if write.ran and write.on_rollback is not None:
                try:
                    write.on_rollback()
                except Exception:
                    log.exception("group commit: on_rollback failed")
            write.error = write.error or exc
            write.result = None
        if not isinstance(exc, Exception):
            raise
    finally:
        for write in batch:
            write.done = True
