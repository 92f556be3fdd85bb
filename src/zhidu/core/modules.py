"""Registry of the modules shown in the navigation.

Each app registers its entries in ``AppConfig.ready()``; the layout shows an entry to a user
when the user holds a role allowing ``action`` somewhere (or always, when ``action`` is None).
Domain apps never import each other: they meet here and in the other core apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url_name: str
    order: int = 100
    action: str | None = None
    badge: int | None = None  # filled per request from the entry's registered badge counter


_REGISTRY: dict[str, NavEntry] = {}
_BADGES: dict[str, Callable[[Any], int]] = {}


def register_badge(key: str, count: Callable[[Any], int]) -> None:
    """A number shown next to a navigation entry (e.g. open obligations next to "我的工作");
    ``count(actor)`` is called once per page for signed-in users."""
    _BADGES[key] = count


def with_badges(visible: list[NavEntry], actor: Any) -> list[NavEntry]:
    return [replace(e, badge=_BADGES[e.key](actor)) if e.key in _BADGES and actor is not None else e
            for e in visible]


def register(entry: NavEntry) -> None:
    _REGISTRY[entry.key] = entry


def entries() -> list[NavEntry]:
    return sorted(_REGISTRY.values(), key=lambda e: (e.order, e.key))
