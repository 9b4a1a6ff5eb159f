"""Chapter 4's official documents, by reference per tenant (portal.documents.templating).

Every placeholder is filled from the chair's record; a document whose record is missing is
refused by the operation before anything is rendered (no placeholder content)."""
from __future__ import annotations

from portal.documents.render import DocumentSpec, TableSpec
from portal.documents.templating import DocumentKind, register_document_kind

SUSPENSION_LETTER = "incentives.suspension_letter"
CERTIFICATE = "incentives.certificate"
APPRAISAL = "incentives.appraisal"

_PERSON = {"name": "驻会执行主席姓名", "school": "派出学校", "term_start": "驻会开始日期", "term_end": "驻会结束日期",
           "cohort": "届别（学年）", "date": "成文日期"}
_PERSON_SAMPLE = {"name": "王某", "school": "示例大学", "term_start": "2026年9月1日", "term_end": "2027年8月31日",
                  "cohort": "2026-2027", "date": "2026年12月1日"}


def _letter() -> DocumentSpec:
    return DocumentSpec(
        title="关于商请为{{ name }}同志办理休学手续的函", doc_number="{{ number }}", addressee="{{ school }}：",
        paragraphs=[
            "贵校{{ name }}同志经选拔，自{{ term_start }}至{{ term_end }}在{{ federation }}担任驻会执行主席。",
            "根据《全国学联驻会执行主席管理办法（试行）》第十六条，驻会期间原则上休学{{ years }}年，毕业参加工作后"
            "不再实行见习期，参加工作时间可从实际参加工作的时间向前推移{{ shift_years }}年；如不能休学，驻会1年时间将不计算工龄。",
            "请贵校为{{ name }}同志办理休学手续，并将学校批准休学的文件送{{ secretariat }}。驻会期满前，请督促其按时办理复学手续。",
        ],
        signature="{{ secretariat }}", date="{{ date }}")


def _certificate() -> DocumentSpec:
    return DocumentSpec(
        title="驻会执行主席驻会证明", doc_number="{{ number }}",
        paragraphs=[
            "兹证明{{ name }}同志（{{ school }}）于{{ term_start }}至{{ term_end }}在{{ federation }}担任驻会执行主席"
            "（{{ cohort }}学年）。",
            "{%p if suspended %}",
            "经{{ school }}批准（{{ approval_ref }}），{{ name }}同志驻会期间休学。根据《全国学联驻会执行主席管理办法（试行）》"
            "第十六条，其毕业参加工作后不再实行见习期，参加工作时间从实际参加工作的时间向前推移{{ shift_years }}年。",
            "{%p else %}",
            "{{ name }}同志驻会期间未能休学（原因：{{ reason }}）。根据《全国学联驻会执行主席管理办法（试行）》第十六条，"
            "驻会1年时间不计算工龄。",
            "{%p endif %}",
            "特此证明。",
        ],
        signature="{{ secretariat }}", date="{{ date }}")


def _appraisal() -> DocumentSpec:
    return DocumentSpec(
        title="驻会执行主席工作鉴定", doc_number="{{ number }}",
        paragraphs=[
            "{{ name }}，{{ school }}，{{ term_start }}至{{ term_end }}在{{ federation }}驻会担任驻会执行主席"
            "（{{ cohort }}学年）。根据《全国学联驻会执行主席管理办法（试行）》第十七条，{{ secretariat }}会同相关部门"
            "出具工作鉴定如下。",
            "{%p for s in sections %}",
            "{{ s.label }}",
            "{%p for t in s.statements %}",
            "{{ t }}",
            "{%p endfor %}",
            "{%p endfor %}",
            "个人总结",
            "{{ self_summary }}",
            "部门意见",
            "{%p for o in opinions %}",
            "{{ o.department }}：{{ o.opinion }}",
            "{%p endfor %}",
            "鉴定结论：{{ conclusion }}",
            "{%p if conclusion_note %}",
            "{{ conclusion_note }}",
            "{%p endif %}",
            "{%p if supersedes %}",
            "本鉴定更正{{ supersedes }}，原鉴定作废。",
            "{%p endif %}",
        ],
        signature="{{ secretariat }}", date="{{ date }}")


register_document_kind(DocumentKind(
    SUSPENSION_LETTER, "商请休学函", "A16",
    placeholders={**_PERSON, "number": "函件文号（按印发年度编号）", "years": "休学年限（规则 incentives.suspension_years）",
                  "shift_years": "参加工作时间前移年数（规则 incentives.seniority_shift_years）"},
    national=_letter, sample={**_PERSON_SAMPLE, "number": "学联驻函〔2026〕1号", "years": 1, "shift_years": 1}, filename="商请休学函"))

register_document_kind(DocumentKind(
    CERTIFICATE, "驻会证明（休学与工龄）", "A16",
    placeholders={**_PERSON, "number": "证明编号", "suspended": "是否已休学（是/否）",
                  "approval_ref": "学校批准休学的文号", "reason": "未能休学的原因",
                  "shift_years": "参加工作时间前移年数", "years": "休学年限", "status_label": "驻会状态"},
    national=_certificate,
    sample={**_PERSON_SAMPLE, "number": "学联证〔2027〕1号", "suspended": True, "approval_ref": "示大学〔2026〕12号",
            "reason": "", "shift_years": 1, "years": 1, "status_label": "已期满"},
    filename="驻会证明"))

register_document_kind(DocumentKind(
    APPRAISAL, "驻会执行主席工作鉴定", "A17",
    placeholders={**_PERSON, "number": "鉴定编号", "sections": "鉴定各部分（每部分有 label 标题、statements 陈述列表）",
                  "self_summary": "个人总结", "opinions": "部门意见（每条有 department 部门、opinion 意见）",
                  "conclusion": "鉴定结论（规则 incentives.appraisal_conclusions）", "conclusion_note": "结论说明",
                  "supersedes": "所更正的原鉴定编号（无则为空）"},
    national=_appraisal,
    sample={**_PERSON_SAMPLE, "number": "学联鉴〔2027〕1号",
            "sections": [{"label": "思想政治表现", "statements": ["驻会期间向书记处汇报思想、学习和工作情况1次。"]}],
            "self_summary": "一年来……", "opinions": [{"department": "权益部", "opinion": "工作认真负责。"}],
            "conclusion": "合格", "conclusion_note": "", "supersedes": ""},
    filename="工作鉴定"))

__all__ = ["SUSPENSION_LETTER", "CERTIFICATE", "APPRAISAL", "TableSpec"]
