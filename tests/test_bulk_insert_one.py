"""``zhidu.core.bulk.insert_one``: a new instance stored by it is the row ``save(force_insert=True)``
stores — column by column, through the ORM and through ``SELECT *`` — for the models on the intake hot
path (Complaint, Obligation, Notification); the instance ends up saved (pk, ``_state``); ``pre_save`` and
``post_save`` fire; an integrity error propagates and its transaction leaves nothing. Runs on SQLite and
PostgreSQL.

Each comparison stores two equal instances, one by each path, with the clock frozen so that
``auto_now``/``auto_now_add`` give both the same instant; only the primary key and the unique columns
(set different on purpose) may differ."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhidu.complaints import services as complaint_services
from zhidu.complaints.models import (
    Adoption,
    Channel,
    Complaint,
    FeedbackMethod,
    Kind,
    ResponsibilityClass,
    RouteBasis,
    Satisfaction,
    SpotResult,
    State,
)
from zhidu.core.bulk import insert_one, prepare_one
from zhidu.core.models import ConfigVersion
from zhidu.obligations import models as obligation_models
from zhidu.obligations.models import Delivery, Notification, Obligation
from zhidu.org import services as org_services
from zhidu.org.access import SYSTEM

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
#: the frozen clock (auto_now / auto_now_add): microseconds on purpose
FROZEN = dt.datetime(2026, 3, 2, 1, 15, 30, 123456, tzinfo=dt.UTC)

# ``SELECT *`` of one row, per table (literal statements: no SQL built from strings)
assert (Complaint._meta.db_table, Obligation._meta.db_table, Notification._meta.db_table) == (
    "complaints_complaint", "obligations_obligation", "obligations_notification")
SELECT_ONE = {
    Complaint: "SELECT * FROM complaints_complaint WHERE id = %s",
    Obligation: "SELECT * FROM obligations_obligation WHERE id = %s",
    Notification: "SELECT * FROM obligations_notification WHERE id = %s",
}
#: columns that must differ between the two rows (primary key, unique values)
DIFFERENT = {
    Complaint: {"id", "number", "idempotency_key"},
    Obligation: {"id"},
    Notification: {"id"},
}

NESTED = {
    "rule": "p4.route", "value": "front", "clauses": ["P4.2", "P4.3.3"],
    "reason": "按类别和属地分派：%(category)s → %(unit)s",
    "reason_args": {"category": "服务态度", "unit": "前厅部", "n": 3, "share": 0.25, "ok": True, "none": None},
    "params": [{"key": "p4.complaint_days", "value": "5", "clauses": ["P4.4.4"], "unit": "工作日"}],
    "facts": {"nested": {"deeper": {"list": [1, "二", {"三": [None, False]}]}},
              "quotes": "引号\"和反斜杠\\、换行\n、表情😀"},
    "provisional": False,
}


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: FROZEN)


@pytest.fixture
def people(tree, make_person):  # type: ignore[no-untyped-def]
    class P:
        handler = make_person(tree.front, role="complaint_handler", name="刘受理")
        staff = make_person(tree.front, name="潘员工")
        head = make_person(tree.hotel, role="department_manager", name="甲经理")
    return P


def orm_row(model: type[models.Model], pk: Any) -> dict[str, Any]:
    return dict(model._default_manager.filter(pk=pk).values().get())


def raw_row(model: type[models.Model], pk: Any) -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute(SELECT_ONE[model], [pk])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def assert_same_rows(model: type[models.Model], saved_pk: Any, inserted_pk: Any) -> dict[str, Any]:
    """The two rows are equal in every column but DIFFERENT, through the ORM and raw; returns the
    ORM row of the inserted one."""
    assert saved_pk != inserted_pk
    skip = DIFFERENT[model]
    for read in (orm_row, raw_row):
        saved, inserted = read(model, saved_pk), read(model, inserted_pk)
        assert set(saved) == set(inserted)
        names = {f.attname if read is orm_row else f.column for f in model._meta.concrete_fields}
        assert set(saved) == names
        differing = {k: (saved[k], inserted[k]) for k in saved if k not in skip and saved[k] != inserted[k]}
        assert not differing, (read.__name__, differing)
        # same types too (1 == True, '1' != 'True' … a pass-through must not change what is stored)
        types = {k: (type(saved[k]), type(inserted[k])) for k in saved
                 if k not in skip and type(saved[k]) is not type(inserted[k])}
        assert not types, (read.__name__, types)
    return orm_row(model, inserted_pk)


M = TypeVar("M", bound=models.Model)


def store_both(make: Callable[[str], M]) -> tuple[M, M]:
    """``make(tag)`` builds a new instance (``tag`` for the unique columns): one stored by save, one by
    insert_one."""
    saved, inserted = make("s"), make("i")
    saved.save(force_insert=True)
    insert_one(inserted)
    return saved, inserted


@contextmanager
def receivers(model: type[models.Model]) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Temporary pre_save/post_save receivers for ``model``: what each got, in order."""
    got: list[tuple[str, dict[str, Any]]] = []

    def on_pre(sender: Any, instance: Any, **kwargs: Any) -> None:
        got.append(("pre_save", {"sender": sender, "instance": instance, "pk": instance.pk,
                                 "adding": instance._state.adding, **kwargs}))

    def on_post(sender: Any, instance: Any, **kwargs: Any) -> None:
        got.append(("post_save", {"sender": sender, "instance": instance, "pk": instance.pk,
                                  "adding": instance._state.adding, **kwargs}))

    pre_save.connect(on_pre, sender=model, weak=False, dispatch_uid="test_insert_one.pre")
    post_save.connect(on_post, sender=model, weak=False, dispatch_uid="test_insert_one.post")
    try:
        yield got
    finally:
        pre_save.disconnect(sender=model, dispatch_uid="test_insert_one.pre")
        post_save.disconnect(sender=model, dispatch_uid="test_insert_one.post")


