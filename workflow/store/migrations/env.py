"""Alembic environment: runs on the connection jianyi hands it (see ``workflow.store.db.upgrade``)."""

from alembic import context
from sqlmodel import SQLModel

import workflow.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from workflow.store.search import is_search_object

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=is_search_object,  # the text search's table and indexes are not models
)
with context.begin_transaction():
    context.run_migrations()
