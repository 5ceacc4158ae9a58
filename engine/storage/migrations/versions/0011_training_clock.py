"""training clock: how far a training instance's clock runs ahead, shared by every process

Revision ID: 0011_training_clock
Revises: 0014_spiffarena_models
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_training_clock'
down_revision = '0014_spiffarena_models'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instance_clock',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('offset_seconds', sa.Float(), nullable=False),
    sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moved_by', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_instance_clock'))
    )
    op.execute("INSERT INTO instance_clock (name, offset_seconds) VALUES ('training', 0)")


def downgrade():
    op.drop_table('instance_clock')
