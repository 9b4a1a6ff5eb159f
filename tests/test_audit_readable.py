"""Issue 9, item 8: the audit trail people can read — each record a sentence in the user's
language with its object named and linked, before/after as a diff, filters by person, object,
action and date (A7)."""
from __future__ import annotations

from portal.core import audit
from portal.core.db import tenant_context
from portal.extensions import db
from tests.selection import helpers as h


def test_A7_records_read_as_sentences_with_the_object_named_and_linked(client, session, login_as):
    w = h.world(2)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/audit/").get_data(as_text=True)
    rows = page.split("<table>")[1]
    assert "发出了推荐函" in rows and "invitation.sent" not in rows
    assert f'<a href="/{w.tenant.slug}/selection/invitations/{inv.id}">{w.schools[0].name}（{inv.letter_number}）</a>' in rows
    assert f">{w.cycle.title}</a>" in rows  # the cycle opened, linked by its title
    # filter by object: the invitation's own records only
    only = client.get(f"/{w.tenant.slug}/audit/?object_type=invitation&object_id={inv.id}").get_data(as_text=True)
    only_rows = only.split("<table>")[1]
    assert "发出了推荐函" in only_rows and "开始了选拔" not in only_rows


def test_A7_detail_shows_the_change_as_a_readable_diff(client, session, login_as):
    w = h.world(1)
    with tenant_context(w.tenant.id, db.session):
        audit.record("rule.override", "rule", "selection.nominees_per_school", actor=w.admin, article="A22",
                     before={"value": 2, "reason": None}, after={"value": 3, "reason": "工作需要"})
        rec = db.session.scalars(audit.AuditRecord.__table__.select().order_by(
            audit.AuditRecord.seq.desc()).limit(1).with_only_columns(audit.AuditRecord.id)).first()
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/audit/{rec}").get_data(as_text=True)
    assert "调整了规则" in page and "\\u5de5" not in page
    assert '<tr class="changed"><td>value</td><td><del>2</del></td><td><ins>3</ins></td></tr>' in page
    assert "<ins>工作需要</ins>" in page


def test_A7_the_trail_in_english(client, session, login_as):
    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    client.get("/lang/en")
    page = client.get(f"/{w.tenant.slug}/audit/").get_data(as_text=True)
    assert "opened the selection" in page.split("<table>")[1]


def _emitted_actions() -> set[str]:
    """Every audit action the code writes with a literal name, and the fixed members of the
    f-string families (obligation.<status>, vault.<action>)."""
    import re
    from pathlib import Path

    from portal.core.obligations import RecordStatus

    root = Path(__file__).resolve().parent.parent / "portal"
    found = set()
    for path in root.rglob("*.py"):
        found |= set(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    found |= {f"obligation.{s.value}" for s in RecordStatus}
    found |= {f"vault.{a}" for a in ("view", "download", "export", "log_read")}
    return found


def test_A7_every_action_the_code_writes_reads_as_a_sentence_in_both_languages(app):
    """A new action must come with its sentence: every literal audit action, and every transition
    of every declared workflow, reads as words (not "residency · opened") in Chinese and English."""
    import re

    from flask_babel import force_locale

    from portal.audit import readable
    from portal.core.workflow import MACHINES

    actions = _emitted_actions()
    transitions = {(t.audit_action or f"{m.subject}.{t.name}") for m in MACHINES.values() for t in m.transitions.values()}
    assert len(actions) > 100 and len(MACHINES) >= 10  # the walk sees the chapters' code and machines
    han = re.compile(r"[\u4e00-\u9fff]")
    missing, untranslated = [], []
    with app.test_request_context("/"):
        for action in sorted(actions | transitions):
            with force_locale("zh_Hans_CN"):
                zh = readable.sentence(action)
            if " · " in zh or zh == action or not han.search(zh):
                missing.append(action)
            with force_locale("en"):
                en = readable.sentence(action)
            if action in actions and han.search(en):
                untranslated.append((action, en))
    assert not missing, f"actions without a sentence: {missing}"
    assert not untranslated, f"sentences without English: {untranslated}"


def test_A7_a_workflow_transition_reads_as_its_label(app):
    from portal.audit import readable

    with app.test_request_context("/"):
        assert readable.sentence("supervision_case.hear") == "告知并听取申辩"
        assert readable.sentence("no_such.thing") == "no_such · thing"
