"""The render process: `python -m digital_factory.platform.render` runs copier on one job.

It is started by `sandbox.run_render`, inside bubblewrap where available (read-only system and
template, write access only to the destination, no network), with a clean environment and a timeout.
It reads one JSON job on standard input and prints one JSON line: {"ok": true} or {"ok": false,
"error": "..."}. It imports nothing from the product beyond this module.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def execute(job: dict[str, Any]) -> None:
    import copier  # noqa: PLC0415  (the render process alone needs copier)

    common: dict[str, Any] = {
        "data": job["data"],
        "vcs_ref": job["vcs_ref"],
        "defaults": True,
        "overwrite": True,
        "quiet": True,
        "unsafe": bool(job["trusted"]),
        "skip_tasks": not job["trusted"],
        "settings": copier.Settings(),  # no user settings: no trust list from a home folder
    }
    if job["mode"] == "copy":
        copier.run_copy(job["src"], job["dst"], cleanup_on_error=False, **common)
    elif job["mode"] == "update":
        copier.run_update(job["dst"], conflict="inline", skip_answered=True, **common)
    else:
        raise ValueError(f"unknown render mode {job['mode']!r}")


def main() -> int:
    try:
        job = json.loads(sys.stdin.read())
        execute(job)
    except Exception as exc:  # report every failure as data: the parent turns it into a domain error
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:4000]}))
        return 1
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
