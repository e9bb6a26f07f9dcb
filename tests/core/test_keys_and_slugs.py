"""Human keys (`EPIC-12`) and slugs: what is accepted, what it becomes, what is refused and why."""

from __future__ import annotations

import re

import pytest

from digital_factory.core.errors import ValidationFailed
from digital_factory.core.keys import format_key, parse_key
from digital_factory.core.slugs import SLUG_PATTERN, slugify


def test_a_key_is_prefix_dash_number() -> None:
    assert format_key("EPIC", 12) == "EPIC-12"
    assert parse_key("EPIC-12") == ("EPIC", 12)
    assert parse_key(format_key("FEAT", 7)) == ("FEAT", 7)


def test_parsing_forgives_case_and_surrounding_space() -> None:
    assert parse_key("  epic-3 ") == ("EPIC", 3)
    assert parse_key("s2-40", expected_prefix="S2") == ("S2", 40)


@pytest.mark.parametrize(
    "text",
    ["EPIC", "EPIC-", "EPIC-0", "EPIC-012", "-12", "E-1", "1EPIC-2", "EPIC_2", "EPIC-1-2", "TOOLONGPREF-1", ""],
)
def test_malformed_keys_are_refused_on_the_key_field(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_key(text)
    assert [(p.field, p.reason) for p in refused.value.problems] == [("key", f"{text!r} is not a key like EPIC-12")]
    assert refused.value.detail == f"key: {text!r} is not a key like EPIC-12"


def test_a_key_of_another_kind_is_refused() -> None:
    assert parse_key("EPIC-4", expected_prefix="EPIC") == ("EPIC", 4)
    with pytest.raises(ValidationFailed) as refused:
        parse_key("FEAT-4", expected_prefix="EPIC")
    assert refused.value.problems[0].reason == "'FEAT-4' is not a EPIC key"


def test_the_largest_numbers_a_key_may_carry() -> None:
    assert parse_key("EPIC-9999999999") == ("EPIC", 9_999_999_999)
    with pytest.raises(ValidationFailed):
        parse_key("EPIC-10000000000")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Better Engines!", "better-engines"),
        ("  Flight -- Control  ", "flight-control"),
        ("Ünïcode Team 2", "n-code-team-2"),
        ("ALLCAPS", "allcaps"),
        ("!!!", "item"),
        ("", "item"),
    ],
)
def test_slugify_suggests_a_url_safe_name(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_a_long_name_is_cut_to_64_characters_without_a_trailing_dash() -> None:
    slug = slugify("a" * 63 + " b" + "c" * 20)
    assert slug == "a" * 63
    assert len(slugify("word " * 40)) <= 64
    assert not slugify("word " * 40).endswith("-")


@pytest.mark.parametrize(
    ("text", "ok"),
    [("engines", True), ("e2e-tests", True), ("ab", False), ("-ab", False), ("engines-", False), ("Engines", False)],
)
def test_the_slug_pattern(text: str, ok: bool) -> None:
    assert (re.match(SLUG_PATTERN, text) is not None) is ok
