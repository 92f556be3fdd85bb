"""zhidu.core.groupcommit: concurrent writes of one process share a transaction; each result is
returned only after its commit; one failing write does not undo the others; a failed commit fails
them all; inside a transaction a write just runs there."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from zhidu.core import groupcommit
from zhidu.core.models import ConfigVersion


@pytest.fixture(autouse=True)
def _batching_on(settings: Any) -> None:
    """Batch on both databases here (the default batches on SQLite only)."""
    settings.ZHIDU_GROUP_COMMIT = "1"


def insert(name: str) -> Callable[[], int]:
    def write() -> int:
        return ConfigVersion.objects.create(name=name, token="t").pk
    return write


def _start(writes: list[Callable[[], Any]], out: list[tuple[str, Any]], first: int = 0) -> list[threading.Thread]:
    """One thread per write from ``first`` on, each storing ("ok", result) or ("error", exception)."""
    def worker(i: int) -> None:
        try:
            out[i] = ("ok", groupcommit.run(writes[i]))
        except BaseException as exc:  # the test inspects it
            out[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(first, len(writes))]
    for t in threads:
        t.start()
    return threads


def _until_waiting(n: int) -> None:
    """Until ``n`` writes wait for a leader."""
    deadline = time.monotonic() + 10
    while len(groupcommit._waiting) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(groupcommit._waiting) == n


def run_together(writes: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Start one thread per write while the leader lock is held, so that all of them are waiting
    when it is released: they must then be committed as one batch."""
    out: list[tuple[str, Any]] = [("", None)] * len(writes)
    with groupcommit._leader:
        threads = _start(writes, out)
        _until_waiting(len(writes))
    for t in threads:
        t.join(20)
    return out


@pytest.mark.django_db(transaction=True)
def test_waiting_writes_are_committed_in_one_transaction_and_each_gets_its_own_result() -> None:
    before = dict(groupcommit.stats)
    out = run_together([insert(f"gc-{i}") for i in range(6)])
    assert [kind for kind, _ in out] == ["ok"] * 6
    stored = dict(ConfigVersion.objects.filter(name__startswith="gc-").values_list("name", "pk"))
    assert sorted(stored.values()) == sorted(pk for _, pk in out)
    assert [stored[f"gc-{i}"] for i in range(6)] == [pk for _, pk in out]
    assert groupcommit.stats["batches"] - before["batches"] == 1
    assert groupcommit.stats["writes"] - before["writes"] == 6


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_is_rolled_back_alone() -> None:
    ConfigVersion.objects.create(name="gc-taken", token="t")

    def bad() -> int:
        ConfigVersion.objects.create(name="gc-half", token="t")   # undone with its savepoint
        return ConfigVersion.objects.create(name="gc-taken", token="t").pk

    out = run_together([insert("gc-a"), bad, insert("gc-b")])
    assert out[0][0] == "ok" and out[2][0] == "ok"
    assert out[1][0] == "error" and isinstance(out[1][1], IntegrityError)
    assert set(ConfigVersion.objects.filter(name__startswith="gc-").values_list("name", flat=True)) == {
        "gc-taken", "gc-a", "gc-b"}


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_fails_every_write_of_the_batch_and_stores_none(monkeypatch: pytest.MonkeyPatch) -> None:
    real_commit = BaseDatabaseWrapper.commit
    calls = {"n": 0}

    def failing_commit(self: BaseDatabaseWrapper) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("disk I/O error (simulated)")
        real_commit(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "commit", failing_commit)
    out = run_together([insert("gc-x"), insert("gc-y")])
    assert [kind for kind, _ in out] == ["error", "error"]
    assert all(isinstance(exc, OperationalError) for _, exc in out)
    assert not ConfigVersion.objects.filter(name__startswith="gc-").exists()
    # the next write commits normally
    monkeypatch.setattr(BaseDatabaseWrapper, "commit", real_commit)
    assert groupcommit.run(insert("gc-z")) == ConfigVersion.objects.get(name="gc-z").pk


@pytest.mark.django_db(transaction=True)
def test_a_write_alone_commits_at_once() -> None:
    pk = groupcommit.run(insert("gc-alone"))
    assert not connection.in_atomic_block
    assert ConfigVersion.objects.get(pk=pk).name == "gc-alone"


@pytest.mark.django_db
def test_inside_a_transaction_the_write_runs_there_in_a_savepoint() -> None:
    before = dict(groupcommit.stats)
    with transaction.atomic():
        ConfigVersion.objects.create(name="gc-outer", token="t")
        with pytest.raises(IntegrityError):
            groupcommit.run(insert("gc-outer"))
        pk = groupcommit.run(insert("gc-inner"))
        assert ConfigVersion.objects.filter(pk=pk).exists()
    assert groupcommit.stats == before   # no batch of its own


