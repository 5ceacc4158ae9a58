"""audit seals: keyed chains (a key id on every event; none on legacy SHA-256 events) and
the global sequence of seals across cases and the identity trail (engine.storage.ledger)

Revision ID: 0012_audit_seals
Revises: 0011_training_clock
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_audit_seals'
down_revision = '0011_training_clock'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('audit_events', 'identity_events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('key_id', sa.String(length=24), nullable=True))
    op.create_table('audit_seals',
    sa.Column('gseq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=24), nullable=False),
    sa.Column('prev_mac', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('gseq', name=op.f('pk_audit_seals'))
    )
    with op.batch_alter_table('audit_seals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_seals_case_id'), ['case_id'], unique=False)
    op.execute("INSERT INTO audit_chains (name, seq, head) VALUES ('global', 0, '" + "0" * 64 + "')")
    if op.get_bind().dialect.name == "postgresql":  # append-only, as audit_events (0001, 0007)
        op.execute("""
            CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""")
        op.execute("""
            CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_seals_no_truncate ON audit_seals")
        op.execute("DROP TRIGGER IF EXISTS audit_seals_append_only ON audit_seals")
    op.execute("DELETE FROM audit_chains WHERE name = 'global'")
    with op.batch_alter_table('audit_seals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_seals_case_id'))
    op.drop_table('audit_seals')
    for table in ('identity_events', 'audit_events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('key_id')
