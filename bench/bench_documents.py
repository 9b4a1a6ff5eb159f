"""The real A6.5 public notice (PDF) and A6.1 letter (DOCX) of the demo's records, rendered
through the tenant's templates: time and peak memory (tracemalloc), with ratios to an empty
1-page document through the same renderer (floor)."""
from __future__ import annotations

import statistics
import time
import tracemalloc

from portal.documents.render import DocumentSpec, render_docx, render_pdf

RUNS = 5


def _measure(fn, runs=RUNS):
    fn()  # warm-up: font registration, imports
    times, peaks = [], []
    for _ in range(runs):
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), max(peaks)


def run() -> dict:
    import sqlalchemy as sa

    from bench.common import bench_app
    from portal.core.db import tenant_context
    from portal.demo import load_demo
    from portal.documents.templating import render_kind
    from portal.extensions import db
    from portal.selection.documents import invitation_letter, public_notice
    from portal.selection.models import Invitation, PublicNotice
    from tenants.models import Tenant

    app = bench_app()
    with app.app_context():
        load_demo()
        gd = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "gd"))
        with tenant_context(gd.id, db.session):
            notice_id = db.session.scalar(sa.select(PublicNotice.id).order_by(PublicNotice.id))
            inv_id = db.session.scalar(sa.select(Invitation.id).order_by(Invitation.id))
            notice = public_notice(gd.id, notice_id)
            letter = invitation_letter(gd.id, inv_id)

    def templated(doc, fmt):
        with app.app_context(), tenant_context(gd.id, db.session):
            return render_kind(gd.id, doc.kind, doc.context, fmt)

    empty = DocumentSpec(title="空白", paragraphs=[])
    rows = {}
    for name, fn, floor_fn in [
        ("公示 PDF（A6.5，演示数据）", lambda: templated(notice, "pdf"), lambda: render_pdf(empty)),
        ("推荐函 DOCX（A6.1，演示数据）", lambda: templated(letter, "docx"), lambda: render_docx(empty)),
    ]:
        t_doc, m_doc = _measure(fn)
        t_floor, m_floor = _measure(floor_fn)
        rows[name] = {"seconds": t_doc, "peak_bytes": m_doc, "floor_seconds": t_floor, "floor_peak_bytes": m_floor}
    out = []
    for name, r in rows.items():
        english = {"公示": "public notice PDF, A6.5 demo (ms)", "推荐": "letter DOCX, A6.1 demo (ms)"}[name[:2]]
        out.append({"measure": english, "value": r["seconds"] * 1000, "best": r["seconds"] * 1000,
                    "floor": r["floor_seconds"] * 1000, "floor_best": r["floor_seconds"] * 1000,
                    "ratio": r["seconds"] / r["floor_seconds"], "goal": "< 1000 ms", "met": r["seconds"] < 1,
                    "note": f"median of {RUNS}; floor: an empty 1-page document, same renderer; "
                            f"peak {r['peak_bytes'] / 1e6:.1f} MB"})
    return out


if __name__ == "__main__":
    run()
