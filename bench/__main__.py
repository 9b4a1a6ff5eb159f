"""Run every benchmark module and print figures and ratios (BENCH_ONLY=pages,selection,... picks some)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_documents, bench_notifications, bench_pages, bench_residency, bench_selection  # noqa: E402

MODULES = {"documents": bench_documents, "notifications": bench_notifications, "selection": bench_selection,
           "pages": bench_pages, "residency": bench_residency}


def main() -> None:
    only = [m for m in os.environ.get("BENCH_ONLY", "").split(",") if m]
    for name, module in MODULES.items():
        if not only or name in only:
            module.run()


if __name__ == "__main__":
    main()
