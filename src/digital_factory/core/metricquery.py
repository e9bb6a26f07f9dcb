"""The metric query language of leading indicators and key results, pure: parse, validate, print.

A query names what to measure over telemetry or business data: portfolio keeps it on indicators, the
telemetry domain evaluates it over the metric store.

    query    := aggregation "(" selector ")"
              | "ratio" "(" query "," query ")"
    selector := metric [ "{" matcher { "," matcher } "}" ] "[" window "]"
    matcher  := label ( "=" | "!=" ) '"' value '"'
    window   := integer ( "m" | "h" | "d" | "w" )

    aggregation: sum, count, avg, min, max, last, rate, p50, p90, p95, p99

Examples:
    sum(business.units_sold{product="heavy-lift"}[30d])
    ratio(sum(drone.flights{payload="heavy",outcome="success"}[7d]), sum(drone.flights{payload="heavy"}[7d]))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

AGGREGATIONS = ("sum", "count", "avg", "min", "max", "last", "rate", "p50", "p90", "p95", "p99")
MAX_QUERY_LENGTH = 1000
MAX_WINDOW = timedelta(days=3 * 366)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<window>\[[^\]\[]*\])
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)
      | (?P<op>!=|=|\(|\)|\{|\}|,)
    )""",
    re.VERBOSE,
)


class QueryError(ValueError):
    """The query is not valid; the message says where and why."""


@dataclass(frozen=True)
class Matcher:
    label: str
    negated: bool
    value: str

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{"!=" if self.negated else "="}"{escaped}"'


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[Matcher, ...]
    window: timedelta
    window_text: str

    def __str__(self) -> str:
        labels = "{" + ",".join(map(str, self.matchers)) + "}" if self.matchers else ""
        return f"{self.metric}{labels}[{self.window_text}]"


@dataclass(frozen=True)
class Aggregate:
    aggregation: str
    selector: Selector

    def __str__(self) -> str:
        return f"{self.aggregation}({self.selector})"


@dataclass(frozen=True)
class Ratio:
    numerator: Query
    denominator: Query

    def __str__(self) -> str:
        return f"ratio({self.numerator}, {self.denominator})"


Query = Aggregate | Ratio


@lru_cache(maxsize=4096)
def parse(text: str) -> Query:
    """Parse a metric query; raises QueryError naming the position and the problem. Queries are immutable
    values, so parses are kept: pages read the same indicators' queries on every load (errors are not)."""
    if not text or not text.strip():
        raise QueryError("the query is empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    parser = _Parser(_tokens(text))
    query = parser.query()
    parser.end()
    return query


def normalize(text: str) -> str:
    """The canonical spelling of a valid query (what the store keeps)."""
    return str(parse(text))


def metrics_of(query: Query) -> list[str]:
    if isinstance(query, Aggregate):
        return [query.selector.metric]
    return metrics_of(query.numerator) + metrics_of(query.denominator)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(f"unexpected character {text[position:].lstrip()[:1]!r} at position {position + 1}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None, what: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        expected = what or (repr(value) if value else kind)
        if token is None:
            raise QueryError(f"the query ends early: expected {expected}")
        if token[0] != kind or (value is not None and token[1] != value):
            raise QueryError(f"expected {expected} at position {token[2]}, found {token[1]!r}")
        self.index += 1
        return token

    def end(self) -> None:
        token = self.peek()
        if token is not None:
            raise QueryError(f"unexpected {token[1]!r} at position {token[2]} after the end of the query")

    def query(self) -> Query:
        _, name, position = self.take("name", what="an aggregation such as sum( or ratio(")
        self.take("op", "(")
        if name == "ratio":
            numerator = self.query()
            self.take("op", ",")
            denominator = self.query()
            self.take("op", ")")
            return Ratio(numerator, denominator)
        if name not in AGGREGATIONS:
            raise QueryError(
                f"{name!r} at position {position} is not an aggregation; use one of {', '.join(AGGREGATIONS)} or ratio"
            )
        selector = self.selector()
        self.take("op", ")")
        return Aggregate(name, selector)

    def selector(self) -> Selector:
        _, metric, _ = self.take("name", what="a metric name")
        matchers: list[Matcher] = []
        token = self.peek()
        if token is not None and token[1] == "{":
            self.index += 1
            matchers = self.matchers()
        _, window_text, position = self.take("window", what="a window such as [30d]")
        window_text = re.sub(r"\s+", "", window_text[1:-1])
        return Selector(metric, tuple(matchers), _window(window_text, position), window_text)

    def matchers(self) -> list[Matcher]:
        matchers: list[Matcher] = []
        while True:
            _, label, position = self.take("name", what="a label name")
            if any(m.label == label for m in matchers):
                raise QueryError(f"the label {label!r} at position {position} is matched twice")
            _, op, _ = self.take("op", what="= or !=")
            if op not in {"=", "!="}:
                raise QueryError(f"expected = or != after {label!r}")
            _, quoted, _ = self.take("string", what='a quoted value such as "heavy-lift"')
            matchers.append(Matcher(label, op == "!=", re.sub(r"\\(.)", r"\1", quoted[1:-1])))
            _, closing, _ = self.take("op", what=", or }")
            if closing == "}":
                return matchers
            if closing != ",":
                raise QueryError(f"expected , or }} after the value of {label!r}")


def _window(text: str, position: int) -> timedelta:
    match = re.fullmatch(r"(\d+)([a-zA-Z]*)", text)
    if match is None or match.group(2) not in _UNITS:
        raise QueryError(f"the window [{text}] at position {position} needs a unit m, h, d or w, e.g. [30d]")
    amount = int(match.group(1))
    window = amount * _UNITS[match.group(2)]
    if amount == 0:
        raise QueryError(f"the window [{text}] at position {position} is empty")
    if window > MAX_WINDOW:
        raise QueryError(f"the window [{text}] at position {position} is longer than three years")
    return window
