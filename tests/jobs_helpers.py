"""Job functions used by the job tests (importable by dotted path, also by RQ workers)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import current_tenant_id
from portal.extensions import db

SEEN: list[dict] = []
FAIL_ONCE: set[str] = set()


def count_schools(label: str) -> int:
    from portal.reference.models import School

    # Raw-ish count that also sees what RLS lets through (the app filter may be off).
    n = db.session.scalar(sa.select(sa.func.count()).select_from(School))
    names = set(db.session.scalars(sa.select(School.name)))
    SEEN.append({"label": label, "tenant": current_tenant_id(), "count": n, "names": names})
    return n


def flaky(key: str) -> str:
    if key not in FAIL_ONCE:
        FAIL_ONCE.add(key)
        raise RuntimeError(f"第一次运行失败：{key}")
    return "ok"


def noop() -> None:
    return None
