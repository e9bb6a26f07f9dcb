"""The metric query language of leading indicators."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digital_factory.core import metricquery
from digital_factory.core.metricquery import Aggregate, QueryError, Ratio


def test_aggregate_with_labels_and_window() -> None:
    query = metricquery.parse('sum( business.units_sold { product = "heavy-lift", market != "test" } [ 30d ] )')
    assert isinstance(query, Aggregate)
    assert query.aggregation == "sum"
    assert query.selector.metric == "business.units_sold"
    assert [(m.label, m.negated, m.value) for m in query.selector.matchers] == [
        ("product", False, "heavy-lift"),
        ("market", True, "test"),
    ]
    assert query.selector.window == timedelta(days=30)
    assert str(query) == 'sum(business.units_sold{product="heavy-lift",market!="test"}[30d])'


def test_ratio_and_normalize_round_trip() -> None:
    text = 'ratio(sum(drone.flights{outcome="success"}[7d]),sum(drone.flights[7d]))'
    query = metricquery.parse(text)
    assert isinstance(query, Ratio)
    assert metricquery.metrics_of(query) == ["drone.flights", "drone.flights"]
    normalized = metricquery.normalize(text)
    assert metricquery.normalize(normalized) == normalized
    assert metricquery.parse('avg(x{a="q\\"uote"}[1h])').selector.matchers[0].value == 'q"uote'  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("units_sold", "ends early"),
        ("total(units[30d])", "not an aggregation"),
        ("sum(units)", "window"),
        ("sum(units[30])", "needs a unit"),
        ("sum(units[30y])", "needs a unit"),
        ("sum(units[0d])", "empty"),
        ("sum(units[9999w])", "three years"),
        ('sum(units{a="1",a="2"}[1d])', "matched twice"),
        ("sum(units{a=1}[1d])", "quoted value"),
        ("sum(units[1d])) extra", "after the end"),
        ("sum(units[1d]) ; drop", "unexpected character"),
        ("ratio(sum(a[1d]))", "expected ','"),
    ],
)
def test_invalid_queries_say_why(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        metricquery.parse(text)


def test_long_queries_are_refused() -> None:
    with pytest.raises(QueryError, match="longer than"):
        metricquery.parse("sum(a[1d])" + " " * 1000)
