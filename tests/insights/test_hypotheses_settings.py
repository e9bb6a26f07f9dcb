"""The thresholds are settings: handed to the use-cases by the app, refused when out of order."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from digital_factory.app.factory import hypothesis_thresholds
from digital_factory.insights.service import Thresholds
from digital_factory.settings import Settings


def test_settings_become_the_thresholds(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        hypothesis_persevere_threshold=0.7,
        hypothesis_stop_threshold=0.2,
        wsjf_feedback_high_value=13,
        wsjf_feedback_low_value=2,
    )
    assert hypothesis_thresholds(settings) == Thresholds(persevere=0.7, stop=0.2, high_value=13, low_value=2)
    assert hypothesis_thresholds(Settings(home=tmp_path)) == Thresholds()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hypothesis_persevere_threshold": 0.3, "hypothesis_stop_threshold": 0.3}, "hypothesis_stop_threshold"),
        ({"wsjf_feedback_high_value": 3, "wsjf_feedback_low_value": 5}, "wsjf_feedback_low_value"),
        ({"hypothesis_persevere_threshold": 1.5}, "less than or equal to 1"),
    ],
)
def test_thresholds_out_of_order_are_refused(tmp_path: Path, fields: dict[str, float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(home=tmp_path, **fields)  # type: ignore[arg-type]
