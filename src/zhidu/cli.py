"""The ``zhidu`` command: Django's management commands, from any directory.

``zhidu migrate``, ``zhidu serve``, ``zhidu demo``, ``zhidu audit verify`` … ; ``zhidu --help``
lists zhidu's own commands, ``zhidu help --commands`` every command including Django's.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhidu.settings")
    args = list(sys.argv if argv is None else ["zhidu", *argv])
    args[0] = "zhidu"
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
