"""Process-local caches of configuration that every request reads and few writes change.

The rulebook's parameters, a complaint desk's routing table, … are read on every registration and
changed a few times a year. Each such configuration has a *version token* in ``core_configversion``
(one row per name). Every write to a watched table replaces the token with a new random one, in the
same transaction as the write (``watch`` connects ``post_save``/``post_delete``; bulk writes call
``bump`` themselves). A reader fetches the token (one primary-key read) and uses a cached entry only
if it was built under that same token, so:

- another process's change is seen by the next read after it commits;
- a change inside an open transaction is seen by that transaction at once (its own connection
  reads the new token) and by nobody else before the commit;
- a rolled-back change leaves the old token, whose entries are still right: tokens are random, so
  a token is never reused for other contents;
- with no token row (a fresh or flushed database) nothing is cached.

Inside a web request the tokens are read once, all together, at the first use (``SnapshotMiddleware``
opens a per-thread snapshot around the view and closes it however the view ends): a registration
reads five caches for one query instead of five. A change committed by another process during the request is seen from the
next request on, as if the request had read everything at its start. A request that bumps a token
drops its snapshot and reads tokens one by one from then on, so its own changes are seen at once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
TABLE = "core_configversion"


_local = threading.local()
_UNREAD: dict[str, str] = {}   # marker: a snapshot is open but not read yet


def begin_snapshot() -> None:
    """Read the tokens at most once from now on in this thread (until ``end_snapshot``)."""
    _local.snap = _UNREAD


def end_snapshot() -> None:
    _local.snap = None


class SnapshotMiddleware:
    """One token snapshot per request, opened before the view and closed after it (also when it
    raises), so that no snapshot outlives its request in the thread."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        begin_snapshot()
        try:
            return self.get_response(request)
        finally:
            end_snapshot()


def _snapshot() -> dict[str, str] | None:
    snap: dict[str, str] | None = getattr(_local, "snap", None)
    if snap is _UNREAD:
        with connection.cursor() as cur:
            cur.execute(f"SELECT name, token FROM {TABLE}")  # noqa: S608 (constant table name)
            snap = {str(n): str(t) for n, t in cur.fetchall()}
        _local.snap = snap
    return snap


def token(name: str) -> str:
    """The current token of ``name`` ('' when none is recorded: do not cache)."""
    snap = _snapshot()
    if snap is not None:
        return snap.get(name, "")
    with connection.cursor() as cur:
        cur.execute(f"SELECT token FROM {TABLE} WHERE name = %s", [name])  # noqa: S608 (constant table name)
        row = cur.fetchone()
    return str(row[0]) if row else ""


def bump(name: str) -> str:
    """Give ``name`` a new token (in the caller's transaction); returns it."""
    from .models import ConfigVersion

    new = uuid.uuid4().hex
    _local.snap = None  # this thread reads its own changes from now on
    if ConfigVersion.objects.filter(name=name).update(token=new):
        return new
    try:
        with transaction.atomic():
            ConfigVersion.objects.create(name=name, token=new)
    except IntegrityError:  # created meanwhile by another process
        ConfigVersion.objects.filter(name=name).update(token=new)
    return new


class VersionedCache(Generic[T]):
    """Entries built by ``get(key, build)``, valid while the token of ``name`` stays the same."""

    def __init__(self, name: str, *, maxsize: int = 1024) -> None:
        self.name = name
        self.maxsize = maxsize
        self._entries: dict[Any, tuple[str, T]] = {}
        self._lock = threading.Lock()
        self.builds = 0          # for tests and benchmarks: how often ``build`` ran

    def get(self, key: Any, build: Callable[[], T], *, current: str | None = None) -> T:
        """The entry for ``key`` under the current token (``current``: a token the caller already
        read in this request, to save the read)."""
        tok = token(self.name) if current is None else current
        entry = self._entries.get(key)
        if entry is not None and entry[0] == tok and tok:
            return entry[1]
        value = build()
        self.builds += 1
        if tok:
            with self._lock:
                if len(self._entries) >= self.maxsize:
                    self._entries.clear()
                self._entries[key] = (tok, value)
        return value

    def token(self) -> str:
        return token(self.name)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def watch(name: str, *models_: type[models.Model]) -> None:
    """Bump ``name`` whenever a row of one of ``models_`` is saved or deleted."""
    def changed(sender: Any, **kwargs: Any) -> None:
        bump(name)

    for model in models_:
        uid = f"zhidu.configcache.{name}.{model._meta.label}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ".save")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ".delete")
