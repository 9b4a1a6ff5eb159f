"""Every enforcement point that reads a rule, under a NON-default value: a 广东 cycle opened
under its own overrides (A22). Written so that each test fails if the rule were written as the
national literal, and each guard's test fails if the guard were removed (A4 quota cap, the two
A6.3 review levels, the A6.5 notice window)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection import workflow
from portal.selection.documents import invitation_letter
from portal.core.approvals import ApprovalRequest
from portal.selection.models import CheckResult, NominationStatus as S, Panelist, ReviewLevel
from portal.selection.workflow import SYSTEM
from portal.selection.xlsx import build_template
from tenants.models import Membership, Role
from tenants.rules.operations import set_override
from tests.factories import TenantFactory, member
from tests.selection.helpers import OPENED, advance_to_reviewed, consent_papers, nominee, score, world

# 广东's own values: none equals the national one (see GD_NATIONAL), all within the measures.
GD = {
    "federation.name": "广东省学联",
    "federation.website_name": "广东省学联官方网站",
    "selection.default_quota": 3,
    "selection.rotation_share_percent": 34,
    "selection.nominees_per_school": 3,
    "selection.school_publicity_min_workdays": 7,
    "selection.nomination_window_workdays": 10,
    "selection.exam_weight_percent": 70,
    "selection.interview_panel_size": 3,
    "selection.interview_rubric": ["政治素质:50", "综合素质:50"],
    "selection.tie_break": "interview_then_baoyan",
    "selection.eligible_political_statuses": ["中共党员", "中共预备党员"],
    "selection.approving_body": "共青团广东省委",
    "selection.review_partner_body": "市级学联秘书处",
    "selection.public_notice_min_workdays": 7,
    "selection.disqualification_slot": "leave_vacant",
    "residency.term_months": 10,
}
TODAY = dt.date(2026, 3, 12)  # within 广东's 10-working-day window (due Friday 13 March)
# 7 working days of school publicity: Mon 2 March to Tue 10 March
PUB = {"publicity_start": dt.date(2026, 3, 2), "publicity_end": dt.date(2026, 3, 10)}


def test_gd_values_differ_from_the_national_ones(session):
    from tenants.rules.registry import REGISTRY

    for key, value in GD.items():
        assert REGISTRY[key].default != value, key


def gd_world(n_schools=2):
    gd = TenantFactory(name="广东省学生联合会", short_name="广东省学联")
    w = world(n_schools, tenant=gd, province="44")
    with tenant_context(gd.id, db.session):
        for key, value in GD.items():
            set_override(gd, key, value, "本省规定", w.admin)
        w.cycle = ops.open_cycle(gd, "2026-2027", actor=w.admin, opened_on=OPENED)
    return w


def gd_invite(w, school):
    with tenant_context(w.tenant.id, db.session):
        (inv,) = ops.invite_schools(w.cycle, [school.id], ops.Route.selection, actor=w.admin)
        ops.send_invitation(inv, actor=w.admin)
    return inv


def gd_draft(w, inv, seq, **over):
    with tenant_context(w.tenant.id, db.session):
        values, errors = ops.clean_nomination(inv, nominee(seq, **({"political_status": "中共党员"} | PUB | over)))
        assert not errors, errors
        return ops.create_nomination(inv, values, actor=w.admin, today=TODAY)


def gd_submitted(w, inv, seq, **over):
    nom = gd_draft(w, inv, seq, **over)
    with tenant_context(w.tenant.id, db.session):
        ops.submit_nomination(nom, actor=w.admin, roles=SYSTEM, today=TODAY)
    return nom


def gd_reviewed(w, inv, seq, **over):
    return advance_to_reviewed(w, gd_submitted(w, inv, seq, **over))


def _staff_memberships(w):
    return list(db.session.scalars(sa.select(Membership).where(Membership.user_id == w.admin.id)))


# --- A4, A6.2: opening -----------------------------------------------------------------------

def test_A4_gd_cycle_quota_split_title_and_nomination_window_from_its_rules(session):
    w = gd_world()
    c = w.cycle
    assert (c.quota, c.rotation_quota, c.selection_quota) == (3, 1, 2)  # 34% of 3 -> 1 (50% -> 2)
    assert c.title.startswith("广东省学联")
    assert c.step("nominations").due_on == dt.date(2026, 3, 13)  # 10 working days from 2 March


# --- A6.2: nominee limit ---------------------------------------------------------------------

def test_A6_2_gd_nominee_limit_is_its_rule_not_two(session):
    w = gd_world()
    inv = gd_invite(w, w.schools[0])
    for seq in (1, 2, 3):  # the third is within 广东's limit of 3
        gd_submitted(w, inv, seq)
    fourth = gd_draft(w, inv, 4)
    with tenant_context(w.tenant.id, db.session), pytest.raises(Conflict) as e:
        ops.submit_nomination(fourth, actor=w.admin, roles=SYSTEM, today=TODAY)
    assert "达到规定的 3 名上限" in e.value.message
    assert ops.nominee_limit(inv) == 3


def test_A6_2_gd_letter_and_template_state_its_limit_and_publicity(session):
    from portal.documents.render import spec_from_docx
    from portal.documents.templating import render_kind

    w = gd_world()
    inv = gd_invite(w, w.schools[0])
    with tenant_context(w.tenant.id, db.session):
        letter = invitation_letter(w.tenant.id, inv.id)
        spec = spec_from_docx(render_kind(w.tenant.id, letter.kind, letter.context, "docx"))
        wb = load_workbook(io.BytesIO(build_template(inv, ["学生会"])))
    text = "".join(spec.paragraphs)
    # signed by the federation's secretariat (issue 9 item 9)
    assert "一般推荐 3 名" in text and "不少于 7 个工作日" in text and spec.signature == "广东省学联秘书处"
    info = "".join(str(r[0].value) for r in wb["填写说明"].iter_rows())
    assert "一般推荐 3 名" in info and "校内公示不少于 7 个工作日" in info


def test_A6_2_gd_cycle_import_counts_against_its_limit(session):
    """The secretariat's workbook import reads the same limit (3): a 4th row for one school needs a reason."""
    from portal.selection.xlsx import parse_cycle_upload
    from tests.selection.test_cycle_import import workbook
    from tests.selection.test_upload_edges import row

    w = gd_world()
    gd_invite(w, w.schools[0])
    pub = {k: v.isoformat() for k, v in PUB.items()}
    rows = [(w.schools[0].code, row(i, political_status="中共党员", **pub), None) for i in range(1, 5)]
    with tenant_context(w.tenant.id, db.session):
        clean, errors, _ = parse_cycle_upload(w.cycle, workbook(rows))
    assert len(clean) == 3, errors
    assert [e["row"] for e in errors] == [5] and "达到规定的 3 名上限" in errors[0]["message"]


