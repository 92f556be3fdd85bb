"""Process-local configuration caches (zhidu.core.configcache): a change is seen by the next read,
in this process and — through the version token — in any other; a rolled-back change is not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import Client

from zhidu.api.services import issue_token
from zhidu.core import configcache
from zhidu.core.configcache import VersionedCache
from zhidu.obligations.routing import nearest_holders
from zhidu.org import services as org_services
from zhidu.org.access import SYSTEM
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
