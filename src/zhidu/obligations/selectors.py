"""Reads of obligations and notifications, scoped to the actor."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.core.errors import NotFoundError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from .models import PENDING, Channel, Notification, Obligation, State
from .policy import kind_policy


def _scope(actor: access.Actor) -> Q:
    """Obligations the actor is responsible for, or that belong to a unit they oversee."""
    paths = access.scope_paths(actor, "obligations.view_unit")
    if paths is None:
        return Q()
    cond = Q(responsible_person_id=actor.pk) if isinstance(actor, Person) else Q(pk__in=[])
    for p in paths:
        cond |= Q(responsible_unit__path__startswith=p)
    return cond


def visible(actor: access.Actor) -> QuerySet[Obligation]:
    return Obligation.objects.filter(_scope(actor))


@dataclass(frozen=True)
class InboxItem:
    id: int
    title: str
    module: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    due_at: dt.datetime
    provisional: bool
    overdue: bool
    clauses: list[str]
    why: str
    unit: str
    person: str
    mine: bool
    can_meet: bool
    escalation_level: int


def item(actor: access.Actor, ob: Obligation, now: dt.datetime | None = None) -> InboxItem:
    now = now or timezone.now()
    mine = isinstance(actor, Person) and ob.responsible_person_id == actor.pk
    policy = kind_policy(ob.kind)
    pending = ob.state in PENDING
    return InboxItem(
        id=ob.pk, title=ob.title_text(), module=ob.module, kind=ob.kind,
        kind_label=_(str(policy.label)) if policy else ob.kind, state=ob.state, state_label=ob.get_state_display(),
        due_at=ob.due_at, provisional=ob.provisional, clauses=list(ob.clauses),
        overdue=ob.state == State.BREACHED or (pending and ob.due_at < now),
        why=ob.explain(), unit=ob.responsible_unit.name,
        person=ob.responsible_person.name if ob.responsible_person else "",
        mine=mine, can_meet=pending and (mine or access.can(actor, "obligations.manage", ob.responsible_unit)),
        escalation_level=ob.escalation_level,
    )


def inbox_queryset(actor: access.Actor, *, module: str | None = None, state: str | None = None) -> QuerySet[Obligation]:
    if state and state not in State.values:
        raise ValidationFailed(_("筛选条件有误。"), [])
    qs = visible(actor).filter(state=state) if state else visible(actor).filter(state__in=PENDING)
    if module:
        qs = qs.filter(module=module)
    return qs.select_related("responsible_unit", "responsible_person").order_by("due_at", "id")


def inbox(actor: access.Actor, *, module: str | None = None, state: str | None = None,
          limit: int = 200) -> list[InboxItem]:
    """The actor's work: pending obligations (or those in ``state``) they are responsible for or
    that belong to a unit they oversee (``obligations.view_unit``), soonest deadline first."""
    now = timezone.now()
    return [item(actor, ob, now) for ob in inbox_queryset(actor, module=module, state=state)[:limit]]


def inbox_count(actor: access.Actor | None) -> int:
    if actor is None:
        return 0
    return visible(actor).filter(state__in=PENDING).count()


def inbox_modules(actor: access.Actor) -> list[str]:
    return sorted(set(visible(actor).values_list("module", flat=True).distinct()))


def get_obligation(actor: access.Actor, obligation_id: int) -> Obligation:
    ob = visible(actor).select_related("responsible_unit", "responsible_person").filter(pk=obligation_id).first()
    if ob is None:
        raise NotFoundError(_("未找到此待办事项。"))
    return ob


# ----------------------------------------------------------------------------- notifications


def notifications(actor: Person, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    qs = Notification.objects.filter(recipient=actor, channel=Channel.IN_APP)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return list(qs.select_related("obligation").order_by("-created_at", "-id")[:limit])


def unread_count(actor: access.Actor | None) -> int:
    if not isinstance(actor, Person):
        return 0
    return Notification.objects.filter(recipient=actor, channel=Channel.IN_APP, read_at__isnull=True).count()


# ----------------------------------------------------------------------------- compliance


@dataclass(frozen=True)
class ComplianceRow:
    unit_id: int | None
    unit: str
    depth: int
    opened: int
    met_on_time: int
    met_late: int
    breached: int
    waived: int
    pending: int

    @property
    def decided(self) -> int:
        return self.met_on_time + self.met_late + self.breached

    @property
    def on_time_rate(self) -> float | None:
        """Met on time ÷ (met on time + met late + breached and still unmet); None when nothing is decided."""
        return self.met_on_time / self.decided if self.decided else None


@dataclass(frozen=True)
class ComplianceReport:
    unit: OrgUnit
    start: dt.date
    end: dt.date
    rows: list[ComplianceRow]
    total: ComplianceRow


def compliance(actor: access.Actor, unit: OrgUnit, start: dt.date, end: dt.date) -> ComplianceReport:
    """Compliance of the obligations *opened* in ``start … end`` (both included) in the unit's
    subtree: one row per unit that has any, and the total.

    Buckets (each obligation in exactly one): met on time · met late · breached (overdue, unmet) ·
    waived · pending (not yet due). On-time rate = met on time ÷ (met on time + met late + breached).
    """
    access.require(actor, "obligations.view_compliance", unit)
    if end < start:
        raise ValidationFailed(_("统计期间有误。"), [])
    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    qs = Obligation.objects.filter(responsible_unit__path__startswith=unit.path, opened_at__gte=lo, opened_at__lt=hi)
    figures = (
        qs.values("responsible_unit")
        .annotate(
            n_opened=Count("id"),
            n_met_on_time=Count("id", filter=Q(state=State.MET, met_on_time=True)),
            n_met_late=Count("id", filter=Q(state=State.MET) & ~Q(met_on_time=True)),
            n_breached=Count("id", filter=Q(state=State.BREACHED)),
            n_waived=Count("id", filter=Q(state=State.WAIVED)),
            n_pending=Count("id", filter=Q(state__in=[State.OPEN, State.EXTENDED])),
        )
        .order_by()
    )
    by_unit = {f["responsible_unit"]: f for f in figures}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(by_unit))}
    keys = ("opened", "met_on_time", "met_late", "breached", "waived", "pending")
    rows = [
        ComplianceRow(unit_id=uid, unit=units[uid].name, depth=units[uid].depth - unit.depth,
                      **{k: by_unit[uid][f"n_{k}"] for k in keys})
        for uid in sorted(by_unit, key=lambda u: units[u].path)
    ]
    total = ComplianceRow(unit_id=None, unit=_("合计"), depth=0,
                          **{k: sum(getattr(r, k) for r in rows) for k in keys})
    return ComplianceReport(unit=unit, start=start, end=end, rows=rows, total=total)


def compliance_xlsx(report: ComplianceReport) -> bytes:
    """The report as an Excel workbook (one sheet, a header row, one row per unit, the total)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("合规统计")[:31]
    ws.append([_("单位"), report.unit.name, _("期间"), f"{report.start.isoformat()} – {report.end.isoformat()}"])
    header = [_("单位"), _("新开"), _("按期完成"), _("逾期完成"), _("超期未办"), _("已豁免"), _("未到期"), _("按期率")]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in [*report.rows, report.total]:
        ws.append([row.unit, row.opened, row.met_on_time, row.met_late, row.breached,
                   row.waived, row.pending, row.on_time_rate])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(indent=row.depth)
        ws.cell(row=ws.max_row, column=8).number_format = "0.0%"
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.column_dimensions["A"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
