"""models: process owners' saved drafts of process models

Revision ID: 0006_models
Revises: 0005_audit
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0006_models'
down_revision = '0005_audit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('model_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=120), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('files', JSON_DOC, nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('saved_by', sa.String(length=80), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_drafts'))
    )
    with op.batch_alter_table('model_drafts', schema=None) as batch_op:
        batch_op.create_index('ix_model_drafts_key', ['process_key', 'saved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('model_drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_model_drafts_key')
    op.drop_table('model_drafts')
