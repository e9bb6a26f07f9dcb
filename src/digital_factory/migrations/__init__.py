"""The single Alembic chain (batch mode, runs on SQLite and PostgreSQL) and helpers to drive it."""
