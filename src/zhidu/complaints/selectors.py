"""Reads of complaint handling, scoped to the actor; customers' personal data masked unless the
viewer works on the item.

For the statistics and reports (P4.5) start from :func:`for_statistics`: a queryset of the
registrations the actor may view, received in ``[start, end)``, with no joins — group it by the
indexed columns (``kind``, ``category``, ``channel``, ``responsible_unit_id``, ``receiving_unit_id``,
``responsibility_class``, ``satisfaction``, ``spot_check_result``, ``closed_on_time``,
``reopened_count``, ``state``). Anonymized records (P4.4.7) keep every one of these.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.audit.models import AuditEvent
from zhidu.core.errors import NotFoundError
from zhidu.core.masking import mask_phone
from zhidu.obligations.models import PENDING, Obligation
from zhidu.org import access
from zhidu.org.models import Organization, OrgUnit, Person
from zhidu.org.models import ancestor_paths as _ancestor_paths

from . import rules
from .models import (
    PENDING_STATES,
    Category,
    Complaint,
    ComplaintSettings,
    Criticism,
    Kind,
    RectificationPlan,
    SpotCheck,
    SpotCheckItem,
    State,
    Territory,
)

VIEW = "complaints.view"
#: Actions whose holders over the receiving or responsible unit see the customer's contact in clear
#: (they call the customer back, P4.4.5, or verify, P4.4.6).
WORKING_ACTIONS = ("complaints.intake", "complaints.handle", "complaints.investigate", "complaints.verify")


def _unit_ids(actor: access.Actor, action: str) -> Any:
    paths = access.scope_paths(actor, action)
    if paths is None:
        return None
    return access.units_in_scope(actor, action).values("pk")


def scope_q(actor: access.Actor, action: str = VIEW) -> Q | None:
    """The registrations the actor may read under ``action``: those whose receiving or responsible
    unit lies in the actor's scope, plus those they received, registered or investigate. ``None``:
    everything (the system)."""
    ids = _unit_ids(actor, action)
    if ids is None:
        return None
    q = Q(responsible_unit_id__in=ids) | Q(receiving_unit_id__in=ids)
    if isinstance(actor, Person):
        q |= Q(investigator_id=actor.pk) | Q(receiving_person_id=actor.pk) | Q(registered_by_id=actor.pk)
    return q


def visible(actor: access.Actor, action: str = VIEW) -> QuerySet[Complaint]:
    qs = Complaint.objects.all()
    q = scope_q(actor, action)
    return qs if q is None else qs.filter(q)


def for_statistics(actor: access.Actor, start: dt.datetime, end: dt.datetime, *,
                   unit: OrgUnit | None = None) -> QuerySet[Complaint]:
    """Registrations the actor may view received in ``[start, end)`` (optionally of ``unit``'s
    subtree as responsible unit): the base of every statistic (P4.5)."""
    qs = visible(actor).filter(received_at__gte=start, received_at__lt=end)
    if unit is not None:
        qs = qs.filter(responsible_unit_id__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk"))
    return qs


def get_complaint(actor: access.Actor, pk: int) -> Complaint:
    c = (visible(actor).select_related("responsible_unit", "receiving_unit", "receiving_person", "investigator",
                                       "special_approver", "customer", "subject_unit", "head", "reported_to",
                                       "closed_by", "answered_by", "fed_back_by")
         .filter(pk=pk).first())
    if c is None:
        raise NotFoundError(_("未找到此登记。"))
    return c


def may_see_contact(actor: access.Actor, c: Complaint) -> bool:
    if isinstance(actor, access.SystemActor):
        return True
    if c.anonymized_at is not None:
        return False
    if isinstance(actor, Person) and actor.pk in (c.investigator_id, c.receiving_person_id, c.registered_by_id):
        return True
    return any(access.can(actor, action, unit) for action in WORKING_ACTIONS
               for unit in (c.responsible_unit, c.receiving_unit))


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    other: str
    masked: bool


def contact(actor: access.Actor, c: Complaint) -> Contact:
    """The customer as this viewer may see them (phone masked for readers who do not work on it)."""
    if may_see_contact(actor, c):
        return Contact(c.customer_name, c.customer_phone, c.customer_contact, False)
    return Contact(c.customer_name, mask_phone(c.customer_phone), "***" if c.customer_contact else "", True)


# ------------------------------------------------------------------------------------------ queues


def queue(actor: access.Actor, *, states: tuple[str, ...] = PENDING_STATES, kind: str | None = None,
          unit: OrgUnit | None = None) -> QuerySet[Complaint]:
    """The handler's queue: pending items whose responsible unit the actor handles, soonest due first."""
    ids = _unit_ids(actor, "complaints.handle")
    qs = Complaint.objects.filter(state__in=states)
    if ids is not None:
        qs = qs.filter(responsible_unit_id__in=ids)
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    return qs.select_related("responsible_unit", "investigator").order_by("due_at", "received_at", "id")


