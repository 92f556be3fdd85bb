"""A registration whose transaction the database aborted to break a deadlock (or a serialization
conflict) is registered again, once stored; other database errors are not retried."""

from __future__ import annotations

from typing import Any

import pytest
from cmp_helpers import MONDAY, intake
from django.db import OperationalError

from zhidu.complaints import services
from zhidu.complaints.models import Complaint
from zhidu.core.db import retryable


class _Cause(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def db_error(sqlstate: str | None) -> OperationalError:
    try:
        raise OperationalError("aborted") from _Cause(sqlstate)
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize(("sqlstate", "expected"), [("40P01", True), ("40001", True), ("57014", False), (None, False)])
def test_retryable_sqlstates(sqlstate: str | None, expected: bool) -> None:
    assert retryable(db_error(sqlstate)) is expected


@pytest.mark.django_db(transaction=True)
def test_a_registration_aborted_by_a_deadlock_is_registered_again(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = services.groupcommit.run
    calls = {"n": 0}

    def run(fn: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise db_error("40P01")
        return real_run(fn, **kw)

    monkeypatch.setattr(services.groupcommit, "run", run)
    result = services.register(org.agent, intake(org), idempotency_key="WO-deadlock", now=MONDAY)
    assert result.created and calls["n"] == 2
    assert list(Complaint.objects.filter(idempotency_key="WO-deadlock").values_list("pk", flat=True)) == [
        result.complaint.pk]


@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_retried(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    def run(fn: Any, **kw: Any) -> Any:
        calls["n"] += 1
        raise db_error("53100")   # disk full

    monkeypatch.setattr(services.groupcommit, "run", run)
    with pytest.raises(OperationalError):
        services.register(org.agent, intake(org), idempotency_key="WO-full", now=MONDAY)
    assert calls["n"] == 1 and not Complaint.objects.filter(idempotency_key="WO-full").exists()
