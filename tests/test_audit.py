from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from zhidu.audit.models import AppendOnlyError, AuditEvent
from zhidu.audit.selectors import verify_chains
from zhidu.audit.services import record
from zhidu.org import services
from zhidu.org.access import SYSTEM
from zhidu.org.models import UnitKind


def verify_output() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def tamper(sql: str, params: list[object]) -> None:
    """Change event rows the way someone with direct database access would, past the database's
    append-only guard (migration audit 0002): on PostgreSQL by declaring it for this transaction, on
    SQLite by dropping the UPDATE trigger (the test's rollback restores it)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL zhidu.audit_unguarded = 'on'")
        elif connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        cur.execute(sql, params)


@pytest.mark.django_db
def test_every_service_write_is_audited_with_actor_and_unit(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    hr = make_person(tree.hotel, role="hr")
    person = services.create_person(hr, unit=tree.front, name="李四", phone="13700000000")
    ev = AuditEvent.objects.filter(action="org.create_person", subject_id=str(person.pk)).get()
    assert ev.actor_id == hr.pk and ev.unit_id == tree.front.pk and ev.payload["name"] == "李四"
    services.update_person(hr, person, unit=tree.front, phone="13711111111")
    upd = AuditEvent.objects.get(action="org.update_person", subject_id=str(person.pk))
    # personal data is named as changed, never copied into the trail
    assert upd.payload["changed"] == ["phone"] and "13711111111" not in str(upd.payload)


@pytest.mark.django_db
def test_adoption_cites_the_regulation(tree) -> None:  # type: ignore[no-untyped-def]
    services.adopt_regulation(tree.admin, tree.hotel, code="P7", adopted_on=dt.date(2026, 1, 1))
    ev = AuditEvent.objects.get(action="org.adopt_regulation")
    assert ev.clauses == ["P7"]


@pytest.mark.django_db
def test_chain_verifies_then_an_edit_in_the_database_is_found(tree) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        services.create_unit(tree.admin, parent=tree.hotel, code=f"team{i}", name=f"小组{i}", kind=UnitKind.TEAM)
    ok, text = verify_output()
    assert ok and text.startswith("OK:")

    victim = AuditEvent.objects.filter(action="org.create_unit", payload__code="team2").get()
    tamper(f"UPDATE {AuditEvent._meta.db_table} SET actor_label = %s WHERE id = %s",  # noqa: S608
           ["someone else", victim.pk])
    ok, text = verify_output()
    assert not ok
    assert f"stream {victim.stream} seq {victim.seq} (event #{victim.pk})" in text
    assert "edited" in text


@pytest.mark.django_db
def test_a_deleted_event_is_found(tree) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        services.create_unit(tree.admin, parent=tree.hotel, code=f"t{i}", name=f"组{i}", kind=UnitKind.TEAM)
    last = AuditEvent.objects.filter(action="org.create_unit").order_by("-id").first()
    assert last is not None
    tamper(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [last.pk])  # noqa: S608
    report = verify_chains()
    assert not report.ok and report.breaks[0].stream == last.stream


@pytest.mark.django_db
def test_a_payload_edit_is_found(tree) -> None:  # type: ignore[no-untyped-def]
    services.adopt_regulation(tree.admin, tree.hotel, code="P4", adopted_on=dt.date(2026, 1, 1))
    ev = AuditEvent.objects.get(action="org.adopt_regulation")
    tamper(f"UPDATE {AuditEvent._meta.db_table} SET payload = %s WHERE id = %s",  # noqa: S608
           ['{"regulation": "P7", "adopted_on": "2026-01-01"}', ev.pk])
    report = verify_chains()
    assert [b.event_id for b in report.breaks] == [ev.pk]


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_through_the_app(tree) -> None:  # type: ignore[no-untyped-def]
    ev = AuditEvent.objects.first()
    assert ev is not None
    ev.action = "forged"
    with pytest.raises(AppendOnlyError):
        ev.save()
    with pytest.raises(AppendOnlyError):
        ev.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    assert not model_admin.has_change_permission(request, ev)
    assert not model_admin.has_delete_permission(request, ev)
    assert not model_admin.has_add_permission(request)


@pytest.mark.django_db
def test_the_database_refuses_to_change_an_event(tree) -> None:  # type: ignore[no-untyped-def]
    """Migration audit 0002: a direct UPDATE is refused by the database itself (both databases), and
    a direct DELETE on PostgreSQL; the row is left as it was and the chain still verifies."""
    ev = AuditEvent.objects.order_by("id").first()
    assert ev is not None
    statements = [(f"UPDATE {AuditEvent._meta.db_table} SET actor_label = %s WHERE id = %s",  # noqa: S608
                   ["someone else", ev.pk])]
    if connection.vendor == "postgresql":
        statements.append((f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [ev.pk]))  # noqa: S608
    for sql, params in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    again = AuditEvent.objects.get(pk=ev.pk)
    assert (again.actor_label, again.hash) == (ev.actor_label, ev.hash)
    assert verify_chains().ok


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        record(SYSTEM, "x", tree.root)


@pytest.mark.django_db
def test_a_failed_service_leaves_no_event(tree) -> None:  # type: ignore[no-untyped-def]
    count = AuditEvent.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(SYSTEM, "x", tree.root, unit_id=tree.root.pk)
        raise ZeroDivisionError
    assert AuditEvent.objects.count() == count
    assert verify_chains().ok


@pytest.mark.django_db
def test_streams_are_per_unit(tree) -> None:  # type: ignore[no-untyped-def]
    services.adopt_regulation(tree.admin, tree.hotel, code="P7", adopted_on=dt.date(2026, 1, 1))
    services.adopt_regulation(tree.admin, tree.marketing, code="P4", adopted_on=dt.date(2026, 1, 1))
    streams = {ev.unit_id: ev.stream for ev in AuditEvent.objects.filter(action="org.adopt_regulation")}
    assert set(streams) == {tree.hotel.pk, tree.marketing.pk}
    for unit_id, stream in streams.items():
        prefix, _, n = stream.partition("/")
        assert prefix == f"unit:{unit_id}" and 0 <= int(n) < 16


@pytest.mark.django_db
def test_a_subjects_events_stay_in_one_of_its_units_chains_and_subjects_spread(tree) -> None:  # type: ignore[no-untyped-def]
    """ZHIDU_AUDIT_CHAINS_PER_UNIT (16): a unit's events are chained in 16 chains chosen by subject, so
    that concurrent writers of one busy unit rarely wait for the same chain head."""
    with transaction.atomic():
        for i in range(40):
            record(SYSTEM, "x.first", ("demo.thing", i), unit_id=tree.hotel.pk)
        for i in range(40):
            record(SYSTEM, "x.second", ("demo.thing", i), unit_id=tree.hotel.pk)
    events = list(AuditEvent.objects.filter(action__startswith="x.").order_by("id"))
    by_subject: dict[str, set[str]] = {}
    for ev in events:
        by_subject.setdefault(ev.subject_id, set()).add(ev.stream)
    assert all(len(chains) == 1 for chains in by_subject.values())          # one chain per subject
    chains = {ev.stream for ev in events}
    assert len(chains) >= 8 and all(c.startswith(f"unit:{tree.hotel.pk}/") for c in chains)
    for chain in chains:  # each chain numbered 1, 2, … in the order written
        seqs = [ev.seq for ev in events if ev.stream == chain]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert verify_chains().ok


@pytest.mark.django_db
def test_an_unsaved_subject_gets_its_chain_when_appended(tree) -> None:  # type: ignore[no-untyped-def]
    from zhidu.audit.services import prepare, unit_stream
    from zhidu.org.models import OrgUnit

    unit = OrgUnit(organization_id=tree.root.organization_id, parent=tree.hotel, code="new", name="新组",
                kind=UnitKind.TEAM)
    pending = prepare(SYSTEM, "x.create", unit, unit_id=tree.hotel.pk)
    with transaction.atomic():
        unit.save()
        ev = pending.append()
    assert ev.stream == unit_stream(tree.hotel.pk, "org.orgunit", str(unit.pk))
    assert AuditEvent.objects.get(pk=ev.pk).stream == ev.stream and verify_chains().ok


@pytest.mark.django_db
def test_one_chain_per_unit_when_configured(tree, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ZHIDU_AUDIT_CHAINS_PER_UNIT = 1
    with transaction.atomic():
        for i in range(5):
            record(SYSTEM, "x", ("demo.thing", i), unit_id=tree.hotel.pk)
    assert set(AuditEvent.objects.filter(action="x").values_list("stream", flat=True)) == {f"unit:{tree.hotel.pk}"}
    assert list(AuditEvent.objects.filter(action="x").order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_events_chained_before_and_after_a_change_of_chains_per_unit_all_verify(tree, settings) -> None:  # type: ignore[no-untyped-def]
    """An upgrade from one chain per unit: the old chain keeps its events, new events go to the new
    chains, and verify walks both (and still finds an edit in the old one)."""
    settings.ZHIDU_AUDIT_CHAINS_PER_UNIT = 1
    with transaction.atomic():
        for i in range(3):
            record(SYSTEM, "x.before", ("demo.thing", i), unit_id=tree.hotel.pk)
    settings.ZHIDU_AUDIT_CHAINS_PER_UNIT = 16
    with transaction.atomic():
        for i in range(3):
            record(SYSTEM, "x.after", ("demo.thing", i), unit_id=tree.hotel.pk)
    old = f"unit:{tree.hotel.pk}"
    assert set(AuditEvent.objects.filter(action="x.before").values_list("stream", flat=True)) == {old}
    assert old not in set(AuditEvent.objects.filter(action="x.after").values_list("stream", flat=True))
    report = verify_chains()
    assert report.ok and report.events >= 6
    victim = AuditEvent.objects.filter(action="x.before").order_by("seq").first()
    assert victim is not None
    tamper(f"UPDATE {AuditEvent._meta.db_table} SET actor_label = %s WHERE id = %s",  # noqa: S608
           ["someone else", victim.pk])
    assert [b.stream for b in verify_chains().breaks] == [old]


@pytest.mark.django_db
def test_a_units_chains_are_created_with_its_first_event(tree) -> None:  # type: ignore[no-untyped-def]
    """All 16 heads at once: which chain an event lands in (a random batch id, say) then never changes
    the statements it takes."""
    from django.test.utils import CaptureQueriesContext

    from zhidu.audit.models import AuditStream
    from zhidu.org.models import OrgUnit

    unit = services.create_unit(tree.admin, parent=tree.hotel, code="fresh", name="新组", kind=UnitKind.TEAM)
    # the unit's first event (its creation) created all its chains, one of them holding the event
    heads = AuditStream.objects.filter(name__startswith=f"unit:{unit.pk}/")
    assert heads.count() == 16 and sorted(h.last_seq for h in heads) == [0] * 15 + [1]
    counts = set()
    for i in range(2, 40):
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            record(SYSTEM, "x.more", ("demo.thing", i), unit_id=unit.pk)
        counts.add(len(ctx.captured_queries))
    assert len(counts) == 1 and len({ev.stream for ev in AuditEvent.objects.filter(action="x.more")}) > 8
    assert OrgUnit.objects.filter(pk=unit.pk).exists() and verify_chains().ok


@pytest.mark.django_db
def test_verify_reads_every_chain_in_one_scan_and_counts_the_chains_written(tree) -> None:  # type: ignore[no-untyped-def]
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic():
        record(SYSTEM, "x", ("demo.thing", 0), unit_id=tree.hotel.pk)
    with CaptureQueriesContext(connection) as few:
        first = verify_chains()
    with transaction.atomic():
        for i in range(1, 60):
            record(SYSTEM, "x", ("demo.thing", i), unit_id=tree.marketing.pk)
    with CaptureQueriesContext(connection) as many:
        report = verify_chains()
    assert first.ok and report.ok and report.events == first.events + 59
    written = set(AuditEvent.objects.values_list("stream", flat=True))
    assert report.streams == len(written) > first.streams      # the unit's empty chains are not counted
    assert len(many.captured_queries) == len(few.captured_queries) <= 4   # not one query per chain


@pytest.mark.django_db
def test_a_chain_whose_every_event_was_removed_is_found(tree) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        ev = record(SYSTEM, "x", ("demo.thing", "gone"), unit_id=tree.hotel.pk)
    others = AuditEvent.objects.filter(stream=ev.stream).exclude(pk=ev.pk).values_list("pk", flat=True)
    for pk in [ev.pk, *others]:
        tamper(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
    report = verify_chains()
    assert [(b.stream, b.event_id) for b in report.breaks] == [(ev.stream, None)]
    assert "events were removed" in report.breaks[0].reason


@pytest.mark.django_db
def test_a_break_is_explained_in_the_users_language(tree) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    with transaction.atomic():
        ev = record(SYSTEM, "x", ("demo.thing", "edited"), unit_id=tree.hotel.pk)
    tamper(f"UPDATE {AuditEvent._meta.db_table} SET actor_label = %s WHERE id = %s",  # noqa: S608
           ["someone else", ev.pk])
    brk = verify_chains().breaks[0]
    assert brk.kind == "edited" and f"#{ev.pk}" in brk.explained and "已被修改" in brk.explained
    with translation.override("en"):
        assert brk.explained.startswith(f"Chain {ev.stream}, event {ev.seq} (#{ev.pk})") and "edited" in brk.explained
    assert "(edited)" in str(brk)   # the CLI's technical line is unchanged
