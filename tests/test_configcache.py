"""Process-local configuration caches (zhidu.core.configcache): a change is seen by the next read,
in this process and — through the version token — in any other; a rolled-back change is not."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zhidu.api.services import issue_token
from zhidu.complaints.models import RouteRule
from zhidu.core import configcache
from zhidu.core.configcache import VersionedCache
from zhidu.obligations.routing import nearest_holders
from zhidu.org import selectors as org_selectors
from zhidu.org import services as org_services
from zhidu.org.access import SYSTEM
from zhidu.org.models import OrgUnit
from zhidu.rulebook import services as rulebook_services
from zhidu.rulebook.models import Parameter, ParameterOverride
from zhidu.rulebook.selectors import params_for

DAY = dt.date(2026, 3, 2)


@pytest.mark.django_db
def test_without_a_token_nothing_is_cached_and_a_bump_starts_caching() -> None:
    cache: VersionedCache[int] = VersionedCache("test.fresh")
    calls = []

    def build() -> int:
        calls.append(1)
        return len(calls)

    assert configcache.token("test.fresh") == ""
    assert cache.get("k", build) == 1
    assert cache.get("k", build) == 2          # no token: built every time
    first = configcache.bump("test.fresh")
    assert cache.get("k", build) == 3
    assert cache.get("k", build) == 3          # cached under the token
    second = configcache.bump("test.fresh")
    assert second != first
    assert cache.get("k", build) == 4          # a new token: rebuilt


@pytest.mark.django_db
def test_a_unit_override_is_seen_at_once_and_a_rollback_restores_the_cached_value(tree) -> None:  # type: ignore[no-untyped-def]
    base = params_for(tree.front, DAY)["p7.late_half_day_minutes"].value
    assert params_for(tree.front, DAY) is params_for(tree.front, DAY)      # one shared, cached set
    rulebook_services.override_parameter(SYSTEM, tree.hotel, "p7.late_half_day_minutes", base + 15,
                                         dt.date(2026, 1, 1), "测试")
    assert params_for(tree.front, DAY)["p7.late_half_day_minutes"].value == base + 15   # below the hotel
    assert params_for(tree.marketing, DAY)["p7.late_half_day_minutes"].value == base    # not below it
    assert params_for(tree.front, dt.date(2025, 12, 31))["p7.late_half_day_minutes"].value == base
    with pytest.raises(RuntimeError), transaction.atomic():
        ParameterOverride.objects.filter(unit=tree.hotel).update(value=base + 40)
        configcache.bump("rulebook")
        assert params_for(tree.front, DAY)["p7.late_half_day_minutes"].value == base + 40
        raise RuntimeError("roll back")
    assert params_for(tree.front, DAY)["p7.late_half_day_minutes"].value == base + 15


@pytest.mark.django_db
def test_another_process_change_is_seen_through_the_token(tree) -> None:  # type: ignore[no-untyped-def]
    """Another process writes the table and the token (as its signal handler does) with SQL of its
    own; this process's cache must not serve the old value after that commit."""
    param = Parameter.objects.get(key="p7.late_half_day_minutes")
    base = params_for(tree.front, DAY)[param.key].value
    # bulk_create sends no signal: to this process it is a write it did not see
    ParameterOverride.objects.bulk_create([ParameterOverride(parameter=param, unit=tree.front, value=base + 5,
                                                             effective_from=DAY, reason="other process")])
    assert params_for(tree.front, DAY)[param.key].value == base     # the token has not moved yet
    with connection.cursor() as cur:
        cur.execute("UPDATE core_configversion SET token = %s WHERE name = %s", ["f" * 32, "rulebook"])
    assert params_for(tree.front, DAY)[param.key].value == base + 5


