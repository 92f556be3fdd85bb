"""Scheduled attendance work, safe to run again at any time (``run_jobs``; every ``zhidu tick`` runs it,
registered in ``zhidu.core.periodic`` by the app config):

1. a sick-note obligation that ``zhidu tick`` marked breached (P7.5.2: no stamped note within 2 days)
   makes the closed month of its days stale — the next close counts those days as absenteeism (once:
   a month computed after the breach is left alone);
2. a closed, not yet approved month that went stale is computed again (the system closes it);
   approved and locked months are left for HR (a locked month changes only by a visible correction);
3. a close whose ledger posting was interrupted is finished (``services.sync_ledger``; idempotent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.utils import timezone

from zhidu.obligations.models import Obligation, State
from zhidu.org.access import SYSTEM

from . import selectors, services
from .models import CloseStatus, LeaveRequest, MonthClose


@dataclass
class JobReport:
    breached_notes: int = 0
    reclosed: int = 0
    ledger_synced: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _computed_at(close: MonthClose) -> dt.datetime:
    """When the month was last computed: its close, or a later correction of the locked month."""
    last = close.closed_at
    for correction in close.corrections or []:
        try:
            at = dt.datetime.fromisoformat(str(correction.get("at")))
        except ValueError:
            continue
        if timezone.is_aware(at) and at > last:
            last = at
    return last


def run_jobs(now: dt.datetime | None = None, *, settle_minutes: int = 10) -> JobReport:
    now = now or timezone.now()
    report = JobReport()
    breached = {int(i): at for i, at in Obligation.objects.filter(
        kind=services.KIND_SICK_CERTIFICATE, state=State.BREACHED, subject_type="attendance.leaverequest",
    ).values_list("subject_id", "breached_at")}
    for leave in LeaveRequest.objects.filter(pk__in=list(breached), certificate_at__isnull=True).select_related("unit"):
        days = [leave.start_date + dt.timedelta(days=i) for i in range((leave.end_date - leave.start_date).days + 1)]
        # Only a month last computed before the breach: once re-closed it counts the days as absenteeism,
        # and the job (run by every zhidu tick) must not close it again and again.
        at = breached[leave.pk]
        ids = [c.pk for c in MonthClose.objects.filter(
            unit__path__in=selectors.ancestor_paths(leave.unit.path), stale=False,
            period__in={selectors.period_of(d) for d in days}) if at is None or _computed_at(c) < at]
        if ids:
            report.breached_notes += MonthClose.objects.filter(pk__in=ids, stale=False).update(stale=True)
    for close in MonthClose.objects.filter(stale=True, status=CloseStatus.CLOSED).select_related("unit").order_by("id"):
        services.close_month(SYSTEM, close.unit, close.period, now=now)
        report.reclosed += 1
    settled = now - dt.timedelta(minutes=settle_minutes)
    for close in MonthClose.objects.filter(ledger_synced=False, closed_at__lt=settled).select_related("unit"):
        services.sync_ledger(close.unit, close.period)
        report.ledger_synced += 1
    return report
