"""The pure evaluation: rules, segments, semver, and sticky, accurate percentage bucketing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digital_factory.releases import evaluation
from digital_factory.releases.evaluation import CompiledFlag

BOOL = {"on": True, "off": False}


def flag(config: dict[str, Any], segments: dict[str, dict[str, Any]] | None = None, key: str = "f") -> CompiledFlag:
    return CompiledFlag(key=key, flag_type="boolean", variants=BOOL, config=config, segments=segments)


def on(default: dict[str, Any], rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"enabled": True, "off_variant": "off", "default": default, "rules": rules or []}


def rollout(percent_on: float) -> dict[str, Any]:
    return {"rollout": [{"variant": "on", "percent": percent_on}, {"variant": "off", "percent": 100 - percent_on}]}


def rule(attribute: str | None, operator: str, values: list[Any], variant: str = "on") -> dict[str, Any]:
    condition: dict[str, Any] = {"operator": operator, "values": values}
    if attribute is not None:
        condition["attribute"] = attribute
    return {"conditions": [condition], "serve": {"variant": variant}}


def test_off_serves_the_off_variant_whatever_the_rules() -> None:
    config = {**on({"variant": "on"}, [rule("plan", "equals", ["pro"])]), "enabled": False}
    outcome = flag(config).evaluate({"targetingKey": "u1", "plan": "pro"})
    assert (outcome.variant, outcome.reason) == ("off", "DISABLED")


def test_reasons_static_default_targeting_match_split() -> None:
    assert flag(on({"variant": "on"})).evaluate({}).reason == "STATIC"
    targeted = flag(on({"variant": "off"}, [rule("plan", "equals", ["pro"])]))
    assert targeted.evaluate({"plan": "pro"}) == evaluation.Outcome("on", "TARGETING_MATCH", rule=0)
    assert targeted.evaluate({"plan": "free"}) == evaluation.Outcome("off", "DEFAULT")
    split = flag(on(rollout(50))).evaluate({"targetingKey": "u1"})
    assert split.reason == "SPLIT" and split.variant in {"on", "off"}


def test_rollout_without_targeting_key_is_an_error_unless_everyone_gets_one_variant() -> None:
    missing = flag(on(rollout(10))).evaluate({"plan": "pro"})
    assert missing.variant is None and missing.error_code == "TARGETING_KEY_MISSING"
    assert flag(on(rollout(10))).evaluate({"targetingKey": ""}).error_code == "TARGETING_KEY_MISSING"
    everyone = flag(on(rollout(100))).evaluate({})
    assert (everyone.variant, everyone.reason, everyone.error_code) == ("on", "SPLIT", None)


def test_first_matching_rule_wins_and_rules_can_roll_out() -> None:
    config = on(
        {"variant": "off"},
        [
            rule("country", "in", ["CH", "DE"], "on"),
            {"conditions": [{"attribute": "plan", "operator": "equals", "values": ["pro"]}], "serve": rollout(0)},
        ],
    )
    compiled = flag(config)
    assert compiled.evaluate({"country": "CH", "plan": "pro"}).rule == 0
    outcome = compiled.evaluate({"country": "FR", "plan": "pro", "targetingKey": "k"})
    assert (outcome.variant, outcome.rule, outcome.reason) == ("off", 1, "SPLIT")


@pytest.mark.parametrize(
    ("operator", "values", "context_value", "expected"),
    [
        ("equals", ["pro"], "pro", True),
        ("equals", ["pro"], "Pro", False),
        ("equals", [42], 42.0, True),
        ("equals", [42], "42", True),
        ("equals", [True], True, True),
        ("equals", [True], "true", True),
        ("equals", [True], 1, False),
        ("not_equals", ["pro"], "free", True),
        ("not_equals", ["pro"], "pro", False),
        ("in", ["CH", "DE"], "DE", True),
        ("in", ["CH", "DE"], "FR", False),
        ("not_in", ["CH", "DE"], "FR", True),
        ("contains", ["@acme"], "ada@acme.com", True),
        ("starts_with", ["beta-"], "beta-7", True),
        ("ends_with", [".ch"], "x.de", False),
        ("gt", [10], 10.5, True),
        ("gt", [10], 10, False),
        ("gte", [10], 10, True),
        ("lt", [10], "9.5", True),
        ("lte", [10], "ten", False),
        ("lt", [10], True, False),
        ("semver_gte", ["2.1.0"], "2.1.0", True),
        ("semver_gte", ["2.1.0"], "2.1.0-rc.1", False),
        ("semver_gt", ["2.1.0"], "v2.10.0", True),
        ("semver_lt", ["2.1.0"], "2.1", False),
        ("semver_eq", ["2.1.0"], "2.1", True),
        ("semver_lt", ["1.0.0"], "1.0.0-alpha.beta", True),
        ("semver_gt", ["1.0.0-alpha.1"], "1.0.0-alpha.beta", True),
        ("semver_lt", ["1.0.0-rc.1"], "1.0.0-beta.11", True),
        ("semver_gte", ["2.0.0"], "not a version", False),
        ("semver_eq", ["1.0.0"], "1.0.0+build.7", True),
    ],
)
def test_operators(operator: str, values: list[Any], context_value: Any, expected: bool) -> None:
    compiled = flag(on({"variant": "off"}, [rule("attr", operator, values)]))
    assert (compiled.evaluate({"attr": context_value}).variant == "on") is expected


def test_missing_attributes_never_match_not_even_negated_operators() -> None:
    for operator, values in (("not_equals", ["x"]), ("not_in", ["x"]), ("equals", ["x"])):
        assert flag(on({"variant": "off"}, [rule("plan", operator, values)])).evaluate({}).variant == "off"


def test_dotted_attributes_reach_into_objects() -> None:
    compiled = flag(on({"variant": "off"}, [rule("user.plan", "equals", ["pro"])]))
    assert compiled.evaluate({"user": {"plan": "pro"}}).variant == "on"
    assert compiled.evaluate({"user.plan": "pro"}).variant == "on"
    assert compiled.evaluate({"user": "pro"}).variant == "off"


def test_segments_include_exclude_and_conditions() -> None:
    segments = {
        "pilots": {
            "included": ["alice"],
            "excluded": ["mallory"],
            "conditions": [{"attribute": "email", "operator": "ends_with", "values": ["@drones.example"]}],
        }
    }
    compiled = flag(on({"variant": "off"}, [rule(None, "in_segment", ["pilots"])]), segments)
    assert compiled.evaluate({"targetingKey": "alice"}).variant == "on"
    assert compiled.evaluate({"targetingKey": "bob", "email": "bob@drones.example"}).variant == "on"
    assert compiled.evaluate({"targetingKey": "mallory", "email": "m@drones.example"}).variant == "off"
    assert compiled.evaluate({"targetingKey": "carol", "email": "carol@else.example"}).variant == "off"
    outside = flag(on({"variant": "off"}, [rule(None, "not_in_segment", ["pilots"])]), segments)
    assert outside.evaluate({"targetingKey": "carol"}).variant == "on"
    assert outside.evaluate({"targetingKey": "alice"}).variant == "off"


def test_bucket_is_the_first_four_bytes_of_sha256_modulo_10000() -> None:
    import hashlib

    digest = hashlib.sha256(b"heavy-lift-mode:drone-42").digest()
    assert evaluation.bucket("heavy-lift-mode", "drone-42") == int.from_bytes(digest[:4], "big") % 10_000


def test_growing_a_rollout_keeps_everyone_already_in() -> None:
    keys = [f"drone-{i}" for i in range(2000)]
    at = {p: {k for k in keys if flag(on(rollout(p))).evaluate({"targetingKey": k}).variant == "on"} for p in (10, 50)}
    assert at[10] <= at[50]
    assert len(at[10]) < len(at[50])


def test_exposure_is_the_share_of_the_default_population_off_the_off_variant() -> None:
    assert evaluation.exposure(on(rollout(12.5))) == 12.5
    assert evaluation.exposure(on({"variant": "on"})) == 100.0
    assert evaluation.exposure({**on({"variant": "on"}), "enabled": False}) == 0.0


@settings(max_examples=5, deadline=None)
@given(
    percent=st.integers(min_value=1, max_value=9999).map(lambda bp: bp / 100),
    flag_key=st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True),
    salt=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=0, max_size=6),
)
def test_rollout_split_is_within_one_percent_over_100000_keys(percent: float, flag_key: str, salt: str) -> None:
    compiled = flag(on(rollout(percent)), key=flag_key)
    counts = Counter(compiled.evaluate({"targetingKey": f"{salt}user-{i}"}).variant for i in range(100_000))
    share = counts["on"] / 1000  # percent of 100,000
    assert abs(share - percent) <= 1.0, (flag_key, percent, share)


@settings(max_examples=200, deadline=None)
@given(
    targeting_key=st.text(min_size=1, max_size=40),
    percent=st.integers(min_value=0, max_value=10_000).map(lambda bp: bp / 100),
)
def test_a_key_always_gets_the_same_variant(targeting_key: str, percent: float) -> None:
    config = on(rollout(percent))
    first = flag(config, key="sticky").evaluate({"targetingKey": targeting_key})
    again = flag(config, key="sticky").evaluate({"targetingKey": targeting_key, "other": "attributes"})
    assert first == again
    assert first.variant == ("on" if evaluation.bucket("sticky", targeting_key) < round(percent * 100) else "off")
