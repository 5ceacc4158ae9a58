"""The migrations build exactly the tables the models describe, on both databases, and
form one line of revisions (a second head means two migrations claim the same parent)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.storage.base import Base
from engine.storage.schema import alembic_config


def test_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_migrations_match_the_models(engine):
    with engine.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
