"""Attendance tests: a package, so that ``tests/attendance/test_cli.py`` does not clash with
``tests/test_cli.py`` (pytest imports these as ``attendance.<module>``). Import helpers relatively
(``from .att_helpers import …``); the directory is also appended to ``sys.path`` (after ``tests/``,
so it never shadows a top-level test module) for helpers imported by plain name (``att_db``)."""

import sys
from pathlib import Path

if str(Path(__file__).parent) not in sys.path:
    sys.path.append(str(Path(__file__).parent))
