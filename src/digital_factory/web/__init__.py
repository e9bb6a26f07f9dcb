"""The web UI: server-rendered Jinja2 pages with htmx, cookie sessions with CSRF protection."""
