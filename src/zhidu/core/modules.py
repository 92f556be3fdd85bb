"""Registry of the modules shown in the navigation.

Each app registers its entries in ``AppConfig.ready()``; the layout shows an entry to a user
when the user holds a role allowing ``action`` somewhere (or always, when ``action`` is None).
Domain apps never import each other: they meet here and in the other core apps.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url_name: str
    order: int = 100
    action: str | None = None


_REGISTRY: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    _REGISTRY[entry.key] = entry


def entries() -> list[NavEntry]:
    return sorted(_REGISTRY.values(), key=lambda e: (e.order, e.key))
