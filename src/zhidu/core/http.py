"""Helpers for the page views of every module."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from zhidu.org import access
from zhidu.org.models import Person


def request_actor(request: HttpRequest) -> Person:
    """The person acting in this request; 403 when the account is not linked to a person."""
    person = access.actor_for_user(request.user)
    if person is None:
        raise PermissionDenied("this account is not linked to a person")
    return person
