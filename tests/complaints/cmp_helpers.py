"""Helpers shared by the complaints tests (imported as ``cmp_helpers``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from zhidu.complaints import services
from zhidu.complaints.models import Complaint

TZ = timezone.get_default_timezone()


def at(*args: int) -> dt.datetime:
    """A local (Asia/Shanghai) instant."""
    return dt.datetime(*args, tzinfo=TZ)


# Monday 2026-11-23, 10:00: a plain working week (complaint due Thursday 2026-11-26 17:30).
MONDAY = at(2026, 11, 23, 10, 0)


def intake(org: Any, **kw: Any) -> services.Intake:
    kw.setdefault("kind", "complaint")
    kw.setdefault("category", "service_attitude")
    kw.setdefault("channel", "branch_hotline")
    kw.setdefault("content", "配送员态度恶劣，送货迟到两小时还出言不逊。")
    kw.setdefault("receiving_unit", org.cs)
    kw.setdefault("customer_name", "王小明")
    kw.setdefault("customer_phone", "13812345678")
    kw.setdefault("received_at", MONDAY)
    return services.Intake(**kw)


def register(org: Any, actor: Any = None, *, now: dt.datetime = MONDAY, key: str | None = None,
             **kw: Any) -> Complaint:
    return services.register(actor or org.agent, intake(org, **kw), idempotency_key=key, now=now).complaint
