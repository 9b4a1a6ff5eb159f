"""What the chapter's operations share: the tenant's effective rules, who sees what, the files."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import clock
from portal.core.errors import DomainError
from portal.core.obligations import FieldError
from portal.extensions import db
from portal.residency.models import Chair, Residency, RotationSegment
from portal.supervision.models import FileRole, SupervisionFile
from tenants.models import Tenant

STAFF = {"secretariat_admin", "secretariat_staff"}
MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_TYPES = ("pdf", "jpg", "png", "docx")
FILE_PURPOSE = "supervision.file"


def rules(tenant_id: int):
    """The tenant's effective rules (A22: a province's approving body, grounds, days, ladder)."""
    from tenants.rules.operations import effective_rules

    return effective_rules(db.session.get(Tenant, tenant_id))


def rule(tenant_id: int, key: str):
    return rules(tenant_id)[key]


def today():
    return clock.today()


def calendar():
    from portal.core.calendar import calendar as cal

    return cal()


def clean(value, field: str, label: str, limit: int, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError(f"请填写{label}", field)
        return None
    if len(text) > limit:
        raise FieldError(f"{label}不能超过{limit}字", field)
    return text


# --- who sees what (item 6) ----------------------------------------------------------------------

def headed_residency_ids(user) -> set[int]:
    """Residencies with a rotation segment in a department this user heads (A12)."""
    uid = getattr(user, "id", None)
    if uid is None:
        return set()
    return set(db.session.scalars(sa.select(RotationSegment.residency_id).where(RotationSegment.head_user_id == uid)))


def own_residency_ids(user) -> set[int]:
    uid = getattr(user, "id", None)
    if uid is None:
        return set()
    return set(db.session.scalars(sa.select(Residency.id).join(Chair, Chair.id == Residency.chair_id)
                                  .where(Chair.user_id == uid)))


def roles_toward(res: Residency, user, roles) -> set[str]:
    """The actor's roles toward one chair's matters: staff roles; "chair" only for the chair
    themself; "department_head" only for a head of a department the chair works in."""
    held = {str(r) for r in roles}
    out = held & (STAFF | {"approver"})
    uid = getattr(user, "id", None)
    if uid is not None and res.chair.user_id == uid and "chair" in held:
        out.add("chair")
    if "department_head" in held and res.id in headed_residency_ids(user):
        out.add("department_head")
    return out


def store_files(*, owner, role: FileRole, uploads, actor, tenant_id: int, label: str | None = None,
                field: str = "files") -> list[SupervisionFile]:
    """Each upload judged by its content, hashed and kept in the vault for the secretariat (and
    whoever stored it); the feature's own checks let the chair, heads and approvers read it."""
    from portal.core import vault
    from portal.core.uploads import UploadError
    from portal.supervision.models import Activity

    out = []
    for filename, data in uploads or ():
        if not data:
            continue
        try:
            f = vault.store(tenant_id, data, filename=filename, purpose=FILE_PURPOSE, allowed=FILE_TYPES,
                            max_size=MAX_FILE_BYTES, stored_by=actor,
                            access=("owner", "role:secretariat_admin", "role:secretariat_staff"))
        except UploadError as exc:
            raise FieldError(getattr(exc, "message", str(exc)), field) from None
        row = SupervisionFile(tenant_id=tenant_id, role=role, file_id=f.id, label=label or f.original_name,
                              added_by_id=getattr(actor, "id", None),
                              **({"activity_id": owner.id} if isinstance(owner, Activity) else {"case_id": owner.id}))
        db.session.add(row)
        out.append(row)
    db.session.flush()
    return out


def files_of(*, case_id: int | None = None, activity_id: int | None = None) -> list[SupervisionFile]:
    stmt = sa.select(SupervisionFile).order_by(SupervisionFile.id)
    if case_id is not None:
        stmt = stmt.where(SupervisionFile.case_id == case_id)
    else:
        stmt = stmt.where(SupervisionFile.activity_id == activity_id)
    return list(db.session.scalars(stmt))


def not_found():
    return DomainError("记录不存在", status=404, code="not_found")
