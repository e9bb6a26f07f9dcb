"""Logging setup for the server and workers: text or JSON, with secrets masked in every record."""

from __future__ import annotations

import json
import logging
import re

SECRET_PATTERN = re.compile(r"\b(df[a-z]{2})_[a-z2-7]{12}_[A-Za-z0-9_-]{43}[A-Z2-7]{7}")
BEARER_PATTERN = re.compile(r"(?i)(bearer\s+)\S+")


def mask_secrets(message: str) -> str:
    return BEARER_PATTERN.sub(r"\1***", SECRET_PATTERN.sub(r"\1_***", message))


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter())
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # migrations narrate every step at INFO; people want to hear only when something is wrong
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
