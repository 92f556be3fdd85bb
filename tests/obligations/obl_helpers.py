"""Helpers shared by the obligations tests (imported as ``obl_helpers``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhidu.obligations import policy

TZ = timezone.get_default_timezone()
KIND = "test.complaint_close"
LOOSE_KIND = "test.inquiry_answer"


def at(*args: int) -> dt.datetime:
    """A local (Asia/Shanghai) instant."""
    return dt.datetime(*args, tzinfo=TZ)


policy.register_kind(KIND, module="complaints", clauses=["P4.4.4"], label="办结投诉",
                     max_extensions=1, extension_cap_working_days=4)
policy.register_kind(LOOSE_KIND, module="customerservice", clauses=["P4.4.1"], label="答复咨询",
                     unit_roles=["complaint_handler"], escalate_on_breach=False)


class BrokenSms:
    """An SMS backend whose gateway is down."""

    def send_sms(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")

    def place_call(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")
