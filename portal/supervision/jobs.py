"""Chapter 5's periodic work: A19 requests not decided by the last working day before the event lapse."""
from __future__ import annotations


def lapse_activities() -> int:
    from portal.supervision.operations.activities import lapse_overdue

    return len(lapse_overdue())
