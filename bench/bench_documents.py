"""One 1-page Chinese public-notice PDF (A6.5) and one 3-page appraisal DOCX (A17):
time and peak memory (tracemalloc), with ratios to an empty 1-page document (floor)."""
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
    from bench.common import bench_app, new_tenant
    from portal.core.db import tenant_context
    from portal.documents.builders import public_notice, work_appraisal
    from portal.extensions import db

    app = bench_app()
    with app.app_context():
        t = new_tenant()
        with tenant_context(t.id, db.session):
            notice = public_notice(t.id, start="2025-09-29")
            appraisal = work_appraisal(t.id)
    empty = DocumentSpec(title="空白", paragraphs=[])
    rows = {}
    for name, fn, floor_fn in [
        ("公示 PDF（1页）", lambda: render_pdf(notice), lambda: render_pdf(empty)),
        ("工作鉴定 DOCX（3页）", lambda: render_docx(appraisal), lambda: render_docx(empty)),
    ]:
        t_doc, m_doc = _measure(fn)
        t_floor, m_floor = _measure(floor_fn)
        rows[name] = {"seconds": t_doc, "peak_bytes": m_doc, "floor_seconds": t_floor, "floor_peak_bytes": m_floor}
    print("== documents (median of %d runs; floor = empty 1-page document, same renderer)" % RUNS)
    for name, r in rows.items():
        print(f"  {name}: {r['seconds'] * 1000:.1f} ms (floor {r['floor_seconds'] * 1000:.1f} ms, "
              f"ratio {r['seconds'] / r['floor_seconds']:.2f}x); peak {r['peak_bytes'] / 1e6:.2f} MB "
              f"(floor {r['floor_peak_bytes'] / 1e6:.2f} MB, ratio {r['peak_bytes'] / r['floor_peak_bytes']:.2f}x)"
              f"  goal < 1 s: {'ok' if r['seconds'] < 1 else 'MISSED'}")
    return rows


if __name__ == "__main__":
    run()
