"""The one stylesheet stays well-formed (an unclosed block silently drops every rule after it), and sets each
property of a selector once (a second block silently overriding the first made the active tab invisible:
three `.tabs` blocks, the last one's white background under the first one's white text)."""

from __future__ import annotations

import re
from collections import Counter

from digital_factory.web.app import STATIC_DIR


def test_every_block_of_the_stylesheet_is_closed() -> None:
    depth = 0
    for number, line in enumerate((STATIC_DIR / "factory.css").read_text().splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert 0 <= depth <= 2, f"factory.css line {number}: unbalanced braces"
    assert depth == 0


def declarations(css: str) -> list[tuple[str, str, str]]:
    """(the @media condition around it or "", selector, property) for every property every rule sets."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found: list[tuple[str, str, str]] = []
    stack: list[str] = []
    for head, brace in re.findall(r"([^{}]*)([{}])", css):
        if brace == "}":
            if stack and not stack[-1].startswith("@"):
                names = [d.split(":", 1)[0].strip() for d in head.split(";") if ":" in d]
                media = next((s for s in reversed(stack) if s.startswith("@")), "")
                found.extend((media, sel.strip(), name) for sel in stack[-1].split(",") for name in names)
            if stack:
                stack.pop()
            continue
        stack.append(" ".join(head.split()))
    return found


def test_no_rule_overrides_an_earlier_one_for_the_same_selector() -> None:
    counts = Counter(declarations((STATIC_DIR / "factory.css").read_text()))
    repeated = sorted({f"{media} {selector}".strip() for (media, selector, _), n in counts.items() if n > 1})
    assert not repeated, f"factory.css sets a property of these twice (the later block overrides): {repeated}"


def test_a_repeated_property_is_caught() -> None:
    css = ".tabs a { color: red; }\n@media (max-width: 1px) { .tabs a { color: blue; } }\n.x, .tabs a { color: #000 }"
    counts = Counter(declarations(css))
    assert counts[("", ".tabs a", "color")] == 2 and counts[("@media (max-width: 1px)", ".tabs a", "color")] == 1
