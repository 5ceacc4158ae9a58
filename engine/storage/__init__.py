"""Tables (SQLAlchemy 2 models) and the database session; migrations live in migrations/."""
from .audit import AuditEvent
from .base import Base
from .cases import Case, CaseTask, Incident, Timer
from .identity import ApiToken, Membership, Organisation, User
from .processes import ProcessFile, ProcessModel, ProcessVersion

__all__ = ["ApiToken", "AuditEvent", "Base", "Case", "CaseTask", "Incident", "Membership",
           "Organisation", "ProcessFile", "ProcessModel", "ProcessVersion", "Timer", "User"]
