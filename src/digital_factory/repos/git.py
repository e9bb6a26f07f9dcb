"""Running the git CLI safely: a clean environment, no prompts, no config-driven programs, timeouts.

Every git command the product runs on the server goes through `run` (or `environment` for the few
callers that start git themselves, such as the smart-HTTP bridge). Nothing here reads settings.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GIT = "git"
DEFAULT_TIMEOUT = 60.0
ZERO_SHA = "0" * 40
IDENTITY = {"name": "Digital Factory", "email": "factory@localhost"}

# Settings a repository or template could use to make git run a program; forced off on every call.
HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.sshCommand", "false"),
    ("core.gitProxy", ""),
    ("protocol.ext.allow", "never"),
    ("protocol.file.allow", "always"),
    ("credential.helper", ""),
    ("safe.directory", "*"),
)

_REF_NAME = re.compile(r"^refs/(heads|tags)/[A-Za-z0-9._/-]{1,200}$")


class GitError(Exception):
    """A git command failed; `stderr` holds git's own words (never a credential: none are passed)."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args[:2])} failed ({returncode}): {stderr.strip()[:500]}")
        self.returncode = returncode
        self.stderr = stderr


def environment(extra: Mapping[str, str] | None = None, *, home: str = "/nonexistent") -> dict[str, str]:
    """A clean environment for git: nothing inherited from the server but PATH, hardened config."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LANG": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": IDENTITY["name"],
        "GIT_AUTHOR_EMAIL": IDENTITY["email"],
        "GIT_COMMITTER_NAME": IDENTITY["name"],
        "GIT_COMMITTER_EMAIL": IDENTITY["email"],
        "GIT_CONFIG_COUNT": str(len(HARDENING)),
    }
    for index, (key, value) in enumerate(HARDENING):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class Completed:
    stdout: str
    stderr: str
    returncode: int


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    input_text: str | None = None,
) -> Completed:
    """Run `git <args>` in its own process group; on timeout the whole group is killed."""
    process = subprocess.Popen(  # noqa: S603  (argument list, no shell)
        [GIT, *args],
        cwd=cwd,
        env=environment(env),
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(input_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise GitError(args, -9, f"timed out after {timeout:.0f} s") from None
    if check and process.returncode != 0:
        raise GitError(args, process.returncode, stderr)
    return Completed(stdout=stdout, stderr=stderr, returncode=process.returncode)


def init_bare(path: Path, default_branch: str = "main") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    run(["init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(path)])
    # sample hooks are inert (.sample) but have no business in a hosted repository
    hooks = path / "hooks"
    if hooks.is_dir():
        for sample in hooks.glob("*.sample"):
            sample.unlink()


def list_refs(git_dir: Path) -> dict[str, str]:
    """Branches and tags of a repository: ref name -> object id."""
    done = run(
        ["--git-dir", str(git_dir), "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags"]
    )
    refs: dict[str, str] = {}
    for line in done.stdout.splitlines():
        name, _, sha = line.partition(" ")
        refs[name] = sha
    return refs


def ref_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(ref, old, new) for every ref created, moved or deleted between two snapshots; sorted by ref."""
    changes = []
    for ref in sorted(set(before) | set(after)):
        old, new = before.get(ref, ZERO_SHA), after.get(ref, ZERO_SHA)
        if old != new:
            changes.append((ref, old, new))
    return changes


def show_file(git_dir: Path, rev: str, path: str, *, max_bytes: int = 1_048_576) -> bytes | None:
    """A file's content at a revision, or None when it does not exist there."""
    spec = f"{rev}:{path}"
    probe = run(["--git-dir", str(git_dir), "cat-file", "-s", spec], check=False)
    if probe.returncode != 0:
        return None
    if int(probe.stdout.strip() or 0) > max_bytes:
        raise GitError(["cat-file", spec], 1, f"{path} is larger than {max_bytes} bytes")
    process = subprocess.run(  # noqa: S603
        [GIT, "--git-dir", str(git_dir), "cat-file", "blob", spec],
        env=environment(),
        capture_output=True,
        timeout=DEFAULT_TIMEOUT,
        check=False,
    )
    return process.stdout if process.returncode == 0 else None


def is_valid_ref(ref: str) -> bool:
    return bool(_REF_NAME.match(ref)) and ".." not in ref and not ref.endswith((".lock", "/"))


def commit_all(workdir: Path, message: str, *, author: str | None = None) -> str:
    """Stage everything in a work tree and commit it; returns the new commit id."""
    run(["add", "--all"], cwd=workdir)
    extra = {}
    if author:
        extra = {"GIT_AUTHOR_NAME": author}
    run(["commit", "--quiet", "--no-verify", "-m", message], cwd=workdir, env=extra)
    return run(["rev-parse", "HEAD"], cwd=workdir).stdout.strip()


def read_bounded(args: Sequence[str], *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT) -> tuple[bytes, bool]:
    """`git <args>`'s output as bytes, at most `max_bytes` of it: (output, truncated). Past the bound the
    process group is killed, so a huge object or diff costs no more than the bound to read."""
    process = subprocess.Popen(  # noqa: S603  (argument list, no shell)
        [GIT, *args],
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    timer = threading.Timer(timeout, lambda: _kill(process))
    timer.start()
    try:
        assert process.stdout is not None
        out = process.stdout.read(max_bytes + 1)
        truncated = len(out) > max_bytes
        if truncated:
            _kill(process)
        process.stdout.close()
        returncode = process.wait()
    finally:
        timer.cancel()
    if not truncated and returncode != 0:
        raise GitError(args, returncode, "the object could not be read")
    return out[:max_bytes], truncated


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
