"""On PostgreSQL the driver caches the conversion of every hot-path statement, including the
registration's 77-parameter INSERT (zhidu.core.apps.widen_psycopg_statement_cache)."""

from __future__ import annotations

import pytest
from django.db import connection

from zhidu.complaints.models import Complaint
from zhidu.core.apps import PSYCOPG_CACHED_PARAMS, widen_psycopg_statement_cache
from zhidu.core.bulk import _one_sql

pytestmark = pytest.mark.django_db


def test_the_setting_is_widened_and_covers_the_widest_hot_insert() -> None:
    pytest.importorskip("psycopg")
    from psycopg import _queries

    assert widen_psycopg_statement_cache() is True
    _sql, fields, _auto = _one_sql(Complaint)
    assert len(fields) <= PSYCOPG_CACHED_PARAMS <= _queries.MAX_CACHED_STATEMENT_PARAMS


def test_a_wide_statement_is_converted_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from psycopg import _queries

    sql = "SELECT " + ", ".join(["%s::int"] * 77)
    with connection.cursor() as cur:
        cur.execute(sql, list(range(77)))
        before = _queries._query2pg.cache_info()
        cur.execute(sql, list(range(77)))
        after = _queries._query2pg.cache_info()
        assert cur.fetchone() == tuple(range(77))
    assert after.hits == before.hits + 1 and after.misses == before.misses
