"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhidu.core.errors import PermissionDeniedError
from zhidu.org import access
from zhidu.org.models import OrgUnit

from .chain import GENESIS, event_hash
from .models import AuditEvent, AuditStream

#: a break's explanation for people (the pages), by kind; ``reason`` is the technical one (the CLI)
_EXPLAINED = {
    "missing": gettext_noop("链 %(stream)s 缺少第 %(seq)s 条事件（其后是第 %(detail)s 条，事件 #%(event)s）。"),
    "link": gettext_noop("链 %(stream)s 第 %(seq)s 条（事件 #%(event)s）与前一条事件的链接已断开。"),
    "edited": gettext_noop("链 %(stream)s 第 %(seq)s 条（事件 #%(event)s）的内容与其哈希不符：已被修改。"),
    "removed": gettext_noop("链 %(stream)s 的链头记到第 %(detail)s 条，事件只到第 %(last)s 条：有事件被删除。"),
}


@dataclass(frozen=True)
class Break:
    stream: str
    seq: int
    event_id: int | None
    reason: str
    kind: str = ""              # a key of _EXPLAINED
    detail: int | None = None   # "missing": the seq found instead; "removed": the seq the head records

    def __str__(self) -> str:
        where = f"event #{self.event_id}" if self.event_id is not None else "stream head"
        return f"stream {self.stream} seq {self.seq} ({where}): {self.reason}"

    @property
    def explained(self) -> str:
        """The break in the user's language."""
        if self.kind not in _EXPLAINED:
            return str(self)
        return _(_EXPLAINED[self.kind]) % {"stream": self.stream, "seq": self.seq, "event": self.event_id,
                                           "detail": self.detail, "last": self.seq - 1}


@dataclass(frozen=True)
class VerifyReport:
    streams: int
    events: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


class _Walk:
    """One chain being verified, event after event in seq order."""

    __slots__ = ("broken", "expected_seq", "name", "prev")

    def __init__(self, name: str) -> None:
        self.name = name
        self.prev = GENESIS
        self.expected_seq = 1
        self.broken: Break | None = None

    def step(self, ev: AuditEvent) -> bool:
        """Check the next event; False once the chain is broken (its later events are not verified)."""
        if self.broken is not None:
            return False
        if ev.seq != self.expected_seq:
            self.broken = Break(self.name, self.expected_seq, ev.pk, f"missing event: found seq {ev.seq}",
                                "missing", ev.seq)
        elif ev.prev_hash != self.prev:
            self.broken = Break(self.name, ev.seq, ev.pk, "link to the previous event is broken", "link")
        elif event_hash(
            stream=ev.stream, seq=ev.seq, prev_hash=ev.prev_hash, at=ev.at, actor_id=ev.actor_id,
            actor_label=ev.actor_label, action=ev.action, subject_type=ev.subject_type,
            subject_id=ev.subject_id, unit_id=ev.unit_id, payload=ev.payload, clauses=ev.clauses,
        ) != ev.hash:
            self.broken = Break(self.name, ev.seq, ev.pk, "content does not match its hash (edited)", "edited")
        else:
            self.prev = ev.hash
            self.expected_seq += 1
        return True

    def end(self, head: AuditStream | None) -> Break | None:
        """The chain's break, if any, once its last event is checked against its head."""
        if self.broken is None and head is not None and (
                head.last_seq != self.expected_seq - 1 or (head.last_hash or GENESIS) != self.prev):
            self.broken = Break(self.name, self.expected_seq, None,
                                f"head says seq {head.last_seq}: events were removed", "removed", head.last_seq)
        return self.broken


def verify_chains() -> VerifyReport:
    """Walk every chain — one scan of all events in chain order — and report the first broken link of
    each broken chain. Counted: the chains that hold events or whose head says they should (a unit's
    chains not written yet are not)."""
    heads = {h.name: h for h in AuditStream.objects.all()}
    walked: set[str] = set()
    total = 0
    breaks: list[Break] = []
    walk: _Walk | None = None
    for ev in AuditEvent.objects.order_by("stream", "seq").iterator(chunk_size=2000):
        if walk is None or ev.stream != walk.name:
            if walk is not None and (brk := walk.end(heads.get(walk.name))):
                breaks.append(brk)
            walk = _Walk(ev.stream)
            walked.add(ev.stream)
        total += walk.step(ev)
    if walk is not None and (brk := walk.end(heads.get(walk.name))):
        breaks.append(brk)
    for name, head in heads.items():
        if name not in walked and head.last_seq and (brk := _Walk(name).end(head)):  # every event removed
            walked.add(name)
            breaks.append(brk)
    return VerifyReport(streams=len(walked), events=total, breaks=sorted(breaks, key=lambda b: b.stream))


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
