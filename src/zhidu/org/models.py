"""Organization, units, people, employment, roles and adopted regulations."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    ORGANIZATION = "organization", _("机构")
    COMPANY = "company", _("公司")
    DEPARTMENT = "department", _("部门")
    COUNTY_COMPANY = "county_company", _("县公司")
    BUREAU = "bureau", _("局委")
    OFFICE = "office", _("办公室")
    WINDOW = "window", _("服务窗口")
    VOLUNTEER_CENTRE = "volunteer_centre", _("志愿者服务中心")
    VOLUNTEER_STATION = "volunteer_station", _("志愿服务站")
    HEALTH_CENTRE = "health_centre", _("卫生服务中心")
    HEALTH_STATION = "health_station", _("卫生服务站")
    SERVICE_HALL = "service_hall", _("服务大厅")
    RESTAURANT = "restaurant", _("餐厅")
    TEAM = "team", _("小组")


def ancestor_paths(path: str) -> list[str]:
    """The paths of a unit and every unit above it, top first:
    "00000001/00000005/" → ["00000001/", "00000001/00000005/"]. ``unit__path__in=`` these finds the
    unit's own rows and those it inherits."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


class OrgUnit(models.Model):
    """A node of the organization tree.

    ``path`` is a materialized path of zero-padded ids ("00000001/00000005/"), so "is this unit
    inside that one" is a prefix test and a subtree is one indexed range query.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=32, choices=UnitKind.choices)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    regulations = models.ManyToManyField(  # type: ignore[var-annotated]
        "rulebook.Regulation", through="Adoption", related_name="units", blank=True
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="org_unit_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)


class Gender(models.TextChoices):
    FEMALE = "F", _("女")
    MALE = "M", _("男")


class Person(models.Model):
    """One record per human, whether staff, volunteer, customer, applicant or resident."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="people")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    name = models.CharField(_("姓名"), max_length=100)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=32, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Rank(models.TextChoices):
    STAFF = "staff", _("员工")
    MIDDLE_MANAGER = "middle_manager", _("中层管理人员")
    DEPARTMENT_MANAGER = "department_manager", _("部门经理")
    GENERAL_MANAGER = "general_manager", _("总经理")


class Employment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="employments")
    position = models.CharField(_("岗位"), max_length=100, blank=True)
    rank = models.CharField(_("职级"), max_length=32, choices=Rank.choices, default=Rank.STAFF)
    hired_on = models.DateField(_("入职日期"))
    probation_until = models.DateField(_("试用期至"), null=True, blank=True)
    base_salary = models.DecimalField(_("基本工资"), max_digits=10, decimal_places=2, default=0)
    ended_on = models.DateField(_("离职日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.person} @ {self.unit}"

    def active_on(self, day: dt.date) -> bool:
        return self.hired_on <= day and (self.ended_on is None or day <= self.ended_on)


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    HR = "hr", _("人力资源")
    GENERAL_MANAGER = "general_manager", _("总经理")
    DEPARTMENT_MANAGER = "department_manager", _("部门经理")
    DUTY_OFFICER = "duty_officer", _("值班员")
    DUTY_DIRECTOR = "duty_director", _("值班主任")
    COMPLAINT_HANDLER = "complaint_handler", _("投诉处理员")
    COMPLAINT_VERIFIER = "complaint_verifier", _("投诉核查员")
    VOLUNTEER_ORGANIZER = "volunteer_organizer", _("志愿活动组织者")


class RoleAssignment(models.Model):
    """A role held by a person over a unit and everything below it, for a period."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="role_assignments")
    valid_from = models.DateField(_("起始日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        indexes = [models.Index(fields=["person", "role"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"


class Adoption(models.Model):
    """A unit adopts a regulation (P1–P11 or the organization's own) from a date."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="adoptions")
    regulation = models.ForeignKey("rulebook.Regulation", on_delete=models.PROTECT, related_name="adoptions")
    adopted_on = models.DateField(_("采用日期"))

    class Meta:
        verbose_name = _("采用规章")
        verbose_name_plural = _("采用规章")
        constraints = [
            models.UniqueConstraint(fields=["unit", "regulation"], name="adoption_unit_regulation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.regulation_id}"
