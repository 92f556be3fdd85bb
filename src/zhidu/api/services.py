from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.audit.services import record
from zhidu.core.errors import PermissionDeniedError
from zhidu.org import access

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


def user_for_token(raw: str) -> Any:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
