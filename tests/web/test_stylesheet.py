"""The one stylesheet stays well-formed (an unclosed block silently drops every rule after it)."""

from __future__ import annotations

from digital_factory.web.app import STATIC_DIR


def test_every_block_of_the_stylesheet_is_closed() -> None:
    depth = 0
    for number, line in enumerate((STATIC_DIR / "factory.css").read_text().splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert 0 <= depth <= 2, f"factory.css line {number}: unbalanced braces"
    assert depth == 0
