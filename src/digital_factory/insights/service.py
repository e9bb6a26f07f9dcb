"""The insights domain's face for use-cases: the topic modules stand behind it; edges import only this,
`schemas` and `events`."""

from __future__ import annotations

from digital_factory.insights.attribution import attribute
from digital_factory.insights.boardpack import SECTIONS, BoardPack, board_pack
from digital_factory.insights.boardpack_period import Period, parse_period
from digital_factory.insights.boardpack_render import pack_filename, render_board_pack
from digital_factory.insights.platform_health import Durations, VersionCount, durations, fleet_spread

__all__: list[str] = [
    "SECTIONS",
    "BoardPack",
    "Durations",
    "Period",
    "VersionCount",
    "attribute",
    "board_pack",
    "durations",
    "fleet_spread",
    "pack_filename",
    "parse_period",
    "render_board_pack",
]
