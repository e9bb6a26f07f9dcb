"""Nothing runs at import time: every module imports with an empty environment and touches nothing."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import digital_factory


def test_every_module_imports_without_side_effects(tmp_path: object) -> None:
    names = [
        m.name
        for m in pkgutil.walk_packages(digital_factory.__path__, "digital_factory.")
        if ".migrations.versions." not in m.name and not m.name.endswith((".__main__", "migrations.env"))
    ]
    script = (
        "import importlib, os, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []  # type: ignore[attr-defined]