# ------------------------------------------------------------------------------------------ instances


def complaint(tree: Any, people: Any, tag: str, *, full: bool) -> Complaint:
    """A registration; ``full``: every column set (person links, closed with feedback …), else the
    nullable links and instants left None."""
    received = dt.datetime(2026, 3, 2, 9, 5, 7, 654321, tzinfo=SHANGHAI)
    c = Complaint(
        organization_id=tree.root.organization_id, number=f"TS-{tag}-0001", kind=Kind.COMPLAINT,
        category="service_attitude", channel=Channel.HOTLINE_SYSTEM, territory="甲县",
        customer_name="王小明", customer_phone="13812345678", customer_contact="微信：wxm_2026",
        content="配送员态度恶劣，送货迟到两小时还出言不逊。\n第二行：“引号”与 emoji 😀",
        subject_staff="张三", forwarded_from="12345 热线", handling_opinion="",
        received_at=received, receiving_unit=tree.front, receiving_person_name="12345 坐席 0871",
        registered_at=received + dt.timedelta(minutes=3), responsible_unit=tree.hotel,
        route_basis=RouteBasis.TABLE, route_decision=copy.deepcopy(NESTED),
        due_at=dt.datetime(2026, 3, 9, 17, 30, tzinfo=SHANGHAI), deadline_provisional=True,
        deadline_decision={"rule": "p4.deadline", "value": "2026-03-09T17:30:00+08:00", "facts": {"天数": 5}},
        idempotency_key=f"WO-{tag}", request_fingerprint="f" * 64, external_ref="WO-2026-000123",
        retention_decision={},
    )
    if full:
        c.state = State.CLOSED
        c.customer = people.staff
        c.subject_unit = tree.front
        c.receiving_person = people.handler
        c.registered_by = people.handler
        c.transfer_count = 2
        c.special, c.special_reason, c.special_approver = True, "重大投诉", people.head
        c.special_approved_at = received + dt.timedelta(hours=1)
        c.reply_needed = False
        c.promised_reply_on = dt.date(2026, 3, 6)
        c.answered_on_spot, c.answer, c.answered_by = True, "已当场解释", people.handler
        c.answered_at = received + dt.timedelta(seconds=1)
        c.adoption = Adoption.PARTLY
        c.leadership_report, c.reported_to, c.reported_at = "请认真处理", people.head, received
        c.investigator, c.investigator_named_at = people.staff, received
        c.findings, c.responsibility_class = "属实", ResponsibilityClass.MISTAKE
        c.found_at = received + dt.timedelta(days=1)
        c.correction, c.explanation = "已致歉", "已向客户解释"
        c.head, c.head_decision, c.head_decided_at = people.head, "通报批评", received + dt.timedelta(days=2)
        c.feedback_method, c.feedback = FeedbackMethod.PHONE, "已电话告知"
        c.fed_back_at, c.fed_back_by = received + dt.timedelta(days=3), people.handler
        c.satisfaction, c.customer_opinion = Satisfaction.BASICALLY_SATISFIED, "还行"
        c.closed_at, c.closed_by = received + dt.timedelta(days=4), people.head
        c.closed_on_time = False            # a nullable boolean set to False (not None)
        c.close_note = "办结"
        c.reopened_count, c.reopened_at, c.reopen_reason = 1, received + dt.timedelta(days=2), "客户不满意"
        c.spot_check_result = SpotResult.PASSED
        c.important, c.retention_years, c.retain_until = True, 5, dt.date(2031, 12, 31)
        c.retention_decision = {"rule": "p4.retention", "years": 5, "理由": ["重要资料"]}
        c.anonymized_at = None
    return c


