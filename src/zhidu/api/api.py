"""The JSON API at /api/v1 (django-ninja); OpenAPI at /api/v1/openapi.json.

Authentication: ``Authorization: Bearer <token>`` for integrations, or the browser session.
Errors always have the shape ``{code, message, errors: [{field, message}]}``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from zhidu import __version__
from zhidu.core.errors import NotFoundError, ZhiduError
from zhidu.org import access, selectors
from zhidu.org.models import OrgUnit, Person

from .services import actor_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = actor_for_token(token)
        if found is None:
            return None
        request.user, request.zhidu_person = found  # type: ignore[attr-defined]
        return request.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (CSRF-checked for unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="zhidu API",
    version="1",
    description="zhidu (制度): regulations as working software. Errors: {code, message, errors}.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[ErrorItem]


def error_response(request: HttpRequest, status: int, code: str, message: str,
                   errors: list[dict[str, str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "errors": errors or []}, status=status)


@api.exception_handler(ZhiduError)
def _zhidu_error(request: HttpRequest, exc: ZhiduError) -> HttpResponse:
    body = exc.as_dict()
    return error_response(request, exc.status, str(body["code"]), str(body["message"]),
                          body["errors"])  # type: ignore[arg-type]


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    items = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        items.append({"field": ".".join(loc) or "request", "message": str(err.get("msg", ""))})
    return error_response(request, 422, "validation_error", _("请求参数有误。"), items)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthorized", _("需要登录或有效的接口令牌。"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("未找到。"))


def current_actor(request: HttpRequest) -> Person:
    person = getattr(request, "zhidu_person", None) or access.actor_for_user(request.user)
    if person is None:
        raise ZhiduError(_("此账户未关联人员档案。"), code="no_person", status=403)
    return person


class RoleOut(Schema):
    role: str
    unit_id: int
    unit: str


class MeOut(Schema):
    id: int
    name: str
    username: str
    roles: list[RoleOut]


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    regulations: list[str]


class PersonOut(Schema):
    id: int
    name: str
    gender: str
    phone: str
    id_number: str
    email: str
    masked: bool
    units: list[str]
    positions: list[str]


@api.get("/me", response={200: MeOut, 401: ErrorOut, 403: ErrorOut}, tags=["org"])
def me(request: HttpRequest) -> dict[str, Any]:
    person = current_actor(request)
    return {
        "id": person.pk, "name": person.name, "username": request.user.get_username(),
        "roles": [{"role": r.role, "unit_id": r.unit_id, "unit": r.unit.name} for r in selectors.roles_of(person)],
    }


@api.get("/units", response={200: list[UnitOut], 401: ErrorOut, 403: ErrorOut}, tags=["org"])
def units(request: HttpRequest) -> list[dict[str, Any]]:
    actor = current_actor(request)
    qs = selectors.visible_units(actor).prefetch_related("regulations")
    return [
        {"id": u.pk, "code": u.code, "name": u.name, "kind": u.kind, "parent_id": u.parent_id,
         "regulations": [r.code for r in u.regulations.all()]}
        for u in qs
    ]


@api.get("/units/{unit_id}/people", response={200: list[PersonOut], 401: ErrorOut, 403: ErrorOut,
                                               404: ErrorOut}, tags=["org"])
def unit_people(request: HttpRequest, unit_id: int, subtree: bool = False) -> list[Any]:
    actor = current_actor(request)
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFoundError(_("未找到此单位。"))
    return list(selectors.people_in_unit(actor, unit, subtree=subtree))


@api.get("/people/{person_id}", response={200: PersonOut, 401: ErrorOut, 404: ErrorOut}, tags=["org"])
def person(request: HttpRequest, person_id: int) -> Any:
    return selectors.get_person(current_actor(request), person_id)


class VersionOut(Schema):
    version: str


@api.get("/version", auth=None, response=VersionOut, tags=["meta"])
def version(request: HttpRequest) -> dict[str, str]:
    return {"version": __version__}


# Modules' routers (imported last: they use the schemas and helpers above).
from zhidu.rulebook.api import router as rulebook_router  # noqa: E402

api.add_router("/rulebook", rulebook_router)

from zhidu.sanctions.api import router as sanctions_router  # noqa: E402

api.add_router("/sanctions", sanctions_router)

from zhidu.calendar.api import router as calendar_router  # noqa: E402

api.add_router("/calendar", calendar_router)

from zhidu.obligations.api import router as obligations_router  # noqa: E402

api.add_router("/obligations", obligations_router)

from zhidu.attendance.api import router as attendance_router  # noqa: E402

api.add_router("/attendance", attendance_router)

from zhidu.complaints.api import router as complaints_router  # noqa: E402

api.add_router("/complaints", complaints_router)
