"""The `factory` command line."""

from __future__ import annotations


def main() -> None:
    from digital_factory.cli.root import run

    run()