def investigations(actor: access.Actor) -> QuerySet[Complaint]:
    """Complaints the actor is the named investigator of, still to be found."""
    if not isinstance(actor, Person):
        return Complaint.objects.none()
    return (Complaint.objects.filter(investigator=actor, state=State.INVESTIGATING)
            .select_related("responsible_unit").order_by("due_at", "id"))


def my_plans(actor: access.Actor) -> QuerySet[RectificationPlan]:
    if not isinstance(actor, Person):
        return RectificationPlan.objects.none()
    return (RectificationPlan.objects.filter(owner=actor, completed_at__isnull=True)
            .select_related("complaint").order_by("due_on", "id"))


def head_decisions_due(actor: access.Actor) -> QuerySet[Complaint]:
    if not isinstance(actor, Person):
        return Complaint.objects.none()
    return Complaint.objects.filter(head=actor, head_decided_at__isnull=True, responsibility_class="violation")


def state_counts(actor: access.Actor, *, unit: OrgUnit | None = None) -> dict[str, Any]:
    """The manager's overview: how many registrations in scope per state and type, and how many
    pending ones are overdue (and on provisional deadlines)."""
    qs = visible(actor)
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    rows = qs.values("state", "kind").annotate(n=Count("id")).order_by()
    by_state = {s: 0 for s in State.values}
    by_kind = {k: 0 for k in Kind.values}
    table: dict[tuple[str, str], int] = {}
    for row in rows:
        by_state[row["state"]] += row["n"]
        by_kind[row["kind"]] += row["n"]
        table[(row["state"], row["kind"])] = row["n"]
    now = timezone.now()
    pending = qs.filter(state__in=PENDING_STATES)
    return {
        "by_state": by_state, "by_kind": by_kind, "table": table, "total": sum(by_state.values()),
        "overdue": pending.filter(due_at__lt=now).count(),
        "provisional": pending.filter(deadline_provisional=True).count(),
        "reopened": qs.filter(reopened_count__gt=0).count(),
        "criticisms_open": Criticism.objects.filter(complaint__in=qs, resolved_at__isnull=True).count(),
    }


# ------------------------------------------------------------------------------------------ duplicates


@dataclass(frozen=True)
class Duplicate:
    complaint: Complaint
    similarity: float
    likely: bool
    content: str  # an excerpt, empty when the viewer may not read the registration


def likely_duplicates(actor: access.Actor, org: Organization | int, *, phone: str = "", content: str = "",
                      customer_id: int | None = None, exclude_id: int | None = None,
                      now: dt.datetime | None = None, limit: int = 10) -> list[Duplicate]:
    """Registrations of the same customer (phone or customer record) within the organization's
    window (``ComplaintSettings.duplicate_window_days``), most similar content first (character
    bigrams); ``likely`` when the similarity reaches ``duplicate_min_similarity``."""
    org_id = org.pk if isinstance(org, Organization) else org
    conf = ComplaintSettings.objects.filter(organization_id=org_id).first() or ComplaintSettings()
    digits = rules.digits(phone)
    cond = Q()
    if len(digits) >= 7:
        cond |= Q(customer_phone=digits)
    if customer_id:
        cond |= Q(customer_id=customer_id)
    if not cond:
        return []
    since = (now or timezone.now()) - dt.timedelta(days=conf.duplicate_window_days)
    qs = (Complaint.objects.filter(cond, organization_id=org_id, received_at__gte=since, anonymized_at__isnull=True)
          .select_related("responsible_unit", "receiving_unit").order_by("-received_at")[:50])
    readable = visible(actor).filter(pk__in=[c.pk for c in qs]).values_list("pk", flat=True) if qs else []
    readable_ids = set(readable)
    out = []
    for c in qs:
        if c.pk == exclude_id:
            continue
        sim = rules.bigram_similarity(content, c.content) if content.strip() else 0.0
        excerpt = c.content[:80] if c.pk in readable_ids else ""
        out.append(Duplicate(c, round(sim, 2), sim >= conf.duplicate_min_similarity, excerpt))
    out.sort(key=lambda d: (-d.similarity, -d.complaint.received_at.timestamp()))
    return out[:limit]


