"""Server-rendered pages: thin, they ask selectors and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from zhidu.audit import selectors as audit_selectors
from zhidu.core.errors import PermissionDeniedError
from zhidu.core.http import request_actor
from zhidu.org import access, selectors
from zhidu.org.models import OrgUnit

_actor = request_actor


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = access.actor_for_user(request.user)
    roles = list(selectors.roles_of(actor)) if actor else []
    return render(request, "web/home.html", {"roles": roles})


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    from zhidu.obligations import selectors as obligations
    from zhidu.obligations.models import State

    actor = _actor(request)
    module = request.GET.get("module") or None
    state = request.GET.get("state") if request.GET.get("state") in State.values else None
    return render(request, "web/my_work.html", {
        "items": obligations.inbox(actor, module=module, state=state),
        "modules": obligations.inbox_modules(actor), "module": module or "",
        "states": State.choices, "state": state or "",
        "roles": list(selectors.roles_of(actor)),
        "employments": list(actor.employments.select_related("unit").filter(ended_on__isnull=True)),
    })


@login_required
def org(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    units = list(selectors.visible_units(actor).prefetch_related("regulations"))
    if not units:
        raise PermissionDenied
    return render(request, "web/org.html", {"units": units})


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    actor = _actor(request)
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    try:
        people = selectors.people_in_unit(actor, unit)
    except PermissionDeniedError:
        raise Http404 from None
    children = list(selectors.visible_units(actor).filter(parent=unit))
    return render(request, "web/unit.html", {"unit": unit, "people": people, "children": children})


@login_required
@require_http_methods(["GET", "POST"])
def audit(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    try:
        events = list(audit_selectors.events_for(actor)[:100])
    except PermissionDeniedError:
        raise PermissionDenied from None
    report = audit_selectors.verify_chains() if request.method == "POST" else None
    template = "web/_audit_report.html" if getattr(request, "htmx", False) and report else "web/audit.html"
    return render(request, template, {"events": events, "report": report})
