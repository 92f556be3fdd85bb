"""Complaint handling (P4, with intake from P10.1/P10.2.5 and P11.1).

One ``Complaint`` row is one contact of the registration form (客户投诉登记表, P4.3.2), whatever its
type (inquiry 咨询 / suggestion 建议 / complaint 投诉, P4.4). Its columns are grouped by lifecycle step;
the statistics fields (type, category, channel, units, received/closed instants, on-time flag,
responsibility class, satisfaction, reopen count, spot-check result) are plain indexed columns so
that counts over a million rows stay index scans, and they survive the retention purge (P4.4.7),
which masks only the personal data.

Routing (P4.2) is configured per organization: ``ComplaintSettings`` (branch customer service,
order department, public intake, duplicate hints, public rate limit), ``Territory`` (a county: the
unit that handles it and its county marketing department) and ``RouteRule`` (category × territory →
unit). Transfers, staff faults (P11.6 fines), rectification plans, spot checks and criticisms have
their own rows; the audit trail (``zhidu.audit``) is the timeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhidu.rulebook.decision import Decision

WILDCARD = "*"


def attachment_storage() -> Storage:
    """Uploads live under the data directory (``ZHIDU_DATA_DIR/uploads``), never in the code tree."""
    return FileSystemStorage(location=Path(settings.DATA_DIR) / "uploads", base_url=None)


class Kind(models.TextChoices):
    INQUIRY = "inquiry", _("咨询")
    SUGGESTION = "suggestion", _("建议")
    COMPLAINT = "complaint", _("投诉")


class Channel(models.TextChoices):
    BRANCH_HOTLINE = "branch_hotline", _("分公司投诉监督电话")
    COUNTY_PHONE = "county_phone", _("县级公司投诉电话")
    WALK_IN = "walk_in", _("来访")
    FAX = "fax", _("传真")
    FORWARDED = "forwarded", _("其他单位转来")
    GUIDE_DESK = "guide_desk", _("服务大厅导办台")
    DUTY_OFFICER = "duty_officer", _("值班员受理")
    CUSTOMER_SERVICE = "customer_service", _("客服来电")
    WEB = "web", _("网上自助登记")
    HOTLINE_SYSTEM = "hotline_system", _("热线系统（12345 等）")
    OTHER = "other", _("其他")


#: The clause each channel applies (the registration form records it, P4.3.2).
CHANNEL_CLAUSES: dict[str, str] = {
    Channel.BRANCH_HOTLINE: "P4.3.1", Channel.COUNTY_PHONE: "P4.3.1", Channel.WALK_IN: "P4.3.2",
    Channel.FAX: "P4.3.3", Channel.FORWARDED: "P4.3.3", Channel.GUIDE_DESK: "P10.1",
    Channel.DUTY_OFFICER: "P10.2.5", Channel.CUSTOMER_SERVICE: "P11.1", Channel.WEB: "P4.3.1",
    Channel.HOTLINE_SYSTEM: "P4.3.1", Channel.OTHER: "P4.3.2",
}


class State(models.TextChoices):
    OPEN = "open", _("待处理")
    INVESTIGATING = "investigating", _("调查中")
    HANDLED = "handled", _("已处理待办结")
    CLOSED = "closed", _("已办结")


PENDING_STATES = (State.OPEN.value, State.INVESTIGATING.value, State.HANDLED.value)


class RouteBasis(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", _("超出受理单位范围，转分公司客户服务部")
    PRODUCT_QUALITY = "product_quality", _("商品问题，转县级营销部门")
    TABLE = "table", _("按类别和属地分派")
    ORDER_DEPARTMENT = "order_department", _("由营销中心订单部分类传送")
    RECEIVER = "receiver", _("未配置分派，由受理单位处理")
    TRANSFER = "transfer", _("转办")


class ResponsibilityClass(models.TextChoices):
    VIOLATION = "violation", _("违规或工作失职")
    MISTAKE = "mistake", _("一般工作失误、服务欠缺")
    CUSTOMER = "customer", _("客户自身问题或误解")


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("非常满意")
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    VERY_DISSATISFIED = "very_dissatisfied", _("非常不满意")


class FeedbackMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    MESSAGE = "message", _("短信或消息")
    IN_PERSON = "in_person", _("当面")
    LETTER = "letter", _("书面")


class Adoption(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("未采纳")


class SpotResult(models.TextChoices):
    PENDING = "pending", _("待验证")
    PASSED = "passed", _("验证相符")
    FAILED = "failed", _("验证不符")


class Severity(models.TextChoices):
    """P11.6 "by severity": the levels of ``p11.complaint_severity_levels`` (default rulebook)."""

    MINOR = "minor", _("轻微")
    ORDINARY = "ordinary", _("一般")
    SERIOUS = "serious", _("严重")


# ------------------------------------------------------------------------------------ configuration


class ComplaintSettings(models.Model):
    """Per organization: where contacts are routed when the table says nothing, the public form."""

    organization = models.OneToOneField("org.Organization", on_delete=models.CASCADE, related_name="complaint_settings",
                                        verbose_name=_("组织"))
    branch_customer_service = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("分公司客户服务部"), help_text=_("超出受理单位范围的来电转到这里（P4.3.3）。"))
    order_department = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("营销中心订单部"), help_text=_("分派表找不到责任单位时由订单部分类传送（P4.2）。"))
    public_intake_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("网上登记受理单位"), help_text=_("公众网上登记的受理单位；为空则不开放网上登记。"))
    duplicate_window_days = models.PositiveSmallIntegerField(_("疑似重复的天数"), default=7)
    duplicate_min_similarity = models.FloatField(_("疑似重复的最低相似度"), default=0.4)
    public_rate_limit = models.PositiveSmallIntegerField(_("每个地址每小时网上登记上限"), default=5)
    public_suggestion_reply_days = models.PositiveSmallIntegerField(
        _("网上建议的承诺答复工作日数"), default=5,
        help_text=_("公众网上提出需要答复的建议时，向其承诺在此工作日数内答复（P4.4.2）。"))

    class Meta:
        verbose_name = _("投诉处理设置")
        verbose_name_plural = _("投诉处理设置")

    def __str__(self) -> str:
        return str(self.organization)


class Category(models.Model):
    """A complaint category (统计与分派用); codes are stable, names translatable in the admin."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    def label(self) -> str:
        """The name in the active language (the English name when there is one and English is on)."""
        from django.utils.translation import get_language

        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class Territory(models.Model):
    """A county (属地): the unit that handles its contacts (P4.2) and its county marketing department
    (product problems, P4.4.3). A unit at or below ``handling_unit`` covers only this territory: a
    contact from elsewhere is out of its scope (P4.3.3)."""

    organization = models.ForeignKey("org.Organization", on_delete=models.CASCADE, related_name="territories",
                                     verbose_name=_("组织"))
    code = models.SlugField(_("代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=100)
    handling_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("属地责任单位"))
    county_marketing = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("县级营销部门"))

    class Meta:
        verbose_name = _("属地")
        verbose_name_plural = _("属地")
        ordering = ["organization_id", "code"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="complaints_territory_code")]

    def __str__(self) -> str:
        return self.name