def obligation(tree: Any, people: Any, *, full: bool) -> Obligation:
    opened = dt.datetime(2026, 3, 2, 9, 8, 0, 1, tzinfo=SHANGHAI)
    o = Obligation(
        subject_type="complaints.complaint", subject_id="12345", module="complaints", kind="complaints.handle",
        title="处理投诉 %(number)s", title_args={"number": "TS-0001", "客户": {"姓名": "王小明"}},
        clauses=["P4.4.4", "P4.4.1"], responsible_unit=tree.front, opened_at=opened,
        due_at=opened + dt.timedelta(days=5), original_due_at=opened + dt.timedelta(days=5),
        deadline_spec={"type": "working_days", "days": 5, "start": "2026-03-02"},
        decision=copy.deepcopy(NESTED), state=obligation_models.State.OPEN,
    )
    if full:
        o.responsible_person = people.staff
        o.opened_by_id = people.handler.pk
        o.provisional = True
        o.depends_on_calendar = True
        o.span_start = dt.date(2026, 3, 2)
        o.state = obligation_models.State.EXTENDED
        o.state_changed_at, o.state_changed_by, o.state_reason = opened, people.head, "客户同意延期"
        o.extension_count, o.extended_by, o.extension_approver = 1, people.staff, people.head
        o.escalation_level, o.next_escalation_at = 2, opened + dt.timedelta(days=6)
        o.next_reminder_at, o.reminder_count = opened + dt.timedelta(days=4), 3
        o.breached_at, o.met_at, o.met_on_time = None, opened + dt.timedelta(days=7), False
    return o


def notification(people: Any, ob: Obligation | None, *, full: bool) -> Notification:
    created = dt.datetime(2026, 3, 2, 9, 8, 0, 999999, tzinfo=SHANGHAI)
    n = Notification(
        recipient=people.staff, channel=obligation_models.Channel.SMS, obligation=ob, event="open",
        message="新的待办事项：%(title)s，截止 %(due)s（%(clauses)s）",
        args={"title": "处理投诉 TS-0001", "due": "3月9日 17:30", "clauses": "P4.4.4、P4.4.1", "n": {"嵌套": [1, 2]}},
        subject="【制度】处理投诉 TS-0001", body="新的待办事项：处理投诉 TS-0001", address="138****5678",
        created_at=created, status=Delivery.PENDING,
    )
    if full:
        n.channel = obligation_models.Channel.IN_APP
        n.status = Delivery.SENT
        n.sent_at, n.read_at = created, created + dt.timedelta(minutes=5)
        n.error = "超时；已重试"
    return n


# ------------------------------------------------------------------------------------------ same rows


