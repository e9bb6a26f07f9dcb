"""What a configuration change means for customers: whether it is a release, its kind and summary. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from digital_factory.releases import evaluation


def default_config(default_variant: str, off_variant: str) -> dict[str, Any]:
    """A flag's configuration in an environment nobody has configured yet: off."""
    return {"enabled": False, "off_variant": off_variant, "default": {"variant": default_variant}, "rules": []}


def apply_patch(config: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**config, **{name: value for name, value in patch.items() if value is not None}}
    merged.setdefault("rules", [])
    return merged


def effective(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a configuration customers can notice: an off flag serves only its off variant."""
    if not config.get("enabled"):
        return {"enabled": False, "serve": config["off_variant"]}
    return {"enabled": True, "default": config["default"], "rules": config.get("rules") or []}


def is_release(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return effective(before) != effective(after)


def describe_serve(serve: Mapping[str, Any]) -> str:
    if serve.get("rollout"):
        return " / ".join(f"{float(s['percent']):g}% {s['variant']}" for s in serve["rollout"])
    return str(serve.get("variant"))


def _rules(count: int) -> str:
    return f"{count} rule{'' if count == 1 else 's'}"


def describe(config: Mapping[str, Any]) -> str:
    """One line for people: `on · 2 rules · 10% on / 90% off`, or `off · serves off`."""
    if not config.get("enabled"):
        return f"off · serves {config['off_variant']}"
    rules = config.get("rules") or []
    parts = ["on"]
    if rules:
        parts.append(_rules(len(rules)))
    parts.append(describe_serve(config["default"]))
    return " · ".join(parts)


def kind_and_summary(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, str]:
    """The release's kind (on, off, rollout, default, targeting, off-variant) and a one-line summary."""
    was_on, is_on = bool(before.get("enabled")), bool(after.get("enabled"))
    if not was_on and is_on:
        return "on", f"turned on: {describe(after)}"
    if was_on and not is_on:
        return "off", f"turned off: serves {after['off_variant']}"
    if not is_on:
        return "off-variant", f"off variant {before['off_variant']} → {after['off_variant']}"
    parts: list[str] = []
    kind = "targeting"
    if before["default"] != after["default"]:
        kind = "rollout" if before["default"].get("rollout") or after["default"].get("rollout") else "default"
        parts.append(f"{describe_serve(before['default'])} → {describe_serve(after['default'])}")
    before_rules, after_rules = before.get("rules") or [], after.get("rules") or []
    if before_rules != after_rules:
        if len(before_rules) == len(after_rules):
            parts.append(f"targeting changed ({_rules(len(after_rules))})")
        else:
            parts.append(f"targeting {_rules(len(before_rules))} → {_rules(len(after_rules))}")
    return kind, "; ".join(parts) or "configuration changed"


def exposure(config: Mapping[str, Any]) -> float:
    return evaluation.exposure(config)