class RouteRule(models.Model):
    """Category × territory → responsible unit; ``*`` matches any (most specific wins, P4.2)."""

    organization = models.ForeignKey("org.Organization", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("组织"))
    category = models.CharField(_("类别代码"), max_length=64, default=WILDCARD)
    territory = models.CharField(_("属地代码"), max_length=64, default=WILDCARD)
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        ordering = ["organization_id", "category", "territory"]
        constraints = [models.UniqueConstraint(fields=["organization", "category", "territory"],
                                               name="complaints_route_unique")]

    def __str__(self) -> str:
        return f"{self.category} × {self.territory} → {self.unit}"


# ------------------------------------------------------------------------------------ the form


class Complaint(models.Model):
    organization = models.ForeignKey("org.Organization", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("编号"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    category = models.CharField(_("类别"), max_length=64)
    channel = models.CharField(_("受理渠道"), max_length=32, choices=Channel.choices)
    territory = models.CharField(_("属地"), max_length=64, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN)

    # Registration form (P4.3.2)
    customer = models.ForeignKey("org.Person", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="complaints", verbose_name=_("客户档案"))
    customer_name = models.CharField(_("客户"), max_length=100)
    customer_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    customer_contact = models.CharField(_("其他联系方式"), max_length=200, blank=True)
    content = models.TextField(_("内容"))
    subject_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("被投诉单位（窗口）"))
    subject_staff = models.CharField(_("被投诉人员"), max_length=100, blank=True)
    forwarded_from = models.CharField(_("转来单位或传真号"), max_length=200, blank=True)
    handling_opinion = models.TextField(_("处理意见"), blank=True)
    received_at = models.DateTimeField(_("受理时间"))
    receiving_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("受理单位"))
    receiving_person = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("受理人"))
    receiving_person_name = models.CharField(_("受理人"), max_length=100)
    registered_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("登记人"))
    registered_at = models.DateTimeField(_("登记时间"))

    # Routing (P4.2, P4.3.3, P4.4.3); the first receiver above stays on record.
    responsible_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("责任单位"))
    route_basis = models.CharField(_("分派依据"), max_length=32, choices=RouteBasis.choices)
    route_decision = models.JSONField(_("分派决定"), default=dict, blank=True)
    transfer_count = models.PositiveSmallIntegerField(_("转办次数"), default=0)

    # Deadline (P4.4.1, P4.4.2, P4.4.4)
    special = models.BooleanField(_("特殊情况"), default=False)
    special_reason = models.TextField(_("特殊情况理由"), blank=True)
    special_approver = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("特殊情况批准人"))
    special_approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    reply_needed = models.BooleanField(_("需要答复"), default=True)
    promised_reply_on = models.DateField(_("承诺答复日期"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("期限暂定"), default=False)
    deadline_decision = models.JSONField(_("期限依据"), default=dict, blank=True)

    # Inquiry answer (P4.4.1) / suggestion report and reply (P4.4.2)
    answered_on_spot = models.BooleanField(_("当即解答"), default=False)
    answer = models.TextField(_("答复内容"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("答复人"))
    adoption = models.CharField(_("采纳情况"), max_length=16, choices=Adoption.choices, blank=True)
    leadership_report = models.TextField(_("领导批示"), blank=True)
    reported_to = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("汇报领导"))
    reported_at = models.DateTimeField(_("汇报时间"), null=True, blank=True)

    # Investigation (P4.4.3)
    investigator = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="complaint_investigations", verbose_name=_("调查人"))
    investigator_named_at = models.DateTimeField(_("指定调查人时间"), null=True, blank=True)
    findings = models.TextField(_("调查结果"), blank=True)
    responsibility_class = models.CharField(_("调查定性"), max_length=16, choices=ResponsibilityClass.choices,
                                            blank=True)
    found_at = models.DateTimeField(_("定性时间"), null=True, blank=True)
    correction = models.TextField(_("纠正措施"), blank=True)
    explanation = models.TextField(_("对客户的解释"), blank=True)
    head = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("报告的部门领导"))
    head_decision = models.TextField(_("组织程序处理结果"), blank=True)
    head_decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    # Feedback (P4.4.5) and closing (P4.6)
    feedback_method = models.CharField(_("反馈方式"), max_length=16, choices=FeedbackMethod.choices, blank=True)
    feedback = models.TextField(_("反馈内容"), blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    fed_back_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("反馈人"))
    satisfaction = models.CharField(_("满意度"), max_length=24, choices=Satisfaction.choices, blank=True)
    customer_opinion = models.TextField(_("客户意见"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("办结人"))
    closed_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    close_note = models.TextField(_("办结说明"), blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    reopened_at = models.DateTimeField(_("最近重办时间"), null=True, blank=True)
    reopen_reason = models.TextField(_("重办原因"), blank=True)
    spot_check_result = models.CharField(_("抽查结果"), max_length=16, choices=SpotResult.choices, blank=True)

    # Retention (P4.4.7)
    important = models.BooleanField(_("重要资料"), default=False)
    retention_years = models.PositiveSmallIntegerField(_("指定保存年限"), null=True, blank=True)
    retain_until = models.DateField(_("保存至"), null=True, blank=True)
    retention_decision = models.JSONField(_("保存期限依据"), default=dict, blank=True)
    anonymized_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    # Integrations: a retried request with the same key returns this row (never a second one).
    idempotency_key = models.CharField(_("幂等键"), max_length=128, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    external_ref = models.CharField(_("外部工单号"), max_length=100, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("客户投诉登记")
        verbose_name_plural = _("客户投诉登记")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="complaints_idempotency_key"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in Kind]), name="complaints_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=[s.value for s in State]), name="complaints_state_valid"),
            models.CheckConstraint(condition=Q(state=State.CLOSED) | Q(closed_at__isnull=True),
                                   name="complaints_closed_at_only_when_closed"),
        ]
        indexes = [
            # statistics: every breakdown is "within a period of receipt" (+ the dimension)
            models.Index(fields=["received_at"], name="cmp_received_idx"),
            models.Index(fields=["responsible_unit", "received_at"], name="cmp_unit_received_idx"),
            models.Index(fields=["receiving_unit", "received_at"], name="cmp_recv_unit_received_idx"),
            models.Index(fields=["kind", "received_at"], name="cmp_kind_received_idx"),
            models.Index(fields=["category", "received_at"], name="cmp_category_received_idx"),
            models.Index(fields=["channel", "received_at"], name="cmp_channel_received_idx"),
            # covering index of the statistics page (stats.py, bench/bench_complaints_stats.py): the
            # trend and totals over a year read the index only, never the wide rows
            models.Index(fields=["received_at", "kind", "category", "channel", "responsible_unit", "receiving_unit",
                                 "responsibility_class", "satisfaction", "closed_on_time", "reopened_count",
                                 "spot_check_result", "investigator", "receiving_person", "registered_by",
                                 "organization"], name="cmp_stats_cover_idx"),
            # on-time and closing figures, spot-check populations (closed items of a unit in a period)
            models.Index(fields=["responsible_unit", "closed_at"], name="cmp_unit_closed_idx"),
            models.Index(fields=["closed_at"], name="cmp_closed_idx"),
            # queues
            models.Index(fields=["state", "responsible_unit", "due_at"], name="cmp_queue_idx"),
            models.Index(fields=["investigator", "state"], name="cmp_investigator_idx"),
            # duplicate hints: the same customer phone recently
            models.Index(fields=["customer_phone", "received_at"], name="cmp_phone_received_idx"),
            # retention purge: closed, not yet anonymized, past their date
            models.Index(fields=["retain_until"], name="cmp_retention_idx",
                         condition=Q(anonymized_at__isnull=True, retain_until__isnull=False)),
            # the statistics table's refresh: what changed since its watermark (aggregates.refresh)
            models.Index(fields=["updated_at"], name="cmp_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES

    def deadline_why(self) -> Decision | None:
        return Decision.from_dict(self.deadline_decision) if self.deadline_decision else None

    def route_why(self) -> Decision | None:
        return Decision.from_dict(self.route_decision) if self.route_decision else None

    def retention_why(self) -> Decision | None:
        return Decision.from_dict(self.retention_decision) if self.retention_decision else None


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), storage=attachment_storage, upload_to="complaints/%Y/%m/", max_length=255,
                            blank=True)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Transfer(models.Model):
    """A move of the responsibility to another unit (P4.2, P4.3.3, P4.3.4), with its reason; the
    first receiver (``Complaint.receiving_unit``/``receiving_person``) stays on the form."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("转办原因"))
    opinion = models.TextField(_("处理意见"), blank=True)
    basis = models.CharField(max_length=32, choices=RouteBasis.choices, default=RouteBasis.TRANSFER)
    by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("转办时间"))

    class Meta:
        verbose_name = _("转办记录")
        verbose_name_plural = _("转办记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.from_unit_id} → {self.to_unit_id}"


class StaffFault(models.Model):
    """A staff member found at fault (class violation or mistake), with the severity that sets the
    P11.6 fine; ``entry_id`` is the sanctions ledger entry when the person's unit adopts P11."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="faults")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("当事人"))
    severity = models.CharField(_("情节"), max_length=16)
    source = models.CharField(_("投诉来源"), max_length=16, default="customer")
    amount = models.DecimalField(_("罚款金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    period = models.CharField(_("期间"), max_length=7)
    decision = models.JSONField(default=dict, blank=True)
    fine_applies = models.BooleanField(_("适用 P11.6"), default=False)
    entry_id = models.BigIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("责任人员")
        verbose_name_plural = _("责任人员")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["complaint", "person"], name="complaints_fault_person")]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.person_id} ({self.severity})"