@pytest.mark.parametrize("full", [True, False], ids=["every-column", "nullable-left-empty"])
def test_a_complaint_is_stored_as_save_stores_it(tree, people, full: bool) -> None:  # type: ignore[no-untyped-def]
    saved, inserted = store_both(lambda tag: complaint(tree, people, tag, full=full))
    row = assert_same_rows(Complaint, saved.pk, inserted.pk)
    # … and what was stored is what was given (both paths could be wrong the same way otherwise)
    back = Complaint.objects.get(pk=inserted.pk)
    expected = complaint(tree, people, "i", full=full)
    for f in Complaint._meta.concrete_fields:
        if f.name in ("id", "created_at", "updated_at"):
            continue
        assert getattr(back, f.attname) == getattr(expected, f.attname), f.name
    assert back.route_decision == NESTED and back.route_decision["facts"]["quotes"].endswith("表情😀")
    assert row["created_at"] == row["updated_at"] == FROZEN == inserted.created_at == inserted.updated_at
    assert row["received_at"] == dt.datetime(2026, 3, 2, 1, 5, 7, 654321, tzinfo=dt.UTC)
    assert back.kind == "complaint" and back.state == (State.CLOSED if full else State.OPEN)
    if full:
        assert back.closed_on_time is False and back.retain_until == dt.date(2031, 12, 31)
        assert back.special_approver_id == people.head.pk and back.customer_id == people.staff.pk
    else:
        assert back.customer_id is None and back.closed_on_time is None and back.promised_reply_on is None


@pytest.mark.parametrize("full", [True, False], ids=["every-column", "nullable-left-empty"])
def test_an_obligation_and_its_notification_are_stored_as_save_stores_them(  # type: ignore[no-untyped-def]
        tree, people, full: bool) -> None:
    saved, inserted = store_both(lambda _tag: obligation(tree, people, full=full))
    assert_same_rows(Obligation, saved.pk, inserted.pk)
    back = Obligation.objects.get(pk=inserted.pk)
    assert back.decision == NESTED and back.title_args == {"number": "TS-0001", "客户": {"姓名": "王小明"}}
    assert back.clauses == ["P4.4.4", "P4.4.1"] and back.title_text() == "处理投诉 TS-0001"
    assert (back.opened_by_id, back.met_on_time) == ((people.handler.pk, False) if full else (None, None))

    ob = inserted if full else None      # a set and an empty obligation link
    n_saved, n_inserted = store_both(lambda _tag: notification(people, ob, full=full))
    assert_same_rows(Notification, n_saved.pk, n_inserted.pk)
    n_back = Notification.objects.get(pk=n_inserted.pk)
    assert n_back.obligation_id == (inserted.pk if full else None)
    assert n_back.args["n"] == {"嵌套": [1, 2]} and n_back.text().startswith("新的待办事项：处理投诉 TS-0001")
    assert n_back.sent_at == (dt.datetime(2026, 3, 2, 1, 8, 0, 999999, tzinfo=dt.UTC) if full else None)


def test_rows_of_a_real_registration_match_save(tree, people) -> None:  # type: ignore[no-untyped-def]
    """complaints.services.register stores its complaint, obligation and notification by insert_one
    (prepared before its transaction): each instance, as it was stored, stored again by save() gives
    the same row."""
    handed: dict[type[models.Model], list[models.Model]] = {Complaint: [], Obligation: [], Notification: []}

    def capture(sender: Any, instance: Any, created: bool, **_kw: Any) -> None:
        if created:
            twin = copy.deepcopy(instance)
            twin.pk, twin._state.adding = None, True
            handed[sender].append(twin)

    for model in handed:
        post_save.connect(capture, sender=model, weak=False, dispatch_uid=f"test_insert_one.capture.{model.__name__}")
    try:
        result = complaint_services.register(people.handler, complaint_services.Intake(
            kind="complaint", category="service_attitude", channel="branch_hotline", receiving_unit=tree.front,
            content="服务员态度恶劣。", customer_name="王小明", customer_phone="13812345678",
            received_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)), idempotency_key="WO-real",
            now=dt.datetime(2026, 3, 2, 10, 1, tzinfo=SHANGHAI))
    finally:
        for model in handed:
            post_save.disconnect(sender=model, dispatch_uid=f"test_insert_one.capture.{model.__name__}")
    assert result.created
    assert [len(handed[m]) for m in (Complaint, Obligation)] == [1, 1]
    assert handed[Notification], "the registration notified nobody: nothing to compare"
    stored = {Complaint: [result.complaint.pk],
              Obligation: list(Obligation.objects.values_list("pk", flat=True)),
              Notification: list(Notification.objects.order_by("id").values_list("pk", flat=True))}
    for model, instances in handed.items():
        assert len(stored[model]) == len(instances)
        for pk, twin in zip(stored[model], instances, strict=True):
            if isinstance(twin, Complaint):
                twin.number, twin.idempotency_key = twin.number + "X", "WO-real-twin"
            twin.save(force_insert=True)
            assert_same_rows(model, twin.pk, pk)
    assert result.complaint.route_decision and result.complaint.deadline_decision


