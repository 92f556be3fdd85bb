"""Writing audit events. Call ``record`` inside the service's transaction, after the change."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from .chain import GENESIS, event_hash
from .models import AuditEvent, AuditStream


def _normalize(payload: Any) -> Any:
    """What the JSON column will give back, so that the hash covers exactly what is stored."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))


def unit_stream(unit_id: int, subject_type: str, subject_id: str) -> str:
    """The chain of a unit that holds a subject's events: ``unit:<id>`` when the unit has one chain
    (``ZHIDU_AUDIT_CHAINS_PER_UNIT`` = 1), else ``unit:<id>/<n>``, ``n`` from the subject (CRC-32 of its
    type and key), so that a subject's events stay in one chain and the events of many subjects of
    one unit spread over its chains (their writers do not queue for one head row)."""
    chains = int(settings.ZHIDU_AUDIT_CHAINS_PER_UNIT)
    if chains <= 1:
        return f"unit:{unit_id}"
    return f"unit:{unit_id}/{zlib.crc32(f'{subject_type}:{subject_id}'.encode()) % chains}"


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

    Only the stream's head row is locked, so writes in different streams do not serialize. The
    stream is ``stream`` or one of the unit's chains (``unit_stream``), else ``global``.
    """
    return prepare(actor, action, subject, payload=payload, clauses=clauses, unit_id=unit_id,
                   stream=stream).append()


class PendingEvent:
    """An event whose fields are ready but for its place in the chain (``prepare``); ``append``
    writes it."""

    __slots__ = ("fields", "stored", "subject")

    def __init__(self, fields: dict[str, Any], subject: models.Model | None) -> None:
        self.fields = fields
        self.subject = subject      # a model instance unsaved when prepared: its key is read at append
        # the database values of the fields fixed from now on, prepared here (not under the writer lock)
        connection = connections[DEFAULT_DB_ALIAS]
        late = {"subject_id", "stream"} if subject is not None else set()
        self.stored = {f.attname: f.get_db_prep_save(fields[f.attname], connection)
                       for f in _EVENT_FIELDS if f.attname in _FIXED and f.attname not in late}

    def append(self, late: dict[str, Any] | None = None) -> AuditEvent:
        """Append the event to its stream's chain in the caller's transaction; ``late``: payload
        entries known only now (the key of a row written in this transaction, say)."""
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            raise RuntimeError("audit.record must run inside the service's transaction")
        fields = dict(self.fields)
        if self.subject is not None:
            if self.subject.pk is None:
                raise ValueError("audit: the event's subject was never saved")
            fields["subject_id"] = str(self.subject.pk)
            if fields["stream"] is None:  # one of the unit's chains, chosen by the subject's key
                fields["stream"] = unit_stream(fields["unit_id"], fields["subject_type"], fields["subject_id"])
        if late:
            fields["payload"] = {**fields["payload"], **_normalize(late)}
        seq, prev = _lock_head(connection, fields["stream"])
        fields["seq"] = seq + 1
        fields["prev_hash"] = prev or GENESIS
        if fields["at"] is None:
            fields["at"] = timezone.now()
        fields["hash"] = event_hash(**fields)  # (fields has no "hash" before this)
        stored = self.stored
        values = [stored[f.attname] if f.attname in stored else f.get_db_prep_save(fields[f.attname], connection)
                  for f in _EVENT_FIELDS]
        pk = _insert(connection, values, head=(fields["stream"], fields["seq"], fields["hash"]))
        return AuditEvent.from_db(connection.alias, _ATTNAMES, [pk, *(fields[f.attname] for f in _EVENT_FIELDS)])


def prepare(
    actor: Any,
    action: str,
    subject: models.Model | tuple[str, object],
    *,
    payload: dict[str, Any] | None = None,
    clauses: Iterable[str] = (),
    unit_id: int | None = None,
    stream: str | None = None,
    at: Any = None,
) -> PendingEvent:
    """Everything of an event but its place in the chain, computed before the transaction (a writer
    holding SQLite's lock then spends no time on it). ``subject`` may be a model instance not saved
    yet: its key is taken when the event is appended. The event's time is ``at`` or that of the append
    (so that a stream's times follow its order)."""
    unsaved = isinstance(subject, models.Model) and subject.pk is None
    subject_type, subject_id = _subject(subject)
    if not stream:
        if unit_id is None:
            stream = "global"
        elif not unsaved:
            stream = unit_stream(unit_id, subject_type, subject_id)
        # else: chosen when the event is appended, once the subject has its key
    fields: dict[str, Any] = {
        "stream": stream,
        "seq": 0,
        "prev_hash": GENESIS,
        "at": at,
        "actor_id": getattr(actor, "pk", None),
        "actor_label": str(actor) if actor is not None else "anonymous",
        "action": action,
        "subject_type": subject_type,
        "subject_id": "" if unsaved else subject_id,
        "unit_id": unit_id,
        "payload": _normalize(payload or {}),
        "clauses": sorted(set(clauses)),
    }
    return PendingEvent(fields, subject if unsaved else None)  # type: ignore[arg-type]  # a model when unsaved


# Events are the most frequent write of all (every service writes one or more); they are written
# with plain SQL, each value prepared by its model field exactly as the ORM would store it.
_STREAM_TABLE = AuditStream._meta.db_table
_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
_ATTNAMES = [f.attname for f in AuditEvent._meta.concrete_fields]
#: fields an event's preparation fixes (the others are set when it is appended)
_FIXED = frozenset({"stream", "actor_id", "actor_label", "action", "subject_type", "subject_id", "unit_id", "clauses"})


def _lock_head(connection: Any, stream_name: str) -> tuple[int, str]:
    """The stream's (last_seq, last_hash), its head row locked until the transaction ends (row lock
    on PostgreSQL; SQLite's IMMEDIATE transaction already holds the database's writer lock)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT last_seq, last_hash FROM {_STREAM_TABLE} WHERE name = %s{lock}"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [stream_name])
        row = cur.fetchone()
    if row is None:  # the stream's first event: a unit's chains are all created with its first event
        AuditStream.objects.bulk_create([AuditStream(name=name) for name in _created_with(stream_name)],
                                        ignore_conflicts=True)
        with connection.cursor() as cur:
            cur.execute(sql, [stream_name])
            row = cur.fetchone()
    return int(row[0]), str(row[1] or "")


def _created_with(stream_name: str) -> list[str]:
    """The chains whose heads are created together with ``stream_name``'s: every chain of its unit
    (``unit_stream``), so that which of them an event lands in never changes the statements it takes
    after the unit's first event; otherwise the stream alone."""
    prefix, slash, n = stream_name.partition("/")
    if not (prefix.startswith("unit:") and slash and n.isdigit()):
        return [stream_name]
    chains = int(settings.ZHIDU_AUDIT_CHAINS_PER_UNIT)
    return sorted({stream_name, *(f"{prefix}/{k}" for k in range(chains))})


_SQL: dict[str, tuple[str, str, str]] = {}


def _statements(connection: Any) -> tuple[str, str, str]:
    """(insert, move the head, both in one — PostgreSQL) for this database, built once."""
    found = _SQL.get(connection.vendor)
    if found is None:
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in _EVENT_FIELDS)
        marks = ", ".join(["%s"] * len(_EVENT_FIELDS))
        insert = f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({columns}) VALUES ({marks}) RETURNING id"  # noqa: S608
        move = f"UPDATE {_STREAM_TABLE} SET last_seq = %s, last_hash = %s WHERE name = %s"  # noqa: S608
        both = f"WITH ev AS ({insert}) {move} RETURNING (SELECT id FROM ev)"  # noqa: S608 (model names)
        found = _SQL[connection.vendor] = (insert, move, both)
    return found


def _insert(connection: Any, values: list[Any], *, head: tuple[str, int, str]) -> int:
    """Insert the event (``values``: prepared, in ``_EVENT_FIELDS`` order) and move its stream's head
    (``head``: stream, seq, hash) to it; returns the event's id. PostgreSQL does both in one statement
    (one round trip less per event)."""
    insert, move, both = _statements(connection)
    stream, seq, digest = head
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(both, [*values, seq, digest, stream])
            row = cur.fetchone()
            if row is None:  # pragma: no cover - the head row is locked by _lock_head
                raise RuntimeError(f"audit: stream {stream} has no head row")
            return int(row[0])
        if connection.features.can_return_columns_from_insert:
            cur.execute(insert, values)
            pk = int(cur.fetchone()[0])
        else:  # pragma: no cover - SQLite before 3.35
            cur.execute(insert.removesuffix(" RETURNING id"), values)
            pk = int(cur.lastrowid)
        cur.execute(move, [seq, digest, stream])
        return pk
