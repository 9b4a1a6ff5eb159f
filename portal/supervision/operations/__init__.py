"""Chapter 5's operations (A18, A19, A21), by article: ``cases`` (removal and discipline),
``notice`` (the notice to the sending school), ``activities`` (outside activities)."""
from portal.supervision.operations.activities import (  # noqa: F401
    decide as decide_activity, declaration_of, declaration_text, file_outcome, lapse_overdue, may_decide,
    register_query, report_unapproved, request_activity, sign_declaration, visible_activities,
)
from portal.supervision.operations.cases import (  # noqa: F401
    REMOVAL_KIND, add_evidence, close_hearing, close_open_matters, decide_measure, file_self_criticism, file_statement,
    get_case, hear, on_removal_decided, open_case, remove, request_approval, review_self_criticism, visible_cases,
    withdraw,
)
from portal.supervision.operations.common import files_of, headed_residency_ids, roles_toward, rule  # noqa: F401
from portal.supervision.operations.notice import (  # noqa: F401
    notice_delivered, record_manual_delivery, send_notice,
)