# ------------------------------------------------------------------------------------------ the instance


def test_the_instance_is_saved_with_one_statement(tree, people) -> None:  # type: ignore[no-untyped-def]
    ob = obligation(tree, people, full=True)
    assert ob.pk is None and ob._state.adding
    before = Obligation.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        insert_one(ob)
    assert len(ctx.captured_queries) == 1 and ctx.captured_queries[0]["sql"].lstrip().upper().startswith("INSERT")
    assert type(ob.pk) is int and ob.pk > 0 and ob.id == ob.pk
    assert ob._state.adding is False and ob._state.db == "default"
    assert Obligation.objects.count() == before + 1 and Obligation.objects.get(pk=ob.pk).title == ob.title
    second = obligation(tree, people, full=False)
    insert_one(second)                               # the statement is reused: a new row, a new key
    assert second.pk > ob.pk and Obligation.objects.count() == before + 2
    # the saved instance behaves as a saved one: an update writes the same row
    ob.state_reason = "改了"
    ob.save()
    assert Obligation.objects.count() == before + 2 and Obligation.objects.get(pk=ob.pk).state_reason == "改了"


@pytest.mark.parametrize("model", [Complaint, Obligation, Notification], ids=lambda m: m.__name__)
def test_hot_path_models_stay_plain(model: type[models.Model]) -> None:
    """insert_one bypasses Model.save: a save() override or inheritance on these models would be
    skipped silently on the hot path."""
    assert model.save is models.Model.save
    assert not model._meta.parents and not model._meta.proxy


@pytest.mark.parametrize("model", [Complaint, Obligation, Notification], ids=lambda m: m.__name__)
def test_none_is_passed_through_only_where_its_preparation_returns_none(model: type[models.Model]) -> None:
    """insert_one skips the preparation of None for plain and date/time fields: that preparation must
    give None there, on the database under test (a JSON field's None is prepared as the others)."""
    from django.db import connection

    from zhidu.core.bulk import _none_stays

    checked = 0
    for field in model._meta.concrete_fields:
        if _none_stays(field):
            assert field.get_db_prep_save(None, connection) is None, field.name
            checked += 1
        else:
            assert not isinstance(field, models.DateField | models.TimeField | models.CharField), field.name
    assert checked >= 3
    assert not any(_none_stays(f) for f in model._meta.concrete_fields if isinstance(f, models.JSONField))


class _ProxyConfigVersion(ConfigVersion):
    class Meta:
        proxy = True
        app_label = "core"


def test_models_with_parents_or_proxies_are_refused() -> None:
    """A proxy (or a child table) would need its parents' rows: insert_one refuses it, unstored."""
    with pytest.raises(TypeError, match="not a plain model"):
        insert_one(_ProxyConfigVersion(name="proxy-row", token="t"))
    assert not ConfigVersion.objects.filter(name="proxy-row").exists()


# ------------------------------------------------------------------------------------------ signals


def test_pre_and_post_save_fire_as_for_save(tree, people) -> None:  # type: ignore[no-untyped-def]
    with receivers(Complaint) as by_save:
        reference = complaint(tree, people, "s", full=True)
        reference.save(force_insert=True)
    with receivers(Complaint) as got:
        c = complaint(tree, people, "i", full=True)
        insert_one(c)
    assert [name for name, _ in got] == [name for name, _ in by_save] == ["pre_save", "post_save"]
    pre, post = got[0][1], got[1][1]
    assert pre["instance"] is c and post["instance"] is c and pre["sender"] is Complaint is post["sender"]
    assert pre["pk"] is None and pre["adding"] is True
    assert post["pk"] == c.pk and post["adding"] is False and post["created"] is True
    assert (pre["raw"], pre["update_fields"], pre["using"]) == (False, None, "default")
    assert (post["raw"], post["update_fields"], post["using"]) == (False, None, "default")
    for (_, mine), (_, theirs) in zip(got, by_save, strict=True):   # the same arguments as save sends
        assert set(mine) == set(theirs)
        assert {k: v for k, v in mine.items() if k not in ("instance", "pk")} == \
            {k: v for k, v in theirs.items() if k not in ("instance", "pk")}


