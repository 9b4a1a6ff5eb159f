"""English for selection's "whose turn it is" notifications (portal/selection/turns.py)."""
EN = {
    "推荐人选待资格审查": "Nominee awaiting the eligibility check",
    "推荐人选待审查考察": "Nominee awaiting review",
    "审查考察已完成，待组织笔试面试": "Review complete: written exam and interview to organise",
    "拟任人选被退回": "Proposed appointee returned",
    "推荐人选被撤回": "Nominee withdrawn",
    "推荐人选进入公示": "Nominee in the public notice",
    "选拔进入审查考察阶段": "Selection enters review",
}
