"""Creating and upgrading the schema with Alembic (`liandong init-db`).

On PostgreSQL the tables may belong to an owner role other than the one the app runs as
(README, "The audit trail"): with `database_owner_url` set, the migrations run through that
URL and the app's role (the user of `database_url`) is then granted what it needs: reading
and writing every table except the audit tables (`APPEND_ONLY`), which it may only read and
insert into. Not owning them, it cannot `ALTER TABLE ... DISABLE TRIGGER` either.
"""
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The tables the app role may only INSERT into and SELECT from.
APPEND_ONLY = ("audit_events", "identity_events", "audit_seals")


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(db, owner_url: str = "") -> None:
    """Bring the database to the newest schema; safe to run on every start. With
    `owner_url` (PostgreSQL), as the owner, then grant the app's role its rights."""
    if not owner_url or db.is_sqlite:
        with db.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        return
    owner = create_engine(owner_url)
    try:
        with owner.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
            grant_app_role(connection, db.engine.url.username)
    finally:
        owner.dispose()


def grant_app_role(connection, role: str) -> None:
    """Give `role` the app's rights on the tables of the connection's current schema:
    everything but UPDATE, DELETE and TRUNCATE of the audit tables; alembic_version read-only."""
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(connection.execute(text("SELECT current_schema()")).scalar())
    role, audit = quote(role), ", ".join(f"{schema}.{table}" for table in APPEND_ONLY)
    for statement in (
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {audit} FROM {role}",
            f"REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"):
        connection.execute(text(statement))
