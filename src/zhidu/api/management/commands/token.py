from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhidu.api.models import ApiToken
from zhidu.api.services import issue_token, revoke_token
from zhidu.org.access import SYSTEM


class Command(BaseCommand):
    help = "API tokens: 'zhidu token create USER NAME' prints a new token once; 'list'; 'revoke PREFIX'."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("name")
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"username: no such user {options['username']!r}")
            _token, raw = issue_token(SYSTEM, user, name=options["name"])
            self.stdout.write(raw)
        elif options["sub"] == "list":
            for t in ApiToken.objects.select_related("user").order_by("id"):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(f"{t.prefix}\t{t.user.get_username()}\t{t.name}\t{state}")
        else:
            token = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"prefix: no active token {options['prefix']!r}")
            revoke_token(SYSTEM, token)
            self.stdout.write(f"revoked {token.prefix}")
