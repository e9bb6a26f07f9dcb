"""The pipeline file `.factory/pipeline.yml`: its JSON Schema, parsing with line numbers, and lint.

Pure: text in, a `Pipeline` or every problem (with its line) out. YAML is composed into nodes (PyYAML's
node API) so each JSON-Schema error and each semantic error can name the line it comes from.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

PIPELINE_PATH = ".factory/pipeline.yml"
MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 20_000
MAX_DEPTH = 32
DEFAULT_TIMEOUT_SECONDS = 600
MAX_TIMEOUT_SECONDS = 24 * 3600
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
SECRET_PATTERN = r"^[A-Z_][A-Z0-9_]{0,127}$"  # noqa: S105  (a name pattern)
DURATION_PATTERN = r"^[1-9][0-9]{0,6}(s|m|h)$"
_DURATION = re.compile(DURATION_PATTERN)
RESERVED_VARIABLE_PREFIX = "FACTORY_"

_VARIABLES: dict[str, Any] = {
    "type": "object",
    "description": "Environment variables for the steps (names like `APP_NAME`; values are text).",
    "propertyNames": {"pattern": VARIABLE_PATTERN},
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}

PIPELINE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:digital-factory:pipeline:1",
    "title": "Digital Factory pipeline (.factory/pipeline.yml)",
    "type": "object",
    "required": ["version", "stages"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1, "description": "Format version; always 1."},
        "variables": _VARIABLES,
        "on": {
            "type": "object",
            "description": "Which pushes start the pipeline.",
            "additionalProperties": False,
            "properties": {
                "push": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "branches": {
                            "type": "array",
                            "description": "Branch name patterns (`main`, `release/*`); default: every branch.",
                            "items": {"type": "string", "minLength": 1, "maxLength": 200},
                            "minItems": 1,
                        }
                    },
                }
            },
        },
        "stages": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "description": "Run in order; a stage starts when the one before passed.",
            "items": {"$ref": "#/$defs/stage"},
        },
    },
    "$defs": {
        "stage": {
            "type": "object",
            "required": ["name", "steps"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": NAME_PATTERN},
                "environment": {
                    "type": "string",
                    "pattern": r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$",
                    "description": "Makes this a deploy stage for the service's environment of that name; "
                    "the environment's policy (automatic or approval) gates it.",
                },
                "branches": {
                    "type": "array",
                    "description": "Run this stage only for these branch patterns (else it is skipped).",
                    "items": {"type": "string", "minLength": 1, "maxLength": 200},
                    "minItems": 1,
                },
                "variables": _VARIABLES,
                "steps": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/$defs/step"}},
            },
        },
        "step": {
            "type": "object",
            "required": ["name", "run"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": NAME_PATTERN},
                "run": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 65536,
                    "description": "Shell commands (`sh -e`), run in the workspace checked out at the commit.",
                },
                "timeout": {
                    "description": "Seconds, or a duration like `90s`, `10m`, `2h` (default 10m, at most 24h).",
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECONDS},
                        {"type": "string", "pattern": DURATION_PATTERN},
                    ],
                },
                "needs": {
                    "type": "array",
                    "description": "Steps of the same stage that must pass first.",
                    "items": {"type": "string", "pattern": NAME_PATTERN},
                    "uniqueItems": True,
                },
                "artifacts": {
                    "type": "array",
                    "description": "Workspace paths kept after the step passes and restored for later steps.",
                    "items": {"type": "string", "minLength": 1, "maxLength": 500},
                    "maxItems": 50,
                },
                "secrets": {
                    "type": "array",
                    "description": "Names of the service's secrets given to this step as environment variables.",
                    "items": {"type": "string", "pattern": SECRET_PATTERN},
                    "uniqueItems": True,
                },
                "variables": _VARIABLES,
                "network": {"type": "boolean", "description": "Give the step network access (default: none)."},
            },
        },
    },
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pipeline file: where (line, and the path inside the document) and why."""

    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{PIPELINE_PATH}:{self.line}" if self.line else PIPELINE_PATH
        return f"{where}: {self.path + ': ' if self.path else ''}{self.message}"


@dataclass(frozen=True)
class StepSpec:
    name: str
    run: str
    timeout_seconds: int
    needs: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    network: bool = False
    line: int = 0


@dataclass(frozen=True)
class StageSpec:
    name: str
    steps: tuple[StepSpec, ...]
    environment: str | None = None
    branches: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    line: int = 0
    environment_line: int = 0


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[StageSpec, ...]
    variables: dict[str, str] = field(default_factory=dict)
    push_branches: tuple[str, ...] = ()

    def runs_on_push(self, branch: str | None) -> bool:
        """Whether a push to `branch` starts this pipeline (tags and other refs: only without a filter)."""
        if not self.push_branches:
            return True
        return branch is not None and matches_any(branch, self.push_branches)


class PipelineInvalid(Exception):
    """The file has problems; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def matches_any(branch: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(branch, pattern) for pattern in patterns)


# --- YAML with line numbers -----------------------------------------------------------------------


Path_ = tuple[str | int, ...]


class _Composer:
    """Builds plain data from YAML nodes, remembering the line of every path and refusing duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[Path_, int] = {}
        self.key_lines: dict[Path_, int] = {}
        self.problems: list[Problem] = []
        self.nodes = 0

    def build(self, node: yaml.Node, path: Path_ = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or len(path) > MAX_DEPTH:
            raise _TooLarge
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self.loader.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem(key_node.start_mark.line + 1, _dotted(path), "keys must be plain text"))
                continue
            key = str(key_node.value)  # keys are text: `on` is a key, not YAML 1.1's boolean
            if key in result:
                self.problems.append(
                    Problem(key_node.start_mark.line + 1, _dotted((*path, key)), f"duplicate key {key!r}")
                )
                continue
            self.key_lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        return result

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest enclosing node that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.key_lines:
                return self.key_lines[probe]
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


class _TooLarge(Exception):
    pass


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _compose(text: str) -> tuple[Any, _Composer] | list[Problem]:
    if len(text.encode()) > MAX_FILE_BYTES:
        return [Problem(0, "", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")]
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # the reader refuses control characters right here
        node = loader.get_single_node()
        if node is None:
            return [Problem(1, "", "the file is empty")]
        composer = _Composer(loader)
        return composer.build(node), composer
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [Problem(mark.line + 1 if mark else 0, "", f"not valid YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return [Problem(0, "", f"not valid YAML: {exc}")]
    except _TooLarge:
        return [
            Problem(0, "", f"the document is too large: over {MAX_NODES} nodes or {MAX_DEPTH} levels (aliases count)")
        ]
    finally:
        if loader is not None:
            loader.dispose()


# --- validation -----------------------------------------------------------------------------------

_VALIDATOR = Draft202012Validator(PIPELINE_SCHEMA)


def _schema_problems(data: Any, composer: _Composer) -> list[Problem]:
    problems = []
    for error in _VALIDATOR.iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            schema = error.schema if isinstance(error.schema, dict) else {}
            allowed = ", ".join(sorted(schema.get("properties", {})))
            for key in sorted(set(error.instance) - set(schema.get("properties", {}))):
                where = (*path, key)
                message = f"unknown key {key!r} (allowed: {allowed})"
                problems.append(Problem(composer.line_of(where), _dotted(where), message))
            continue
        problems.append(Problem(composer.line_of(path), _dotted(path), _message(error)))
    return problems


def _message(error: ValidationError) -> str:
    if error.validator == "pattern":
        return f"{error.instance!r} does not match {error.validator_value}"
    if error.validator == "oneOf" and error.absolute_path and error.absolute_path[-1] == "timeout":
        return f"{error.instance!r} is not a timeout: give seconds (1-{MAX_TIMEOUT_SECONDS}) or a duration like 10m"
    if error.validator == "const":
        return f"must be {error.validator_value!r}"
    return error.message


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _variables(raw: dict[str, Any] | None) -> dict[str, str]:
    return {name: _text(value) for name, value in (raw or {}).items()}


def parse_timeout(value: int | str | None) -> int:
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    if isinstance(value, int):
        return value
    match = _DURATION.match(value)
    assert match is not None  # the schema checked the pattern
    number = int(value[:-1])
    return number * {"s": 1, "m": 60, "h": 3600}[value[-1]]


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mapping items of a list, with their index (tolerates whatever the schema already refused)."""
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _semantic_problems(data: dict[str, Any], composer: _Composer) -> list[Problem]:
    """Rules JSON Schema cannot say; written to tolerate structural errors, so every problem is listed."""
    problems: list[Problem] = []
    stage_names: set[str] = set()
    environments: set[str] = set()
    for variable_path in _variable_paths(data):
        variables = data_at(data, variable_path)
        for name in variables if isinstance(variables, dict) else {}:
            if name.upper().startswith(RESERVED_VARIABLE_PREFIX):
                path = (*variable_path, name)
                problems.append(
                    Problem(composer.line_of(path), _dotted(path), f"{name!r}: FACTORY_* variables are reserved")
                )
    for s_index, stage in _dicts(data.get("stages")):
        stage_path: Path_ = ("stages", s_index)
        name = stage.get("name")
        if isinstance(name, str) and name in stage_names:
            path = (*stage_path, "name")
            problems.append(Problem(composer.line_of(path), _dotted(path), f"duplicate stage name {name!r}"))
        stage_names.add(str(name))
        environment = stage.get("environment")
        if isinstance(environment, str):
            if environment in environments:
                path = (*stage_path, "environment")
                problems.append(
                    Problem(composer.line_of(path), _dotted(path), f"environment {environment!r} has two deploy stages")
                )
            environments.add(environment)
        problems.extend(_step_problems(stage, stage_path, composer))
    return problems


def _variable_paths(data: dict[str, Any]) -> list[Path_]:
    paths: list[Path_] = [("variables",)] if "variables" in data else []
    for s_index, stage in _dicts(data.get("stages")):
        if "variables" in stage:
            paths.append(("stages", s_index, "variables"))
        for t_index, step in _dicts(stage.get("steps")):
            if "variables" in step:
                paths.append(("stages", s_index, "steps", t_index, "variables"))
    return paths


def data_at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _step_problems(stage: dict[str, Any], stage_path: Path_, composer: _Composer) -> list[Problem]:
    problems: list[Problem] = []
    steps = _dicts(stage.get("steps"))
    names = [step.get("name") for _, step in steps]
    seen: set[str] = set()
    for t_index, step in steps:
        step_path: Path_ = (*stage_path, "steps", t_index)
        name = step.get("name")
        if isinstance(name, str) and name in seen:
            path = (*step_path, "name")
            problems.append(
                Problem(composer.line_of(path), _dotted(path), f"duplicate step name {name!r} in this stage")
            )
        seen.add(str(name))
        needs = step.get("needs")
        for n_index, need in enumerate(needs if isinstance(needs, list) else []):
            path = (*step_path, "needs", n_index)
            if need == name:
                problems.append(Problem(composer.line_of(path), _dotted(path), "a step cannot need itself"))
            elif need not in names:
                problems.append(
                    Problem(composer.line_of(path), _dotted(path), f"needs {need!r}, which is not a step of this stage")
                )
        artifacts = step.get("artifacts")
        for a_index, artifact in enumerate(artifacts if isinstance(artifacts, list) else []):
            reason = artifact_path_problem(artifact) if isinstance(artifact, str) else None
            if reason:
                path = (*step_path, "artifacts", a_index)
                problems.append(Problem(composer.line_of(path), _dotted(path), reason))
    cycle = _cycle([step for _, step in steps])
    if cycle:
        path = (*stage_path, "steps")
        problems.append(Problem(composer.line_of(path), _dotted(path), f"needs form a cycle: {' -> '.join(cycle)}"))
    return problems


def artifact_path_problem(artifact: str) -> str | None:
    """Artifacts are relative paths inside the workspace; never absolute, never `..`, never a NUL."""
    if "\x00" in artifact or "\\" in artifact:
        return f"{artifact!r}: backslashes and NUL are not allowed"
    if artifact.startswith("/"):
        return f"{artifact!r}: artifact paths are relative to the workspace"
    if any(part == ".." for part in artifact.split("/")):
        return f"{artifact!r}: artifact paths may not leave the workspace (`..`)"
    return None


def _cycle(steps: list[dict[str, Any]]) -> list[str] | None:
    graph = {
        str(step.get("name")): [str(n) for n in step.get("needs", []) if n != step.get("name")]
        for step in steps
        if isinstance(step.get("needs", []), list)
    }
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> list[str] | None:
        state[name] = 1
        for need in graph.get(name, []):
            if need not in graph:
                continue
            if state.get(need) == 1:
                return [*trail[trail.index(need) :], need] if need in trail else [name, need]
            if state.get(need) is None:
                found = visit(need, [*trail, need])
                if found:
                    return found
        state[name] = 2
        return None

    for name in graph:
        if state.get(name) is None:
            found = visit(name, [name])
            if found:
                return found
    return None


def _build(data: dict[str, Any], composer: _Composer) -> Pipeline:
    stages = []
    for s_index, stage in enumerate(data["stages"]):
        steps = tuple(
            StepSpec(
                name=step["name"],
                run=step["run"],
                timeout_seconds=parse_timeout(step.get("timeout")),
                needs=tuple(step.get("needs", [])),
                artifacts=tuple(step.get("artifacts", [])),
                secrets=tuple(step.get("secrets", [])),
                variables=_variables(step.get("variables")),
                network=bool(step.get("network", False)),
                line=composer.line_of(("stages", s_index, "steps", t_index)),
            )
            for t_index, step in enumerate(stage["steps"])
        )
        stages.append(
            StageSpec(
                name=stage["name"],
                steps=steps,
                environment=stage.get("environment"),
                branches=tuple(stage.get("branches", [])),
                variables=_variables(stage.get("variables")),
                line=composer.line_of(("stages", s_index)),
                environment_line=composer.line_of(("stages", s_index, "environment")),
            )
        )
    push = data.get("on", {}).get("push", {})
    return Pipeline(
        stages=tuple(stages), variables=_variables(data.get("variables")), push_branches=tuple(push.get("branches", []))
    )


def lint(text: str) -> list[Problem]:
    """Every problem of the file, in line order; an empty list means it is valid."""
    result = _check(text)
    return result if isinstance(result, list) else []


def parse(text: str) -> Pipeline:
    """The pipeline, or `PipelineInvalid` listing every problem."""
    result = _check(text)
    if isinstance(result, list):
        raise PipelineInvalid(result)
    return result


def _check(text: str) -> Pipeline | list[Problem]:
    composed = _compose(text)
    if isinstance(composed, list):
        return composed
    data, composer = composed
    problems = list(composer.problems)
    if not isinstance(data, dict):
        return [*problems, Problem(1, "", "the file must be a mapping with `version` and `stages`")]
    schema_problems = _schema_problems(data, composer)
    problems.extend(schema_problems)
    problems.extend(_semantic_problems(data, composer))
    if problems:
        return sorted(problems, key=lambda p: (p.line, p.path))
    return _build(data, composer)
