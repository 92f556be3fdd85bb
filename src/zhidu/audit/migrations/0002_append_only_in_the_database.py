"""Audit events are append-only in the database too, not only in the app.

PostgreSQL: a trigger refuses every UPDATE and DELETE of an event row. A maintenance session that
really must change events (none of zhidu's own code does) says so first with
``SET LOCAL zhidu.audit_unguarded = 'on'``; ``zhidu audit verify`` still finds what it changed.
TRUNCATE (Django's test flush) is not a row change and is not refused.

SQLite: a trigger refuses every UPDATE. DELETE stays refused by the app only: SQLite empties tables
with DELETE (Django's flush does), and a trigger cannot tell a flush from one row's removal. A
removed event is found by ``zhidu audit verify`` as a broken chain.

A later migration that rebuilds this table on SQLite (Django does so for most column changes) drops
its trigger with the old table: such a migration must create it again (``SQLITE_FORWARD``);
``tests/test_audit.py::test_the_database_refuses_to_change_an_event`` fails until it does.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "audit_auditevent"

PG_FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION zhidu_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('zhidu.audit_unguarded', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of {TABLE} refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
""",
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}",
    f"""CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION zhidu_audit_append_only()""",
]
PG_BACKWARD = [
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS zhidu_audit_append_only()",
]
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE of {TABLE} refused'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS audit_event_no_update"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
                             _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD})),
    ]
