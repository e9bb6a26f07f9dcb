"""The REST API under /api/v1: thin adapters from HTTP to the domains' services."""
