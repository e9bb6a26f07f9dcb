"""The composition root: `create_app(settings)` wires the store, domains, API, web UI and workers."""

from digital_factory.app.factory import Runtime, create_app

__all__ = ["Runtime", "create_app"]
