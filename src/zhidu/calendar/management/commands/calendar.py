"""``zhidu calendar``: query and maintain the PRC working-day calendar.

    zhidu calendar is-workday 2026-10-10          → "true" / "makeup 国庆节"
    zhidu calendar add-workdays 2026-09-30 3      → "2026-10-10" ("… provisional" for unknown years)
    zhidu calendar is-workday 2026-10-10 --json   → {"date": …, "working": …, "kind": …, "name": …, "provisional": …}
    zhidu calendar import FILE [--format csv|ics] [--partial] [--replace] [--no-confirm] [--source TEXT]
    zhidu calendar export YEAR [--format ics|csv] [-o FILE]
    zhidu calendar confirm YEAR [--source TEXT]
    zhidu calendar seed                           → add the chinese_calendar package's new years

Queries use the calendar in force (database; the package seed when the database is not migrated).
Writes run as the system actor and are audited like any other calendar change.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhidu.calendar import selectors
from zhidu.calendar.formats import MAX_YEAR, MIN_YEAR, parse_date
from zhidu.calendar.rules import DayInfo
from zhidu.core.errors import ZhiduError
from zhidu.org.access import SYSTEM


def _date_arg(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("“%(v)s”不是整数。") % {"v": text}) from None


def _year_arg(text: str) -> int:
    year = _int_arg(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(_("年份须在 %(lo)d–%(hi)d 之间。") % {"lo": MIN_YEAR, "hi": MAX_YEAR})
    return year


def day_json(info: DayInfo, provisional: bool | None = None) -> str:
    """The one JSON shape of the CLI and the API."""
    return json.dumps({
        "date": info.date.isoformat(), "working": info.working, "kind": info.kind.value, "name": info.name,
        "provisional": info.provisional if provisional is None else provisional,
    }, ensure_ascii=False)


class Command(BaseCommand):
    help = (
        "Working-day calendar: is-workday DATE, add-workdays DATE N, import FILE, export YEAR, confirm YEAR, seed.\n"
        "Dates are YYYY-MM-DD; --json prints {date, working, kind, name, provisional}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)

        p = sub.add_parser("is-workday", help="print true/false, then the kind and name of DATE")
        p.add_argument("date", metavar="DATE", type=_date_arg, help="YYYY-MM-DD")
        p.add_argument("--json", action="store_true", help="print one JSON object")

        p = sub.add_parser("add-workdays", help="the N-th working day after DATE (N < 0: before)")
        p.add_argument("date", metavar="DATE", type=_date_arg, help="YYYY-MM-DD (not counted)")
        p.add_argument("n", metavar="N", type=_int_arg, help="number of working days")
        p.add_argument("--json", action="store_true", help="print one JSON object")

        p = sub.add_parser("import", help="import days from a CSV or ICS file")
        p.add_argument("file", metavar="FILE", help="path of the file ('-' for standard input)")
        p.add_argument("--format", choices=["csv", "ics"], help="default: from the file name")
        p.add_argument("--partial", action="store_true", help="import the good rows even if some are bad")
        p.add_argument("--replace", action="store_true",
                       help="remove the explicit days of the file's years that the file does not list")
        p.add_argument("--no-confirm", action="store_true", help="do not mark the file's years as known")
        p.add_argument("--source", default="", help="where the days come from (default: the file name)")

        p = sub.add_parser("export", help="export a year's holidays and make-up days")
        p.add_argument("year", metavar="YEAR", type=_year_arg)
        p.add_argument("--format", choices=["ics", "csv"], default="ics")
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

        p = sub.add_parser("confirm", help="confirm a year's schedule as complete (no longer provisional)")
        p.add_argument("year", metavar="YEAR", type=_year_arg)
        p.add_argument("--source", default="", help="e.g. the State Council notice")

        sub.add_parser("seed", help="add the years the chinese_calendar package knows and the database does not")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        try:
            if command == "is-workday":
                self._is_workday(options)
            elif command == "add-workdays":
                self._add_workdays(options)
            elif command == "import":
                self._import(options)
            elif command == "export":
                self._export(options)
            elif command == "confirm":
                self._confirm(options)
            elif command == "seed":
                self._seed()
        except ZhiduError as exc:
            rows = getattr(exc, "rows", None)
            if rows:
                for row in rows:
                    self.stderr.write(str(row))
            raise CommandError(str(exc.message) if rows else str(exc)) from exc

    def _is_workday(self, options: dict[str, Any]) -> None:
        info = selectors.work_calendar().info(options["date"])
        if options["json"]:
            self.stdout.write(day_json(info))
            return
        self.stdout.write("true" if info.working else "false")
        self.stdout.write(f"{info.kind.value} {info.name}".rstrip())
        if info.provisional:
            self.stdout.write("provisional")

    def _add_workdays(self, options: dict[str, Any]) -> None:
        cal = selectors.work_calendar()
        try:
            result, provisional = cal.add_working_days(options["date"], options["n"])
        except (ValueError, OverflowError) as exc:
            raise CommandError(_("N：结果超出支持的日期范围（%(e)s）。") % {"e": exc}) from exc
        if options["json"]:
            self.stdout.write(day_json(cal.info(result), provisional))
            return
        self.stdout.write(f"{result.isoformat()} provisional" if provisional else result.isoformat())

    def _import(self, options: dict[str, Any]) -> None:
        from zhidu.calendar import services

        path = options["file"]
        if path == "-":
            data: bytes = sys.stdin.buffer.read()
            name = "stdin"
        else:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise CommandError(_("FILE：无法读取“%(p)s”（%(e)s）。") % {"p": path, "e": exc.strerror}) from exc
            name = Path(path).name
        result = services.import_file(
            SYSTEM, data, filename=name, fmt=options["format"], partial=options["partial"],
            replace=options["replace"], confirm_years=not options["no_confirm"], source=options["source"] or name,
        )
        for row in result.errors:
            self.stderr.write(str(row))
        text = _("导入完成：新增 %(c)d 天，修改 %(u)d 天，未变 %(s)d 天，删除 %(d)d 天；变化的日期 %(n)d 个；已确认年份：%(y)s。")
        self.stdout.write(text % {
            "c": result.created, "u": result.updated, "s": result.unchanged, "d": result.deleted,
            "n": len(result.changed_dates), "y": ", ".join(str(y) for y in result.confirmed_years) or "-"})
        if result.errors:
            self.stdout.write(_("跳过 %(n)d 处错误。") % {"n": len(result.errors)})

    def _export(self, options: dict[str, Any]) -> None:
        from zhidu.calendar import services

        year = options["year"]
        data = services.export_csv(year).encode("utf-8") if options["format"] == "csv" else services.export_ics(year)
        if options["output"]:
            try:
                Path(options["output"]).write_bytes(data)
            except OSError as exc:
                raise CommandError(_("-o：无法写入“%(p)s”（%(e)s）。") % {"p": options["output"], "e": exc.strerror}) from exc
            return
        self.stdout.write(data.decode("utf-8"), ending="")

    def _confirm(self, options: dict[str, Any]) -> None:
        from zhidu.calendar import services

        obj = services.confirm_year(SYSTEM, options["year"], source=options["source"])
        self.stdout.write(_("已确认 %(year)d 年。") % {"year": obj.year})

    def _seed(self) -> None:
        from zhidu.calendar import services

        result = services.seed_from_package(SYSTEM)
        if not result.confirmed_years:
            self.stdout.write(_("数据库已包含 chinese_calendar 收录的全部年份，无需改动。"))
            return
        self.stdout.write(_("已从 chinese_calendar 添加年份：%(y)s（%(n)d 天）。") % {
            "y": ", ".join(str(y) for y in result.confirmed_years), "n": result.created + result.updated})
