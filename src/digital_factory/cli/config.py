"""Settings as the CLI reads them: environment plus command-line overrides, errors as one line."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from digital_factory.cli.output import fail
from digital_factory.settings import Settings

if TYPE_CHECKING:
    from uvicorn import Config


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"FACTORY_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise fail(f"invalid settings: {problems}", 2) from None


def server_config(app: Any, settings: Settings, *, access_log: bool = True, **options: Any) -> Config:
    """How `factory serve` and `factory demo` run the app: the settings' address and proxy options, the
    product's logging, malformed requests answered as problem JSON. The access log is off where the log level
    would drop its lines anyway: uvicorn builds each line before asking the level."""
    import uvicorn

    from digital_factory.app.protocol import ProblemProtocol

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=access_log and logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO),
        http=ProblemProtocol,
        **settings.proxy_options(),
        **options,
    )
