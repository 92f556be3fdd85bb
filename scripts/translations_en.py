"""English for zhidu's message ids (the Simplified Chinese text).

`python scripts/translations_en.py` fills every empty msgstr of locale/en that this table knows and
lists the ids it does not know; `make messages` then compiles. Keep entries grouped by app.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

EN: dict[str, str] = {
    # api
    "请求参数有误。": "Invalid request.",
    "需要登录或有效的接口令牌。": "Sign-in or a valid API token is required.",
    "未找到。": "Not found.",
    "此账户未关联人员档案。": "This account is not linked to a person record.",
    "未找到此单位。": "Unit not found.",
    "接口": "API",
    "名称": "Name",
    "接口令牌": "API token",
    "只能为自己签发接口令牌。": "You can only issue API tokens for yourself.",
    "只能吊销自己的接口令牌。": "You can only revoke your own API tokens.",
    # audit
    "审计": "Audit",
    "审计日志": "Audit log",
    "审计链": "Audit chain",
    "链": "Chain",
    "序号": "Sequence",
    "时间": "Time",
    "操作人编号": "Actor ID",
    "操作人": "Actor",
    "动作": "Action",
    "对象类型": "Subject type",
    "对象编号": "Subject ID",
    "单位编号": "Unit ID",
    "内容": "Payload",
    "条款": "Clauses",
    "审计事件": "Audit event",
    "无权查看审计日志（audit.view）。": "You may not view the audit log (audit.view).",
    "审计链完整：已校验 %(n)s 条事件，%(m)s 条链。": "Audit trail intact: %(n)s events in %(m)s chains verified.",
    "审计链被破坏：": "The audit trail is broken:",
    "校验审计链": "Verify the audit trail",
    # core / demo
    "核心": "Core",
    "演示数据": "Demo data",
    "用户名“%(u)s”已被演示组织以外的账号使用，无法创建演示数据。":
        "The user name “%(u)s” is taken by an account outside the demo organization; cannot build the demo.",
    "无法创建演示数据（是否已运行 zhidu migrate？）：%(e)s": "Cannot build the demo data (did you run zhidu migrate?): %(e)s",
    "演示组织“%(org)s”已创建：%(units)d 个单位，%(people)d 人（新建 %(n)d 项）。":
        "Demo organization “%(org)s” built: %(units)d units, %(people)d people (%(n)d records created).",
    "演示组织“%(org)s”已存在：%(units)d 个单位，%(people)d 人，无需改动。":
        "Demo organization “%(org)s” already exists: %(units)d units, %(people)d people; nothing to change.",
    "演示账号：": "Demo logins:",
    "所有演示账号的密码：%(pw)s": "Password of every demo login: %(pw)s",
    "“admin”同时是 Django 管理后台（/admin/）的超级用户。": "“admin” is also a superuser of the Django admin (/admin/).",
    # org
    "用户名": "User name",
    "姓名": "Name",
    "角色": "Role",
    "单位": "Unit",
    "无权在“%(unit)s”执行此操作（%(action)s）。": "You may not do this in “%(unit)s” (%(action)s).",
    "组织": "Organization",
    "组织与人员": "Organization and people",
    "代码": "Code",
    "机构": "Organization",
    "公司": "Company",
    "部门": "Department",
    "县公司": "County company",
    "局委": "Bureau",
    "办公室": "Office",
    "服务窗口": "Service window",
    "志愿者服务中心": "Volunteer service centre",
    "志愿服务站": "Volunteer station",
    "卫生服务中心": "Health service centre",
    "卫生服务站": "Health station",
    "服务大厅": "Service hall",
    "餐厅": "Restaurant",
    "小组": "Team",
    "类型": "Kind",
    "女": "Female",
    "男": "Male",
    "性别": "Gender",
    "出生日期": "Birth date",
    "电话": "Phone",
    "身份证号": "ID number",
    "电子邮箱": "E-mail",
    "人员": "Person",
    "员工": "Staff",
    "中层管理人员": "Middle manager",
    "部门经理": "Department manager",
    "总经理": "General manager",
    "岗位": "Position",
    "职级": "Rank",
    "入职日期": "Hired on",
    "试用期至": "Probation until",
    "基本工资": "Base salary",
    "离职日期": "Left on",
    "任职": "Employment",
    "系统管理员": "System administrator",
    "人力资源": "HR",
    "值班员": "Duty officer",
    "值班主任": "Duty director",
    "投诉处理员": "Complaint handler",
    "投诉核查员": "Complaint verifier",
    "志愿活动组织者": "Volunteer organizer",
    "起始日期": "Valid from",
    "截止日期": "Valid until",
    "角色分配": "Role assignment",
    "采用日期": "Adopted on",
    "采用规章": "Adopted regulations",
    "未找到此人员。": "Person not found.",
    "只有系统管理命令可以创建组织。": "Only system commands can create an organization.",
    "未知的单位类型：%(kind)s": "Unknown unit kind: %(kind)s",
    "名称不能为空。": "The name must not be empty.",
    "代码“%(code)s”已被使用。": "The code “%(code)s” is already in use.",
    "单位信息有误。": "The unit's data is invalid.",
    "姓名不能为空。": "The name must not be empty.",
    "电话号码应为 7–15 位数字。": "A phone number has 7–15 digits.",
    "身份证号应为 18 位（末位可为 X）。": "An ID number has 18 characters (the last may be X).",
    "性别应为 F 或 M。": "Gender must be F or M.",
    "未知字段。": "Unknown field.",
    "用户名“%(u)s”已被使用。": "The user name “%(u)s” is already in use.",
    "人员信息有误。": "The person's data is invalid.",
    "未知职级：%(r)s": "Unknown rank: %(r)s",
    "基本工资不能为负数。": "The base salary must not be negative.",
    "试用期结束日期不能早于入职日期。": "Probation cannot end before the hire date.",
    "任职信息有误。": "The employment data is invalid.",
    "未知角色：%(r)s": "Unknown role: %(r)s",
    "截止日期不能早于起始日期。": "The end date cannot be before the start date.",
    "单位不属于此人所在的组织。": "The unit does not belong to this person's organization.",
    "角色分配有误。": "The role assignment is invalid.",
    "规章有误。": "The regulation is invalid.",
    "未知的规章编号：%(c)s": "Unknown regulation code: %(c)s",
    # rulebook
    "规章": "Regulation",
    "：": ": ",
    "（暂定：日历未收录该年份）": " (provisional: the calendar does not know that year yet)",
    "编号": "Code",
    "标题": "Title",
    "英文标题": "English title",
    "内置": "Built in",
    # web
    "简体中文": "简体中文",
    "English": "English",
    "页面": "Pages",
    "我的工作": "My work",
    "对象": "Subject",
    "无": "None",
    "制度": "zhidu",
    "模块": "Modules",
    "系统配置": "Configuration",
    "退出": "Sign out",
    "制度：把规章制度变成可运行的系统。": "zhidu: your regulations as working software.",
    "首页": "Home",
    "欢迎，%(name)s": "Welcome, %(name)s",
    "每一个期限、罚款、等级、提醒和督办，都按本单位的规章制度计算，并能说明依据哪一条款、哪些数值。":
        "Every deadline, fine, grade, reminder and escalation is computed from your own rulebook and can "
        "say which clause and which values produced it.",
    "我的角色": "My roles",
    "起止": "Period",
    "您目前没有任何角色。": "You hold no roles at present.",
    "账户已锁定": "Account locked",
    "登录失败次数过多": "Too many failed sign-ins",
    "此账户已被暂时锁定，请 15 分钟后再试，或联系系统管理员。":
        "This account is locked for now. Try again in 15 minutes or ask the system administrator.",
    "登录": "Sign in",
    "用户名或密码不正确。": "Wrong user name or password.",
    "密码": "Password",
    "待办事项": "To do",
    "需要您处理的事项（按到期时间排序，并注明依据条款）将显示在这里。":
        "What you have to do, soonest first, each with its clause, is listed here.",
    "我负责的单位": "Units I am responsible for",
    "下级单位": "Sub-units",
    "电话和身份证号已按您的权限脱敏显示。": "Phone and ID numbers are masked for your role.",
}


def main() -> int:
    po_path = Path(__file__).resolve().parent.parent / "src/zhidu/locale/en/LC_MESSAGES/django.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in catalog:
        if not message.id or message.string:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in EN:
            message.string = EN[key]
        else:
            missing.append(key)
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    for key in missing:
        print(f"no English yet: {key}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