def test_a_post_save_receiver_sees_the_stored_row(tree, people) -> None:  # type: ignore[no-untyped-def]
    seen: list[int] = []

    def on_post(sender: Any, instance: Notification, created: bool, **_kw: Any) -> None:
        seen.append(Notification.objects.filter(pk=instance.pk, subject=instance.subject).count())

    post_save.connect(on_post, sender=Notification, weak=False, dispatch_uid="test_insert_one.stored")
    try:
        insert_one(notification(people, None, full=False))
    finally:
        post_save.disconnect(sender=Notification, dispatch_uid="test_insert_one.stored")
    assert seen == [1]


# ------------------------------------------------------------------------------------------ errors


def test_a_duplicate_idempotency_key_propagates_and_leaves_nothing(tree, people) -> None:  # type: ignore[no-untyped-def]
    names = {c.name for c in Complaint._meta.constraints if isinstance(c, models.UniqueConstraint)}
    assert "complaints_idempotency_key" in names            # (organization, idempotency_key)
    existing = complaint(tree, people, "old", full=False)
    existing.idempotency_key = "WO-dup"
    existing.save()
    before = set(Complaint.objects.values_list("pk", flat=True))
    with receivers(Complaint) as got, pytest.raises(IntegrityError), transaction.atomic():
        first = complaint(tree, people, "new1", full=True)
        insert_one(first)                                   # stored …
        assert Complaint.objects.filter(pk=first.pk).exists()
        dup = complaint(tree, people, "new2", full=False)
        dup.idempotency_key = "WO-dup"
        insert_one(dup)                                      # … then the duplicate fails
    assert set(Complaint.objects.values_list("pk", flat=True)) == before      # nothing stored
    assert dup.pk is None and dup._state.adding is True
    assert [n for n, kw in got if kw["instance"] is dup] == ["pre_save"]       # no post_save for it
    # the key is unique per organization: another organization may use it
    other = complaint(tree, people, "other", full=False)
    other.idempotency_key = "WO-dup"
    other.organization_id = org_services.create_organization(SYSTEM, code="t-other", name="别的县").organization_id
    insert_one(other)
    assert Complaint.objects.filter(idempotency_key="WO-dup").count() == 2


def test_a_duplicate_number_propagates(tree, people) -> None:  # type: ignore[no-untyped-def]
    insert_one(complaint(tree, people, "same", full=False))
    twin = complaint(tree, people, "same", full=False)
    twin.idempotency_key = "WO-other"
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_one(twin)
    assert Complaint.objects.filter(number="TS-same-0001").count() == 1


def test_a_failed_insert_marks_the_transaction_for_rollback_as_save_does(tree, people) -> None:  # type: ignore[no-untyped-def]
    """save() marks the enclosing atomic block for rollback when its insert fails (a caught error
    cannot let the block commit half of its writes — on SQLite the connection would let it)."""
    existing = complaint(tree, people, "old", full=False)
    existing.save()
    marked = {}
    for how, store in (("save", lambda c: c.save(force_insert=True)), ("insert_one", insert_one)):
        with transaction.atomic():
            dup = complaint(tree, people, f"dup-{how}", full=False)
            dup.idempotency_key = existing.idempotency_key
            with pytest.raises(IntegrityError):
                store(dup)
            marked[how] = transaction.get_rollback()
            transaction.set_rollback(True)
    assert marked["save"] is True                       # the reference behaviour
    assert marked["insert_one"] is True, marked


def test_an_instance_with_its_primary_key_set_is_inserted_under_it(tree, people) -> None:  # type: ignore[no-untyped-def]
    """save(force_insert=True) inserts an explicit primary key (and fails for an existing one)."""
    reference = obligation(tree, people, full=False)
    reference.save(force_insert=True)
    again = obligation(tree, people, full=False)
    again.pk = reference.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save(force_insert=True)                    # the reference behaviour
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_one(again)
    assert Obligation.objects.count() == 1
    chosen = obligation(tree, people, full=False)
    chosen.pk = reference.pk + 1000
    insert_one(chosen)
    assert chosen.pk == reference.pk + 1000 and Obligation.objects.filter(pk=reference.pk + 1000).exists()


