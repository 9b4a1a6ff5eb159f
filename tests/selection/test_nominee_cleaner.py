"""A6.2: one NomineeCleaner validates a whole sheet; a value a column has seen is not parsed
again, and that reuse never changes a row's result."""
from __future__ import annotations

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from tests.selection.helpers import invite, nominee, open_cycle, world


def _setup():
    w = world(1)
    open_cycle(w)
    inv = invite(w, w.schools[0])
    return w, inv


def test_A6_2_cleaner_repeats_a_value_error_on_every_row_that_has_it(session):
    w, inv = _setup()
    with tenant_context(w.tenant.id, db.session):
        cleaner, unions = ops.NomineeCleaner(w.cycle), ops.school_unions(inv.school_id)
        first = cleaner.clean(nominee(1, gender="男性"), unions)[1]
        second = cleaner.clean(nominee(2, gender="男性"), unions)[1]
        good = cleaner.clean(nominee(3, gender="男"), unions)
    assert first == second and "gender" in first and "可选" in first["gender"]
    assert good[1] == {} and good[0]["gender"] == "男"


def test_A6_2_cleaner_tells_equal_values_of_different_types_apart(session):
    """1, 1.0 and True are equal dict keys; a rank of True must still be refused after a rank of 1."""
    w, inv = _setup()
    with tenant_context(w.tenant.id, db.session):
        cleaner, unions = ops.NomineeCleaner(w.cycle), ops.school_unions(inv.school_id)
        ok = cleaner.clean(nominee(1, grade_rank=1), unions)
        as_float = cleaner.clean(nominee(2, grade_rank=1.0), unions)
        as_bool = cleaner.clean(nominee(3, grade_rank=True), unions)
        unhashable = cleaner.clean(nominee(4, major=["法学"]), unions)
    assert ok[1] == {} and ok[0]["grade_rank"] == 1
    assert as_float[1] == {} and as_float[0]["grade_rank"] == 1
    assert "grade_rank" in as_bool[1]
    assert "major" in unhashable[1]  # a list from a JSON body: refused, not a crash


def test_A6_2_cleaner_matches_one_row_validation(session):
    """The sheet's cleaner and the form's clean_nomination give the same values and errors."""
    w, inv = _setup()
    rows = [nominee(1), nominee(2, publicity_end=nominee(2)["publicity_start"]), nominee(3, id_number="123")]
    with tenant_context(w.tenant.id, db.session):
        cleaner, unions = ops.NomineeCleaner(w.cycle), ops.school_unions(inv.school_id)
        together = [cleaner.clean(r, unions) for r in rows]
        alone = [ops.clean_nomination(inv, r) for r in rows]
    assert together == alone
    assert together[0][1] == {} and "publicity_end" in together[1][1] and "id_number" in together[2][1]


def test_A6_2_reupload_replaces_drafts_with_their_attachments_and_keeps_submitted(session, tmp_path, app):
    """replace_drafts removes the school's drafts and their attachment rows in a few set-wise
    statements, leaves submitted nominations alone, and records the replaced ids."""
    import sqlalchemy as sa

    from portal.core.audit import AuditRecord
    from portal.selection.models import Nomination, NominationAttachment, NominationStatus
    from portal.selection.workflow import SYSTEM
    from tests.selection.helpers import IN_WINDOW, draft

    w, inv = _setup()
    keep = draft(w, inv, 1)
    old = draft(w, inv, 2)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    with tenant_context(w.tenant.id, db.session):
        ops.submit_nomination(keep, actor=w.admin, roles=SYSTEM, today=IN_WINDOW)
        ops.store_attachment(old, "photo", "照片.png", png, actor=w.admin)
        new_values, errors = ops.clean_nomination(inv, nominee(3))
        assert not errors
        created = ops.replace_drafts(inv, [new_values], actor=w.admin, today=IN_WINDOW)
        db.session.flush()
        db.session.expire_all()
        left = {n.id: n.status for n in db.session.scalars(sa.select(Nomination).where(Nomination.invitation_id == inv.id))}
        attachments = db.session.scalar(sa.select(sa.func.count()).select_from(NominationAttachment)
                                        .where(NominationAttachment.nomination_id == old.id))
        rec = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "nomination.drafts_replaced")).one()
    assert left == {keep.id: NominationStatus.submitted, created[0].id: NominationStatus.draft}
    assert attachments == 0
    assert rec.before == {"draft_ids": [old.id]} and rec.object_id == str(inv.id)
