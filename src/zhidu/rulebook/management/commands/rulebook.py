from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.utils import timezone

from zhidu.core.errors import ZhiduError
from zhidu.org.access import SYSTEM
from zhidu.org.models import OrgUnit

from ...explain import comparison_label, format_value
from ...lint import LintReport, lint_files
from ...params import RulebookError, load_rulebook


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {raw}") from None


class Command(BaseCommand):
    help = ("The rulebook: 'zhidu rulebook load' (validate and load the shipped YAML), 'lint' (conflicts, "
            "overlaps, interpretations in force), 'show P7.4' (a clause with its parameters and rules), "
            "'set KEY VALUE --from DATE [--unit ID]'.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load", help="validate the shipped YAML and upsert it into the database")
        load.add_argument("--check", action="store_true", help="validate only, write nothing")
        load.add_argument("--dir", help="a directory of YAML files to validate (with --check)")

        lint = sub.add_parser("lint", help="report conflicts, overlaps and interpretations in force; exit 1 on errors")
        lint.add_argument("--dir", help="lint this directory of YAML files instead of the shipped rulebook")
        lint.add_argument("--on", help="date the values are read as of (default today)")
        lint.add_argument("--unit", type=int, help="with this unit's overrides")
        lint.add_argument("--files-only", action="store_true", help="ignore the database (values and overrides)")
        lint.add_argument("--json", action="store_true")

        show = sub.add_parser("show", help="a clause with its parameters and the rules citing it")
        show.add_argument("clause_id")
        show.add_argument("--on", help="date the values are read as of (default today)")
        show.add_argument("--unit", type=int, help="with this unit's overrides")
        show.add_argument("--json", action="store_true")

        setp = sub.add_parser("set", help="a new dated value (organization-wide, or a unit's override)")
        setp.add_argument("key")
        setp.add_argument("value")
        setp.add_argument("--from", dest="effective_from", required=True, help="effective from (YYYY-MM-DD)")
        setp.add_argument("--until", dest="effective_until", help="effective until (YYYY-MM-DD, inclusive)")
        setp.add_argument("--unit", type=int, help="override for this unit and the units below it")
        setp.add_argument("--reason", default="", help="why (required for a unit's override)")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand']}")
        handler(options)

    # -----------------------------------------------------------------------------------------
    def _load(self, options: dict[str, Any]) -> None:
        try:
            book = load_rulebook(Path(options["dir"]) if options.get("dir") else None)
        except RulebookError as exc:
            for problem in exc.problems:
                self.stderr.write(f"ERROR {problem}")
            raise CommandError(f"rulebook invalid: {len(exc.problems)} problem(s)", returncode=1) from None
        summary = f"{len(book.regulations)} regulations, {len(book.clauses)} clauses, {len(book.params)} parameters"
        if options.get("check"):
            self.stdout.write(f"OK: {summary}")
            return
        if options.get("dir"):
            raise CommandError("--dir only with --check: the database holds the shipped rulebook")
        from ...services import sync_default_rulebook

        report = sync_default_rulebook(SYSTEM, book)
        changes = ", ".join(f"{k}: {len(v)}" for k, v in report.as_dict().items() if v)
        self.stdout.write(f"Loaded {summary}; " + (f"changed {changes}" if changes else "no changes"))

    # -----------------------------------------------------------------------------------------
    def _unit(self, options: dict[str, Any]) -> OrgUnit | None:
        if not options.get("unit"):
            return None
        unit = OrgUnit.objects.filter(pk=options["unit"]).first()
        if unit is None:
            raise CommandError(f"no unit with id {options['unit']}")
        return unit

    def _lint(self, options: dict[str, Any]) -> None:
        on = _date(options["on"]) if options.get("on") else timezone.localdate()
        from ...selectors import lint_current, rules_registry

        report: LintReport
        if options.get("dir"):
            report = lint_files(on, Path(options["dir"]), rules=rules_registry())
        else:
            try:
                report = lint_current(on, self._unit(options), database=not options.get("files_only"))
            except DatabaseError:  # no database yet: lint the files alone
                report = lint_current(on, database=False)
        if options.get("json"):
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder))
        else:
            for finding in report.findings:
                self.stdout.write(str(finding))
            self.stdout.write(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s), "
                              f"{len(report.findings)} finding(s) as of {on.isoformat()}")
        if report.errors:
            raise CommandError(f"rulebook lint: {len(report.errors)} error(s)", returncode=1)

    # -----------------------------------------------------------------------------------------
    def _show(self, options: dict[str, Any]) -> None:
        on = _date(options["on"]) if options.get("on") else timezone.localdate()
        from ...selectors import clause_detail

        detail = clause_detail(options["clause_id"], on, self._unit(options))
        if detail is None:
            raise CommandError(f"no clause {options['clause_id']} in the rulebook", returncode=1)
        if options.get("json"):
            self.stdout.write(json.dumps({"on": on, **detail}, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder))
            return
        c = detail["clause"]
        w = self.stdout.write
        w(f"{c['id']} {c['title']}  [{c['status']}: {c['status_label']}]")
        if c["title_en"]:
            w(f"  {c['title_en']}")
        w(f"  {c['regulation']} {c['regulation_title']}")
        w(f"  {c['text']}")
        w("")
        w(f"Parameters (as of {on.isoformat()}):" if detail["parameters"] else "Parameters: none")
        for p in detail["parameters"]:
            cmp = f"  {comparison_label(p['comparison'])}" if p["comparison"] else ""
            flag = "  [interpretation]" if p["interpretation"] else ""
            w(f"  {p['key']} = {format_value(p['value'], p['unit'])}{cmp}  ({p['type']}; {p['source']}){flag}")
            w(f"    clauses: {', '.join(p['clauses'])}")
            if p["note"]:
                w(f"    note: {p['note']}")
            for v in p["versions"]:
                until = v["effective_until"].isoformat() if v["effective_until"] else "…"
                w(f"    version {v['source']}: {v['effective_from'].isoformat()} – {until}: "
                  f"{format_value(v['value'], p['unit'])}{'  (' + v['reason'] + ')' if v['reason'] else ''}")
            for o in p["overrides"]:
                until = o["effective_until"].isoformat() if o["effective_until"] else "…"
                w(f"    override {o['unit']} (#{o['unit_id']}): {o['effective_from'].isoformat()} – {until}: "
                  f"{format_value(o['value'], p['unit'])}  ({o['reason']})")
        w("")
        w("Rules:" if detail["rules"] else "Rules: none registered")
        for r in detail["rules"]:
            w(f"  {r['id']} ({', '.join(r['clauses'])}){': ' + r['doc'] if r['doc'] else ''}")
        if detail["conflicts"]:
            w("")
            w("Conflicts:")
            for k in detail["conflicts"]:
                resolved = f" — resolved by {k['resolved_by']}" if k["resolved_by"] else ""
                w(f"  {k['id']} ({k['kind']}, {', '.join(k['clauses'])}): {k['description']}{resolved}")

    # -----------------------------------------------------------------------------------------
    def _set(self, options: dict[str, Any]) -> None:
        from ...services import override_parameter, set_parameter_value

        start = _date(options["effective_from"])
        until = _date(options["effective_until"]) if options.get("effective_until") else None
        unit = self._unit(options)
        try:
            if unit is None:
                row: Any = set_parameter_value(SYSTEM, options["key"], options["value"], start, effective_until=until,
                                               reason=options["reason"])
            else:
                row = override_parameter(SYSTEM, unit, options["key"], options["value"], start, options["reason"],
                                         effective_until=until)
        except ZhiduError as exc:
            raise CommandError(str(exc), returncode=1) from None
        where = f"unit {unit.name} (#{unit.pk})" if unit else "the organization"
        self.stdout.write(f"{options['key']} = {json.dumps(row.value, ensure_ascii=False)} for {where} "
                          f"from {start.isoformat()}")
