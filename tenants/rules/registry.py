"""Every configurable rule of the measures: key, article, Chinese label, type and bounds.

Values live in the database (the national ruleset version and each tenant's overrides);
this registry only says what a rule *is* and how to validate a value for it.
"""
from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any


class RuleError(ValueError):
    def __init__(self, message: str, key: str | None = None, field: str = "value"):
        super().__init__(message)
        self.message = message
        self.key = key
        self.field = field  # the request field at fault: value (the default) or reason


@dataclass(frozen=True)
class Bound:
    """What the measures themselves say about a rule (A22: a local federation applies them by
    reference, so where they give a floor or a ceiling an override may only be stricter).

    kind:
      floor    不少于 / 至少: the value may not be lower than ``value``
      ceiling  the value may not be higher than ``value`` (e.g. 可向前推移1年)
      range    both ends bind (e.g. 相结合: neither route may be dropped)
      subset   list rules: only items the measures name (``value``), a province may drop some
      fixed    the measures leave no choice: the value must be ``value``
      norm     一般 / 原则上: the measures' default, a province may differ with a reason
    """

    kind: str
    value: Any
    wording: str          # the measures' words, quoted in the UI and in every refusal
    upper: Any = None     # range only

    @property
    def binding(self) -> bool:
        return self.kind != "norm"


# What a choice means, for people (the stored value stays the code): (中文, English).
CHOICE_LABELS = {
    "exam_then_baoyan": ("笔试成绩高者在前，再看是否符合保研条件", "Higher exam score first, then eligibility for postgraduate recommendation"),
    "interview_then_baoyan": ("面试成绩高者在前，再看是否符合保研条件", "Higher interview score first, then eligibility for postgraduate recommendation"),
    "baoyan_then_exam": ("符合保研条件者在前，再看笔试成绩", "Eligible for postgraduate recommendation first, then the exam score"),
    "backfill_next": ("按排名依次递补", "Filled by the next in the ranking"),
    "leave_vacant": ("名额空缺", "Left vacant"),
}


def choice_label(value, english: bool = False) -> str:
    pair = CHOICE_LABELS.get(value)
    return (pair[1] if english else pair[0]) if pair else str(value)


