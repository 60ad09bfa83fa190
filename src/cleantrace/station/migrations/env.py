"""Alembic's environment for the station's database: the Store hands over its connection (and its
transaction, which the Store commits once every revision ran)."""

from alembic import context

from cleantrace.station.store import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