@pytest.mark.parametrize(("field", "value"), [
    ("subject_id", 12345),        # an int in a CharField: save stores "12345"
    ("state_reason", True),       # a bool in a TextField: save stores "True"
    # an int in a BooleanField: save stores True; PostgreSQL refuses the passed-through integer
    ("provisional", 1),
    ("reminder_count", True),     # a bool in an integer field: save stores 1
])
def test_a_value_of_another_type_is_stored_as_save_stores_it(tree, people, field: str, value: Any) -> None:  # type: ignore[no-untyped-def]
    def make(_tag: str) -> Obligation:
        o = obligation(tree, people, full=False)
        setattr(o, field, value)
        return o

    saved = make("s")
    saved.save(force_insert=True)
    inserted = make("i")
    with transaction.atomic():
        insert_one(inserted)
    assert_same_rows(Obligation, saved.pk, inserted.pk)


# ------------------------------------------------------------------------------------ prepare_one


@pytest.mark.parametrize("full", [True, False], ids=["every-field", "defaults"])
def test_a_prepared_complaint_is_stored_as_save_stores_it(tree, people, full: bool) -> None:  # type: ignore[no-untyped-def]
    saved = complaint(tree, people, "s", full=full)
    saved.save(force_insert=True)
    prepared = prepare_one(complaint(tree, people, "i", full=full))
    assert prepared.values is not None            # prepared now, not at insert time
    with CaptureQueriesContext(connection) as ctx:
        prepared.insert()
    assert len(ctx.captured_queries) == 1
    assert_same_rows(Complaint, saved.pk, prepared.obj.pk)


def test_a_late_key_is_read_at_insert_time(tree, people) -> None:  # type: ignore[no-untyped-def]
    """A notification prepared before its obligation exists: the key named in ``late`` is taken when
    the row is inserted, after the obligation got its key."""
    ob = obligation(tree, people, full=False)
    note = prepare_one(notification(people, ob, full=True), late=["obligation"])
    insert_one(ob)
    note.insert()
    assert Notification.objects.get(pk=note.obj.pk).obligation_id == ob.pk


def test_a_late_key_still_unsaved_at_insert_time_is_refused_and_nothing_stored(tree, people) -> None:  # type: ignore[no-untyped-def]
    ob = obligation(tree, people, full=False)
    note = prepare_one(notification(people, ob, full=True), late=["obligation"])
    before = Notification.objects.count()
    with pytest.raises(ValueError, match="unsaved related object 'obligation'"):
        note.insert()
    assert Notification.objects.count() == before and note.obj.pk is None


def test_an_unsaved_key_not_named_late_is_refused(tree, people) -> None:  # type: ignore[no-untyped-def]
    ob = obligation(tree, people, full=False)
    with pytest.raises(ValueError, match="obligation refers to an unsaved row"):
        prepare_one(notification(people, ob, full=True))


def test_a_prepared_instance_gets_pre_save_when_prepared_and_post_save_when_stored(tree, people) -> None:  # type: ignore[no-untyped-def]
    """pre_save is sent once, by prepare_one (a receiver's change to the instance is stored), and
    post_save once, after the insert, with the arguments save sends."""
    def shout(sender: Any, instance: Complaint, **_kw: Any) -> None:
        instance.handling_opinion = "由接收方改写"

    pre_save.connect(shout, sender=Complaint, weak=False, dispatch_uid="test_prepare_one.shout")
    try:
        with receivers(Complaint) as got:
            prepared = prepare_one(complaint(tree, people, "p", full=False))
            assert [name for name, _ in got] == ["pre_save"] and got[0][1]["adding"] is True
            prepared.insert()
    finally:
        pre_save.disconnect(sender=Complaint, dispatch_uid="test_prepare_one.shout")
    assert [name for name, _ in got] == ["pre_save", "post_save"]
    assert got[1][1]["created"] is True and got[1][1]["pk"] == prepared.obj.pk
    assert Complaint.objects.get(pk=prepared.obj.pk).handling_opinion == "由接收方改写"
