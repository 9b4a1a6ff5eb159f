"""The national default notification templates (features may register more)."""
from portal.notifications.catalog import register_default_template

register_default_template(
    "selection.cultivation_letter", "致学校党委的培养推荐函", article="A6.1",
    subject="关于做好{{ academic_year }}学年驻会执行主席人选培养推荐工作的函",
    body="""{{ school_name }}党委：

根据《全国学联驻会执行主席管理办法（试行）》第六条第（一）项，{{ federation_name }}秘书处商请贵校党委提前发现、培养驻会执行主席人选，并于{{ deadline|cndate }}前完成校内推荐和公示。

联系人：{{ contact }}
{{ federation_name }}秘书处""",
    sample={"school_name": "示例大学", "academic_year": "2025-2026", "deadline": "2025-10-31",
            "contact": "秘书处 010-00000000"},
)
register_default_template(
    "documents.ready", "文件已生成", article=None,
    subject="文件「{{ filename }}」已生成",
    body="""您申请生成的文件「{{ filename }}」已生成，可在“文件”页面下载：
{{ site_url }}documents/""",
    sample={"filename": "示例.pdf"},
)
register_default_template(
    "auth.login_unlock", "账号锁定与解锁链接", article=None,
    subject="您的账号因多处登录失败已临时锁定",
    body="""{{ name }}，您好：

您的账号在短时间内从多个网络地址登录失败，为防止密码被猜测，已临时锁定 {{ minutes }} 分钟。
如果是您本人，可打开下面的链接立即解除锁定：
{{ unlock_url }}

如果不是您本人在登录，建议解锁后修改密码。""",
    sample={"name": "张三", "unlock_url": "https://portal.example.cn/login/unlock/示例", "minutes": 60},
)
register_default_template(
    "jobs.failed", "后台任务失败", article=None,
    subject="后台任务失败：{{ label }}",
    body="""后台任务「{{ label }}」在第 {{ attempts }} 次尝试后失败。
原因：{{ error }}
请在“后台任务”页面查看并重试。""",
    sample={"label": "发送通知（50 条）", "attempts": 3, "error": "SMTP 服务器不可达"},
)
register_default_template(
    "workdays.next_year_missing", "提醒导入下一年节假日安排", article="A6.2",
    subject="请导入{{ year }}年节假日安排",
    body="""工作日日历目前只覆盖到{{ year - 1 }}年。公示期（第六条第（二）项、第（五）项）按工作日计算，
请在{{ due|cndate }}前按国务院办公厅通知导入{{ year }}年的节假日和调休安排：
{{ site_url }}workdays/""",
    sample={"year": 2027, "due": "2026-12-31"},
)
register_default_template(
    "residency.report_due", "驻会期间汇报提醒", article="A9",
    subject="提醒：驻会期间至少向书记处汇报一次",
    body="""{{ name }}同志：
根据第九条，驻会执行主席在驻会期间至少向团中央书记处汇报一次思想、学习和工作情况。
本届驻会期将于{{ due|cndate }}结束，请及时安排。""",
    sample={"name": "张三", "due": "2026-07-31"},
)
register_default_template(
    "general.notice", "一般通知", article=None,
    subject="{{ title }}",
    body="""{{ body }}

{{ federation_name }}秘书处""",
    sample={"title": "关于召开工作例会的通知", "body": "定于下周一召开工作例会。"},
)
