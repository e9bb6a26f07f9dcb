"""Integrations: GitHub, GitLab and CDEvents webhooks mapped onto delivery's records."""
