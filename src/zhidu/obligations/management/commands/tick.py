from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = "Send due reminders (in working hours), mark breaches, escalate, deliver pending notifications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="pretend it is this ISO date-time (for tests and catch-up runs)")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhidu.obligations.jobs import run_tick

        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not an ISO date-time: {options['now']!r}") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now, timezone.get_default_timezone())
        report = run_tick(now)
        counts = report.as_dict()
        jobs = counts.pop("jobs", {})
        # other apps' periodic jobs as "<job>.<count>=<n>" (one token each, like the counts above)
        for name, out in jobs.items():
            counts.update({f"{name}.{k}": v for k, v in out.items()} if isinstance(out, dict) else {name: out})
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
