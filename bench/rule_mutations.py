"""Mutation check for issue 8 items 3, 14, 15: weaken one enforcement point at a time (a rule read
replaced by its national literal, a guard or a scope removed), run the tests that must catch it,
restore the file. Usage: .venv/bin/python bench/rule_mutations.py [index ...]; every line must say
"caught"."""
import subprocess, sys, pathlib
ROOT = pathlib.Path(__file__).resolve().parents[1]
T = "tests/selection/test_rules_enforced.py"
M = [
 ("nominee limit literal 2", "portal/selection/operations.py", 'return inv.cycle.rule("selection.nominees_per_school") + inv.extra_nominees', 'return 2 + inv.extra_nominees', T, "nominee_limit"),
 ("cleaner publicity literal 5", "portal/selection/operations.py", 'self.publicity_days = cycle.rule("selection.school_publicity_min_workdays")', 'self.publicity_days = 5', T, "cleaning"),
 ("submit guard publicity literal 5", "portal/selection/workflow.py", 'need = cycle.rule("selection.school_publicity_min_workdays")', 'need = 5', T, "guard_on_submit"),
 ("notice length literal 5", "portal/selection/operations.py", 'n_days = cycle.rule("selection.public_notice_min_workdays")', 'n_days = 5', T, "seven_working_days"),
 ("approval body literal", "portal/selection/operations.py", 'approving_body=cycle.rule("selection.approving_body"),', 'approving_body="共青团中央书记处",', T, "approving_body"),
 ("notice body literal", "portal/selection/operations.py", 'body = (f"根据《全国学联驻会执行主席管理办法（试行）》，经{cycle.rule(\'selection.approving_body\')}同意，"', 'body = (f"根据《全国学联驻会执行主席管理办法（试行）》，经共青团中央书记处同意，"', T, "approving_body"),
 ("A4 quota cap removed", "portal/selection/operations.py", 'if already + len(noms) > cycle.quota:', 'if False:', T, "quota_cap"),
 ("A6.3 only provincial level", "portal/selection/workflow.py", 'for level in (ReviewLevel.provincial, ReviewLevel.national):', 'for level in (ReviewLevel.provincial,):', T, "both_levels"),
 ("A6.3 only national level", "portal/selection/workflow.py", 'for level in (ReviewLevel.provincial, ReviewLevel.national):', 'for level in (ReviewLevel.national,):', T, "both_levels"),
 ("review bodies literal", "portal/selection/models.py", 'return f"{self.rule(\'federation.name\')}秘书处"', 'return "全国学联秘书处"', T, "review or levels or staff_sign"),
 ("panel size literal 5", "portal/selection/operations.py", 'size = cycle.rule("selection.interview_panel_size")', 'size = 5', T, "panel"),
 ("exam weight literal 40", "portal/selection/operations.py", 'w = Decimal(cycle.rule("selection.exam_weight_percent")) / 100', 'w = Decimal(40) / 100', T, "exam_weight or tie_break"),
 ("tie-break literal", "portal/selection/operations.py", 'tie = cycle.rule("selection.tie_break")', 'tie = "exam_then_baoyan"', T, "tie_break"),
 ("rubric literal", "portal/selection/operations.py", 'return parse_weights(cycle.rule("selection.interview_rubric"))', 'return parse_weights(["政治素质:30", "综合素质:20", "组织协调:30", "表达沟通:20"])', T, "rubric"),
 ("statuses literal", "portal/selection/operations.py", 'allowed = cycle.rule("selection.eligible_political_statuses")', 'allowed = ["中共党员", "中共预备党员", "共青团员"]', T, "statuses"),
 ("term literal 12", "portal/selection/operations.py", 'months = cycle.rule("residency.term_months")', 'months = 12', T, "seven_working_days"),
 ("slot literal", "portal/selection/operations.py", 'policy = cycle.rule("selection.disqualification_slot")', 'policy = "backfill_next"', T, "vacant"),
 ("rotation share literal", "portal/selection/operations.py", 'Decimal(snapshot["selection.rotation_share_percent"])', 'Decimal(50)', T, "quota_split"),
 ("window literal 15", "portal/selection/operations.py", 'due = cal.period_end(opened_on, snapshot["selection.nomination_window_workdays"])', 'due = cal.period_end(opened_on, 15)', T, "quota_split"),
 ("quota literal 6", "portal/selection/operations.py", 'quota = snapshot["selection.default_quota"] if quota', 'quota = 6 if quota', T, "quota_split"),
 ("title literal", "portal/selection/operations.py", 'title=title or f"{snapshot[\'federation.name\']}{academic_year}', 'title=title or f"全国学联{academic_year}', T, "quota_split"),
 ("import per school literal 2", "portal/selection/xlsx.py", 'per_school = cycle.rule("selection.nominees_per_school")', 'per_school = 2', T, "cycle_import"),
 ("letter limit literal", "portal/selection/documents.py", 'n = cycle.rule("selection.nominees_per_school")', 'n = 2', T, "letter"),
 ("letter days literal", "portal/selection/documents.py", 'days = cycle.rule("selection.school_publicity_min_workdays")', 'days = 5', T, "letter"),
 ("template limit literal", "portal/selection/xlsx.py", 'need = inv.cycle.rule("selection.nominees_per_school")', 'need = 2', T, "letter"),
 ("website literal", "portal/selection/operations.py", 'website = cycle.rule("federation.website_name")', 'website = "全国学联官方网站"', T, "seven_working_days"),
 ("notice window guard removed", "portal/selection/workflow.py", 'if today <= notice.ends_on:', 'if False:', T, "seven_working_days"),
 ("cycle page body literal", "portal/selection/templates/selection/cycle.html", "{{ _('列为拟任人选，报%(body)s审批', body=cycle.rule('selection.approving_body')) }}", "{{ _('列为拟任人选，报%(body)s审批', body='共青团中央书记处') }}", T, "cycle_page_names"),
 ("template review label literal", "portal/selection/templates/selection/nomination.html", "level=cycle.review_body(r.level),", "level=_('省级学联秘书处') if r.level == 'provincial' else _('全国学联秘书处'),", T, "nomination_page"),
 ("rule floor check removed", "tenants/rules/registry.py", "        self._check_measures(cleaned)\n", "", "tests/test_rules_measures.py", "loosen or ui_refuses or api_answers or national_version or stored_before"),
 ("pinned overrides not recorded", "portal/selection/operations.py", "rules_snapshot=snapshot, rules_overrides=overrides,", "rules_snapshot=snapshot, rules_overrides={},", "tests/test_rules_measures.py", "A23"),
 ("funnel unscoped", "portal/selection/operations.py", "    seen = sa.and_(Nomination.cycle_id == cycle.id, scope.clause())", "    seen = sa.and_(Nomination.cycle_id == cycle.id)", "tests/selection/test_visibility.py", "funnel or cycle_page"),
 ("ranking unscoped", "portal/selection/operations.py", "Nomination.cycle_id == cycle.id, Nomination.rank.is_not(None), scope.clause()).order_by(Nomination.rank)))", "Nomination.cycle_id == cycle.id, Nomination.rank.is_not(None)).order_by(Nomination.rank)))", "tests/selection/test_visibility.py", "cycle_page"),
 ("list unscoped", "portal/selection/operations.py", "            .where(Nomination.cycle_id == cycle_id, scope.clause())", "            .where(Nomination.cycle_id == cycle_id)", "tests/selection/test_visibility.py", "list or export"),
 ("invitations unscoped", "portal/selection/api.py", "                                       v.scope().clause(Invitation.school_id)).order_by(Invitation.id)", "                                       ).order_by(Invitation.id)", "tests/selection/test_visibility.py", "invitation"),
 ("cycle page letters unscoped", "portal/selection/views.py", "Invitation.cycle_id == c.id, seen.clause(Invitation.school_id)).order_by(Invitation.id)).all()", "Invitation.cycle_id == c.id).order_by(Invitation.id)).all()", "tests/selection/test_visibility.py", "cycle_page"),
 ("api funnel for all roles", "portal/selection/api.py", "    if not may_open_cycle_page(g.roles):\n        return jsonify(cycle_json(c))", "    if False:\n        return jsonify(cycle_json(c))", "tests/selection/test_visibility.py", "funnel"),
]
only = sys.argv[1:]
bad = []
for i, (name, path, old, new, tests, k) in enumerate(M):
    if only and str(i) not in only:
        continue
    f = ROOT / path
    src = f.read_text()
    if src.count(old) != 1:
        print(f"!! {name}: pattern found {src.count(old)} times"); bad.append(name); continue
    f.write_text(src.replace(old, new))
    try:
        r = subprocess.run([str(ROOT / ".venv/bin/pytest"), "-q", "-x", "-p", "no:cacheprovider", tests, "-k", k],
                           cwd=ROOT, capture_output=True, text=True, timeout=900)
        tail = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-200:]
        caught = r.returncode == 1
        print(f"{'caught ' if caught else 'MISSED '} {name}: {tail}", flush=True)
        if not caught:
            bad.append(name)
    finally:
        f.write_text(src)
print("MISSED:", bad)
