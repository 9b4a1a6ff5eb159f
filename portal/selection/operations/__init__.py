"""Chapter 2 business logic: plain functions over the models; flush, audit, never commit.

Every rule value is read from the cycle's pinned snapshot (``cycle.rule(key)``, A23).

One module per article (the names are re-exported here):

* ``common``: Helpers every article's operations share: today's date (Beijing), the cycle's
  nominees, the school's liaisons.
* ``cycles``: A4 and A23: opening a cycle with its rules pinned, its stages, deadlines, and the
  rotation roster.
* ``letters``: A6.1: invitation letters to the schools, their numbers, sending (one or all) and
  delivery.
* ``nominations``: A6.2: the schools' nominations (fields, limits, submission), the cycle-wide
  import, attachments.
* ``eligibility``: A5: the eligibility checks, automatic and attested.
* ``review``: A6.3: the review and inspection opinions of both secretariats.
* ``exams``: A6.4: written exam, interview panels drawn by lot, scores and the ranking.
* ``publicity``: A6.5 and A7: the public notice on the website and the objections raised during it.
* ``decision``: A6.5: the proposed list, the approving body's consent (on the approvals engine),
  appointment.
* ``integrity``: A7: disqualification at any stage, with reason and evidence, and the place it
  frees.
* ``queries``: Lists and counts of a cycle, always through the viewer's scope.
"""
from __future__ import annotations

# reached through ``operations`` by older callers
from portal.core.errors import Conflict, DomainError  # noqa: F401
from portal.selection.models import CycleStatus, Route  # noqa: F401
from tenants.rules.registry import article_citation  # noqa: F401
from portal.selection.operations.common import COUNTED, _today  # noqa: F401
from portal.selection.operations.cycles import (  # noqa: F401
    open_cycle, advance_cycle, set_deadline, ensure_rotation_roster, TURN_ORDER, rotation_due,
    rotation_roster, move_rotation_entry, mark_rotation_served, unmark_rotation_served,
)
from portal.selection.operations.letters import (  # noqa: F401
    invite_schools, INVITE_SCHOOLS, INVITE_INLINE, cycle_job, invite_many, LETTER_SERIES, LETTER_NUMBER, send_invitation,
    SEND_LETTERS, letters_job, send_all_invitations, mark_invitation, invitation_delivered, DELIVERY_METHODS,
    beijing_to_utc, record_manual_delivery, allow_extra_nominees, nominee_limit,
)
from portal.selection.operations.nominations import (  # noqa: F401
    FIELDS, LABELS, FIELD_SECTIONS, OPTIONAL_FIELDS, CHOICE_ALIASES, READ_AS_FIELDS, UnionRef, school_unions,
    NomineeCleaner, clean_nomination, create_nomination, update_nomination, replace_drafts, InvitationRef,
    cycle_invitations_by_code, unions_by_school, cycle_id_numbers, counted_by_invitation,
    import_cycle_nominations, lock_invitation, submit_nomination, withdraw_nomination, store_attachment,
    attachment_path,
)
from portal.selection.operations.eligibility import (  # noqa: F401
    ITEM_LABELS, presidium_warning, run_eligibility, attest,
)
from portal.selection.operations.review import reviewer_scope, sign_review  # noqa: F401
from portal.selection.operations.exams import (  # noqa: F401
    exam_score_refusal, enter_exam_score, add_panelist, declare_conflict, conflicts_of, draw_panel, rubric,
    SheetRow, score_sheet, record_interview_scores, set_interview_score, rank_key, rank_cycle,
)
from portal.selection.operations.publicity import (  # noqa: F401
    current_notice, cycle_notices, open_notice, objection_for_form, submit_objection, resolve_objection,
)
from portal.selection.operations.decision import (  # noqa: F401
    propose, consent_request, decide, confirm_appointments,
)
from portal.selection.operations.integrity import disqualify  # noqa: F401
from portal.selection.operations.queries import (  # noqa: F401
    nominations_query, NominationPage, nominations_page, Funnel, funnel, ranked_list, invitation_for_liaison,
    list_signature, nominations_list, stage_nominations,
)
