"""``zhidu attendance``: attendance from the command line.

    zhidu attendance evaluate --roster R.csv --punches P.csv [--leaves L.csv] [--exceptions E.csv]
                              --month YYYY-MM [--rules P7|P11] --format json

``evaluate`` needs no database: it reads the CSV files (formats in ``zhidu.attendance.csvio``),
evaluates the month with the shipped rulebook and the ``chinese_calendar`` calendar
(``zhidu.attendance.engine``) and prints
``{"month", "people": [{"person_id", "days": [...], "summary": {...}}]}``. Bad rows: every one is
reported on standard error as ``FILE:LINE: reason`` and nothing is printed on standard output (exit
status 1). A month in a year the calendar does not know is evaluated Monday–Friday and flagged
provisional on standard error.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhidu.attendance import csvio
from zhidu.attendance.engine import (
    RosterEntry,
    evaluate_month,
    parse_month,
    write_people_json,
)


def _month_arg(text: str) -> str:
    try:
        parse_month(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("“%(v)s”不是月份（YYYY-MM）。") % {"v": text}) from None
    return text


class Command(BaseCommand):
    help = (
        "Attendance: evaluate a month from CSV exports (no database needed).\n"
        "evaluate --roster R.csv --punches P.csv [--leaves L.csv] [--exceptions E.csv] --month YYYY-MM "
        "[--rules P7|P11] --format json"
    )
    # `evaluate` must run without a database (not migrated, or none at all): no checks that query it.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        p = sub.add_parser("evaluate", help="evaluate a month from CSV files with the default rulebook and calendar")
        p.add_argument("--roster", required=True, type=Path, metavar="R.csv",
                       help="person_id,name,rank,hired_on,gender,birth_date,base_salary,shift_start,shift_end")
        p.add_argument("--punches", required=True, type=Path, metavar="P.csv", help="person_id,time")
        p.add_argument("--leaves", type=Path, metavar="L.csv",
                       help="person_id,kind,start,end,status,requested_at,notified_at,certificate_at")
        p.add_argument("--exceptions", type=Path, metavar="E.csv", help="date,person_id,reason")
        p.add_argument("--month", required=True, type=_month_arg, metavar="YYYY-MM")
        p.add_argument("--rules", choices=["P7", "P11"], default="P7", help="P7 hotel attendance (default) or P11.7")
        p.add_argument("--format", choices=["json"], default="json")
        p.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="processes to evaluate with (default 1: a second one costs more than it saves)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "evaluate":
            # Millions of objects and no reference cycles worth collecting: the cyclic garbage
            # collector would only walk them again and again (≈ 0.15 s for 10,000 people).
            collecting = gc.isenabled()
            gc.disable()
            try:
                self._evaluate(options)
            finally:
                if collecting:
                    gc.enable()

    def _evaluate(self, options: dict[str, Any]) -> None:
        problems: list[csvio.CsvProblem] = []
        roster = csvio.read_roster(options["roster"], problems)
        known = {e.person_id: e for e in roster}
        punches = csvio.read_punches(options["punches"], known, problems)
        leaves = csvio.read_leaves(options["leaves"], known, problems) if options["leaves"] else []
        exceptions = csvio.read_exceptions(options["exceptions"], known, problems) if options["exceptions"] else []
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(_("%(n)d 处错误，未输出结果。") % {"n": len(problems)})
        month, rules = options["month"], options["rules"]
        # One process by default: 10,000 people take about half a second to evaluate and encode, and a
        # fork pays for copying the pages whose reference counts the child touches, for the pipe and for
        # decoding the other half's JSON — slower on an idle machine, and more so on a busy one.
        jobs = max(1, min(options["jobs"], len(roster) or 1)) if hasattr(os, "fork") else 1
        size = -(-len(roster) // jobs) if roster else 0
        chunks = [roster[k * size:(k + 1) * size] for k in range(jobs)]

        def evaluate(part: Sequence[RosterEntry], write: Callable[[str], object]) -> bool:
            result = evaluate_month(month, part, punches, leaves, exceptions, rules=rules)
            write_people_json(result.people, write)
            return result.provisional

        out = self.stdout
        # The other processes evaluate the later parts while this one does the first; each part is
        # JSON text, joined in roster order. Nothing is written before every part succeeded; then
        # this process's part is encoded straight to standard output, piece by piece.
        workers = [_fork(functools.partial(evaluate, part)) for part in chunks[1:]]
        try:
            result = evaluate_month(month, chunks[0], punches, leaves, exceptions, rules=rules)
            parts: list[str] = []
            while workers:
                parts.append(_collect(workers.pop(0)))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for pid, fd in workers:  # only after a failure: stop the rest
                os.close(fd)
                os.waitpid(pid, 0)
        if result.provisional:
            self.stderr.write(_("%(month)s 所在年份不在工作日历中，按周一至周五工作计算，结果为暂定。") % {"month": month})
        out.write('{"month": ' + json.dumps(month) + ', "people": [', ending="")
        write_people_json(result.people, functools.partial(out.write, ending=""))
        wrote = bool(result.people)
        for text in parts:
            if text:
                if wrote:
                    out.write(", ", ending="")
                out.write(text, ending="")
                wrote = True
        out.write("]}")


def _fork(work: Callable[[Callable[[str], object]], object]) -> tuple[int, int]:
    """Run ``work(write)`` in a forked child that sends what it writes through a pipe: (pid, read fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (covered by the subprocess test with --jobs 2)
        os.close(read_fd)
        status = 0
        try:
            with os.fdopen(write_fd, "w", encoding="utf-8") as pipe:
                work(pipe.write)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write_fd)
    return pid, read_fd


def _collect(worker: tuple[int, int]) -> str:
    pid, fd = worker
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    if status != 0:
        raise ValueError(_("并行计算的子进程失败（状态 %(status)s）。") % {"status": status})
    return data.decode("utf-8")
