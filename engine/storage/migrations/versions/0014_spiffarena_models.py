"""spiffarena models: long process ids, a model's description and category (process
group), what a version provides to and calls from other models, and a case's own callees

Revision ID: 0014_spiffarena_models
Revises: 0013_sessions_tokens
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0014_spiffarena_models'
down_revision = '0013_sessions_tokens'
branch_labels = None
depends_on = None

#: (table, column, old length): process ids and keys, widened from 120/200 to 255.
WIDENED = (('process_models', 'key', 120), ('process_versions', 'primary_process_id', 200),
           ('cases', 'process_key', 120), ('tasks', 'process_key', 120),
           ('model_drafts', 'process_key', 120))


def upgrade():
    for table, column, old in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=old),
                                  type_=sa.String(length=255), existing_nullable=False)
    with op.batch_alter_table('process_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('category', sa.String(length=255), nullable=True))
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provides', JSON_DOC, nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('calls', JSON_DOC, nullable=False, server_default='{}'))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callees', JSON_DOC, nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('callees')
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_column('calls')
        batch_op.drop_column('provides')
    with op.batch_alter_table('process_models', schema=None) as batch_op:
        batch_op.drop_column('category')
        batch_op.drop_column('description')
    for table, column, old in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=255),
                                  type_=sa.String(length=old), existing_nullable=False)
