"""The store: engine and sessions, the declarative base, unit of work, dialect-specific SQL."""
