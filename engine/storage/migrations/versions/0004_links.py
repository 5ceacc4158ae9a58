"""links: parent/child case links and the case message outbox

Revision ID: 0004_links
Revises: 0003_web
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0004_links'
down_revision = '0003_web'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_links',
    sa.Column('child_case_id', sa.Integer(), nullable=False),
    sa.Column('parent_case_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('item_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['child_case_id'], ['cases.id'], name=op.f('fk_case_links_child_case_id_cases')),
    sa.ForeignKeyConstraint(['parent_case_id'], ['cases.id'], name=op.f('fk_case_links_parent_case_id_cases')),
    sa.PrimaryKeyConstraint('child_case_id', name=op.f('pk_case_links'))
    )
    op.create_index(op.f('ix_case_links_parent_case_id'), 'case_links', ['parent_case_id'], unique=False)
    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_case_id', sa.Integer(), nullable=False),
    sa.Column('source_case_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('payload', JSON_DOC, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_case_id'], ['cases.id'], name=op.f('fk_case_messages_source_case_id_cases')),
    sa.ForeignKeyConstraint(['target_case_id'], ['cases.id'], name=op.f('fk_case_messages_target_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    op.create_index('ix_case_messages_pending', 'case_messages', ['status', 'target_case_id'], unique=False)


def downgrade():
    op.drop_index('ix_case_messages_pending', table_name='case_messages')
    op.drop_table('case_messages')
    op.drop_index(op.f('ix_case_links_parent_case_id'), table_name='case_links')
    op.drop_table('case_links')
