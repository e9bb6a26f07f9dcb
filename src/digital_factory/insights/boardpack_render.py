"""The board pack as one self-contained HTML file: inline CSS, charts drawn here as inline SVG, nothing
fetched from anywhere (the file is mailed, archived and printed to PDF)."""

from __future__ import annotations

from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from digital_factory.core.durations import elapsed
from digital_factory.insights.boardpack import BoardPack

BAR_COLOUR = "#1d4ed8"  # 8.6:1 on white
INK, MUTED = "#1b1f24", "#4a5563"
_environment = Environment(
    loader=PackageLoader("digital_factory.insights", "."),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["duration"] = elapsed


def bar_chart(bars: list[tuple[str, int]], *, title: str, width: int = 560, row: int = 26) -> Markup:
    """Horizontal bars as inline SVG, one row a label, its value written beside the bar."""
    label_width, value_room = 130, 40
    height = row * len(bars) + 8
    most = max((value for _, value in bars), default=0) or 1
    parts = [
        f'<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(bars):
        y = index * row + 4
        length = (width - label_width - value_room) * value / most
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row / 2 + 4:.0f}" text-anchor="end" fill="{INK}" '
            f'font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + row / 2 + 4:.0f}" fill="{MUTED}" '
            f'font-size="13">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text inside is escaped above)


def render_board_pack(pack: BoardPack) -> str:
    """The pack's HTML: a heading, a contents list and each section through the macro its `block` names."""
    template = _environment.get_template("board_pack.html")
    return template.render(pack=pack, bar_chart=bar_chart)


def pack_filename(pack: BoardPack) -> str:
    return f"board-pack-{pack.period.name}.html"
