from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from zhidu.core.modules import entries, with_badges
from zhidu.org import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": []}
    actor = access.actor_for_user(user)
    visible = [
        e for e in entries()
        if e.action is None or (actor is not None and access.can_anywhere(actor, e.action))
    ]
    return {"nav_entries": with_badges(visible, actor), "actor": actor}