class RectificationPlan(models.Model):
    """P4.4.3 (b): a correction plan with an owner and a due date — an obligation of the owner."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="plans")
    plan = models.TextField(_("整改方案"))
    owner = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("整改责任人"))
    due_on = models.DateField(_("整改期限"))
    obligation_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completion_note = models.TextField(_("完成情况"), blank=True)

    class Meta:
        verbose_name = _("整改方案")
        verbose_name_plural = _("整改方案")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.due_on}"


class SpotCheck(models.Model):
    """One draw of the marketing centre's verification (P4.4.6): the population of closed items of a
    unit's subtree in a month, the recorded seed and the sample ``p4.spot_check_sample`` chose."""

    organization = models.ForeignKey("org.Organization", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("被抽查单位"))
    period = models.CharField(_("期间"), max_length=7)
    kinds = models.JSONField(_("类型"), default=list)
    seed = models.CharField(_("随机种子"), max_length=64)
    population = models.JSONField(default=list)
    decision = models.JSONField(default=dict)
    drawn_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("抽查人"))
    drawn_at = models.DateTimeField(_("抽取时间"))

    class Meta:
        verbose_name = _("抽查验证")
        verbose_name_plural = _("抽查验证")
        ordering = ["-drawn_at", "-id"]
        indexes = [models.Index(fields=["unit", "period"], name="cmp_spot_unit_period_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.period}"


class SpotCheckItem(models.Model):
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="spot_items")
    result = models.CharField(_("结果"), max_length=16, choices=SpotResult.choices, default=SpotResult.PENDING)
    notes = models.TextField(_("验证意见"), blank=True)
    checked_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("抽查项")
        verbose_name_plural = _("抽查项")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["spot_check", "complaint"], name="complaints_spot_item")]

    def __str__(self) -> str:
        return f"{self.spot_check_id}/{self.complaint_id}: {self.result}"


class Criticism(models.Model):
    """A unit criticized for a result that failed verification, with its rectification deadline
    (P4.4.6, P4.6)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("被批评单位"))
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="criticisms")
    spot_item = models.ForeignKey(SpotCheckItem, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField(_("批评意见"))
    due_at = models.DateTimeField(_("整改期限"))
    provisional = models.BooleanField(default=False)
    decision = models.JSONField(default=dict)
    obligation_id = models.BigIntegerField(null=True, blank=True)
    by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("批评与限期整改")
        verbose_name_plural = _("批评与限期整改")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.complaint_id}"


def decision_dict(decision: Decision) -> dict[str, Any]:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(decision.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False))


# The pre-aggregated statistics table and its refresh state (P4.5; see models_stats).
from .models_stats import ComplaintStat, ComplaintStatDirtyDay, ComplaintStatState  # noqa: E402, F401
