"""Tables (SQLAlchemy 2 models) and the database session; migrations live in migrations/."""
from .audit import AuditChain, AuditEvent, AuditSeal, IdentityEvent
from .base import Base
from .cases import Case, CaseTask, Incident, Timer
from .identity import ApiToken, Membership, Organisation, User
from .links import CaseLink, CaseMessage
from .model_drafts import ModelDraft
from .notifications import Notification
from .ops import InstanceClock, SchedulerHeartbeat
from .processes import ProcessFile, ProcessModel, ProcessVersion
from .reporting import CaseStage
from .web import Attachment, Draft, FailedSignIn  # noqa: F401 - the web app's tables

__all__ = ["ApiToken", "AuditChain", "AuditEvent", "AuditSeal", "Base", "Case", "CaseLink", "CaseMessage", "CaseStage", "CaseTask", "IdentityEvent", "Incident", "InstanceClock",
           "Membership", "ModelDraft", "Notification", "Organisation", "ProcessFile", "ProcessModel", "ProcessVersion",
           "SchedulerHeartbeat", "Timer", "User"]
