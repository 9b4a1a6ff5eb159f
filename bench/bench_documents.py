"""One 1-page Chinese public-notice PDF (A6.5) and one appraisal DOCX (A17, the tenant's template filled
with six sections of statements):
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
    from portal.documents.templating import fill, national_template, sample_context, document_kind
    from portal.incentives.documents import APPRAISAL

    app = bench_app()
    with app.app_context():
        new_tenant()
        notice = DocumentSpec(title="全国学联驻会执行主席拟任人选公示",
                              paragraphs=["现将拟任人选予以公示，公示期为5个工作日。" * 6] * 4)
        template = national_template(APPRAISAL)
        ctx = sample_context(document_kind(APPRAISAL)) | {"sections": [
            {"label": label, "statements": [f"{label}：驻会期间第{i}项记录所载事实，附记录编号和日期。" * 3 for i in range(8)]}
            for label in ("思想政治表现", "学习研究", "调查研究", "多岗锻炼", "工作小组", "不足与改进")]}
    empty = DocumentSpec(title="空白", paragraphs=[])
    rows = {}
    for name, fn, floor_fn in [
        ("公示 PDF（1页）", lambda: render_pdf(notice), lambda: render_pdf(empty)),
        ("工作鉴定 DOCX（模板填写，六部分）", lambda: fill(template, ctx), lambda: render_docx(empty)),
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
