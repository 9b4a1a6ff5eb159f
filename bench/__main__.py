"""Run every benchmark module and print figures and ratios."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_documents, bench_notifications, bench_selection  # noqa: E402


def main() -> None:
    bench_documents.run()
    bench_notifications.run()
    bench_selection.run()


if __name__ == "__main__":
    main()
