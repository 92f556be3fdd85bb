"""``zhidu complaints``: complaint-handling tools.

    zhidu complaints deadline --type complaint --received 2026-09-30T10:00 --json
        → {"due_at": "2026-10-10T17:30:00+08:00", "provisional": false, "clauses": ["P4.4.4"]}
    zhidu complaints deadline --type suggestion --received 2026-09-30T10:00 --promised 2026-10-15
    zhidu complaints deadline --type complaint --received 2026-09-30T10:00 --special --reason "需现场核查"
    zhidu complaints stats-rebuild [--json]
        → rebuilds the pre-aggregated statistics table (complaints.aggregates) from the complaints

The deadline uses the shipped (default) rulebook and the calendar in force (the database's; the
``chinese_calendar`` seed when the database is not migrated), so it works without a database.
Naive date-times are Asia/Shanghai (the organization's time zone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhidu.calendar.selectors import work_calendar
from zhidu.rulebook.params import default_params
from zhidu.rulebook.rules import p4

LOCAL = ZoneInfo("Asia/Shanghai")


def _datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from None
    return value.replace(tzinfo=LOCAL) if value.tzinfo is None else value.astimezone(LOCAL)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None


def deadline(kind: str, received: dt.datetime, *, special: bool = False, reason: str = "",
             promised: dt.date | None = None, reply_needed: bool = True) -> dict[str, Any]:
    """The CLI's JSON: ``{"due_at", "provisional", "clauses"}`` (+ ``explanation``, ``error``)."""
    local = received.astimezone(LOCAL)
    contact = p4.Contact(kind=kind, received=local, special=special,
                         special_reason=reason or ("命令行查询" if special else ""),
                         reply_needed=reply_needed, promised=promised)
    decision = p4.deadline(contact, default_params(local.date()), work_calendar())
    out: dict[str, Any] = {"due_at": decision.value, "provisional": decision.provisional,
                           "clauses": list(decision.clauses), "explanation": decision.explain()}
    if decision.facts.get("error"):
        out["error"] = decision.facts["error"]
    return out


class Command(BaseCommand):
    help = ("Complaint handling: deadline --type {inquiry,suggestion,complaint} --received ISO_DATETIME "
            "[--special [--reason TEXT]] [--promised ISO_DATE] [--no-reply-needed] [--json]; stats-rebuild [--json].")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        p = sub.add_parser("deadline", help="the reply/closing deadline of a contact (P4.4.1, P4.4.2, P4.4.4)")
        p.add_argument("--type", dest="kind", required=True, choices=["inquiry", "suggestion", "complaint"])
        p.add_argument("--received", required=True, type=_datetime, help="ISO date-time; naive = Asia/Shanghai")
        p.add_argument("--special", action="store_true", help="a special case (P4.4.4: 7 working days)")
        p.add_argument("--reason", default="", help="the special case's reason")
        p.add_argument("--promised", type=_date, default=None, help="suggestion: the promised reply date")
        p.add_argument("--no-reply-needed", action="store_true", help="suggestion: no reply is needed")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        r = sub.add_parser("stats-rebuild", help="rebuild the pre-aggregated statistics table from the complaints (P4.5)")
        r.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "stats-rebuild":
            from zhidu.complaints import aggregates

            report = aggregates.rebuild()
            if report.conflict:
                raise CommandError("another refresh changed the statistics table meanwhile; run it again")
            self.stdout.write(json.dumps(report.as_dict()) if options["json"] else
                              f"complaints statistics table rebuilt in {report.seconds:.1f} s")
            return
        if options["subcommand"] != "deadline":  # pragma: no cover - argparse enforces the choice
            raise CommandError("unknown subcommand")
        if options["special"] and options["kind"] != "complaint":
            raise CommandError("--special applies to complaints only (P4.4.4)")
        out = deadline(options["kind"], options["received"], special=options["special"], reason=options["reason"],
                       promised=options["promised"], reply_needed=not options["no_reply_needed"])
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(out["due_at"] or "-")
            self.stdout.write(out["explanation"])
        if out.get("error"):
            raise CommandError(out["explanation"])
