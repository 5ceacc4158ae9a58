"""audit: the case_stages summary table and the indexes auditors' queries need

Revision ID: 0005_audit
Revises: 0004_links
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_audit'
down_revision = '0004_links'
branch_labels = None
depends_on = None

#: org_path prefix matches use these on PostgreSQL (non-C collation); SQLite ignores the option.
PREFIX = {'org_path': 'varchar_pattern_ops'}
INDEXES = [
    ('ix_tasks_open', 'tasks', ['lane', 'state', 'org_path']),
    ('ix_cases_scope', 'cases', ['process_key', 'status', 'org_path']),
    ('ix_cases_org_prefix', 'cases', ['org_path']),
    ('ix_cases_started_by', 'cases', ['started_by']),
    ('ix_cases_started_at', 'cases', ['started_at']),
    ('ix_cases_key_status_started', 'cases', ['process_key', 'status', 'started_at']),
]


def upgrade():
    op.create_table('case_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('reached_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_stages_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_stages'))
    )
    with op.batch_alter_table('case_stages', schema=None) as batch_op:
        batch_op.create_index('ix_case_stages_case', ['case_id', 'reached_at'], unique=False)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False, postgresql_ops=PREFIX)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('case_stages', schema=None) as batch_op:
        batch_op.drop_index('ix_case_stages_case')
    op.drop_table('case_stages')
