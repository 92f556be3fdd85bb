"""How each kind of obligation is handled: clauses, reminder lead, extension cap, escalation.

Domain modules register their kinds once, from their ``AppConfig.ready()``::

    from zhidu.obligations.policy import register_kind

    register_kind(
        "complaint.close", module="complaints", clauses=["P4.4.4"], label=_("投诉办结"),
        unit_roles=["complaint_handler"], max_extensions=1, extension_cap_working_days=4,
    )

Everything not given falls back to :data:`DEFAULTS`. No ORM and no clock here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise

from zhidu.org.models import Role

CHANNELS = ("in_app", "email", "sms", "phone")
EVENTS = ("open", "remind", "breach", "escalate", "extend", "waive")


@dataclass(frozen=True)
class KindPolicy:
    """What the engine does with one kind of obligation.

    * ``reminder_lead_fraction`` / ``reminder_lead_working_hours``: one reminder is due at
      ``due − lead``, where lead is the *shorter* of that fraction of the span (clock time) and that
      many working hours; it is sent only within the unit's working hours.
    * ``max_extensions``: how many times the deadline may be extended (each with a reason and an
      approver holding ``obligations.extend_approve``); ``extension_cap_working_days``: how many
      working days past the *original* deadline the extended one may lie (None: no limit).
    * ``escalation_chain``: after a breach, level 1 goes to the nearest holder of the first role up
      the unit tree from the responsible unit, level 2 to the second … one level per
      ``escalation_interval_working_days`` (level 1 at once when ``escalate_on_breach``).
    * ``unit_roles``: who acts for the responsible unit when no person is named.
    """

    kind: str
    module: str
    clauses: tuple[str, ...]
    label: str | Promise = ""
    reminder_lead_fraction: float = 0.25
    reminder_lead_working_hours: float = 4.0
    max_extensions: int = 1
    extension_cap_working_days: int | None = None
    escalation_chain: tuple[str, ...] = (Role.DEPARTMENT_MANAGER.value, Role.GENERAL_MANAGER.value)
    escalation_interval_working_days: int = 1
    escalate_on_breach: bool = True
    unit_roles: tuple[str, ...] = (Role.DEPARTMENT_MANAGER.value,)
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))

    def channels_for(self, event: str) -> tuple[str, ...]:
        return tuple(self.channels.get(event, DEFAULT_CHANNELS.get(event, ("in_app",))))


DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "open": ("in_app",),
    "remind": ("in_app", "email"),
    "breach": ("in_app", "email"),
    "escalate": ("in_app", "email", "sms"),
    "extend": ("in_app",),
    "waive": ("in_app",),
}

DEFAULTS = KindPolicy(kind="", module="", clauses=())

_KINDS: dict[str, KindPolicy] = {}


def register_kind(
    kind: str,
    *,
    module: str,
    clauses: Iterable[str],
    label: str | Promise = "",
    reminder_lead_fraction: float | None = None,
    reminder_lead_working_hours: float | None = None,
    max_extensions: int | None = None,
    extension_cap_working_days: int | None = None,
    escalation_chain: Iterable[str] | None = None,
    escalation_interval_working_days: int | None = None,
    escalate_on_breach: bool | None = None,
    unit_roles: Iterable[str] | None = None,
    channels: Mapping[str, Iterable[str]] | None = None,
) -> KindPolicy:
    """Register (or re-register identically) a kind; returns its policy.

    Raises ``ValueError`` for an empty clause list, unknown roles or channels, or a kind already
    registered with a different policy.
    """
    clause_ids = tuple(clauses)
    if not kind or not module:
        raise ValueError("kind and module are required")
    if not clause_ids:
        raise ValueError(f"kind {kind!r}: give the clause ids the obligation applies")
    overrides: dict[str, object] = {"kind": kind, "module": module, "clauses": clause_ids, "label": label or kind}
    for name, value in (
        ("reminder_lead_fraction", reminder_lead_fraction),
        ("reminder_lead_working_hours", reminder_lead_working_hours),
        ("max_extensions", max_extensions),
        ("escalation_interval_working_days", escalation_interval_working_days),
        ("escalate_on_breach", escalate_on_breach),
    ):
        if value is not None:
            overrides[name] = value
    if extension_cap_working_days is not None:
        overrides["extension_cap_working_days"] = extension_cap_working_days
    for name, roles in (("escalation_chain", escalation_chain), ("unit_roles", unit_roles)):
        if roles is not None:
            roles = tuple(roles)
            unknown = set(roles) - set(Role.values)
            if unknown:
                raise ValueError(f"kind {kind!r}: unknown roles {sorted(unknown)}")
            overrides[name] = roles
    if channels is not None:
        merged = dict(DEFAULT_CHANNELS)
        for event, chans in channels.items():
            chans = tuple(chans)
            if event not in EVENTS or set(chans) - set(CHANNELS):
                raise ValueError(f"kind {kind!r}: bad channels {event!r}: {chans!r}")
            merged[event] = chans
        overrides["channels"] = merged
    frac = overrides.get("reminder_lead_fraction", DEFAULTS.reminder_lead_fraction)
    if not 0 <= float(frac) <= 1:  # type: ignore[arg-type]
        raise ValueError(f"kind {kind!r}: reminder_lead_fraction must be within 0 … 1")
    policy = dataclasses.replace(DEFAULTS, **overrides)  # type: ignore[arg-type]
    existing = _KINDS.get(kind)
    if existing is not None and existing != policy:
        raise ValueError(f"kind {kind!r} is already registered with another policy")
    _KINDS[kind] = policy
    return policy


def kind_policy(kind: str) -> KindPolicy | None:
    return _KINDS.get(kind)


def registered_kinds() -> dict[str, KindPolicy]:
    return dict(_KINDS)


def modules() -> list[str]:
    return sorted({p.module for p in _KINDS.values()})
