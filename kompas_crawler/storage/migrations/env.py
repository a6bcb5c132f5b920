"""Alembic environment: runs on the connection (and inside the transaction) that
``kompas_crawler.storage.migrate`` opened, never from a config file of its own."""

from alembic import context

from kompas_crawler.storage.models import Base

connection = context.config.attributes["connection"]
# render_as_batch: on SQLite, ALTERs it lacks become a copy of the table (see _sqlite.py).
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