@dataclass(frozen=True)
class RuleDef:
    key: str
    article: str          # e.g. "A6.2"
    label: str            # Chinese label shown in the UI
    label_en: str
    type: str             # int | str | bool | decimal | list | choice
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    help: str = ""
    max_items: int | None = None
    min_items: int | None = None
    overridable: bool = True
    measures: Bound | None = None  # what the measures say; None where they say nothing of it

    @property
    def citation(self) -> str:
        return article_citation(self.article)

    @property
    def measures_text(self) -> str:
        """「第六条第（二）项：公示期不少于5个工作日（下限）」 for the rules page and refusals."""
        if self.measures is None:
            return ""
        kind = {"floor": "下限", "ceiling": "上限", "range": "上下限", "subset": "范围", "fixed": "不可变更",
                "norm": "一般规定"}[self.measures.kind]
        return f"{self.citation}：{self.measures.wording}（{kind}）"

    def validate(self, value: Any) -> Any:
        """Return the cleaned value or raise RuleError (Chinese message); a value the measures
        forbid is refused whoever sets it (a national version or a provincial override)."""
        cleaned = self._clean(value)
        self._check_measures(cleaned)
        return cleaned

    def _check_measures(self, v: Any) -> None:
        b = self.measures
        if b is None or not b.binding:
            return
        name = f"「{self.label}」"
        why = f"{self.citation}规定“{b.wording}”，地方学联参照执行（第二十二条）只能从严，不能放宽"
        if self.type == "obligation":  # the floor binds the obligation's minimum count
            if b.kind == "floor" and "min_count" in v and v["min_count"] < b.value:
                raise RuleError(f"{name}的最少次数不能少于{_fmt(b.value)}次：{why}", self.key)
            return
        if b.kind in ("floor", "range") and _num(v) < b.value:
            raise RuleError(f"{name}不能少于{_fmt(b.value)}{self.unit}：{why}", self.key)
        if b.kind == "ceiling" and _num(v) > b.value:
            raise RuleError(f"{name}不能多于{_fmt(b.value)}{self.unit}：{why}", self.key)
        if b.kind == "range" and _num(v) > b.upper:
            raise RuleError(f"{name}不能多于{_fmt(b.upper)}{self.unit}：{why}", self.key)
        if b.kind == "subset":
            extra = [x for x in v if x not in b.value]
            if extra:
                raise RuleError(f"{name}不能包含「{'、'.join(extra)}」：{why}", self.key)
        if b.kind == "fixed" and v != b.value:
            shown = {True: "是", False: "否"}.get(b.value, b.value) if isinstance(b.value, bool) else b.value
            raise RuleError(f"{name}只能为「{shown}」：{why}", self.key)

    def _clean(self, value: Any) -> Any:
        name = f"「{self.label}」"
        if self.type == "int":
            if isinstance(value, bool) or value is None:
                raise RuleError(f"{name}应为整数", self.key)
            try:
                if isinstance(value, str):
                    value = value.strip()
                iv = int(value)
                if isinstance(value, float) and value != iv:
                    raise ValueError
                if isinstance(value, str) and str(iv) != value.lstrip("+"):
                    raise ValueError
            except (TypeError, ValueError):
                raise RuleError(f"{name}应为整数，收到「{value}」", self.key) from None
            self._check_bounds(iv, name)
            return iv
        if self.type == "decimal":
            try:
                dv = decimal.Decimal(str(value).strip())
                if not dv.is_finite():
                    raise decimal.InvalidOperation
            except (decimal.InvalidOperation, TypeError):
                raise RuleError(f"{name}应为数字，收到「{value}」", self.key) from None
            self._check_bounds(dv, name)
            return str(dv)
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "1", "是", "yes", "on"):
                return True
            if isinstance(value, str) and value.strip().lower() in ("false", "0", "否", "no", "off"):
                return False
            raise RuleError(f"{name}应为是或否", self.key)
        if self.type == "str":
            if not isinstance(value, str) or not value.strip():
                raise RuleError(f"{name}不能为空", self.key)
            value = value.strip()
            if self.max is not None and len(value) > self.max:
                raise RuleError(f"{name}不能超过{int(self.max)}个字", self.key)
            return value
        if self.type == "choice":
            if value not in self.choices:
                raise RuleError(f"{name}只能是：{'、'.join(self.choices)}", self.key)
            return value
        if self.type == "list":
            if isinstance(value, str):
                value = [v for v in (p.strip() for p in value.replace("，", ",").replace("、", ",").split(",")) if v]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
                raise RuleError(f"{name}应为非空文字列表", self.key)
            items = [v.strip() for v in value]
            if len(set(items)) != len(items):
                raise RuleError(f"{name}中有重复项", self.key)
            if self.min_items is not None and len(items) < self.min_items:
                raise RuleError(f"{name}至少需要{self.min_items}项", self.key)
            if self.max_items is not None and len(items) > self.max_items:
                raise RuleError(f"{name}最多{self.max_items}项", self.key)
            if self.choices and any(v not in self.choices for v in items):
                raise RuleError(f"{name}只能从以下选项中选择：{'、'.join(self.choices)}", self.key)
            return items
        if self.type == "weights":
            # Items "名称:权重"; integer weights that add up to 100 (a scoring rubric).
            if isinstance(value, str):
                value = [v for v in (p.strip() for p in value.replace("，", ",").replace("、", ",").split(",")) if v]
            if not isinstance(value, (list, tuple)) or not value:
                raise RuleError(f"{name}应为「名称:权重」列表，如「政治素质:30、组织协调:70」", self.key)
            items, seen, total = [], set(), 0
            for raw in value:
                label, sep, weight = str(raw).replace("：", ":").rpartition(":")
                label = label.strip()
                if not sep or not label or not weight.strip().isdigit():
                    raise RuleError(f"{name}中的「{raw}」应写作「名称:权重」，权重为整数", self.key)
                if label in seen:
                    raise RuleError(f"{name}中「{label}」重复", self.key)
                seen.add(label)
                total += int(weight)
                items.append(f"{label}:{int(weight)}")
            if total != 100:
                raise RuleError(f"{name}的权重合计应为 100，现为 {total}", self.key)
            if self.max_items is not None and len(items) > self.max_items:
                raise RuleError(f"{name}最多{self.max_items}项", self.key)
            return items
        if self.type == "obligation":
            return clean_obligation(value, name, self.key)
        raise RuleError(f"未知的规则类型 {self.type}", self.key)

    def _check_bounds(self, v, name: str) -> None:
        if self.min is not None and v < self.min:
            raise RuleError(f"{name}不能小于{_fmt(self.min)}{self.unit}", self.key)
        if self.max is not None and v > self.max:
            raise RuleError(f"{name}不能大于{_fmt(self.max)}{self.unit}", self.key)


# --- obligations (issue 11 item 4): minimum counts with working-day due dates --------------------
# An "obligation" rule's value declares one duty of a subject (a chair's residency): what it is,
# how often, who records it, who accepts it, what evidence it needs, and its working-day offsets.
# A province overrides only what it changes ("次数:2、提醒:10"); the rest follows the national value.
OBLIGATION_PERIODS = ("term", "segment", "month", "months")
OBLIGATION_ROLES = ("chair", "department_head", "secretariat_admin", "secretariat_staff")
OBLIGATION_INTS = {  # field: (Chinese name in an override, minimum, maximum)
    "min_count": ("次数", 1, 50),
    "every_months": ("间隔月数", 1, 12),
    "due_workdays": ("期限", 0, 120),
    "due_months_before_end": ("提前月数", 0, 11),
    "remind_workdays": ("提醒", 0, 60),
    "escalate_workdays": ("上报", 0, 60),
}
OBLIGATION_TEXTS = {"label": 60, "evidence": 60, "min_count_rule": 80, "every_months_rule": 80}
_OBLIGATION_BY_NAME = {v[0]: k for k, v in OBLIGATION_INTS.items()}


