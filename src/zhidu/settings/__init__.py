"""Default settings: the embedded default (SQLite in WAL mode in a data directory)."""

from .base import *  # noqa: F403
