"""Fails when a page links to a local page that does not exist (no network, standard library only)."""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "site"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value and "://" not in value and not value.startswith("#"):
                self.targets.append(value.split("#")[0])


def main() -> int:
    broken = []
    for page in sorted(SITE.glob("*.html")):
        parser = Links()
        parser.feed(page.read_text())
        broken += [f"{page.name} -> {t}" for t in parser.targets if t and not (SITE / t).exists()]
    for line in broken:
        print("broken link:", line)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
