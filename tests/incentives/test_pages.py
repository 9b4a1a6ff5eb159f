"""Chapter 4 pages (A15–A17): the secretariat pays, houses, certifies and appraises in the UI;
bad input comes back as a Chinese message with nothing written."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.incentives.models import AllowanceRun, Bed
from tests.factories_residency import cohort
from tests.incentives.helpers import chair_user


def test_A15_A16_A17_secretariat_pages_and_forms(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (a, b) = cohort(2)
    login_as(w.admin)
    t = w.tenant.slug
    assert "激励保障" in client.get(f"/{t}/incentives/").get_data(as_text=True)
    # a rate without its source: the Chinese message, nothing written
    r = client.post(f"/{t}/incentives/rates", data={"degree_level": "本科", "effective_on": "2025-01-01",
                                                     "monthly_amount": "3000", "source": ""}, follow_redirects=True)
    assert "请填写标准依据的文件" in r.get_data(as_text=True)
    r = client.post(f"/{t}/incentives/rates", data={"degree_level": "本科", "effective_on": "2025-01-01",
                                                     "monthly_amount": "3000", "source": "人薪发〔1990〕20号"},
                    follow_redirects=True)
    assert "人薪发〔1990〕20号" in r.get_data(as_text=True)
    r = client.post(f"/{t}/incentives/runs", data={"month": "2025-10"})
    assert r.status_code == 303
    with tenant_context(w.tenant.id, db.session):
        run = db.session.scalar(sa.select(AllowanceRun))
    page = client.get(f"/{t}/incentives/runs/{run.id}").get_data(as_text=True)
    assert a.chair.name in page and "3000.00" in page and "审核通过" in page
    client.post(f"/{t}/incentives/runs/{run.id}/approve")
    client.post(f"/{t}/incentives/runs/{run.id}/lock")
    again = client.post(f"/{t}/incentives/runs", data={"month": "2025-10"}, follow_redirects=True)
    assert "调整发放" in again.get_data(as_text=True)
    # beds
    client.post(f"/{t}/incentives/beds", data={"building": "1号楼", "room": "101", "bed": "A"})
    with tenant_context(w.tenant.id, db.session):
        bed = db.session.scalar(sa.select(Bed))
    assert client.post(f"/{t}/incentives/beds/assign", data={"residency_id": a.id, "bed_id": bed.id}).status_code == 303
    twice = client.post(f"/{t}/incentives/beds/assign", data={"residency_id": b.id, "bed_id": bed.id},
                        follow_redirects=True).get_data(as_text=True)
    assert "已分配给" in twice
    occ = client.get(f"/{t}/incentives/beds").get_data(as_text=True)
    assert a.chair.name in occ
    # the chair page: schooling, welfare, appraisal draft
    client.post(f"/{t}/incentives/chairs/{a.id}/schooling", data={"status": "not_suspended", "reason": "毕业年级"})
    client.post(f"/{t}/incentives/chairs/{a.id}/welfare", data={"item": "春节慰问品", "given_on": "2026-02-10"})
    client.post(f"/{t}/incentives/chairs/{a.id}/appraisal")
    html = client.get(f"/{t}/incentives/chairs/{a.id}").get_data(as_text=True)
    assert "未休学" in html and "毕业年级" in html and "春节慰问品" in html and "记录中缺少的内容" in html
    letter = client.get(f"/{t}/incentives/chairs/{a.id}/suspension_letter.docx")
    assert letter.status_code == 200 and letter.mimetype.endswith("wordprocessingml.document")
    # the chair sees their own page, not the secretariat's
    login_as(chair_user(a))
    assert client.get(f"/{t}/incentives/").status_code == 403
    mine = client.get(f"/{t}/incentives/me").get_data(as_text=True)
    assert "1号楼" in mine and "工作鉴定" in mine
    assert client.get(f"/{t}/incentives/chairs/{b.id}").status_code == 404


def test_A15_A16_A17_every_step_is_in_the_openapi_document(app, client, session):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    mine = {p for p in paths if "/incentives/" in p}
    for needed in ("rates", "runs", "runs/{run_id}", "beds", "beds/assignments", "chairs/{res_id}/schooling",
                   "chairs/{res_id}/welfare", "chairs/{res_id}/ymp", "chairs/{res_id}/appraisal"):
        assert any(p.endswith(f"/incentives/{needed}") for p in mine), needed
    assert any("/appraisals/{appr_id}/" in p for p in mine) and any(p.endswith("/chairs/{res_id}/{doc}.{fmt}") for p in mine)
