"""The only home of write-path SQL: the database (connections, transactions, dialects), the tables, the
schema and its migrations, the outbox and the case tallies."""
