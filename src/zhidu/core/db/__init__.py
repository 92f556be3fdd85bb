"""Database helpers shared by the apps (the SQLite backend is ``core.db.sqlite``)."""

from __future__ import annotations

#: SQLSTATEs after which a transaction that was rolled back may simply run again:
#: deadlock_detected and serialization_failure (PostgreSQL).
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (a Django database error) rolled its transaction back for a reason that
    running it again can cure: the database broke a deadlock or a serialization conflict."""
    cause = exc.__cause__ or exc.__context__
    return getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES
