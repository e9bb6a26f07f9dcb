"""The pipeline file: every problem with its line; YAML traps refused; a valid file parsed fully."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from digital_factory.delivery.pipeline_file import lint, parse


def _lines(text: str) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in lint(text)]


def test_a_valid_file_parses_with_defaults_and_durations() -> None:
    pipeline = parse(
        """\
version: 1
on:
  push:
    branches: [main, "release/*"]
variables: {APP: drone, RETRIES: 3, VERBOSE: true}
stages:
  - name: build
    steps:
      - {name: a, run: make, timeout: 90s}
      - {name: b, run: make b, needs: [a], timeout: 2h, artifacts: [dist/], network: true}
  - name: ship
    environment: prod
    branches: [main]
    steps:
      - {name: go, run: ./ship, secrets: [TOKEN]}
"""
    )
    build, ship = pipeline.stages
    assert [s.timeout_seconds for s in build.steps] == [90, 7200]
    assert build.steps[1].needs == ("a",) and build.steps[1].network is True
    assert pipeline.variables == {"APP": "drone", "RETRIES": "3", "VERBOSE": "true"}
    assert ship.environment == "prod" and ship.steps[0].secrets == ("TOKEN",) and ship.steps[0].timeout_seconds == 600
    assert pipeline.runs_on_push("release/2.1") and not pipeline.runs_on_push("feature/x")
    assert not pipeline.runs_on_push(None)


def test_yaml_problems_name_their_line() -> None:
    assert _lines("version: 1\nstages:\n  - name: [unclosed\n")[0][0] == 4
    assert _lines("") == [(1, "the file is empty")]
    duplicate = "version: 1\nversion: 1\nstages:\n  - {name: a, steps: [{name: b, run: c}]}\n"
    assert _lines(duplicate) == [(2, "duplicate key 'version'")]
    assert _lines("- just\n- a list\n") == [(1, "the file must be a mapping with `version` and `stages`")]
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    assert "too large" in lint(bomb)[0].message


def test_semantic_rules_are_all_reported() -> None:
    text = """\
version: 1
variables: {FACTORY_X: 1}
stages:
  - name: a
    environment: prod
    steps:
      - {name: x, run: r, needs: [y]}
      - {name: y, run: r, needs: [x], artifacts: [../up, /abs, ok/]}
  - name: a
    environment: prod
    steps:
      - {name: z, run: r, needs: [z]}
"""
    problems = _lines(text)
    messages = " | ".join(m for _, m in problems)
    assert [line for line, _ in problems] == [2, 6, 8, 8, 9, 10, 12]
    for expected in (
        "reserved",
        "cycle",
        "may not leave",
        "relative to the workspace",
        "duplicate stage",
        "two deploy",
        "cannot need itself",
    ):
        assert expected in messages, messages


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_lint_never_crashes(text: str) -> None:
    for problem in lint(text):
        assert problem.line >= 0 and problem.message
