"""Creating and upgrading the schema with Alembic (`liandong init-db`)."""
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(db) -> None:
    """Bring the database to the newest schema; safe to run on every start."""
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")

