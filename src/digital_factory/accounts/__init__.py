"""Users, roles, API tokens, web sessions and the append-only audit log."""
