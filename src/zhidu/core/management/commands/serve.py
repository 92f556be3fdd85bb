from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = ("Start zhidu's web server: waitress in this process (the embedded default), or with --workers N "
            "gunicorn with N worker processes (production, POSIX).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=None,
                            help="requests served at a time per process (default: 8 with waitress, 4 per gunicorn worker)")
        parser.add_argument("--workers", type=int, default=0,
                            help="serve with gunicorn and this many worker processes (0: waitress, one process)")
        parser.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")
        parser.add_argument("--no-jobs", action="store_true",
                            help="do not run `zhidu tick` in-process every 60 s (run it from cron or a worker)")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers < 0 or (options["threads"] is not None and options["threads"] < 1):
            raise CommandError(_("--workers 不能为负数，--threads 至少为 1。"))
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
        db = settings.DATABASES["default"]
        self.stdout.write(_("zhidu 已启动：http://%(host)s:%(port)s/（数据库：%(engine)s %(name)s）") % {
            "host": shown, "port": port, "engine": db["ENGINE"].rsplit(".", 1)[-1], "name": db["NAME"]})
        jobs = not options["no_jobs"]
        if workers:
            from zhidu.core.server import gunicorn_options, run_gunicorn

            self.stdout.write(_("gunicorn：%(workers)s 个工作进程，每个 %(threads)s 个线程。") % {
                "workers": workers, "threads": options["threads"] or 4})
            if jobs:
                self.stdout.write(_("定时任务（zhidu tick）每 60 秒运行一次，每次只在一个工作进程中运行（--no-jobs 关闭）。"))
            self.stdout.write(_("按 Ctrl-C 停止。"))
            run_gunicorn(gunicorn_options(host=host, port=port, workers=workers, threads=options["threads"] or 4,
                                          jobs=jobs))
            return
        if jobs:
            from zhidu.obligations.jobs import start_ticker

            start_ticker(60.0)
            self.stdout.write(_("定时任务（zhidu tick）在本进程中每 60 秒运行一次（--no-jobs 关闭）。"))
        self.stdout.write(_("按 Ctrl-C 停止。"))
        from waitress import serve

        from zhidu.wsgi import application

        serve(application, host=host, port=port, threads=options["threads"] or 8, ident="zhidu")
