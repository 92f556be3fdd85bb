"""Forms of the complaint pages: the registration form for agents and the public form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhidu.org import access
from zhidu.org.models import OrgUnit, Person, Role

from . import selectors
from .models import Channel, Kind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class IntakeForm(forms.Form):
    """The complaint registration form (客户投诉登记表, P4.3.2), in the order an agent fills it on the
    phone: who calls, what kind, what about, then the details."""

    receiving_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("受理单位"))
    channel = forms.ChoiceField(choices=Channel.choices, label=_("受理渠道"))
    customer_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    customer_name = forms.CharField(label=_("客户"), max_length=100, required=False)
    customer_contact = forms.CharField(label=_("其他联系方式"), max_length=200, required=False)
    kind = forms.ChoiceField(choices=Kind.choices, label=_("类型"), widget=forms.RadioSelect, initial=Kind.COMPLAINT)
    category = forms.ChoiceField(choices=(), label=_("类别"))
    territory = forms.ChoiceField(choices=(), label=_("属地"), required=False)
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    received_at = forms.DateTimeField(label=_("受理时间（空：现在）"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    subject_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("被投诉单位（窗口）"), required=False)
    subject_staff = forms.CharField(label=_("被投诉人员"), max_length=100, required=False)
    forwarded_from = forms.CharField(label=_("转来单位或传真号（转来、传真时必填）"), max_length=200, required=False)
    handling_opinion = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    answered_on_spot = forms.BooleanField(label=_("咨询已当即解答"), required=False)
    answer = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reply_needed = forms.BooleanField(label=_("建议需要答复"), required=False, initial=True)
    promised_reply_on = forms.DateField(label=_("承诺答复日期"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))
    special = forms.BooleanField(label=_("特殊情况（7 个工作日）"), required=False)
    special_reason = forms.CharField(label=_("特殊情况理由"), required=False)
    special_approver = forms.ModelChoiceField(queryset=Person.objects.none(), label=_("批准人"), required=False)
    attachments = MultipleFileField(label=_("附件"), required=False)

    def __init__(self, actor: access.Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = selectors.intake_units(actor)
        ids = [u.pk for u in units]
        self.fields["receiving_unit"].queryset = OrgUnit.objects.filter(pk__in=ids).order_by("path")  # type: ignore[attr-defined]
        default = selectors.default_intake_unit(actor)
        if default is not None:
            self.fields["receiving_unit"].initial = default.pk
        org_ids = sorted({u.organization_id for u in units})
        self.fields["category"].choices = [(c.code, c.label()) for c in selectors.categories()]  # type: ignore[attr-defined]
        territories = [t for o in org_ids for t in selectors.territories(o)]
        self.fields["territory"].choices = [("", _("（按受理单位）"))] + [(t.code, t.name) for t in territories]  # type: ignore[attr-defined]
        self.fields["subject_unit"].queryset = OrgUnit.objects.filter(organization_id__in=org_ids).order_by("path")  # type: ignore[attr-defined]
        self.fields["special_approver"].queryset = (  # type: ignore[attr-defined]
            Person.objects.filter(organization_id__in=org_ids,
                                  roles__role__in=[Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER])
            .distinct().order_by("name"))
        self.fields["customer_phone"].widget.attrs.update({"autofocus": True, "inputmode": "tel", "autocomplete": "off"})
        self.fields["content"].widget.attrs.update({"data-ctrl-enter": "submit"})


class PublicForm(forms.Form):
    organization = forms.ChoiceField(choices=(), label=_("受理机构"))
    kind = forms.ChoiceField(choices=Kind.choices, label=_("类型"), widget=forms.RadioSelect, initial=Kind.COMPLAINT)
    category = forms.ChoiceField(choices=(), label=_("类别"))
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    name = forms.CharField(label=_("姓名"), max_length=100)
    phone = forms.CharField(label=_("联系电话"), max_length=32, help_text=_("用于回访；查询进度时需要后四位。"))
    contact = forms.CharField(label=_("其他联系方式"), max_length=200, required=False)
    reply_needed = forms.BooleanField(label=_("建议需要答复"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = selectors.public_organizations()
        self.fields["organization"].choices = [(o.code, o.name) for o in orgs]  # type: ignore[attr-defined]
        if len(orgs) == 1:
            self.fields["organization"].initial = orgs[0].code
            self.fields["organization"].widget = forms.HiddenInput()
        self.fields["category"].choices = [(c.code, c.label()) for c in selectors.categories()]  # type: ignore[attr-defined]


class TrackForm(forms.Form):
    number = forms.CharField(label=_("登记编号"), max_length=32)
    phone_last4 = forms.CharField(label=_("联系电话后四位"), max_length=4, min_length=4)
