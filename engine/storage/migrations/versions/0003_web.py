"""web: failed sign-ins (throttle), drafts, uploaded files

Revision ID: 0003_web
Revises: 0002_timers
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0003_web'
down_revision = '0002_timers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('failed_sign_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_sign_ins'))
    )
    op.create_index('ix_failed_sign_ins_who', 'failed_sign_ins', ['username', 'remote_addr', 'at'])

    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('data', JSON_DOC, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('username', 'task_id', name=op.f('uq_drafts_username'))
    )
    op.create_index(op.f('ix_drafts_task_id'), 'drafts', ['task_id'])

    op.create_table('files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('uploaded_by', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_files_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_files'))
    )
    op.create_index(op.f('ix_files_sha256'), 'files', ['sha256'])
    op.create_index(op.f('ix_files_case_id'), 'files', ['case_id'])


def downgrade():
    op.drop_index(op.f('ix_files_case_id'), table_name='files')
    op.drop_index(op.f('ix_files_sha256'), table_name='files')
    op.drop_table('files')
    op.drop_index(op.f('ix_drafts_task_id'), table_name='drafts')
    op.drop_table('drafts')
    op.drop_index('ix_failed_sign_ins_who', table_name='failed_sign_ins')
    op.drop_table('failed_sign_ins')
