from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: psycopg converts a statement's ``%s`` placeholders once and caches the result, but only for
#: statements of at most 50 parameters; a registration's row has 77, so its INSERT was converted at
#: every execution (3 % of the intake's CPU on PostgreSQL). Statements are still cached by text.
PSYCOPG_CACHED_PARAMS = 128


def widen_psycopg_statement_cache() -> bool:
    """Let psycopg cache the conversion of statements with up to ``PSYCOPG_CACHED_PARAMS`` parameters
    (a module setting of psycopg's; left alone if this psycopg has no such setting). True if set."""
    try:
        from psycopg import _queries
    except ImportError:  # no PostgreSQL driver installed
        return False
    if not isinstance(getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None), int):
        return False
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, PSYCOPG_CACHED_PARAMS)
    return True


class CoreConfig(AppConfig):
    name = "zhidu.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
            widen_psycopg_statement_cache()
