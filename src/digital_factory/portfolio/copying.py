"""DTOs built from rows (or other DTOs) whose attributes carry the fields' names."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

Out = TypeVar("Out", bound=BaseModel)


def copied(model: type[Out], source: object, /, **given: object) -> Out:
    """A `model` whose fields are `source`'s attributes of the same name, except the fields `given`."""
    values = {name: getattr(source, name) for name in model.model_fields if name not in given}
    return model.model_validate(values | given)
