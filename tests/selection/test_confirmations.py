"""Issue 9, item 4: what cannot be undone asks first — what will happen, to how many, and that
it cannot be undone; disqualifying asks for the reason and the evidence in the same form."""
from __future__ import annotations

import html
import re

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Route
from tests.selection import helpers as h


def _confirms(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'data-confirm="([^"]+)"', page)]


def test_A6_1_sending_every_letter_asks_first_with_the_number_of_schools(client, session, login_as):
    w = h.world(3)
    h.open_cycle(w)
    with tenant_context(w.tenant.id, db.session):
        ops.invite_schools(w.cycle, [s.id for s in w.schools], Route.selection, actor=w.admin)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    assert any("将向 3 所学校发出推荐函" in c and "不能撤回" in c for c in _confirms(page))
    assert page.count("confirm.js") == 1


def test_A6_2_submitting_and_A7_disqualifying_ask_first(client, session, login_as):
    w = h.world(1)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])
    nom = h.draft(w, inv, 1)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/nominations/{nom.id}").get_data(as_text=True)
    confirms = _confirms(page)
    assert any(f"报送后，{nom.name}" in c for c in confirms)
    assert any(f"将取消 {nom.name} 的人选资格" in c and "不能恢复" in c for c in confirms)
    form = page[page.index('action="/' + w.tenant.slug + f'/selection/nominations/{nom.id}/disqualify"'):]
    form = form[:form.index("</form>")]
    assert 'for="dq-reason"' in form and 'id="dq-reason" name="reason" required' in form
    assert 'for="dq-evidence"' in form and 'name="evidence" required' in form
    # the server stays the authority: no evidence, nothing changes
    r = client.post(f"/{w.tenant.slug}/selection/nominations/{nom.id}/disqualify", data={"reason": "材料不实"})
    assert r.status_code in (302, 400, 422)
    with tenant_context(w.tenant.id, db.session):
        db.session.refresh(nom)
        assert nom.status.value == "draft"


def test_confirmations_in_english(client, session, login_as):
    w = h.world(1)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])
    nom = h.draft(w, inv, 1)
    login_as(w.admin)
    client.get("/lang/en")
    page = client.get(f"/{w.tenant.slug}/selection/nominations/{nom.id}").get_data(as_text=True)
    confirms = _confirms(page)
    assert confirms and not any(re.search(r"[\u4e00-\u9fff]{3}", c.replace(nom.name, "")) for c in confirms)


def test_the_nominee_form_marks_required_fields_preselects_nothing_and_ties_every_label(client, session, login_as):
    w = h.world(1)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])
    login_as(w.admin)
    url = f"/{w.tenant.slug}/selection/invitations/{inv.id}/nominations/new"
    page = client.get(url).get_data(as_text=True)
    assert page.count("<fieldset>") == 5 and "标 * 的为必填项" in page
    assert re.search(r'<select id="f-gender" name="gender" required[^>]*><option value="">请选择</option><option value="男" >男', page)  # the stored value explicit, its label in the page's language
    assert " selected" not in page  # nothing a person must choose is chosen for them (男, 中共党员, 主席, 保研是)
    for field in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page):
        assert f'for="{field}"' in page, field
    assert 'id="f-discipline_record" name="discipline_record">' in page  # optional: not required
    # refused: what was typed comes back, each error tied to its field for screen readers
    r = client.post(url, data={"name": "林小桐", "gender": "女", "email": "not-an-email"})
    text = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'value="林小桐"' in text and re.search(r'<option value="女" selected>女</option>', text)
    assert 'aria-invalid="true" aria-describedby="e-email"' in text and 'id="e-email"' in text
    assert '<a href="#f-email">' in text
