"""``zhidu demo``: build the demo organization and print its logins."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhidu.core.errors import ZhiduError
from zhidu.demo.data import DemoConflictError, DemoLogin, build_demo


def display_width(text: str) -> int:
    """Terminal columns: CJK (wide and full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(display_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


class Command(BaseCommand):
    help = (
        "Build the demo organization 演示县 and print its logins; safe to run again.\n"
        "One unit per regulation P1-P11, about 60 people, every role held, 10 demo logins. "
        "Everything is written through the org services and audited; a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the table of demo logins")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = build_demo()
        except DemoConflictError as exc:
            raise CommandError(
                _("用户名“%(u)s”已被演示组织以外的账号使用，无法创建演示数据。") % {"u": exc.username}
            ) from exc
        except ZhiduError as exc:
            raise CommandError(_("无法创建演示数据（是否已运行 zhidu migrate？）：%(e)s") % {"e": exc}) from exc
        if options["quiet"] or options["verbosity"] == 0:
            return
        if result.created:
            summary = _("演示组织“%(org)s”已创建：%(units)d 个单位，%(people)d 人（新建 %(n)d 项）。")
        else:
            summary = _("演示组织“%(org)s”已存在：%(units)d 个单位，%(people)d 人，无需改动。")
        self.stdout.write(summary % {
            "org": result.root.name, "units": len(result.units), "people": len(result.everyone),
            "n": result.created,
        })
        self.stdout.write("")
        self.stdout.write(_("演示账号："))
        self.stdout.write("\n".join(self._table(result.logins)))
        self.stdout.write("")
        self.stdout.write(_("所有演示账号的密码：%(pw)s") % {"pw": result.password})
        self.stdout.write(_("“admin”同时是 Django 管理后台（/admin/）的超级用户。"))

    @staticmethod
    def _table(logins: list[DemoLogin]) -> list[str]:
        headers = [_("用户名"), _("姓名"), _("角色"), _("单位")]
        return format_table(headers, [[x.username, x.name, x.roles, x.units] for x in logins])
