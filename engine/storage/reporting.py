"""Summary rows kept for auditors' reports, written in the same transaction as the case."""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .cases import Case, CaseTask


class CaseStage(Base):
    """The moment a case reached a stage (its `stage` fact changed): the dashboard's
    timeline of each province's stages without reading any audit event."""

    __tablename__ = "case_stages"
    __table_args__ = (Index("ix_case_stages_case", "case_id", "reached_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    stage: Mapped[str] = mapped_column(String(64))
    reached_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


# Indexes for the inbox and the case search (migration 0005_audit). A prefix LIKE on
# org_path ("everything under this province") only uses a btree index in a non-C collation
# when the index has varchar_pattern_ops; SQLite ignores the option.
PREFIX = {"org_path": "varchar_pattern_ops"}
Index("ix_tasks_open", CaseTask.lane, CaseTask.state, CaseTask.org_path, postgresql_ops=PREFIX)
Index("ix_cases_scope", Case.process_key, Case.status, Case.org_path, postgresql_ops=PREFIX)
Index("ix_cases_org_prefix", Case.org_path, postgresql_ops=PREFIX)
Index("ix_cases_started_by", Case.started_by)
Index("ix_cases_started_at", Case.started_at)
Index("ix_cases_key_status_started", Case.process_key, Case.status, Case.started_at)