# --- A6.2: school publicity at least N working days ------------------------------------------

def test_A6_2_gd_publicity_of_six_working_days_is_refused_when_cleaning(session):
    w = gd_world()
    inv = gd_invite(w, w.schools[0])
    with tenant_context(w.tenant.id, db.session):
        # Mon 2 March to Mon 9 March: 6 working days, enough nationally (5), short of 广东's 7
        _, errors = ops.clean_nomination(inv, nominee(1, political_status="中共党员",
                                                      publicity_start=dt.date(2026, 3, 2),
                                                      publicity_end=dt.date(2026, 3, 9)))
    assert "6 个工作日" in errors["publicity_end"] and "7" in errors["publicity_end"]


def test_A6_2_gd_publicity_guard_on_submit_reads_its_rule(session):
    """The submit guard checks again (a draft may have been edited): 6 days are refused in 广东."""
    w = gd_world()
    inv = gd_invite(w, w.schools[0])
    nom = gd_draft(w, inv, 1)
    with tenant_context(w.tenant.id, db.session):
        nom.publicity_end = dt.date(2026, 3, 9)
        db.session.flush()
        with pytest.raises(Conflict) as e:
            ops.submit_nomination(nom, actor=w.admin, roles=SYSTEM, today=TODAY)
    assert "校内公示仅 6 个工作日，少于规定的 7 个工作日" in e.value.message


