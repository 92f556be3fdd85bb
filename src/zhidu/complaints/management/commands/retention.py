"""``zhidu retention purge [--apply] [--today DATE] [--limit N] [--json]``.

Complaint registrations are kept one year after closing, important ones longer (P4.4.7). Records past
their date have their personal data anonymized (customer name, phone and contact; phone and ID
numbers, e-mail addresses and the customer's name in free text; attachments deleted) while the
statistics fields stay. A dry run (the default) lists what would be anonymized; ``--apply`` does
it, one audited transaction per record (``complaints.purge``, clause P4.4.7), as the system actor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhidu.complaints import services
from zhidu.org.access import SYSTEM


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None


class Command(BaseCommand):
    help = "Retention (P4.4.7): purge [--apply] anonymizes personal data kept past its retention date (dry run by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        p = sub.add_parser("purge", help="anonymize records past their retention date (dry run unless --apply)")
        p.add_argument("--apply", action="store_true", help="anonymize (default: only list)")
        p.add_argument("--today", type=_date, default=None, help="the date to judge by (default: today)")
        p.add_argument("--limit", type=int, default=None, help="at most N records")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.purge(SYSTEM, apply=options["apply"], today=options["today"], limit=options["limit"])
        if options["json"]:
            self.stdout.write(json.dumps({
                "today": report.today.isoformat(), "applied": report.applied, "count": report.count,
                "attachments": report.attachments, "numbers": report.numbers}, ensure_ascii=False))
            return
        verb = "anonymized" if report.applied else "would anonymize (dry run; --apply to do it)"
        self.stdout.write(f"complaints: {verb} {report.count} record(s), {report.attachments} attachment(s) "
                          f"past retention on {report.today.isoformat()}")
        for number in report.numbers:
            self.stdout.write(f"  {number}")
