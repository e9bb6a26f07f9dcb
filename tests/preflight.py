"""Says, before the suite runs, which system parts are present and which tests will be skipped."""

from __future__ import annotations

import sys

from tests.systemparts import require_all, status


def main() -> int:
    missing = [name for name, value in status().items() if value is None]
    for name, value in status().items():
        print(f"  {'found  ' if value else 'MISSING'} {name}{': ' + value if value else ''}")
    if missing and require_all():
        print(f"FACTORY_TEST_REQUIRE_ALL is set but these are missing: {', '.join(missing)}", file=sys.stderr)
        return 1
    if missing:
        print("Tests that need the missing parts will be SKIPPED (the rest runs). `.ci/run` provides them all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
