"""Settings as the CLI reads them: environment plus command-line overrides, errors as one line."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from digital_factory.cli.output import fail
from digital_factory.settings import Settings


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"FACTORY_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise fail(f"invalid settings: {problems}", 2) from None