@pytest.mark.django_db
def test_role_holders_follow_role_changes(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    manager = make_person(tree.front, role="department_manager")
    assert [p.pk for p in nearest_holders(tree.front, ["department_manager"], DAY)] == [manager.pk]
    other = make_person(tree.front, role="department_manager")
    assert [p.pk for p in nearest_holders(tree.front, ["department_manager"], DAY)] == [manager.pk, other.pk]
    assert nearest_holders(tree.front, ["department_manager"], DAY, exclude=[manager.pk])[0].pk == other.pk


@pytest.mark.django_db
def test_api_token_cache_sees_a_lost_role_and_a_deactivated_user(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front, role="department_manager")
    _token, raw = issue_token(SYSTEM, person.user, name="hotline")
    headers = {"Authorization": f"Bearer {raw}"}
    people = f"/api/v1/units/{tree.front.pk}/people"
    assert client.get(people, headers=headers).status_code == 200
    assert client.get(people, headers=headers).status_code == 200        # served from the cache
    role = person.roles.get(role="department_manager")
    org_services.end_role(SYSTEM, role, on=dt.date(2020, 1, 1))
    assert client.get(people, headers=headers).status_code == 403
    person.user.is_active = False
    person.user.save()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


# ------------------------------------------------------------------------- per-request token snapshot


def _token_reads(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if configcache.TABLE in q["sql"]]


@pytest.fixture
def snapshot() -> Iterator[None]:
    """An open snapshot in this thread, always closed afterwards (it is thread-local state)."""
    configcache.begin_snapshot()
    try:
        yield
    finally:
        configcache.end_snapshot()


@pytest.fixture
def two_tokens(db: None) -> tuple[str, str]:
    return configcache.bump("test.snap.a"), configcache.bump("test.snap.b")


def test_outside_a_snapshot_each_token_is_one_read(two_tokens: tuple[str, str]) -> None:
    a, b = two_tokens
    with CaptureQueriesContext(connection) as ctx:
        assert (configcache.token("test.snap.a"), configcache.token("test.snap.b")) == (a, b)
        assert configcache.token("test.snap.a") == a
    assert len(_token_reads(ctx)) == 3


def test_a_snapshot_reads_every_token_with_one_query(two_tokens: tuple[str, str], snapshot: None) -> None:
    a, b = two_tokens
    cache: VersionedCache[str] = VersionedCache("test.snap.b")
    with CaptureQueriesContext(connection) as ctx:
        assert configcache.token("test.snap.a") == a
        assert configcache.token("test.snap.b") == b
        assert configcache.token("test.snap.unknown") == ""      # no row: nothing is cached
        assert configcache.token("test.snap.a") == a
        assert cache.get("k", lambda: "built") == "built"
        assert cache.get("k", lambda: "again") == "built"         # cached under b, no further read
    assert len(ctx.captured_queries) == 1 and len(_token_reads(ctx)) == 1


def test_a_bump_inside_the_snapshot_is_seen_by_the_same_thread(two_tokens: tuple[str, str],
                                                                 snapshot: None) -> None:
    a, b = two_tokens
    assert configcache.token("test.snap.a") == a                  # the snapshot is read
    new = configcache.bump("test.snap.a")
    assert new != a
    assert configcache.token("test.snap.a") == new
    assert configcache.token("test.snap.b") == b
    created = configcache.bump("test.snap.created")               # a name without a row yet
    assert configcache.token("test.snap.created") == created
    cache: VersionedCache[int] = VersionedCache("test.snap.a")
    assert cache.get("k", lambda: 1) == 1
    configcache.bump("test.snap.a")
    assert cache.get("k", lambda: 2) == 2                          # rebuilt under the new token


def test_a_write_the_snapshot_did_not_make_is_seen_after_it_ends(two_tokens: tuple[str, str]) -> None:
    a, _b = two_tokens
    configcache.begin_snapshot()
    try:
        assert configcache.token("test.snap.a") == a
        with connection.cursor() as cur:   # a write that is not this thread's bump (as another process's)
            cur.execute("UPDATE core_configversion SET token = %s WHERE name = %s", ["e" * 32, "test.snap.a"])
        assert configcache.token("test.snap.a") == a                # the snapshot holds
    finally:
        configcache.end_snapshot()
    with CaptureQueriesContext(connection) as ctx:
        assert configcache.token("test.snap.a") == "e" * 32       # read again, one by one
        assert configcache.token("test.snap.b") == _b
    assert len(_token_reads(ctx)) == 2


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_waits_for_the_next_snapshot() -> None:
    """Another thread (its own database connection) commits a new token after this thread's snapshot
    was read: this thread keeps the snapshot's token until it ends; the next snapshot has the new one."""
    first = configcache.bump("test.snap.other")     # committed (no test transaction here)
    errors: list[BaseException] = []

    def other_connection() -> None:
        try:
            assert connections["default"] is not connection
            with transaction.atomic(), connections["default"].cursor() as cur:
                cur.execute("UPDATE core_configversion SET token = %s WHERE name = %s", ["d" * 32, "test.snap.other"])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    configcache.begin_snapshot()
    try:
        assert configcache.token("test.snap.other") == first
        worker = threading.Thread(target=other_connection)
        worker.start()
        worker.join(timeout=60)
        assert not errors, errors
        assert configcache.token("test.snap.other") == first        # not seen inside this snapshot
    finally:
        configcache.end_snapshot()
    assert configcache.token("test.snap.other") == "d" * 32          # seen once it ended
    configcache.begin_snapshot()
    try:
        assert configcache.token("test.snap.other") == "d" * 32      # and by the next snapshot
    finally:
        configcache.end_snapshot()


def _registration(unit: OrgUnit, **kw: object) -> dict[str, object]:
    return {"kind": "complaint", "category": "service_attitude", "channel": "hotline_system",
            "content": "客户经理上门服务态度差。", "receiving_unit_id": unit.pk, "customer_name": "王小明",
            "customer_phone": "13812345678", **kw}


@pytest.fixture
def hotline(tree, make_person) -> dict[str, str]:  # type: ignore[no-untyped-def]
    bot = make_person(tree.hotel, role="complaint_handler", name="12345热线接口")
    _token, raw = issue_token(SYSTEM, bot.user, name="12345")
    return {"Authorization": f"Bearer {raw}"}


def test_an_api_request_reads_the_tokens_once(client: Client, tree, hotline) -> None:  # type: ignore[no-untyped-def]
    warm = client.post("/api/v1/complaints", _registration(tree.front), content_type="application/json",
                       headers=hotline)
    assert warm.status_code == 201, warm.content
    for n in range(2):   # a request with warm caches, then one after a unit changed (caches rebuilt)
        with CaptureQueriesContext(connection) as ctx:
            r = client.post("/api/v1/complaints", _registration(tree.front, content=f"第{n}次"),
                            content_type="application/json", headers=hotline)
        assert r.status_code == 201, r.content
        reads = _token_reads(ctx)
        assert len(reads) == 1 and "WHERE" not in reads[0].upper(), reads
        # the snapshot ended with the request: this thread reads tokens one by one again
        with connection.cursor() as cur:
            cur.execute("UPDATE core_configversion SET token = %s WHERE name = %s", [f"{n}" * 32, "org.units"])
        assert configcache.token("org.units") == f"{n}" * 32
        tree.marketing.name = "营销中心（改）"
        tree.marketing.save()


def test_a_change_between_two_requests_is_seen_by_the_second(client: Client, tree, hotline) -> None:  # type: ignore[no-untyped-def]
    """The routing table changes as another process changes it (rows without signals, then the token):
    the first request routes to the receiving unit; the second, after the change, by the table."""
    url = "/api/v1/complaints"
    first = client.post(url, _registration(tree.front), content_type="application/json", headers=hotline)
    assert first.status_code == 201, first.content
    assert (first.json()["responsible_unit_id"], first.json()["route_basis"]) == (tree.front.pk, "receiver")
    RouteRule.objects.bulk_create([RouteRule(organization_id=tree.root.organization_id,
                                             category="service_attitude", unit=tree.hotel)])
    stale = client.post(url, _registration(tree.front, content="第二次"), content_type="application/json",
                        headers=hotline)
    assert stale.json()["responsible_unit_id"] == tree.front.pk       # cached: the token has not moved
    with connection.cursor() as cur:
        cur.execute("UPDATE core_configversion SET token = %s WHERE name = %s", ["b" * 32, "complaints.config"])
        assert cur.rowcount == 1
    second = client.post(url, _registration(tree.front, content="第三次"), content_type="application/json",
                         headers=hotline)
    assert second.status_code == 201, second.content
    assert (second.json()["responsible_unit_id"], second.json()["route_basis"]) == (tree.hotel.pk, "table")


# ------------------------------------------------------------------------- org.selectors.unit_by_id


def _fields(unit: OrgUnit) -> dict[str, object]:
    return {f.attname: getattr(unit, f.attname) for f in OrgUnit._meta.concrete_fields}


def test_unit_by_id_of_an_unknown_unit_is_none(tree) -> None:  # type: ignore[no-untyped-def]
    unknown = max(OrgUnit.objects.values_list("pk", flat=True)) + 1000
    assert org_selectors.unit_by_id(unknown) is None
    assert org_selectors.unit_by_id(unknown) is None


def test_unit_by_id_is_the_unit_and_is_built_once(tree) -> None:  # type: ignore[no-untyped-def]
    org_selectors._UNITS.clear()
    builds = org_selectors._UNITS.builds
    first = org_selectors.unit_by_id(tree.front.pk)
    assert first is not None and org_selectors._UNITS.builds == builds + 1
    assert _fields(first) == _fields(OrgUnit.objects.get(pk=tree.front.pk))
    assert (first.name, first.code, first.parent_id, first.path) == ("前厅部", "front", tree.hotel.pk, tree.front.path)
    assert first._state.adding is False and first._state.db == "default"
    with CaptureQueriesContext(connection) as ctx:
        second = org_selectors.unit_by_id(tree.front.pk)
    assert org_selectors._UNITS.builds == builds + 1                       # nothing built
    assert len(ctx.captured_queries) == 1 and _token_reads(ctx)            # the token only
    assert second is not None and _fields(second) == _fields(first)
    other = org_selectors.unit_by_id(tree.marketing.pk)                   # another key: built
    assert other is not None and other.name == "营销中心" and org_selectors._UNITS.builds == builds + 2


def test_unit_by_id_sees_a_renamed_unit_at_the_next_call(tree) -> None:  # type: ignore[no-untyped-def]
    assert org_selectors.unit_by_id(tree.front.pk).name == "前厅部"  # type: ignore[union-attr]
    OrgUnit.objects.filter(pk=tree.front.pk).update(name="无信号改名")   # no signal: the token stays
    assert org_selectors.unit_by_id(tree.front.pk).name == "前厅部"  # type: ignore[union-attr]
    unit = OrgUnit.objects.get(pk=tree.front.pk)
    unit.name = "前厅服务部"
    unit.save()
    assert org_selectors.unit_by_id(tree.front.pk).name == "前厅服务部"  # type: ignore[union-attr]
    other = OrgUnit.objects.get(pk=tree.marketing.pk)     # a change to any unit invalidates every entry
    other.name = "营销部"
    other.save(update_fields=["name"])
    assert org_selectors.unit_by_id(tree.marketing.pk).name == "营销部"  # type: ignore[union-attr]
    with pytest.raises(RuntimeError), transaction.atomic():
        unit.name = "回滚的名称"
        unit.save()
        assert org_selectors.unit_by_id(tree.front.pk).name == "回滚的名称"  # type: ignore[union-attr]
        raise RuntimeError("roll back")
    assert org_selectors.unit_by_id(tree.front.pk).name == "前厅服务部"  # type: ignore[union-attr]


def test_unit_by_id_sees_a_deleted_unit_as_gone(tree) -> None:  # type: ignore[no-untyped-def]
    leaf = OrgUnit.objects.create(organization_id=tree.root.organization_id, parent=tree.front, code="leaf",
                                  name="临时班组", kind=tree.front.kind)
    assert org_selectors.unit_by_id(leaf.pk) is not None
    pk = leaf.pk
    builds = org_selectors._UNITS.builds
    assert org_selectors.unit_by_id(pk) is not None and org_selectors._UNITS.builds == builds   # cached
    leaf.delete()
    assert org_selectors.unit_by_id(pk) is None


def test_unit_by_id_returns_a_copy(tree) -> None:  # type: ignore[no-untyped-def]
    a = org_selectors.unit_by_id(tree.front.pk)
    assert a is not None
    a.name = "改了名字"
    a.path = "99999999/"
    assert a.parent is not None and a.parent.name == "测试酒店"     # a related object cached on the copy
    a.parent.name = "改了上级"
    b = org_selectors.unit_by_id(tree.front.pk)
    assert b is not None and b is not a and b._state is not a._state
    assert (b.name, b.path) == ("前厅部", tree.front.path)
    assert "parent" not in b._state.fields_cache
    assert b.parent is not None and b.parent.name == "测试酒店"
    assert OrgUnit.objects.get(pk=tree.front.pk).name == "前厅部"


def test_the_request_snapshot_ends_with_the_view_even_when_it_raises() -> None:
    """A snapshot left open would serve stale tokens to whatever the thread runs next (a job, the
    next test): the middleware closes it however the view ends."""
    from zhidu.core.configcache import SnapshotMiddleware

    seen: list[object] = []

    def view(_request: object) -> object:
        seen.append(getattr(configcache._local, "snap", None))
        raise RuntimeError("view failed")

    with pytest.raises(RuntimeError):
        SnapshotMiddleware(view)(object())
    assert seen and seen[0] is not None            # open during the view
    assert getattr(configcache._local, "snap", None) is None


def test_the_snapshot_middleware_comes_first() -> None:
    from django.conf import settings

    assert settings.MIDDLEWARE[0] == "zhidu.core.configcache.SnapshotMiddleware"
