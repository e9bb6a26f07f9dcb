"""Project tooling that is not part of the product (the import-linter faces contract)."""