# --- A5.1: eligible political statuses -------------------------------------------------------

def test_A5_1_gd_statuses_refuse_a_league_member(session):
    w = gd_world()
    inv = gd_invite(w, w.schools[0])
    nom = gd_submitted(w, inv, 1, political_status="共青团员")
    with tenant_context(w.tenant.id, db.session):
        checks = {c.item: c for c in ops.run_eligibility(nom, w.cycle, actor=w.admin)}
    assert checks["A5.1"].result == CheckResult.failed


# --- A6.3: both review levels, named from the tenant -----------------------------------------

def _under_review(w, inv, seq=1):
    nom = gd_submitted(w, inv, seq)
    with tenant_context(w.tenant.id, db.session):
        ops.run_eligibility(nom, w.cycle, actor=w.admin)
        ops.attest(nom, "A5.3", True, "证明", actor=w.admin)
        ops.attest(nom, "A5.4", True, "证明", actor=w.admin)
        workflow.apply(nom, "confirm_eligibility", actor=w.admin, roles=SYSTEM)
        workflow.apply(nom, "start_review", actor=w.admin, roles=SYSTEM)
    return nom


@pytest.mark.parametrize("signed,missing", [(ReviewLevel.provincial, "广东省学联秘书处"),
                                            (ReviewLevel.national, "市级学联秘书处")])
def test_A6_3_both_levels_must_sign_before_the_review_completes(session, signed, missing):
    w = gd_world()
    nom = _under_review(w, gd_invite(w, w.schools[0]))
    with tenant_context(w.tenant.id, db.session):
        ops.sign_review(nom, signed, qualified=True, notes="资格符合", report="考察良好", actor=w.admin,
                        memberships=_staff_memberships(w))
        with pytest.raises(Conflict) as e:
            workflow.apply(nom, "complete_review", actor=w.admin, roles={Role.secretariat_admin})
    assert f"{missing}尚未签署资格审查和考察意见" in e.value.message
    assert "全国学联" not in e.value.message
    assert nom.status == S.under_review


def test_A6_3_a_failed_level_blocks_completion_named_from_the_tenant(session):
    w = gd_world()
    nom = _under_review(w, gd_invite(w, w.schools[0]))
    with tenant_context(w.tenant.id, db.session):
        ms = _staff_memberships(w)
        ops.sign_review(nom, ReviewLevel.provincial, qualified=True, notes="符合", report="良好", actor=w.admin,
                        memberships=ms)
        ops.sign_review(nom, ReviewLevel.national, qualified=False, notes="不符合", report="存疑", actor=w.admin,
                        memberships=ms)
        with pytest.raises(Conflict) as e:
            workflow.apply(nom, "complete_review", actor=w.admin, roles={Role.secretariat_admin})
    assert "广东省学联秘书处审查认为不合格" in e.value.message


def test_A6_3_gd_nomination_page_names_its_own_review_bodies(client, login_as, session):
    w = gd_world()
    nom = _under_review(w, gd_invite(w, w.schools[0]))
    with tenant_context(w.tenant.id, db.session):
        ops.sign_review(nom, ReviewLevel.national, qualified=True, notes="资格符合", report="考察良好",
                        actor=w.admin, memberships=_staff_memberships(w))
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/nominations/{nom.id}").get_data(as_text=True)
    assert "<b>广东省学联秘书处</b>：合格" in page
    assert '<option value="provincial">市级学联秘书处</option>' in page
    assert '<option value="national">广东省学联秘书处</option>' in page
    assert "全国学联秘书处" not in page


def test_A6_3_national_cycle_keeps_the_national_names(session):
    w = world(1)
    from tests.selection.helpers import open_cycle

    open_cycle(w)
    assert w.cycle.review_body("national") == "全国学联秘书处"
    assert w.cycle.review_body(ReviewLevel.provincial) == "省级学联秘书处"


def test_A6_3_only_staff_sign_the_tenants_own_level(session):
    w = gd_world()
    nom = _under_review(w, gd_invite(w, w.schools[0]))
    reviewer = member(w.tenant, Role.provincial_reviewer, province_code="44")
    with tenant_context(w.tenant.id, db.session):
        ms = list(db.session.scalars(sa.select(Membership).where(Membership.user_id == reviewer.id)))
        with pytest.raises(DomainError) as e:
            ops.sign_review(nom, ReviewLevel.national, qualified=True, notes="x", report="y", actor=reviewer,
                            memberships=ms)
    assert e.value.status == 403 and "广东省学联秘书处签署意见" in e.value.message


# --- A6.4: panel, rubric, weights, tie-break -------------------------------------------------

def test_A6_4_gd_panel_is_drawn_at_its_size(session):
    w = gd_world()
    nom = gd_reviewed(w, gd_invite(w, w.schools[0]), 1)
    with tenant_context(w.tenant.id, db.session):
        for i in range(6):
            ops.add_panelist(w.cycle, name=f"评委{i}", affiliation="团省委", province_code="45", actor=w.admin)
        panel = ops.draw_panel(w.cycle, "面试一组", [nom], actor=w.admin, seed="s")
        chosen = db.session.scalar(sa.select(sa.func.count()).select_from(Panelist).where(
            Panelist.panel_id == panel.id))
    assert chosen == 3 and panel.draw_record["size"] == 3


def test_A6_4_gd_rubric_weights_each_panelists_score(session):
    w = gd_world()
    nom = gd_reviewed(w, gd_invite(w, w.schools[0]), 1)
    with tenant_context(w.tenant.id, db.session):
        for i in range(3):
            ops.add_panelist(w.cycle, name=f"评委{i}", affiliation="团省委", province_code="45", actor=w.admin)
        panel = ops.draw_panel(w.cycle, "面试一组", [nom], actor=w.admin, seed="s")
        members = list(db.session.scalars(sa.select(Panelist).where(Panelist.panel_id == panel.id)))
        with pytest.raises(DomainError, match="组织协调"):  # a national rubric item is not 广东's
            ops.record_interview_scores(nom, {members[0].id: {"政治素质": 90, "综合素质": 70, "组织协调": 70}},
                                        actor=w.admin)
        ops.record_interview_scores(nom, {p.id: {"政治素质": 90, "综合素质": 70} for p in members}, actor=w.admin)
    assert float(nom.interview_score) == 80.0  # 50% x 90 + 50% x 70


def test_A6_4_gd_exam_weight_decides_the_ranking(session):
    w = gd_world()
    a = gd_reviewed(w, gd_invite(w, w.schools[0]), 1)
    b = gd_reviewed(w, gd_invite(w, w.schools[1]), 2)
    score(w, a, 90, 60)  # 70/30: 81.0   (40/60 would give 72)
    score(w, b, 60, 90)  # 70/30: 69.0   (40/60 would give 78)
    with tenant_context(w.tenant.id, db.session):
        ranked = ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    assert [n.id for n in ranked] == [a.id, b.id]
    assert float(a.total_score) == 81.0 and float(b.total_score) == 69.0


def test_A6_4_gd_tie_break_prefers_the_interview(session):
    w = gd_world()
    c = gd_reviewed(w, gd_invite(w, w.schools[0]), 1)
    d = gd_reviewed(w, gd_invite(w, w.schools[1]), 2)
    score(w, c, 80, 70)  # 77.0, higher exam
    score(w, d, 74, 84)  # 77.0, higher interview
    with tenant_context(w.tenant.id, db.session):
        ranked = ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    assert c.total_score == d.total_score
    assert [n.id for n in ranked] == [d.id, c.id]


# --- A4 quota cap, A6.5 approval, notice, appointment; A7 slot -------------------------------

def _gd_ranked(w, n):
    """n ranked candidates over the world's schools (广东 allows 3 per school)."""
    invs = [gd_invite(w, s) for s in w.schools]
    noms = []
    for i in range(n):
        nom = gd_reviewed(w, invs[i % len(invs)], i + 1)
        score(w, nom, 90 - i, 80)
        noms.append(nom)
    with tenant_context(w.tenant.id, db.session):
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    return noms


def test_A4_quota_cap_refuses_more_proposals_than_the_cycles_quota(session):
    w = gd_world(2)
    noms = _gd_ranked(w, 4)  # 4 ranked, quota 3
    admin_roles = {Role.secretariat_admin}
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(Conflict) as e:
            ops.propose(w.cycle, [n.id for n in noms], actor=w.admin, roles=admin_roles)
        assert "不能超过本学年名额 3 名" in e.value.message
        assert all(n.status == S.ranked for n in noms)
        ops.propose(w.cycle, [n.id for n in noms[:3]], actor=w.admin, roles=admin_roles)
        with pytest.raises(Conflict):  # the cap counts those already proposed
            ops.propose(w.cycle, [noms[3].id], actor=w.admin, roles=admin_roles)
    assert noms[3].status == S.ranked


def _gd_through_notice(w):
    (nom,) = _gd_ranked(w, 1)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [nom.id], actor=w.admin, roles={Role.secretariat_admin})
        with pytest.raises(Conflict) as e:
            ops.open_notice(w.cycle, actor=w.admin, roles=SYSTEM, starts_on=dt.date(2026, 6, 1))
        assert "没有经共青团广东省委同意的人选" in e.value.message
        approval = ops.decide(w.cycle, True, "同意", actor=approver, roles={Role.approver}, **consent_papers())
        notice = ops.open_notice(w.cycle, actor=w.admin, roles=SYSTEM, starts_on=dt.date(2026, 6, 1),
                                 today=dt.date(2026, 6, 1))
    return nom, approval, notice


def test_A6_5_gd_approval_is_recorded_under_its_approving_body(session):
    w = gd_world(1)
    _, approval, notice = _gd_through_notice(w)
    assert approval.body_name == "共青团广东省委"
    with tenant_context(w.tenant.id, db.session):
        stored = db.session.scalar(sa.select(ApprovalRequest.body_name).where(ApprovalRequest.id == approval.id))
    assert stored == "共青团广东省委"
    assert "经共青团广东省委同意" in notice.body and "团中央" not in notice.body


def test_A6_5_gd_cycle_page_names_its_approving_body(client, login_as, session):
    w = gd_world(1)
    _gd_ranked(w, 1)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "审批机关：共青团广东省委" in page and "报共青团广东省委审批" in page
    # the national body appears only as the national value in the table of pinned overrides
    outside = page.split('id="pinned-overrides"')[0] + page.split('id="pinned-overrides"')[1].split("</details>", 1)[1]
    assert "共青团中央书记处" not in outside


def test_A6_5_gd_notice_runs_its_seven_working_days(session):
    w = gd_world(1)
    nom, _, notice = _gd_through_notice(w)
    assert (notice.min_workdays, notice.ends_on) == (7, dt.date(2026, 6, 9))  # Mon 1 to Tue 9 June
    assert notice.website_name == "广东省学联官方网站" and notice.title.startswith("广东省学联")
    assert "（7个工作日）" in notice.body
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(Conflict) as e:  # day 6 of 7: a 5-day notice would have ended on 5 June
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8))
        assert "公示期满后方可确认任用" in e.value.message
        assert nom.status == S.publicized
        chairs = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 10),
                                          term_start=dt.date(2026, 9, 1))
    # A4: 广东's term of 10 months
    assert chairs[0].term_end == dt.date(2027, 6, 30)


def test_A7_gd_leaves_the_slot_vacant(session):
    w = gd_world(2)
    noms = _gd_ranked(w, 2)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles={Role.secretariat_admin})
        d = ops.disqualify(noms[0], "弄虚作假", "材料系伪造（附核查函）", actor=w.admin,
                           roles={Role.secretariat_admin})
    assert d.slot_action == "leave_vacant" and d.replacement_id is None
    assert noms[1].status == S.ranked
