"""Writing audit events. Call ``record`` inside the service's transaction, after the change."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .chain import GENESIS, event_hash
from .models import AuditEvent, AuditStream


def _normalize(payload: Any) -> Any:
    """What the JSON column will give back, so that the hash covers exactly what is stored."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))


def _subject(subject: models.Model | tuple[str, object]) -> tuple[str, str]:
    if isinstance(subject, models.Model):
        return subject._meta.label_lower, str(subject.pk)
    kind, pk = subject
    return kind, str(pk)


def record(
    actor: Any,
    action: str,
    subject: models.Model | tuple[str, object],
    *,
    payload: dict[str, Any] | None = None,
    clauses: Iterable[str] = (),
    unit_id: int | None = None,
    stream: str | None = None,
) -> AuditEvent:
    """Append one event to its stream's chain, in the caller's transaction.

    Only the stream's head row is locked, so writes in different streams do not serialize.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction")
    stream_name = stream or (f"unit:{unit_id}" if unit_id is not None else "global")
    head = AuditStream.objects.select_for_update().filter(name=stream_name).first()
    if head is None:  # the stream's first event
        AuditStream.objects.get_or_create(name=stream_name)
        head = AuditStream.objects.select_for_update().get(name=stream_name)
    subject_type, subject_id = _subject(subject)
    actor_id = getattr(actor, "pk", None)
    fields: dict[str, Any] = {
        "stream": stream_name,
        "seq": head.last_seq + 1,
        "prev_hash": head.last_hash or GENESIS,
        "at": timezone.now(),
        "actor_id": actor_id,
        "actor_label": str(actor) if actor is not None else "anonymous",
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "unit_id": unit_id,
        "payload": _normalize(payload or {}),
        "clauses": sorted(set(clauses)),
    }
    digest = event_hash(**fields)
    event = AuditEvent.objects.create(**fields, hash=digest)
    AuditStream.objects.filter(name=stream_name).update(last_seq=fields["seq"], last_hash=digest)
    return event
