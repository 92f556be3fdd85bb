"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhidu.core.errors import PermissionDeniedError
from zhidu.org import access
from zhidu.org.models import OrgUnit

from .chain import GENESIS, event_hash
from .models import AuditEvent, AuditStream


@dataclass(frozen=True)
class Break:
    stream: str
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.event_id}" if self.event_id is not None else "stream head"
        return f"stream {self.stream} seq {self.seq} ({where}): {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    streams: int
    events: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _verify_stream(name: str, head: AuditStream | None) -> tuple[int, Break | None]:
    prev = GENESIS
    expected_seq = 1
    count = 0
    for ev in AuditEvent.objects.filter(stream=name).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if ev.seq != expected_seq:
            return count, Break(name, expected_seq, ev.pk, f"missing event: found seq {ev.seq}")
        if ev.prev_hash != prev:
            return count, Break(name, ev.seq, ev.pk, "link to the previous event is broken")
        digest = event_hash(
            stream=ev.stream, seq=ev.seq, prev_hash=ev.prev_hash, at=ev.at, actor_id=ev.actor_id,
            actor_label=ev.actor_label, action=ev.action, subject_type=ev.subject_type,
            subject_id=ev.subject_id, unit_id=ev.unit_id, payload=ev.payload, clauses=ev.clauses,
        )
        if digest != ev.hash:
            return count, Break(name, ev.seq, ev.pk, "content does not match its hash (edited)")
        prev = ev.hash
        expected_seq += 1
    if head is not None and (head.last_seq != expected_seq - 1 or (head.last_hash or GENESIS) != prev):
        return count, Break(name, expected_seq, None, f"head says seq {head.last_seq}: events were removed")
    return count, None


def verify_chains() -> VerifyReport:
    """Walk every chain; report the first broken link of each broken chain."""
    heads = {h.name: h for h in AuditStream.objects.all()}
    names = sorted(set(heads) | set(AuditEvent.objects.values_list("stream", flat=True).distinct()))
    total = 0
    breaks: list[Break] = []
    for name in names:
        count, brk = _verify_stream(name, heads.get(name))
        total += count
        if brk:
            breaks.append(brk)
    return VerifyReport(streams=len(names), events=total, breaks=breaks)


def events_for(actor: access.Actor, *, unit: OrgUnit | None = None) -> QuerySet[AuditEvent]:
    """Events of the units the actor may audit (system-wide events only for system actors)."""
    if unit is not None:
        access.require(actor, "audit.view", unit)
        ids: list[int] | None = list(
            OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True)
        )
    else:
        paths = access.scope_paths(actor, "audit.view")
        if paths == []:
            raise PermissionDeniedError(_("无权查看审计日志（audit.view）。"))
        ids = None if paths is None else list(access.units_in_scope(actor, "audit.view").values_list("id", flat=True))
    qs = AuditEvent.objects.all()
    if ids is not None:
        qs = qs.filter(Q(unit_id__in=ids))
    return qs


def iter_events(stream: str) -> Iterator[AuditEvent]:
    return AuditEvent.objects.filter(stream=stream).order_by("seq").iterator()
