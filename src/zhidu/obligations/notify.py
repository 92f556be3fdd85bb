"""Notifications: recorded in the caller's transaction, delivered after it commits.

In-app notifications are delivered by being recorded. E-mail goes through Django's mail backend
(``EMAIL_BACKEND``); SMS and phone calls through ``settings.ZHIDU_SMS_BACKEND``. Each outbound
message is claimed with a compare-and-set (``pending`` → ``sending``) before it is sent, so the
on-commit hook and a concurrent ``zhidu tick`` (which retries what a crash left pending) never
send the same message twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from zhidu.core.bulk import prepare_one
from zhidu.core.masking import mask_email, mask_phone
from zhidu.org.models import Person
from zhidu.rulebook.decision import render

from .backends import get_backend
from .models import Channel, Delivery, Notification, Obligation

log = logging.getLogger(__name__)


def _address(person: Person, channel: str) -> str:
    if channel == Channel.EMAIL:
        return mask_email(person.email)
    if channel in (Channel.SMS, Channel.PHONE):
        return mask_phone(person.phone)
    return ""


def record(
    recipients: Iterable[Person],
    *,
    event: str,
    message: str,
    args: dict[str, Any],
    channels: Iterable[str],
    obligation: Obligation | None = None,
    now: dt.datetime | None = None,
) -> list[Notification]:
    """Record one notification per recipient and channel; deliver the outbound ones on commit.

    Must run inside the caller's transaction (a rolled-back write notifies nobody).
    """
    return prepare(recipients, event=event, message=message, args=args, channels=channels,
                   obligation=obligation, now=now).insert()


class PreparedNotifications:
    """Notifications built and prepared before the transaction (``prepare``); ``insert`` stores them."""

    __slots__ = ("prepared", "rows")

    def __init__(self, rows: list[Notification]) -> None:
        self.rows = rows
        # the usual one or two: a prepared insert each (bulk_create compiles its statement per call);
        # the obligation's key is taken at insert time (it may be opened in the same transaction)
        self.prepared = [prepare_one(r, late=["obligation"]) for r in rows] if len(rows) <= 3 else None

    def insert(self) -> list[Notification]:
        """Store them in the caller's transaction; the outbound ones are delivered on commit."""
        if self.prepared is not None:
            for p in self.prepared:
                p.insert()
            created = self.rows
        else:
            created = Notification.objects.bulk_create(self.rows)
        outbound = [n.pk for n in created if n.status == Delivery.PENDING]
        if outbound:
            transaction.on_commit(lambda: deliver(outbound))
        return created


def prepare(
    recipients: Iterable[Person],
    *,
    event: str,
    message: str,
    args: dict[str, Any],
    channels: Iterable[str],
    obligation: Obligation | None = None,
    now: dt.datetime | None = None,
) -> PreparedNotifications:
    """The notifications ``record`` would write, built before the transaction (the obligation may
    be one not stored yet)."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        body = render(message, args)
        title = obligation.title_text() if obligation is not None else ""
        subject = gettext("【制度】%(title)s") % {"title": title or body[:60]}
    seen: set[int] = set()
    rows: list[Notification] = []
    for person in recipients:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        for channel in dict.fromkeys(channels):
            in_app = channel == Channel.IN_APP
            rows.append(Notification(
                recipient=person, channel=channel, obligation=obligation, event=event, message=message,
                args=args, subject=subject, body=body, address=_address(person, channel), created_at=now,
                status=Delivery.SENT if in_app else Delivery.PENDING, sent_at=now if in_app else None,
            ))
    return PreparedNotifications(rows)


def deliver(ids: Iterable[int] | None = None, *, limit: int = 500) -> int:
    """Send pending outbound notifications (these ids, or any); returns how many were sent."""
    qs = Notification.objects.filter(status=Delivery.PENDING).exclude(channel=Channel.IN_APP)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    sent = 0
    for pk in list(qs.order_by("id").values_list("pk", flat=True)[:limit]):
        # Claim it: whoever flips pending → sending sends it; everyone else skips it.
        if not Notification.objects.filter(pk=pk, status=Delivery.PENDING).update(status=Delivery.SENDING):
            continue
        note = Notification.objects.select_related("recipient").get(pk=pk)
        status, error = _send(note)
        Notification.objects.filter(pk=pk).update(
            status=status, error=error, sent_at=timezone.now() if status == Delivery.SENT else None,
        )
        sent += status == Delivery.SENT
    return sent


def _send(note: Notification) -> tuple[str, str]:
    person = note.recipient
    try:
        if note.channel == Channel.EMAIL:
            if not person.email:
                return Delivery.SKIPPED, "no e-mail address"
            send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [person.email])
        elif note.channel in (Channel.SMS, Channel.PHONE):
            if not person.phone:
                return Delivery.SKIPPED, "no phone number"
            backend = get_backend()
            if note.channel == Channel.SMS:
                backend.send_sms(person.phone, note.body)
            else:
                backend.place_call(person.phone, note.body)
        else:
            return Delivery.SENT, ""
    except Exception as exc:  # a failing gateway must not stop the others
        log.warning("notification %s (%s) failed: %s", note.pk, note.channel, exc)
        return Delivery.FAILED, f"{type(exc).__name__}: {exc}"[:500]
    return Delivery.SENT, ""
