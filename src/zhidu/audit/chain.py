"""The hash of one audit event: pure, so that writing and verifying compute it the same way."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def event_hash(
    *,
    stream: str,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    unit_id: int | None,
    payload: Any,
    clauses: list[str],
) -> str:
    body = {
        "stream": stream,
        "seq": seq,
        "prev": prev_hash,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor_label,
        "action": action,
        "subject": [subject_type, subject_id],
        "unit_id": unit_id,
        "payload": payload,
        "clauses": clauses,
    }
    data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
