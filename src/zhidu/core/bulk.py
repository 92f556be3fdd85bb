"""Inserting rows with the least work per row.

``insert_rows``: many rows at once, the fastest way each database offers (a month close of 10,000 people
writes ≈ 250,000): PostgreSQL by ``COPY … FROM STDIN`` (one stream, no statement per row), other
databases by ``executemany`` in batches (SQLite runs one prepared statement for all of them).

The values must already be what the database takes (``connection.ops.adapt_*``; JSON as its text): the
caller builds them once, with no model instance and no per-value ORM preparation. Rows written this way
get no ``pre_save``/``post_save`` signals and no field defaults: name every column.

``insert_one``: one new model instance as ``save`` would store it, with a statement prepared once
per model (see its docstring).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models.signals import post_save, pre_save


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (each a sequence of values in the order of ``columns``: column names, not field
    names) into ``table``, in the caller's transaction. ``rows`` may be a generator: it is consumed as
    the rows are written, never held in memory whole. Returns the number of rows written."""
    ops = connection.ops
    names = ", ".join(ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY's text format: each value dumped by psycopg and parsed by the column's type (jsonb too).
            n = 0
            with cursor.cursor.copy(f"COPY {ops.quote_name(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        marks = ", ".join(["%s"] * len(columns))
        # One executemany: SQLite steps one prepared statement through every row, pulling them from the
        # iterator in C.
        sql = f"INSERT INTO {ops.quote_name(table)} ({names}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(sql, rows)  # type: ignore[arg-type]  # an iterator is passed through to the driver
        return max(cursor.rowcount, 0)


#: model → (INSERT statement, fields written each with its "plain" type and whether None is stored as it
#: is, primary key field read back or None)
_ONE: dict[type[models.Model], tuple[str, list[tuple[Any, type | None, bool]], Any]] = {}
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _plain(field: Any) -> type | None:
    """The Python type whose values the field stores unchanged (its ``get_db_prep_save`` returns a
    value of exactly that type as it is): ``str`` for text, ``int`` for integers and integer keys,
    ``bool`` for booleans; None when every value goes through the field's preparation."""
    if isinstance(field, models.ForeignKey):
        # an int key: the target's preparation returns it unchanged (SQLite and PostgreSQL accept any
        # automatic key value; only MySQL's check of 0 would differ)
        return int if isinstance(field.target_field, _AUTO_KEYS) else _plain(field.target_field)
    if isinstance(field, models.JSONField) or type(field).get_db_prep_save is not models.Field.get_db_prep_save \
            or type(field).get_db_prep_value is not models.Field.get_db_prep_value:
        return None
    if isinstance(field, models.CharField | models.TextField):
        return str
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    return None


def _none_stays(field: Any) -> bool:
    """Whether the field stores None as NULL without preparing it: fields with a plain type, and the
    date and time fields, whose preparation of None returns None on every backend."""
    return _plain(field) is not None or (
        isinstance(field, models.DateField | models.TimeField)
        and type(field).get_db_prep_save is models.Field.get_db_prep_save)


def _one_sql(model: type[models.Model]) -> tuple[str, list[tuple[Any, type | None, bool]], Any]:
    meta = model._meta
    if meta.parents or meta.proxy:
        raise TypeError(f"insert_one: {meta.label} is not a plain model")
    ops = connection.ops
    pk = meta.pk
    auto = pk if getattr(pk, "db_returning", False) else None
    fields = [f for f in meta.concrete_fields if f is not auto and not getattr(f, "generated", False)]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 (model names)
    if auto is not None and connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {ops.quote_name(auto.column)}"
    return sql, [(f, _plain(f), _none_stays(f)) for f in fields], auto


def _statement(model: type[models.Model]) -> tuple[str, list[tuple[Any, type | None, bool]], Any]:
    found = _ONE.get(model)
    if found is None:
        found = _ONE[model] = _one_sql(model)
    return found


def _db_value(field: Any, plain: type | None, none_stays: bool, obj: models.Model, conn: Any) -> Any:
    """The field's value of ``obj`` as the database takes it (its own preparation, skipped where it
    would return the value unchanged)."""
    v = field.pre_save(obj, True)
    return v if (v is None and none_stays) or (plain is not None and type(v) is plain) \
        else field.get_db_prep_save(v, conn)


class PreparedInsert:
    """A new instance with its values already prepared for its INSERT (``prepare_one``)."""

    __slots__ = ("late", "obj", "values")

    def __init__(self, obj: models.Model, values: list[Any] | None, late: list[int]) -> None:
        self.obj = obj
        self.values = values   # None: prepare everything at insert time
        self.late = late       # positions (in the statement) of the fields prepared at insert time

    def insert(self) -> None:
        """Store the instance (in the caller's transaction), as ``insert_one`` does."""
        insert_one(self.obj, _prepared=self)


def prepare_one(obj: models.Model, *, late: Iterable[str] = ()) -> PreparedInsert:
    """Prepare the values of a new instance for ``.insert()``, before the transaction that stores it,
    so that a writer holding the database's lock (SQLite) spends no time on them. ``pre_save`` is sent
    here (a receiver's changes to the instance are prepared with it), ``post_save`` after the insert;
    ``auto_now`` fields take the time of preparation. Fields named in ``late`` (field names: a key to a
    row inserted in that same transaction, say) are read and prepared at insert time; the other fields
    must not change once prepared."""
    model = type(obj)
    _sql, fields, auto = _statement(model)
    names = frozenset(late)
    positions = [i for i, (f, _plain, _none) in enumerate(fields) if f.name in names]
    if auto is not None and obj.pk is not None:  # stored by save() at insert time (see insert_one)
        return PreparedInsert(obj, None, positions)
    conn = connections[DEFAULT_DB_ALIAS]
    pre_save.send(sender=model, instance=obj, raw=False, using=conn.alias, update_fields=None)
    values: list[Any] = []
    for f, plain, none_stays in fields:
        if f.name in names:
            values.append(None)
            continue
        if f.is_relation and f.is_cached(obj):
            target = f.get_cached_value(obj)
            if target is not None and target.pk is None:
                raise ValueError(f"prepare_one: {model._meta.label}.{f.name} refers to an unsaved row; "
                                 "name it in late")
        values.append(_db_value(f, plain, none_stays, obj, conn))
    return PreparedInsert(obj, values, positions)


def _late_key(obj: models.Model, field: Any) -> None:
    """For a key prepared late, what ``Model._prepare_related_fields_for_save`` does: take the key of
    the related row saved since (refusing one still unsaved)."""
    if not field.is_relation or not field.is_cached(obj):
        return
    target = field.get_cached_value(obj)
    if target is None:
        return
    if target.pk is None:
        raise ValueError(f"save() prohibited to prevent data loss due to unsaved related object '{field.name}'.")
    if getattr(obj, field.attname) in field.empty_values:
        setattr(obj, field.attname, target.pk)
    elif getattr(obj, field.attname) != target.pk:
        field.delete_cached_value(obj)


def insert_one(obj: models.Model, *, _prepared: PreparedInsert | None = None) -> None:
    """Save a new instance as ``obj.save(force_insert=True)`` does for a plain model — ``pre_save``
    and ``post_save`` signals, ``auto_now``/``auto_now_add``, each field's own preparation, the new
    primary key set on the instance — with one statement built once per model instead of compiled
    for each row (a registration's wide row: about a third of its insert time). In the caller's
    transaction; an integrity error propagates, and marks that transaction for rollback, as from
    ``save``. An instance that already has its primary key is stored by ``save`` itself."""
    model = type(obj)
    # The thread's connection itself, not the ``connection`` proxy: each field's preparation asks it for
    # ``ops``/``features``, and through the proxy every such attribute is a context-local lookup.
    conn = connections[DEFAULT_DB_ALIAS]
    sql, fields, auto = _statement(model)
    if auto is not None and obj.pk is not None:  # a key given by the caller: the statement leaves it out
        obj.save(force_insert=True)
        return
    todo: Sequence[int]
    if _prepared is None or _prepared.values is None:
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        pre_save.send(sender=model, instance=obj, raw=False, using=conn.alias, update_fields=None)
        todo = range(len(fields))
        values: list[Any] = [None] * len(fields)
    else:  # prepared with pre_save sent and its relations checked then: only the late fields are left
        todo = _prepared.late
        values = list(_prepared.values)
        for i in todo:
            _late_key(obj, fields[i][0])
    for i in todo:
        values[i] = _db_value(*fields[i], obj, conn)
    with transaction.mark_for_rollback_on_error(conn.alias), conn.cursor() as cursor:
        cursor.execute(sql, values)
        if auto is not None:
            if conn.features.can_return_columns_from_insert:
                row = cursor.fetchone()
                new = row[0] if row else None
            else:  # pragma: no cover - both supported databases return columns
                new = conn.ops.last_insert_id(cursor, model._meta.db_table, auto.column)
            for conv in auto.get_db_converters(conn):
                new = conv(new, auto, conn)
            setattr(obj, auto.attname, new)
    obj._state.adding = False
    obj._state.db = conn.alias
    post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=conn.alias)
