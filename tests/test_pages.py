from __future__ import annotations

import pytest
from django.test import Client

from zhidu.audit.models import AuditEvent


@pytest.mark.django_db
def test_pages_require_login(client: Client) -> None:
    for url in ("/", "/my-work/", "/org/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.django_db
def test_home_is_chinese_by_default_and_english_on_request(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front, role="department_manager", name="王芳")
    client.force_login(person.user)
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page and "欢迎，王芳" in page and "我的工作" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page and "Welcome, 王芳" in page and "My work" in page


@pytest.mark.django_db
def test_navigation_follows_roles(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    staff = make_person(tree.front)
    client.force_login(staff.user)
    page = client.get("/").content.decode()
    assert 'data-nav="my_work"' in page and 'data-nav="org"' not in page and 'data-nav="audit"' not in page
    assert client.get("/audit/").status_code == 403
    hr = make_person(tree.hotel, role="hr")
    client.force_login(hr.user)
    page = client.get("/").content.decode()
    assert 'data-nav="org"' in page and 'data-nav="audit"' in page


@pytest.mark.django_db
def test_unit_page_masks_for_manager(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    make_person(tree.front, phone="13912345678", id_number="110101199003071234")
    manager = make_person(tree.front, role="department_manager")
    client.force_login(manager.user)
    page = client.get(f"/org/units/{tree.front.pk}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page and "110101199003071234" not in page
    # a unit outside the manager's scope does not exist for them
    assert client.get(f"/org/units/{tree.marketing.pk}/").status_code == 404


@pytest.mark.django_db
def test_audit_page_verifies_with_htmx(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    hr = make_person(tree.hotel, role="hr")
    client.force_login(hr.user)
    page = client.get("/audit/").content.decode()
    assert "org.create_person" in page
    fragment = client.post("/audit/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and f"{AuditEvent.objects.count()}" in fragment


@pytest.mark.django_db
def test_failed_logins_are_throttled(client: Client, tree, make_person, settings) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front)
    username = person.user.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": username, "password": "wrong"})
        assert response.status_code == 200
    # the failure that reaches the limit locks the user name for this address
    assert client.post("/login/", {"username": username, "password": "wrong"}).status_code == 429
    response = client.post("/login/", {"username": username, "password": "pw-123456!"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # another user name from the same address is not locked
    other = make_person(tree.front)
    response = client.post("/login/", {"username": other.user.username, "password": "pw-123456!"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_login_with_password(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front)
    response = client.post("/login/", {"username": person.user.username, "password": "pw-123456!"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_static_assets_are_served_by_the_app(client: Client) -> None:
    response = client.get("/static/zhidu/zhidu.css")
    assert response.status_code == 200
    htmx = client.get("/static/django_htmx/htmx-2.min.js")
    assert htmx.status_code == 200
