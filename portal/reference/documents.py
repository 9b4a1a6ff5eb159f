"""The reference data's own document: the presidium member schools as a table (A2)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.documents.operations import document_builder
from portal.documents.render import SheetSpec
from portal.extensions import db
from portal.reference.models import School


@document_builder("schools_table", "主席团成员学校名单", article="A2",
                  formats=("xlsx",), roles=("secretariat_admin", "secretariat_staff"), filename="主席团成员学校名单")
def schools_table(tenant_id: int) -> list[SheetSpec]:
    with tenant_context(tenant_id, db.session):
        rows = [[s.code, s.name, s.province_code] for s in
                db.session.scalars(sa.select(School).order_by(School.code))]
    return [SheetSpec(title="学校", headers=["学校代码", "学校名称", "省份代码"], rows=rows)]
