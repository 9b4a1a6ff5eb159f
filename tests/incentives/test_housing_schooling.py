"""A15 beds and welfare; A16 (第十六条) suspension of schooling, its certificate and the 复学 reminder."""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.incentives.models import BedAssignment
from portal.incentives.operations import housing, schooling
from portal.residency import operations as rops
from tests.factories_residency import cohort
from tests.incentives.helpers import chair_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_A15_bed_assigned_twice_for_overlapping_dates_is_409_and_removal_releases_it(app, client, login_as, session):
    w, (a, b) = cohort(2)
    with tenant_context(w.tenant.id, db.session):
        bed = housing.add_bed(w.tenant, building="团中央宿舍1号楼", room="305", bed="1", actor=w.admin)
        first = housing.assign_bed(a, bed, starts_on=dt.date(2025, 9, 1), ends_on=None, actor=w.admin)
        assert first.ends_on == a.term_end  # bound to the term
        with pytest.raises(Conflict) as e:
            housing.assign_bed(b, bed, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 2, 1), actor=w.admin)
        assert e.value.code == "bed_taken" and a.chair.name in e.value.message
        with pytest.raises(DomainError):
            housing.assign_bed(b, bed, starts_on=dt.date(2025, 8, 1), ends_on=None, actor=w.admin)  # before the term
        # A18: the removal ends the residency; the signal releases the bed in the same transaction
        rops.end_residency(a, "removed", ended_on=dt.date(2025, 12, 31), reason="取消资格", actor=w.admin)
        assert first.released_on == dt.date(2025, 12, 31) and first.release_reason == "取消驻会资格"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BedAssignment)) == 1  # history kept
        second = housing.assign_bed(b, bed, starts_on=dt.date(2026, 1, 1), ends_on=None, actor=w.admin)
        occ = dict((bd.id, asg) for bd, asg in housing.occupancy(dt.date(2025, 12, 31)))
        assert occ[bed.id].residency_id == a.id
        occ = dict((bd.id, asg) for bd, asg in housing.occupancy(dt.date(2026, 1, 5)))
        assert occ[bed.id].id == second.id
    login_as(w.admin)
    r = client.post(f"/api/v1/{w.tenant.slug}/incentives/beds/assignments",
                    json={"residency_id": b.id, "bed_id": bed.id, "starts_on": "2026-03-01"})
    assert r.status_code == 409


def test_A15_welfare_items_come_from_the_rules(app, session):
    w, (a,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        a.rules_snapshot = {**a.rules_snapshot, "incentives.welfare_items": ["端午节慰问品"]}
        db.session.flush()
        g = housing.give_welfare(a, item="端午节慰问品", given_on=dt.date(2026, 5, 30), note=None, actor=w.admin)
        assert g.id and housing.welfare_of(a)[0].item == "端午节慰问品"
        with pytest.raises(DomainError) as e:
            housing.give_welfare(a, item="春节慰问品", given_on=dt.date(2026, 1, 20), note=None, actor=w.admin)
        assert e.value.field == "item"


def _text(data: bytes, kind: str, tmp_path) -> str:
    if kind == "docx":
        from docx import Document

        return "".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())


def test_A16_both_branches_certificate_text_from_the_record(app, client, login_as, session, tmp_path):
    app.config["FIXED_TODAY"] = "2026-09-02"
    w, (a, b) = cohort(2)
    with tenant_context(w.tenant.id, db.session):
        a.rules_snapshot = {**a.rules_snapshot, "incentives.seniority_shift_years": 2}
        db.session.flush()
        with pytest.raises(DomainError) as e:
            schooling.record_schooling(a, status="suspended", approval_ref="某大学〔2025〕8号", actor=w.admin)
        assert e.value.field == "evidence"
        with pytest.raises(DomainError) as e:
            schooling.record_schooling(b, status="not_suspended", reason="", actor=w.admin)
        assert e.value.field == "reason"
        assert "尚未登记" in schooling.certificate_ready(a)
    login_as(w.admin)
    base = f"/{w.tenant.slug}/incentives/chairs"
    refused = client.get(f"{base}/{a.id}/certificate.pdf")
    assert refused.status_code == 303  # not produced without the record
    with tenant_context(w.tenant.id, db.session):
        schooling.record_schooling(a, status="suspended", approval_ref="某大学〔2025〕8号",
                                   evidence=("批准.pdf", PDF), actor=w.admin)
        schooling.record_schooling(b, status="not_suspended", reason="毕业年级无法休学", actor=w.admin)
    pdf = client.get(f"{base}/{a.id}/certificate.pdf")
    assert pdf.status_code == 200
    text = _text(pdf.data, "pdf", tmp_path)
    assert a.chair.name in text and a.school.name in text and "不再实行见习期" in text and "向前推移2年" in text
    docx = client.get(f"{base}/{b.id}/certificate.docx")
    text = _text(docx.data, "docx", tmp_path)
    assert b.chair.name in text and "驻会1年时间不计算工龄" in text and "毕业年级无法休学" in text
    assert "见习期" not in text
    # the chair downloads their own certificate; another chair's is 404
    login_as(chair_user(b))
    assert client.get(f"{base}/{b.id}/certificate.pdf").status_code == 200
    assert client.get(f"{base}/{a.id}/certificate.pdf").status_code == 404
    assert client.get(f"{base}/{b.id}/suspension_letter.docx").status_code == 404


def test_A16_resume_reminder_on_the_working_day_calendar(app, session):
    from portal.core.calendar import calendar
    from portal.notifications.reminders import REMINDERS, due_today
    from tests.factories import member
    from tenants.models import Role

    w, (a,) = cohort(1)
    liaison = member(w.tenant, role=Role.school_liaison, school_id=a.school_id)
    with tenant_context(w.tenant.id, db.session):
        a.rules_snapshot = {**a.rules_snapshot, "incentives.resume_reminder_workdays": 7}
        db.session.flush()
        assert schooling.resume_deadlines(w.tenant) == []  # not suspended: no reminder
        schooling.record_schooling(a, status="suspended", approval_ref="x", evidence=("p.pdf", PDF), actor=w.admin)
        (d,) = schooling.resume_deadlines(w.tenant)
        # 2026-08-31 is a Monday: 7 working days before is Thursday 20 August
        assert d.fires_from == calendar().add_workdays(a.term_end, -7) == dt.date(2026, 8, 20)
        assert set(d.user_ids) == {a.chair.user_id, liaison.id}
        rem = next(r for r in REMINDERS if r.key == "incentives-resume-schooling")
        assert not due_today(rem, d, dt.date(2026, 8, 19)) and due_today(rem, d, dt.date(2026, 8, 20))
        assert not due_today(rem, d, dt.date(2026, 9, 1))
