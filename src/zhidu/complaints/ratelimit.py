"""A fixed-window rate limit on Django's cache (LocMem in the embedded default: per process, which is
what a single-machine deployment needs; point CACHES at a shared cache for several machines)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(scope: str, ident: str, limit: int, window: int = 3600, *, now: float | None = None) -> bool:
    """Count one request of ``ident`` in ``scope``; False once more than ``limit`` were made in the
    current window of ``window`` seconds."""
    if limit <= 0:
        return False
    slot = int((time.time() if now is None else now) // window)
    key = f"zhidu:ratelimit:{scope}:{ident}:{slot}"
    if cache.add(key, 1, timeout=window + 60):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    return count <= limit