def clean_obligation(value: Any, name: str, key: str | None) -> dict:
    """A whole or partial obligation: a dict, a JSON object, or 「次数:2、提醒:10」 (numbers only)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            import json

            try:
                value = json.loads(text)
            except ValueError:
                raise RuleError(f"{name}应为 JSON 对象或「次数:2、提醒:10」", key) from None
        else:
            parsed = {}
            for part in (p.strip() for p in text.replace("，", ",").replace("、", ",").split(",")):
                if not part:
                    continue
                label, sep, num = part.replace("：", ":").partition(":")
                field_name = _OBLIGATION_BY_NAME.get(label.strip(), label.strip())
                if not sep or field_name not in OBLIGATION_INTS:
                    raise RuleError(f"{name}中的「{part[:30]}」应写作「次数:2」「提醒:10」「上报:5」「期限:0」", key)
                parsed[field_name] = num.strip()
            value = parsed
    if not isinstance(value, dict) or not value:
        raise RuleError(f"{name}应为义务的设置（如「次数:2、提醒:10」）", key)
    out: dict = {}
    for k, v in value.items():
        if k in OBLIGATION_INTS:
            label, lo, hi = OBLIGATION_INTS[k]
            if v is None and k == "every_months":
                out[k] = None
                continue
            try:
                if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                    raise ValueError
                iv = int(str(v).strip()) if isinstance(v, str) else int(v)
            except (TypeError, ValueError):
                raise RuleError(f"{name}的{label}应为整数，收到「{str(v)[:20]}」", key) from None
            if not lo <= iv <= hi:
                raise RuleError(f"{name}的{label}应在 {lo} 到 {hi} 之间", key)
            out[k] = iv
        elif k in OBLIGATION_TEXTS:
            if v is None and k.endswith("_rule"):
                out[k] = None
                continue
            if not isinstance(v, str) or not v.strip() or len(v.strip()) > OBLIGATION_TEXTS[k]:
                raise RuleError(f"{name}的 {k} 应为不超过 {OBLIGATION_TEXTS[k]} 字的文字", key)
            if k.endswith("_rule") and v.strip() not in REGISTRY:
                raise RuleError(f"{name}引用了未知的规则「{v[:80]}」", key)
            out[k] = v.strip()
        elif k == "period":
            if v not in OBLIGATION_PERIODS:
                raise RuleError(f"{name}的周期只能是：{'、'.join(OBLIGATION_PERIODS)}", key)
            out[k] = v
        elif k == "anchor":
            if v not in ("start", "end"):
                raise RuleError(f"{name}的期限起算点只能是 start 或 end", key)
            out[k] = v
        elif k in ("recorded_by", "reviewed_by"):
            if not isinstance(v, (list, tuple)) or any(r not in OBLIGATION_ROLES for r in v) or (
                    k == "recorded_by" and not v):
                raise RuleError(f"{name}的 {k} 只能从以下角色中选择：{'、'.join(OBLIGATION_ROLES)}", key)
            out[k] = list(dict.fromkeys(v))
        elif k == "evidence_required":
            if not isinstance(v, bool):
                raise RuleError(f"{name}的 evidence_required 应为 true 或 false", key)
            out[k] = v
        else:
            raise RuleError(f"{name}没有「{str(k)[:30]}」这一项", key)
    if out.get("period") == "months" and not (out.get("every_months") or out.get("every_months_rule")):
        raise RuleError(f"{name}按月数周期时须有间隔月数", key)
    return out


def parse_weights(value) -> list[tuple[str, int]]:
    """A "weights" rule value as (label, weight) pairs, in order."""
    return [(label, int(w)) for label, _, w in (str(v).rpartition(":") for v in value)]


def _num(v) -> decimal.Decimal:
    return decimal.Decimal(str(v))


def _fmt(n) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)


_CN_NUM = "零一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n]
    if n < 20:
        return "十" + (_CN_NUM[n - 10] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return _CN_NUM[tens] + "十" + (_CN_NUM[ones] if ones else "")


def article_citation(article: str) -> str:
    """'A6.2' -> '第六条第（二）项'; 'A6.5/A18' -> '第六条第（五）项、第十八条'."""
    parts = []
    for ref in article.replace(" ", "").split("/"):
        num = ref.lstrip("A")
        art, _, item = num.partition(".")
        text = f"第{_cn(int(art))}条"
        if item:
            text += f"第（{_cn(int(item))}）项"
        parts.append(text)
    return "、".join(parts)


def article_citation_en(article: str) -> str:
    """'A6.2' -> 'Art. 6(2)'; 'A6.5/A18' -> 'Art. 6(5), Art. 18' (the English pages' citation)."""
    parts = []
    for ref in article.replace(" ", "").split("/"):
        art, _, item = ref.lstrip("A").partition(".")
        parts.append(f"Art. {int(art)}" + (f"({int(item)})" if item else ""))
    return ", ".join(parts)


def cite(article: str, english: bool = False) -> str:
    """An article's citation in the page's language."""
    return article_citation_en(article) if english else article_citation(article)


@dataclass
class Registry:
    rules: dict[str, RuleDef] = field(default_factory=dict)

    def add(self, rule: RuleDef) -> None:
        if rule.key in self.rules:
            raise ValueError(f"duplicate rule {rule.key}")
        rule.validate(rule.default)
        self.rules[rule.key] = rule

    def __getitem__(self, key: str) -> RuleDef:
        try:
            return self.rules[key]
        except KeyError:
            raise RuleError(f"未知的规则「{key}」", key) from None

    def __contains__(self, key: str) -> bool:
        return key in self.rules

    def __iter__(self):
        return iter(self.rules.values())

    def defaults(self) -> dict[str, Any]:
        return {r.key: r.default for r in self}


REGISTRY = Registry()
_R = REGISTRY.add
# Each rule is checked against the measures' wording (measures-2024-zh.txt beside this file, the
# Chinese original and the authority): where they say
# 不少于 / 至少 the registry carries the floor, where they leave no choice the value is fixed,
# where they say 一般 / 原则上 the default is a norm a province may depart from with a reason.
# Rules the measures do not quantify (the quota, deadlines of the portal's own timetable,
# scoring details, amounts) carry no bound beyond their type's sanity range.

# --- Chapter 1 / 6: the federation itself ------------------------------------------------
_R(RuleDef("federation.name", "A22", "学联名称", "Federation name", "str", "全国学联", max=60,
           help="本学联的简称，用于页面、公文和公示，也用于称呼本学联秘书处（如「广东省学联秘书处」）。"))
_R(RuleDef("federation.website_name", "A6.5", "公示发布网站", "Website for public notices", "str",
           "全国学联官方网站", max=60, measures=Bound("norm", "全国学联官方网站", "拟定人选在全国学联官方网站公示")))
# --- Chapter 2: selection and appointment ------------------------------------------------
_R(RuleDef("selection.default_quota", "A4", "每学年驻会执行主席名额", "Chairs selected per academic year",
           "int", 6, min=1, max=100, unit="名"))
_R(RuleDef("selection.rotation_share_percent", "A4", "轮值方式所占比例", "Share of the rotation route",
           "int", 50, min=0, max=100, unit="%", help="其余名额通过遴选产生。",
           measures=Bound("range", 1, "采取轮值和遴选相结合的方式进行", upper=99)))
_R(RuleDef("selection.eligible_political_statuses", "A5.1", "符合条件的政治面貌",
           "Eligible political statuses", "list", ["中共党员", "中共预备党员", "共青团员"],
           choices=("中共党员", "中共预备党员", "共青团员", "群众", "民主党派成员"), min_items=1,
           measures=Bound("subset", ("中共党员", "中共预备党员", "共青团员"), "中共党员（含预备党员）或共青团员")))
_R(RuleDef("selection.baoyan_preference", "A5.3", "本科生符合保研条件者优先", "Prefer 保研-eligible undergraduates",
           "bool", True, measures=Bound("fixed", True, "本科生符合保送研究生条件者优先考虑")))
_R(RuleDef("selection.nominees_per_school", "A6.2", "每校推荐人数", "Nominees per school", "int", 2,
           min=1, max=10, unit="名", help="超过该数量须记录理由。",
           measures=Bound("norm", 2, "学校党委一般应推荐2名人选")))
_R(RuleDef("selection.school_publicity_min_workdays", "A6.2", "校内公示最少工作日",
           "Minimum working days of school publicity", "int", 5, min=1, max=30, unit="个工作日",
           measures=Bound("floor", 5, "在校内公示推荐人选，公示期不少于5个工作日")))
_R(RuleDef("selection.nomination_window_workdays", "A6.2", "推荐材料报送期限", "Working days for nominations",
           "int", 15, min=1, max=60, unit="个工作日"))
_R(RuleDef("selection.exam_weight_percent", "A6.4", "笔试成绩权重", "Written exam weight", "int", 40,
           min=0, max=100, unit="%", help="面试权重为 100% 减去笔试权重。",
           measures=Bound("range", 1, "组织笔试和面试工作", upper=99)))
_R(RuleDef("selection.interview_rubric", "A6.4", "面试评分维度及权重", "Interview rubric and weights", "weights",
           ["政治素质:30", "综合素质:20", "组织协调:30", "表达沟通:20"], max_items=10, unit="%",
           help="每位评委按各维度打分（0–100），按权重折算为该评委的评分；面试成绩为未回避评委评分的平均值。"))
_R(RuleDef("selection.interview_panel_size", "A6.4", "面试评委人数", "Interview panel size", "int", 5,
           min=3, max=15, unit="名"))
_R(RuleDef("selection.tie_break", "A6.4", "同分排序规则", "Tie-break rule", "choice", "exam_then_baoyan",
           choices=("exam_then_baoyan", "interview_then_baoyan", "baoyan_then_exam")))
_R(RuleDef("selection.review_partner_body", "A6.3", "会同审查考察的下级学联秘书处",
           "Federation secretariat reviewing with us", "str", "省级学联秘书处", max=60,
           help="第六条第（三）项：本学联秘书处会同该秘书处对候选人进行资格审查和考察；"
                "省级学联参照执行时一般为「市级学联秘书处」。",
           measures=Bound("norm", "省级学联秘书处", "全国学联秘书处会同省级学联秘书处，对候选人进行资格审查和考察工作")))
_R(RuleDef("selection.approving_body", "A6.5/A18", "审批机关", "Approving body", "str", "共青团中央书记处",
           max=60, measures=Bound("norm", "共青团中央书记处", "经团中央书记处同意，拟定人选在全国学联官方网站公示")))
_R(RuleDef("selection.public_notice_min_workdays", "A6.5", "公示期最少工作日",
           "Minimum working days of the public notice", "int", 5, min=1, max=30, unit="个工作日",
           measures=Bound("floor", 5, "拟定人选在全国学联官方网站公示，公示期不少于5个工作日")))
_R(RuleDef("selection.disqualification_slot", "A7", "取消资格后名额处理", "Slot after a disqualification",
           "choice", "backfill_next", choices=("backfill_next", "leave_vacant"),
           help="取消资格的人选占有的名额，按排名依次递补，或者空缺。"))
# --- Chapter 3: management and use --------------------------------------------------------
_R(RuleDef("residency.term_months", "A4", "驻会期限", "Residency term", "int", 12, min=6, max=24, unit="个月",
           measures=Bound("norm", 12, "全国学联每学年在主席团成员团体中选拔一定数量的驻会执行主席")))
_R(RuleDef("residency.min_reports_to_leadership", "A9", "驻会期间向书记处汇报最少次数",
           "Minimum reports to the Secretariat", "int", 1, min=1, max=12, unit="次",
           measures=Bound("floor", 1, "驻会执行主席驻会期间至少向书记处汇报1次思想、学习和工作情况")))
_R(RuleDef("residency.talk_interval_months", "A9", "部门负责同志谈心谈话间隔", "One-to-one talk interval",
           "int", 3, min=1, max=12, unit="个月"))
_R(RuleDef("residency.rotation_period_months", "A12", "轮岗周期", "Post rotation period", "int", 6,
           min=1, max=12, unit="个月",
           measures=Bound("norm", 6, "原则上每半年在全国学联秘书处和相关部门之间轮岗1次")))
_R(RuleDef("residency.working_groups", "A13", "工作小组", "Working groups", "list",
           ["宣传思想小组", "组织建设小组", "权益服务小组", "合作交流小组"], min_items=1, max_items=10,
           measures=Bound("norm", None, "分组牵头全国学联委员会宣传思想小组、组织建设小组、权益服务小组、合作交流小组相关工作")))
# --- Chapter 3: the obligations of the year in residence (portal.core.obligations) ----------
# Each obligation is one rule: the national value declares it whole; a province overrides what
# it changes. Minimum counts are floors (A22: a province may only be stricter).
SECRETARIAT = ["secretariat_admin", "secretariat_staff"]


def _obligation(key, article, label, label_en, wording, *, period, min_count=1, recorded_by=("chair",),
                reviewed_by=tuple(SECRETARIAT), evidence="", evidence_required=False, due_workdays=0,
                remind_workdays=10, escalate_workdays=5, **extra):
    value = {"label": label, "period": period, "min_count": min_count, "recorded_by": list(recorded_by),
             "reviewed_by": list(reviewed_by), "evidence": evidence or "记录", "evidence_required": evidence_required,
             "due_workdays": due_workdays, "remind_workdays": remind_workdays,
             "escalate_workdays": escalate_workdays, **extra}
    _R(RuleDef(f"residency.obligation.{key}", article, label, label_en, "obligation", value,
               help="周期 term 驻会期间、segment 每个轮岗阶段、month 每月、months 每若干个月；"
                    "期限、提醒、上报均以工作日计。",
               measures=Bound("floor", min_count, wording)))


_obligation("a9_report", "A9", "向团中央书记处汇报思想、学习和工作情况", "Report to the CYL Central Secretariat",
            "驻会执行主席驻会期间至少向书记处汇报1次思想、学习和工作情况", period="term",
            min_count_rule="residency.min_reports_to_leadership", due_months_before_end=1,
            evidence="汇报材料", evidence_required=False)
_obligation("a9_talk", "A9", "部门主要负责同志谈心谈话", "One-to-one talk by the department head",
            "参与工作所在部门主要负责同志应当定期与驻会执行主席谈心谈话", period="months",
            every_months_rule="residency.talk_interval_months", recorded_by=("department_head",),
            reviewed_by=(), evidence="谈话记录", remind_workdays=5)
_obligation("a10_1_study", "A10.1", "集体学习", "Collective study", "开展集体学习", period="month",
            recorded_by=SECRETARIAT, reviewed_by=(), evidence="签到表（出勤记录）", remind_workdays=5)
_obligation("a10_2_course", "A10.2", "深入高校参加课程并形成研学心得", "University course and study reflection",
            "深入高校参加思政课程或专业课程，与同学交流研学感悟，形成研学心得", period="segment",
            evidence="研学心得", evidence_required=True)
_obligation("a10_3_topic", "A10.3", "确定课题研究选题", "Research topic chosen",
            "结合专业特长和驻会工作实际，形成课题研究成果", period="term", anchor="start", due_workdays=20,
            evidence="选题报告")
_obligation("a10_3_result", "A10.3", "形成课题研究成果", "Research result",
            "结合专业特长和驻会工作实际，形成课题研究成果", period="term", due_workdays=10,
            evidence="课题研究成果", evidence_required=True)
_obligation("a11_1_survey", "A11.1", "以观察员身份参与高校学生思想动态调研", "Observer in student-opinion surveys",
            "发挥驻会执行主席“观察员”作用，主动参与高校学生思想动态调研", period="segment", evidence="调研记录")
_obligation("a11_2_forum", "A11.2", "与同学、团学骨干面对面座谈（纳入研学成果）", "Forums with students",
            "与同学、团学骨干经常性开展面对面座谈，了解同学思想动态和学生会工作开展情况，纳入研学成果",
            period="months", every_months=2, evidence="座谈纪要")
_obligation("a11_3_joint_survey", "A11.3", "会同地方学联开展热点问题调研并形成调研成果",
            "Joint surveys with local federations", "常态化会同各级学联学生会开展高校青年学生热点问题调研，形成调研成果",
            period="segment", evidence="调研成果", evidence_required=True)
_obligation("a11_4_exchange", "A11.4", "参加青年外事和对港澳台青年交流活动并形成成果报告",
            "Foreign-affairs and HK/Macao/Taiwan exchanges", "积极参加青年外事活动和对港澳台青年交流活动，形成成果报告",
            period="term", due_workdays=10, evidence="成果报告", evidence_required=True)
_obligation("a14_org_life", "A14", "按规定参加组织生活", "Organizational life attended",
            "驻会期间按规定参加组织生活", period="month", evidence="组织生活记录", remind_workdays=5,
            recorded_by=("chair", *SECRETARIAT),
            escalate_workdays=3)
_obligation("a14_dues", "A14", "及时、足额缴纳党（团）费", "Membership dues paid",
            "及时、足额缴纳党（团）费", period="month", evidence="缴费凭证", remind_workdays=5, escalate_workdays=3,
            recorded_by=("chair", *SECRETARIAT))
# --- relations ---
# A14: party and league relations. The dues schedules are the Party's and the League's own rules,
# kept here as data (a newer text or a province's practice overrides them by reference).
_R(RuleDef("residency.relation_receipt_workdays", "A14", "组织关系转接回执返回期限", "Working days for the receipt",
           "int", 20, min=1, max=90, unit="个工作日", help="自开具介绍信之日起，接收组织的回执应在该期限内返回。"))
_R(RuleDef("residency.relation_receipt_remind_workdays", "A14", "回执到期前提醒", "Receipt reminder lead",
           "int", 5, min=0, max=30, unit="个工作日"))
_R(RuleDef("residency.relation_receipt_escalate_workdays", "A14", "回执逾期上报宽限", "Receipt escalation grace",
           "int", 3, min=1, max=30, unit="个工作日"))
_R(RuleDef("residency.relation_letter_validity_days", "A14", "介绍信有效期", "Letter validity", "int", 30,
           min=1, max=180, unit="天"))
_R(RuleDef("residency.relation_return_workdays_before_end", "A14", "期满转回提前开始", "Transfer back opens",
           "int", 10, min=0, max=60, unit="个工作日", help="任期结束前该工作日数起开始办理组织关系转回。"))
_R(RuleDef("residency.relation_alarm_months", "A14", "连续未参加组织生活或未交纳党（团）费预警月数",
           "Months before the lapse alarm", "int", 3, min=1, max=5, unit="个月",
           help="党章：连续六个月不参加党的组织生活、或不交纳党费、或不做党所分配的工作，就被认为是自行脱党。"
                "连续达到该月数即提醒本人和秘书处（须少于6个月）。",
           measures=Bound("norm", 3, "驻会期间按规定参加组织生活，及时、足额缴纳党（团）费")))
_R(RuleDef("residency.dues.party_student_yuan", "A14", "学生党员每月党费", "Party dues of a student", "decimal",
           "0.2", min=0, max=100, unit="元",
           help="《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）第三条：学生党员每月交纳党费0.2元。"))
_R(RuleDef("residency.dues.party_brackets", "A14", "党费交纳比例（按月收入）", "Party dues brackets", "list",
           ["3000:0.5", "5000:1", "10000:1.5", "*:2"], min_items=1, max_items=10,
           help="《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）第二条：每月工资收入（税后）"
                "3000元以下（含）0.5%，3000至5000元（含）1%，5000至10000元（含）1.5%，10000元以上2%。"
                "每项为「上限:百分比」，* 表示以上。"))
_R(RuleDef("residency.dues.league_student_yuan", "A14", "学生团员每月团费", "League dues of a student", "decimal",
           "0.1", min=0, max=100, unit="元",
           help="共青团中央《关于团费交纳和管理使用的规定》：学生团员（包括没有工资收入的研究生团员）每月交纳团费1角。"
                "该数额未能与现行团费规定原文核对，各学联可按现行规定修改。"))
_R(RuleDef("residency.dues.league_brackets", "A14", "团费交纳比例（按月收入）", "League dues brackets", "list",
           ["400:0.5", "*:1"], min_items=1, max_items=10,
           help="共青团中央《关于团费交纳和管理使用的规定》：月工资收入400元（含）以下0.5%，400元以上1%。"
                "该比例未能与现行团费规定原文核对，各学联可按现行规定修改。每项为「上限:百分比」。"))
# --- rotation ---
# A12 post rotation and A9 talks bound to it (portal.residency.rotation).
CHOICE_LABELS.update({
    "departments": ("在相关部门工作的各阶段", "Each stretch in a department"),
    "all_posts": ("所有轮岗阶段（含秘书处）", "Each stretch, the secretariat included"),
    "term": ("整个驻会期间", "The whole term"),
})
_R(RuleDef("residency.rotation_tolerance_days", "A12", "轮岗周期允许偏差", "Rotation period tolerance", "int", 15,
           min=0, max=60, unit="天",
           help="轮岗阶段的长度与轮岗周期相差超过此天数（任期最后一段不足一个周期的除外），须说明理由。"))
_R(RuleDef("residency.talk_segments", "A9", "谈心谈话所在阶段", "Stretches in which one-to-one talks fall due",
           "choice", "departments", choices=("departments", "all_posts", "term"),
           help="departments：在团中央机关相关部门工作的各阶段内，由该部门负责同志按间隔谈话；"
                "all_posts：含在秘书处工作的阶段；term：不区分阶段，按整个驻会期间计算。"))
_R(RuleDef("residency.rotation_min_departments", "A12", "轮岗部门最少个数", "Minimum departments in rotation",
           "int", 1, min=1, max=6, unit="个",
           measures=Bound("floor", 1, "既在全国学联秘书处参与工作，也在团中央机关相关部门参与工作")))
# --- Chapter 4: incentives and guarantees -------------------------------------------------
# A15's allowance standard is the dated rate table (portal.incentives: national rows adopted by
# reference, a province's own rows per degree level), not a rule value.
_R(RuleDef("incentives.suspension_years", "A16", "休学年限", "Suspension of schooling", "int", 1,
           min=0, max=2, unit="年", measures=Bound("norm", 1, "驻会期间原则上休学1年")))
_R(RuleDef("incentives.seniority_shift_years", "A16", "参加工作时间前移", "Work start moved earlier", "int", 1,
           min=0, max=2, unit="年",
           measures=Bound("ceiling", 1, "参加工作时间可从实际参加工作的时间向前推移1年")))
# --- incentives ---
_R(RuleDef("incentives.welfare_items", "A15", "工会福利项目（参照团中央机关工作人员标准）", "Welfare items",
           "list", ["春节慰问品", "中秋节慰问品", "生日慰问", "防暑降温用品", "年度体检"], min_items=1, max_items=20,
           help="享受团中央机关工作人员同等工会福利待遇，按项目逐人登记发放。"))
_R(RuleDef("incentives.resume_reminder_workdays", "A16", "复学提醒提前工作日", "Resume-schooling reminder",
           "int", 15, min=1, max=60, unit="个工作日",
           help="驻会期满前若干个工作日，提醒已休学的驻会执行主席和学校联络员办理复学手续。"))
_R(RuleDef("incentives.appraisal_conclusions", "A17", "工作鉴定结论", "Appraisal conclusions", "list",
           ["优秀", "合格", "基本合格", "不合格"], min_items=2, max_items=8))
_R(RuleDef("incentives.appraisal_number_template", "A17", "工作鉴定编号格式", "Appraisal number format", "str",
           "学联鉴〔{year}〕{n}号", max=40, help="{year} 为印发年度，{n} 为当年序号。"))
_R(RuleDef("incentives.ymp_conditions", "A17", "青马工程大学生骨干培养学员条件", "Young Marxist program conditions",
           "list", ["中共党员（含预备党员）或共青团员", "政治立场坚定，理想信念坚定", "学习成绩良好",
                    "驻会期间无纪律处分"], min_items=1, max_items=12,
           help="培养工程公布的条件，推荐时作为提示显示，不代替推荐决定。"))
# --- Chapter 5: supervision and constraints -----------------------------------------------
_R(RuleDef("supervision.disciplinary_measures", "A21", "处置措施（由轻到重）", "Disciplinary measures",
           "list", ["批评教育", "责令检讨", "劝退"], min_items=1, max_items=6,
           measures=Bound("norm", None, "视情节轻重采取批评教育、责令检讨、劝退等处置措施")))
_R(RuleDef("supervision.removal_notify_school", "A18", "取消资格后通报派出学校党委",
           "Notify the sending school on removal", "bool", True, overridable=False,
           measures=Bound("fixed", True, "予以取消驻会资格，并通报派出学校党委")))
# --- supervision ---
# A18 removal, A19 outside activities, A21 discipline: the secretariat's procedure as data.
_R(RuleDef("supervision.removal_grounds", "A18", "取消驻会资格的情形", "Grounds for removal", "list",
           ["违纪违法", "严重违反校纪校规", "严重违背公序良俗", "学术不端"], min_items=1, max_items=10,
           help="第十八条：模范遵守党纪团纪、法律法规、校规校纪和学术规范；存在所列情形的，报请审批机关批准取消驻会资格。",
           measures=Bound("norm", None, "对于存在违纪违法、严重违反校纪校规、严重违背公序良俗等行为的")))
_R(RuleDef("supervision.statement_workdays", "A18/A21", "申辩期限", "Working days for the chair's statement",
           "int", 5, min=1, max=30, unit="个工作日",
           help="立案并告知驻会执行主席后，本人提交书面申辩的期限。"))
_R(RuleDef("supervision.self_criticism_workdays", "A21", "检讨书提交期限", "Working days for the self-criticism",
           "int", 5, min=1, max=30, unit="个工作日", help="责令检讨后，驻会执行主席提交书面检讨的期限。"))
_R(RuleDef("supervision.activity_lead_workdays", "A19", "对外活动提前报批工作日", "Lead time of an outside activity",
           "int", 5, min=1, max=60, unit="个工作日",
           help="以全国学联或驻会执行主席名义兼任社会职务、参加活动、发表文章、接受采访，须至少提前该工作日数报批。"))
_R(RuleDef("supervision.activity_approver_roles", "A19", "对外活动审批人", "Who approves outside activities", "list",
           ["secretariat_admin"], choices=("secretariat_admin", "secretariat_staff", "approver"), min_items=1,
           help="secretariat_admin 秘书处管理员、secretariat_staff 秘书处工作人员、approver 审批机关。"))
# --- confidentiality ---
# A20: documents, archives, materials and seals kept safe; internal documents never spread.
_R(RuleDef("confidentiality.pledge_version", "A20", "保密承诺书版本", "Confidentiality pledge version", "str",
           "2026-1", max=20, help="承诺书文本改动时更换版本号：驻会执行主席须按新版本重新签署后方可进入资料库。"))
_R(RuleDef("confidentiality.pledge_text", "A20", "保密承诺书文本", "Confidentiality pledge text", "str",
           "本人作为驻会执行主席，依据《全国学联驻会执行主席管理办法（试行）》第二十条，郑重承诺：\n"
           "一、妥善保管工作中接触的文件、档案、资料和印鉴，不丢失、不损毁、不私自复制或带离；\n"
           "二、不泄露未公开的工作信息；\n"
           "三、不通过任何渠道发布、传播敏感信息、内部文件和数据；\n"
           "四、本平台为非涉密系统，不在平台上处理、存储、传输任何涉密信息；\n"
           "五、驻会期满或离会时，按清单如数交接所保管和借用的文件、资料和物品。\n"
           "如有违反，愿按有关规定接受处理。", max=4000))
_R(RuleDef("confidentiality.seal_use_approver_roles", "A20", "用印申请审批角色", "Who approves seal use", "list",
           ["secretariat_admin"], min_items=1, max_items=4,
           choices=("secretariat_admin", "secretariat_staff", "department_head", "approver")))
_R(RuleDef("confidentiality.handover_items", "A20", "期满交接清单（默认事项）", "Term-end handover checklist",
           "list", ["工作文件和纸质资料", "电子文档和数据", "借用的物品和证件"], min_items=1, max_items=20))
