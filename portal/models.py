"""Every model, imported once so the metadata is complete."""
from portal.auth.models import ApiToken, User  # noqa: F401
from portal.core.ratelimit import ThrottleCounter  # noqa: F401
from portal.core.audit import AuditRecord  # noqa: F401
from portal.reference.models import PresidiumMembership, Province, School, StudentUnion  # noqa: F401
from tenants.models import Membership, Tenant  # noqa: F401
from tenants.rules.models import RuleOverride, RulesetVersion, RuleValue  # noqa: F401
from portal.core.calendar import HolidayDay, HolidayYear  # noqa: F401
from portal.selection.models import (  # noqa: F401
    CycleStep, Disqualification, EligibilityCheck, InterviewPanel, InterviewScore, Invitation,
    Nomination, NominationAttachment, Objection, PanelConflict, Panelist, PublicNotice, Review, RotationEntry,
    SelectionCycle,
)
from portal.jobs.models import JobRecord  # noqa: F401,E402
from portal.notifications.models import (  # noqa: F401,E402
    InboxItem, MailboxMessage, Notification, NotificationTemplateOverride,
)
from portal.documents.models import GeneratedDocument  # noqa: F401,E402
from portal.members.models import MemberInvitation  # noqa: F401,E402
from portal.core.approvals import ApprovalRequest  # noqa: F401,E402
from portal.core.numbering import DocumentCounter  # noqa: F401,E402
from portal.core.once import FormSubmission  # noqa: F401,E402
from portal.core.vault import FileAccess, StoredFile  # noqa: F401,E402
from portal.residency.models import (  # noqa: F401,E402
    Chair, LeadershipMeeting, MeetingAttendee, Residency, Talk, TalkReader,
)
from portal.core.obligations import ObligationRecord  # noqa: F401,E402
from portal.supervision.models import Activity, Declaration, SupervisionCase, SupervisionFile  # noqa: F401,E402
