"""Release on demand: feature flags with targeting and rollouts, governed changes, the release timeline,
and OFREP serving from a compiled in-memory snapshot per environment."""