@pytest.mark.django_db(transaction=True)
def test_the_write_runs_in_the_callers_language() -> None:
    from django.utils import translation

    seen: list[str] = []

    def write() -> None:
        seen.append(translation.get_language())

    with translation.override("en"):
        groupcommit.run(write)
    with translation.override("zh-hans"):
        groupcommit.run(write)
    assert seen == ["en", "zh-hans"]


@pytest.mark.parametrize(("mode", "sqlite", "postgresql"), [
    ("auto", True, False), ("1", True, True), ("on", True, True), ("0", False, False), ("off", False, False)])
def test_enabled_by_setting_and_database(settings: Any, mode: str, sqlite: bool, postgresql: bool) -> None:
    settings.ZHIDU_GROUP_COMMIT = mode
    expected = sqlite if connection.vendor == "sqlite" else postgresql
    assert groupcommit.enabled() is expected


@pytest.mark.django_db(transaction=True)
def test_turned_off_each_write_commits_alone(settings: Any) -> None:
    settings.ZHIDU_GROUP_COMMIT = "0"
    before = dict(groupcommit.stats)
    pks = [groupcommit.run(insert(f"gc-off-{i}")) for i in range(3)]
    assert not connection.in_atomic_block
    assert sorted(ConfigVersion.objects.filter(name__startswith="gc-off-").values_list("pk", flat=True)) == sorted(pks)
    assert groupcommit.stats == before


@pytest.mark.django_db(transaction=True)
def test_on_rollback_undoes_outside_effects_of_writes_whose_commit_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    undone: list[str] = []
    real_commit = BaseDatabaseWrapper.commit

    def failing_commit(self: BaseDatabaseWrapper) -> None:
        raise OperationalError("disk I/O error (simulated)")

    def failing_write() -> int:
        raise ValueError("refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "commit", failing_commit)
    out: list[Any] = [None, None]

    def worker(i: int, fn: Callable[[], Any], name: str) -> None:
        try:
            out[i] = groupcommit.run(fn, on_rollback=lambda: undone.append(name))
        except Exception as exc:
            out[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(0, insert("gc-rb"), "ran")),
               threading.Thread(target=worker, args=(1, failing_write, "failed"))]
    with groupcommit._leader:
        for t in threads:
            t.start()
        while len(groupcommit._waiting) < 2:
            time.sleep(0.005)
    for t in threads:
        t.join(20)
    monkeypatch.setattr(BaseDatabaseWrapper, "commit", real_commit)
    assert isinstance(out[0], OperationalError) and isinstance(out[1], ValueError)
    assert undone == ["ran"]          # the write that failed by itself had nothing to undo
    assert not ConfigVersion.objects.filter(name="gc-rb").exists()


def _blocking_begin(monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> tuple[threading.Event, threading.Event]:
    """The first transaction's BEGIN waits until ``go`` is set (as a leader waits for the database's
    writer lock), then proceeds — or fails with ``fail``; ``entered`` is set when it starts waiting."""
    real = BaseDatabaseWrapper.set_autocommit
    entered, go = threading.Event(), threading.Event()

    def set_autocommit(self: BaseDatabaseWrapper, autocommit: bool, *args: Any, **kwargs: Any) -> None:
        if not autocommit and not entered.is_set():
            entered.set()
            go.wait(10)
            if fail:
                raise OperationalError("database is locked (simulated)")
        real(self, autocommit, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "set_autocommit", set_autocommit)
    return entered, go


@pytest.mark.django_db(transaction=True)
def test_writes_queued_while_the_leader_waits_for_the_lock_join_its_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    entered, go = _blocking_begin(monkeypatch)
    before = dict(groupcommit.stats)
    writes = [insert(f"gc-q{i}") for i in range(4)]
    out: list[tuple[str, Any]] = [("", None)] * 4
    threads = _start(writes[:1], out)                    # the leader, now waiting at BEGIN
    assert entered.wait(10)
    threads += _start(writes, out, first=1)               # these queue meanwhile
    _until_waiting(4)
    go.set()
    for t in threads:
        t.join(20)
    assert [kind for kind, _ in out] == ["ok"] * 4
    assert groupcommit.stats["batches"] - before["batches"] == 1
    assert groupcommit.stats["writes"] - before["writes"] == 4
    assert ConfigVersion.objects.filter(name__startswith="gc-q").count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_begin_that_fails_fails_the_waiting_writes_and_none_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    entered, go = _blocking_begin(monkeypatch, fail=True)
    writes = [insert(f"gc-f{i}") for i in range(3)]
    out: list[tuple[str, Any]] = [("", None)] * 3
    threads = _start(writes[:1], out)
    assert entered.wait(10)
    threads += _start(writes, out, first=1)
    _until_waiting(3)
    go.set()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert [kind for kind, _ in out] == ["error"] * 3
    assert all(isinstance(exc, OperationalError) for _, exc in out)
    assert not ConfigVersion.objects.filter(name__startswith="gc-f").exists() and not groupcommit._waiting
    assert groupcommit.run(insert("gc-after")) == ConfigVersion.objects.get(name="gc-after").pk
