from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.audit.services import record
from zhidu.core.configcache import VersionedCache, watch
from zhidu.core.errors import PermissionDeniedError
from zhidu.org import access
from zhidu.org.models import Person

from .models import ApiToken, hash_token, new_raw_token


@transaction.atomic
def issue_token(actor: access.Actor, user: Any, *, name: str) -> tuple[ApiToken, str]:
    """A token for ``user``: the user themself, or the system (CLI). Returns (token, raw secret)."""
    person = access.actor_for_user(user)
    if not isinstance(actor, access.SystemActor) and (person is None or actor.pk != person.pk):
        raise PermissionDeniedError(_("只能为自己签发接口令牌。"))
    raw = new_raw_token()
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
    record(actor, "api.issue_token", token, payload={"user": user.get_username(), "name": name})
    return token, raw


@transaction.atomic
def revoke_token(actor: access.Actor, token: ApiToken) -> None:
    person = access.actor_for_user(token.user)
    if not isinstance(actor, access.SystemActor) and (person is None or actor.pk != person.pk):
        raise PermissionDeniedError(_("只能吊销自己的接口令牌。"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor, "api.revoke_token", token, payload={"name": token.name})


#: Bearer tokens resolved to (token id, user, person), per process, while no token, user, person,
#: role or unit has changed in any process (``zhidu.core.configcache``): an integration sends
#: hundreds of requests a second with the same token. A revoked token, a deactivated user or a
#: changed role is seen by the next request after the change commits.
AUTH_CACHE = "api.auth"
_AUTH: VersionedCache[tuple[int, Any, Person | None] | None] = VersionedCache(AUTH_CACHE, maxsize=1024)
_last_used: dict[str, float] = {}     # key hash → when this process last wrote last_used_at
LAST_USED_EVERY = 300.0   # seconds between updates of a token's last_used_at


def _lookup(key_hash: str) -> tuple[int, Any, Person | None] | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    return token.pk, token.user, access.actor_for_user(token.user)


def actor_for_token(raw: str) -> tuple[Any, Person | None] | None:
    """The user of a valid token and their person record (None: unknown, revoked or inactive)."""
    key_hash = hash_token(raw)
    found = _AUTH.get(key_hash, lambda: _lookup(key_hash))
    if found is None:
        return None
    token_id, user, person = found
    now = timezone.now()
    if time.monotonic() - _last_used.get(key_hash, -LAST_USED_EVERY) >= LAST_USED_EVERY:
        _last_used[key_hash] = time.monotonic()
        ApiToken.objects.filter(pk=token_id).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - dt.timedelta(seconds=LAST_USED_EVERY))
        ).update(last_used_at=now)
    return user, person


def user_for_token(raw: str) -> Any:
    found = actor_for_token(raw)
    return found[0] if found is not None else None


def connect() -> None:
    from django.contrib.auth import get_user_model

    from zhidu.org.models import OrgUnit, RoleAssignment

    watch(AUTH_CACHE, ApiToken, get_user_model(), Person, RoleAssignment, OrgUnit)
