"""audit: the database refuses TRUNCATE of the audit trail too

A row trigger does not fire on TRUNCATE (nor on TRUNCATE of cases ... CASCADE), so the
append-only guard of 0001 let the whole trail be emptied in one statement.

Revision ID: 0007_audit_truncate
Revises: 0006_models
"""
from alembic import op

revision = '0007_audit_truncate'
down_revision = '0006_models'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
