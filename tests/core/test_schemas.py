"""DTO base classes: inputs are strict and closed, outputs read ORM rows, people's strings are parsed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from digital_factory.core.errors import FieldProblem, ValidationFailed
from digital_factory.core.schemas import FromJson, InputModel, Moment, OutputModel, parse_input, validation_failed


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Thing(InputModel):
    name: str = Field(min_length=1, max_length=10)
    size: int = Field(1, ge=1)
    colour: Annotated[Colour, FromJson] = Colour.RED
    due: Annotated[datetime | None, FromJson] = None


class ThingOut(OutputModel):
    name: str
    size: int


@dataclass
class ThingRow:
    """Stands in for an ORM row: attributes, not a mapping."""

    name: str
    size: int
    extra: str = "ignored"


def test_inputs_strip_whitespace() -> None:
    assert Thing.model_validate({"name": "  drone  "}).name == "drone"


def test_inputs_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError) as refused:
        Thing.model_validate({"name": "drone", "weight": 3})
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [(("weight",), "extra_forbidden")]


def test_inputs_do_not_coerce_numbers_from_strings() -> None:
    with pytest.raises(ValidationError) as refused:
        Thing.model_validate({"name": "drone", "size": "3"})
    assert refused.value.errors()[0]["loc"] == ("size",)


def test_from_json_fields_accept_their_json_form() -> None:
    thing = Thing.model_validate({"name": "drone", "colour": "blue", "due": "2030-01-02T03:04:05Z"})
    assert thing.colour is Colour.BLUE
    assert thing.due == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_outputs_are_built_from_attributes() -> None:
    out = ThingOut.model_validate(ThingRow(name="drone", size=4))
    assert out.model_dump() == {"name": "drone", "size": 4}


def test_parse_input_is_lax_on_types_for_people() -> None:
    thing = parse_input(Thing, {"name": " rotor ", "size": "3", "colour": "blue"})
    assert (thing.name, thing.size, thing.colour) == ("rotor", 3, Colour.BLUE)


def test_parse_input_still_refuses_unknown_fields_and_names_each_problem() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_input(Thing, {"name": "", "size": "0", "weight": "3"})
    fields = [p.field for p in refused.value.problems]
    assert fields == ["name", "size", "weight"]
    assert refused.value.detail == "; ".join(f"{p.field}: {p.reason}" for p in refused.value.problems)
    assert refused.value.problems[2] == FieldProblem("weight", "Extra inputs are not permitted")


def test_validation_failed_names_nested_fields_by_dotted_path() -> None:
    class Outer(InputModel):
        things: list[Thing]

    with pytest.raises(ValidationError) as raised:
        Outer.model_validate({"things": [{"name": "ok"}, {"name": "x" * 11}]})
    failed = validation_failed(raised.value)
    assert [p.field for p in failed.problems] == ["things.1.name"]
    assert failed.detail.startswith("things.1.name: String should have at most 10 characters")


def test_a_problem_without_a_location_is_about_the_input() -> None:
    with pytest.raises(ValidationError) as raised:
        Thing.model_validate("not a mapping")
    failed = validation_failed(raised.value)
    assert [p.field for p in failed.problems] == ["input"]


@pytest.mark.parametrize(
    "due",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"],
)
def test_a_time_outside_the_supported_years_is_refused_by_name(due: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Thing.model_validate({"name": "drone", "due": due})
    assert [(e["loc"], e["msg"]) for e in refused.value.errors()] == [(("due",), "must lie in the years 1970 to 2199")]


def test_times_at_the_edges_of_the_supported_years_are_kept_as_sent() -> None:
    early = Thing.model_validate({"name": "drone", "due": "1970-01-01T00:30:00+01:00"}).due
    late = Thing.model_validate({"name": "drone", "due": "2199-12-31T23:59:59Z"}).due
    assert early is not None and early.astimezone(UTC) == datetime(1969, 12, 31, 23, 30, tzinfo=UTC)
    assert late == datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_a_moment_parameter_refuses_a_time_outside_the_supported_years() -> None:
    adapter = TypeAdapter(Moment)
    assert adapter.validate_python("2030-01-02T03:04:05Z") == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python("0001-01-01T00:00:00+05:00")
    assert refused.value.errors()[0]["msg"] == "must lie in the years 1970 to 2199"
