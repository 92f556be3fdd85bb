"""Signal receivers: pending items follow their deadline obligations when the calendar changes."""

from __future__ import annotations

from typing import Any


def on_calendar_changed(sender: Any, **kwargs: Any) -> None:
    """``calendar_changed`` (sent on commit, after the obligations engine recomputed): the items'
    own deadline columns follow (see ``services.sync_deadlines``)."""
    from .services import sync_deadlines

    sync_deadlines()
