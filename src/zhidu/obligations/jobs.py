"""``zhidu tick``: reminders, breaches and escalations, safe to run twice at once.

Each step first reads a snapshot of candidates, then *claims* each transition with one
compare-and-set ``UPDATE … WHERE id = ? AND state = ? AND <the counter it read> = ?`` inside a
short transaction that also writes the audit event and records the notifications. Only the
ticker whose UPDATE changed the row goes on; a concurrent ticker's UPDATE matches no row (on
PostgreSQL it waits for the row lock and re-checks the WHERE; on SQLite writers are serialized),
so nothing is sent or audited twice.

The embedded server runs :func:`run_tick` every 60 s in a daemon thread (:func:`start_ticker`);
elsewhere cron or a worker runs ``zhidu tick``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import close_old_connections, connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from zhidu.calendar import selectors as calendar_selectors
from zhidu.core import periodic
from zhidu.org.access import SYSTEM

from . import deadlines, notify, routing
from .models import ACTIVE, Obligation, State
from .services import _audit, _in, policy_for

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class TickReport:
    reminders: int = 0
    reminders_postponed: int = 0
    breaches: int = 0
    escalations: int = 0
    escalations_postponed: int = 0
    delivered: int = 0
    jobs: dict[str, Any] = field(default_factory=dict)  # other apps' periodic jobs (zhidu.core.periodic)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


# ----------------------------------------------------------------------------- the candidate queries


def overdue(now: dt.datetime) -> QuerySet[Obligation]:
    """Open or extended obligations whose deadline has passed: a range scan of ``obl_state_due_idx``."""
    return Obligation.objects.filter(state__in=ACTIVE, due_at__lt=now)


def reminders_due(now: dt.datetime) -> QuerySet[Obligation]:
    return Obligation.objects.filter(state__in=ACTIVE, next_reminder_at__lte=now, due_at__gt=now)


def escalations_due(now: dt.datetime) -> QuerySet[Obligation]:
    return Obligation.objects.filter(state=State.BREACHED, next_escalation_at__lte=now)


def _batches(query: Callable[[], QuerySet[Obligation]], order: str) -> Iterable[list[Obligation]]:
    for _round in range(10_000):
        rows = list(query().select_related("responsible_unit", "responsible_person").order_by(order, "id")[:BATCH])
        if not rows:
            return
        yield rows
        if len(rows) < BATCH:
            return


# ----------------------------------------------------------------------------- steps


Candidate = tuple[int, str, dt.datetime]


def breach_candidates(now: dt.datetime, limit: int | None = BATCH) -> list[Candidate]:
    """``(id, state, due_at)`` of overdue open obligations, earliest deadline first: answered from
    the index ``obl_state_due_idx`` alone (see bench/bench_obligations.py)."""
    qs = overdue(now).order_by("due_at", "id").values_list("id", "state", "due_at")
    return list(qs[:limit] if limit is not None else qs)


def breach(candidate: Candidate, now: dt.datetime) -> bool:
    """Mark one overdue obligation breached (if nobody else did); notify the responsible party."""
    pk, state, due_at = candidate
    local = now.astimezone(_tz())
    with transaction.atomic():
        claimed = Obligation.objects.filter(pk=pk, state=state, due_at=due_at).update(
            state=State.BREACHED, breached_at=now, state_changed_at=now, state_changed_by=None,
            next_reminder_at=None, escalation_level=0, next_escalation_at=None,
        )
        if not claimed:
            return False
        ob = Obligation.objects.select_related("responsible_unit", "responsible_person").get(pk=pk)
        policy = policy_for(ob)
        if policy.escalation_chain:
            ob.next_escalation_at = now if policy.escalate_on_breach else deadlines.add_working_days_at(
                local, policy.escalation_interval_working_days, calendar_selectors.work_calendar())
            Obligation.objects.filter(pk=pk).update(next_escalation_at=ob.next_escalation_at)
        _audit(SYSTEM, "obligations.breach", ob, {"from": state, "due_at": ob.due_at, "detected_at": now})
        notify.record(routing.responsible_people(ob, policy, local.date()), event="breach",
                      message=gettext_noop("待办事项“%(title)s”已于 %(due)s 超期（%(clauses)s）"),
                      args={"title": ob.title_arg(), "due": _in(ob.due_at), "clauses": list(ob.clauses)},
                      channels=policy.channels_for("breach"), obligation=ob, now=now)
    return True


def remind(ob: Obligation, now: dt.datetime) -> str:
    """Send the reminder if now is working time for the unit, else move it to the next working start.

    Returns "sent", "postponed" or "" (someone else took it).
    """
    local = now.astimezone(_tz())
    cal = calendar_selectors.work_calendar()
    hours = calendar_selectors.working_hours_for(ob.responsible_unit)
    claim = Obligation.objects.filter(pk=ob.pk, state=ob.state, reminder_count=ob.reminder_count,
                                      next_reminder_at=ob.next_reminder_at)
    if not deadlines.in_working_time(local, cal, hours):
        later: dt.datetime | None = deadlines.next_working_start(local, cal, hours)
        if later is not None and later >= ob.due_at:
            later = None  # no working time left before the deadline: the breach will tell them
        return "postponed" if claim.update(next_reminder_at=later) else ""
    policy = policy_for(ob)
    with transaction.atomic():
        if not claim.update(reminder_count=F("reminder_count") + 1, next_reminder_at=None):
            return ""
        ob.refresh_from_db()
        people = routing.responsible_people(ob, policy, local.date())
        _audit(SYSTEM, "obligations.remind", ob, {"due_at": ob.due_at, "count": ob.reminder_count,
                                                  "recipients": [p.pk for p in people]})
        notify.record(people, event="remind",
                      message=gettext_noop("提醒：待办事项“%(title)s”将于 %(due)s 到期（%(clauses)s）"),
                      args={"title": ob.title_arg(), "due": _in(ob.due_at), "clauses": list(ob.clauses)},
                      channels=policy.channels_for("remind"), obligation=ob, now=now)
    return "sent"


def escalate(ob: Obligation, now: dt.datetime) -> str:
    """Take a breached obligation one level up its escalation chain (in working time only).

    Returns "sent", "postponed", "done" (chain exhausted) or "" (someone else took it).
    """
    local = now.astimezone(_tz())
    cal = calendar_selectors.work_calendar()
    hours = calendar_selectors.working_hours_for(ob.responsible_unit)
    claim = Obligation.objects.filter(pk=ob.pk, state=State.BREACHED, escalation_level=ob.escalation_level,
                                      next_escalation_at=ob.next_escalation_at)
    if not deadlines.in_working_time(local, cal, hours):
        later = deadlines.next_working_start(local, cal, hours)
        return "postponed" if claim.update(next_escalation_at=later) else ""
    policy = policy_for(ob)
    level, people = routing.escalation_target(ob, policy, ob.escalation_level + 1, local.date())
    if not level:
        return "done" if claim.update(next_escalation_at=None) else ""
    more = level < len(policy.escalation_chain)
    following = deadlines.add_working_days_at(local, policy.escalation_interval_working_days, cal) if more else None
    with transaction.atomic():
        if not claim.update(escalation_level=level, next_escalation_at=following):
            return ""
        ob.refresh_from_db()
        role = policy.escalation_chain[level - 1]
        _audit(SYSTEM, "obligations.escalate", ob, {"level": level, "role": role,
                                                    "recipients": [p.pk for p in people], "due_at": ob.due_at})
        notify.record(people, event="escalate",
                      message=gettext_noop("升级（第 %(level)s 级）：%(unit)s 的待办事项“%(title)s”已于 %(due)s 超期未办（%(clauses)s）"),
                      args={"level": level, "unit": ob.responsible_unit.name, "title": ob.title_arg(),
                            "due": _in(ob.due_at), "clauses": list(ob.clauses)},
                      channels=policy.channels_for("escalate"), obligation=ob, now=now)
    return "sent"


def run_tick(now: dt.datetime | None = None) -> TickReport:
    """One pass: breaches, reminders, escalations, any outbound notification left pending, then the
    periodic jobs other apps registered in ``zhidu.core.periodic`` (e.g. attendance re-closes)."""
    now = now or timezone.now()
    report = TickReport()
    for _round in range(10_000):
        candidates = breach_candidates(now)
        report.breaches += sum(breach(c, now) for c in candidates)
        if len(candidates) < BATCH:
            break
    for rows in _batches(lambda: reminders_due(now), "next_reminder_at"):
        for ob in rows:
            outcome = remind(ob, now)
            report.reminders += outcome == "sent"
            report.reminders_postponed += outcome == "postponed"
    for rows in _batches(lambda: escalations_due(now), "next_escalation_at"):
        for ob in rows:
            outcome = escalate(ob, now)
            report.escalations += outcome == "sent"
            report.escalations_postponed += outcome == "postponed"
    report.delivered = notify.deliver()
    report.jobs = periodic.run_all(now)
    return report


# ----------------------------------------------------------------------------- in-process ticker


@contextlib.contextmanager
def _tick_lock(path: str | None) -> Iterator[bool]:
    """True while this round may run: no lock wanted, or the lock file's exclusive flock taken."""
    if path is None:
        yield True
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        log.exception("zhidu tick: cannot open the lock file %s; running anyway", path)
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False   # another process is ticking now
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def start_ticker(interval: float = 60.0, *, first_delay: float = 5.0,
                 lock_path: str | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`run_tick` every ``interval`` seconds in a daemon thread; set the event to stop.

    ``lock_path``: several processes each run a ticker (the production server's workers) and a round
    runs only in the one that holds an exclusive ``flock`` on that file at the time; the others skip
    it. (Two ticks at once would still be correct — every transition is a compare-and-set — but do
    the work twice.)"""
    stop = threading.Event()

    def loop() -> None:
        delay = first_delay
        while not stop.wait(delay):
            delay = interval
            with _tick_lock(lock_path) as mine:
                if not mine:
                    continue
                close_old_connections()
                try:
                    run_tick()
                except Exception:
                    log.exception("zhidu tick failed")
                finally:
                    connections.close_all()

    thread = threading.Thread(target=loop, name="zhidu-tick", daemon=True)
    thread.start()
    return thread, stop
