"""ops: scheduler heartbeats, so `liandong status` and /metrics can tell a dead scheduler

Revision ID: 0008_heartbeats
Revises: 0007_audit_truncate
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_heartbeats'
down_revision = '0007_audit_truncate'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_heartbeats',
    sa.Column('node_id', sa.String(length=120), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_scheduler_heartbeats'))
    )


def downgrade():
    op.drop_table('scheduler_heartbeats')
