from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhidu.audit.selectors import verify_chains


class Command(BaseCommand):
    help = "Audit trail: 'zhidu audit verify' walks every hash chain and reports the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="verify every chain")
        verify.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chains()
        if options.get("json"):
            self.stdout.write(json.dumps({
                "ok": report.ok, "streams": report.streams, "events": report.events,
                "breaks": [b.__dict__ for b in report.breaks],
            }, ensure_ascii=False))
        elif report.ok:
            self.stdout.write(f"OK: {report.events} events in {report.streams} chains verified")
        else:
            for brk in report.breaks:
                self.stdout.write(f"BROKEN: {brk}")
        if not report.ok:
            raise CommandError(f"audit trail broken in {len(report.breaks)} chain(s)", returncode=1)
