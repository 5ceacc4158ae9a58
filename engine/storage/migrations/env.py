"""Alembic environment: the engine hands over its own connection (see engine.storage.schema)."""
from alembic import context

from engine.storage import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
