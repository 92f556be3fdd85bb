"""The ``zhidu`` command: Django's management commands, from any directory.

``zhidu migrate``, ``zhidu serve``, ``zhidu demo``, ``zhidu audit verify`` … ; ``zhidu --help``
lists zhidu's own commands, ``zhidu help --commands`` every command including Django's.
"""

from __future__ import annotations

import gc
import os
import sys


def _zhidu_commands() -> list[tuple[str, str]]:
    from django.core.management import get_commands, load_command_class

    rows = []
    for name, app in sorted(get_commands().items()):
        if not app.startswith("zhidu"):
            continue
        try:
            help_text = load_command_class(app, name).help.strip().splitlines()[0]
        except Exception:  # pragma: no cover - a broken command should not hide the others
            help_text = ""
        rows.append((name, help_text))
    return rows


USAGE = """usage: zhidu <command> [options]

zhidu (制度) turns a service organization's regulations into working software.

zhidu commands:
{commands}

Common Django commands: migrate, createsuperuser, check, shell, dbshell, collectstatic.
'zhidu help --commands' lists every command; 'zhidu help <command>' shows one command's options.
Settings: DJANGO_SETTINGS_MODULE (default zhidu.settings), ZHIDU_DATA_DIR, DATABASE_URL.
"""


# Commands that need neither a database nor the app registry: with the default settings they run
# without django.setup(), which imports every app (models, admin, signals, …) — most of a start.
NO_SETUP_COMMANDS = {("attendance", "evaluate")}


def _run_without_setup(args: list[str]) -> bool:
    """Run ``zhidu attendance evaluate …`` with Django configured only as far as the pure engine needs
    (no apps, no database, no translation catalogues: the default language, Simplified Chinese, shows
    the Chinese message ids as they are). The command itself, its parser, its errors and its output
    are the same objects as on the full path. False when it does not apply: another command, other
    settings (``DJANGO_SETTINGS_MODULE``, ``--settings``, ``--pythonpath``), shell completion, or
    settings already loaded in this process."""
    if tuple(args[1:3]) not in NO_SETUP_COMMANDS or os.environ.get("DJANGO_SETTINGS_MODULE") != "zhidu.settings":
        return False
    if "DJANGO_AUTO_COMPLETE" in os.environ or any(a.startswith(("--settings", "--pythonpath")) for a in args[3:]):
        return False
    from django.conf import settings

    if settings.configured:
        return False
    # A short process that keeps what it builds: the cyclic collector would only walk it again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        settings.configure(USE_I18N=False, LANGUAGE_CODE="zh-hans")
        from zhidu.attendance.management.commands.attendance import Command

        Command().run_from_argv(args)
    finally:
        if collecting:
            gc.enable()
    return True


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    args = list(sys.argv if argv is None else ["zhidu", *argv])
    args[0] = "zhidu"
    if _run_without_setup(args):
        return
    import django

    django.setup()
    if len(args) == 1 or args[1] in {"-h", "--help"}:
        commands = "\n".join(f"  {name:<18} {text}" for name, text in _zhidu_commands())
        sys.stdout.write(USAGE.format(commands=commands))
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":  # pragma: no cover
    main()
