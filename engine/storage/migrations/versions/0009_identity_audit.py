"""identity audit: a hash chain of its own for changes to users, memberships, organisations
and API tokens (they belong to no case), with its head in audit_chains

Revision ID: 0009_identity_audit
Revises: 0008_heartbeats
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0009_identity_audit'
down_revision = '0008_heartbeats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('detail', JSON_DOC, nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_events')),
    sa.UniqueConstraint('seq', name=op.f('uq_identity_events_seq'))
    )
    with op.batch_alter_table('identity_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_events_subject'), ['subject'], unique=False)
    op.create_table('audit_chains',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_audit_chains'))
    )
    op.execute("INSERT INTO audit_chains (name, seq, head) VALUES ('identity', 0, '" + "0" * 64 + "')")
    if op.get_bind().dialect.name == "postgresql":  # append-only, as audit_events (0001, 0007)
        op.execute("""
            CREATE TRIGGER identity_events_append_only BEFORE UPDATE OR DELETE ON identity_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""")
        op.execute("""
            CREATE TRIGGER identity_events_no_truncate BEFORE TRUNCATE ON identity_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS identity_events_no_truncate ON identity_events")
        op.execute("DROP TRIGGER IF EXISTS identity_events_append_only ON identity_events")
    op.drop_table('audit_chains')
    with op.batch_alter_table('identity_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_events_subject'))
        batch_op.drop_index(batch_op.f('ix_identity_events_at'))
    op.drop_table('identity_events')