# ------------------------------------------------------------------------------------------ form options


def categories() -> list[Category]:
    return list(Category.objects.filter(active=True))


def territories(org: Organization | int) -> list[Territory]:
    org_id = org.pk if isinstance(org, Organization) else org
    return list(Territory.objects.filter(organization_id=org_id))


def intake_units(actor: access.Actor) -> list[OrgUnit]:
    return list(access.units_in_scope(actor, "complaints.intake").order_by("path"))


def default_intake_unit(actor: access.Actor) -> OrgUnit | None:
    """The actor's own unit when they may register there, else the first unit in their scope."""
    units = intake_units(actor)
    if isinstance(actor, Person):
        own = set(actor.employments.filter(ended_on__isnull=True).values_list("unit_id", flat=True))
        for u in units:
            if u.pk in own:
                return u
    return units[0] if units else None


def staff_of(unit: OrgUnit) -> list[Person]:
    """People working in the unit's subtree (investigators, plan owners, staff at fault)."""
    return list(Person.objects.filter(employments__ended_on__isnull=True, employments__unit__path__startswith=unit.path)
                .distinct().order_by("name", "id"))


def managers_of(unit: OrgUnit) -> list[Person]:
    """Holders of ``complaints.manage`` over the unit (special-case approvers, department heads)."""
    people = Person.objects.filter(roles__unit__path__in=_ancestor_paths(unit.path),
                                   roles__role__in=list(access.POLICY["complaints.manage"])).distinct()
    return [p for p in people.order_by("name", "id") if access.can(p, "complaints.manage", unit)]


# ------------------------------------------------------------------------------------------ detail


def timeline(actor: access.Actor, c: Complaint) -> list[AuditEvent]:
    """The item's history from the audit trail (who did what, when, per which clauses)."""
    return list(AuditEvent.objects.filter(subject_type=c._meta.label_lower, subject_id=str(c.pk)).order_by("at", "id"))


def obligations_of(c: Complaint) -> list[Obligation]:
    return list(Obligation.objects.filter(subject_type=c._meta.label_lower, subject_id=str(c.pk))
                .select_related("responsible_unit", "responsible_person").order_by("opened_at", "id"))


def pending_obligations(c: Complaint) -> list[Obligation]:
    return [o for o in obligations_of(c) if o.state in PENDING]


# ------------------------------------------------------------------------------------------ spot checks


def spot_checks(actor: access.Actor) -> QuerySet[SpotCheck]:
    ids = _unit_ids(actor, "complaints.verify")
    qs = SpotCheck.objects.select_related("unit", "drawn_by")
    return qs if ids is None else qs.filter(unit_id__in=ids)


def get_spot_check(actor: access.Actor, pk: int) -> SpotCheck:
    check = spot_checks(actor).filter(pk=pk).first()
    if check is None:
        raise NotFoundError(_("未找到此抽查。"))
    return check


def spot_items(check: SpotCheck) -> list[SpotCheckItem]:
    return list(check.items.select_related("complaint__responsible_unit", "checked_by").order_by("id"))


def verify_units(actor: access.Actor) -> list[OrgUnit]:
    return list(access.units_in_scope(actor, "complaints.verify").order_by("path"))


# ------------------------------------------------------------------------------------------ public


@dataclass(frozen=True)
class Tracking:
    """What the customer sees of their registration: no personal data, no internal notes."""

    number: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    received_at: dt.datetime
    responsible_unit: str
    due_at: dt.datetime | None
    reply: str
    closed_at: dt.datetime | None


def track(number: str, phone_last4: str) -> Tracking | None:
    """The public lookup: tracking number + the last four digits of the phone given at registration.
    None when either does not match (the two cases are not told apart)."""
    wanted = rules.normalize_tracking_number(number)
    c = Complaint.objects.filter(number=wanted, anonymized_at__isnull=True).select_related("responsible_unit").first()
    given = rules.digits(phone_last4)[-4:]
    expected = rules.phone_last4(c.customer_phone) if c else "0000"
    ok = hmac.compare_digest(given.encode(), expected.encode()) and len(given) == 4
    if c is None or not ok:
        return None
    reply = c.answer or c.feedback if c.state in (State.HANDLED, State.CLOSED) else ""
    return Tracking(c.number, c.kind, str(Kind(c.kind).label), c.state, str(State(c.state).label), c.received_at,
                    c.responsible_unit.name, c.due_at, reply, c.closed_at)


def public_organizations() -> list[Organization]:
    return list(Organization.objects.filter(complaint_settings__public_intake_unit__isnull=False).order_by("id"))
