"""Run every benchmark and print ONE table: measure, value (median), best, floor (median), floor
best, ratio (median / floor median), goal, met. BENCH_ONLY=http,notifications,selection,documents,export
picks some. Details go to bench-results/*.json; the table also to bench-results/table.txt."""
from __future__ import annotations

import io
import json
import logging
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (bench_confidentiality, bench_documents, bench_export, bench_http,  # noqa: E402
                   bench_incentives, bench_notifications, bench_residency, bench_selection)

MODULES = {"http": bench_http, "notifications": bench_notifications, "selection": bench_selection,
           "documents": bench_documents, "export": bench_export, "incentives": bench_incentives, "confidentiality": bench_confidentiality,
           "residency": bench_residency}


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"


def table(rows: list[dict], database: str) -> str:
    out = io.StringIO()
    head = f"{'measure':<44}{'value':>9}{'best':>9}{'floor':>9}{'fl.best':>9}{'ratio':>7}  {'goal':<18}{'met':<5}note"
    print(f"== make bench on {database} ==", file=out)
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['measure']:<44}{_fmt(r['value']):>9}{_fmt(r['best']):>9}{_fmt(r['floor']):>9}"
              f"{_fmt(r['floor_best']):>9}{ratio:>7}  {r['goal']:<18}{'yes' if r['met'] else 'NO':<5}{r['note']}",
              file=out)
    met = sum(1 for r in rows if r["met"])
    print(f"{met} of {len(rows)} goals met", file=out)
    return out.getvalue()


def main() -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    only = [m for m in os.environ.get("BENCH_ONLY", "").split(",") if m]
    rows = []
    for name, module in MODULES.items():
        if only and name not in only:
            continue
        noise = io.StringIO()
        with redirect_stdout(noise):  # the modules' own chatter (migrations) stays off the table
            result = module.run()
        if isinstance(result, list) and all(isinstance(r, dict) and "measure" in r for r in result):
            rows.extend(result)
        else:  # a chapter's bench that prints its own figures (not yet in the table's rows)
            print(noise.getvalue(), end="")
    url = os.environ.get("BENCH_DATABASE_URL") or "sqlite"
    text = table(rows, url.split(":")[0].split("+")[0])
    print(text, end="")
    dest = ROOT / "bench-results"
    dest.mkdir(exist_ok=True)
    (dest / "table.txt").write_text(text)
    (dest / "table.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
