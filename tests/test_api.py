from __future__ import annotations

import json

import pytest
from django.test import Client
from openapi_spec_validator import validate

from zhidu.api.models import ApiToken
from zhidu.api.services import issue_token, revoke_token
from zhidu.org.access import SYSTEM


def assert_error_shape(body: dict, code: str) -> None:  # type: ignore[type-arg]
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert isinstance(body["errors"], list)


@pytest.mark.django_db
def test_openapi_document_is_valid_openapi_3(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert "/api/v1/me" in spec["paths"]


@pytest.mark.django_db
def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_unauthenticated_gets_the_error_shape(client: Client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert_error_shape(response.json(), "unauthorized")


@pytest.mark.django_db
def test_token_authentication_and_revocation(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front, role="department_manager")
    token, raw = issue_token(SYSTEM, person.user, name="hotline")
    assert ApiToken.objects.get(pk=token.pk).key_hash != raw  # only the hash is stored
    headers = {"Authorization": f"Bearer {raw}"}
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["id"] == person.pk
    assert me["roles"] == [{"role": "department_manager", "unit_id": tree.front.pk, "unit": "前厅部"}]
    revoke_token(SYSTEM, token)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer zd_wrong"}).status_code == 401


@pytest.mark.django_db
def test_people_are_masked_by_role_and_scoped(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    worker = make_person(tree.front, phone="13912345678")
    manager = make_person(tree.front, role="department_manager")
    hr = make_person(tree.hotel, role="hr")
    client.force_login(manager.user)
    rows = client.get(f"/api/v1/units/{tree.front.pk}/people").json()
    row = next(r for r in rows if r["id"] == worker.pk)
    assert row["phone"] == "139****5678" and row["masked"] is True
    response = client.get(f"/api/v1/units/{tree.marketing.pk}/people")
    assert response.status_code == 403
    assert_error_shape(response.json(), "permission_denied")
    client.force_login(hr.user)
    assert client.get(f"/api/v1/people/{worker.pk}").json()["phone"] == "13912345678"


@pytest.mark.django_db
def test_not_found_and_validation_errors(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    manager = make_person(tree.front, role="department_manager")
    client.force_login(manager.user)
    response = client.get("/api/v1/units/999999/people")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")
    response = client.get("/api/v1/units/abc/people")
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert body["errors"][0]["field"] == "unit_id"


@pytest.mark.django_db
def test_units_lists_only_the_scope(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    manager = make_person(tree.front, role="department_manager", role_unit=tree.hotel)
    client.force_login(manager.user)
    codes = {u["code"] for u in client.get("/api/v1/units").json()}
    assert codes == {"hotel", "front"}


@pytest.mark.django_db
def test_user_without_person_is_refused(client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("loner", password="x-123456!")
    client.force_login(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "no_person"
