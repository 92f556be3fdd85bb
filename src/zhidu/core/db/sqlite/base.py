"""SQLite, with writing transactions queued on a kernel file lock.

SQLite lets one writer at a time hold the database. Django opens every transaction with
``BEGIN IMMEDIATE`` (settings: ``transaction_mode``), and a writer that finds the database busy
waits in SQLite's busy handler, which *sleeps and retries* (1, 2, 5, 10 … up to 100 ms per try).
With several worker processes and threads registering at once (the hotline API), those sleeps,
not the work, made the latency: a writer slept while the database was already free.

Here each connection first takes an exclusive ``flock`` on ``<database>.writer.lock`` and only then
begins; committing, rolling back or closing releases it. Writers of every thread and process queue
in the kernel and the next one is woken the moment the lock is released. SQLite's own locking is
unchanged underneath (the busy timeout still covers writes outside a transaction), so a process
that does not use this backend is still safe, only not queued. In-memory databases (the tests'
default) and filesystems without ``flock`` are used as before.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held: bool = False

    def _writer_lock_path(self) -> str | None:
        if getattr(self, "transaction_mode", None) != "IMMEDIATE" or self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writer.lock"

    def _acquire_writer(self) -> None:
        if self._writer_held:
            return
        path = self._writer_lock_path()
        if path is None:
            return
        try:
            if self._writer_fd is None:
                self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        except OSError:
            return  # no lock file possible here: fall back to SQLite's busy handler
        self._writer_held = True

    def _release_writer(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
