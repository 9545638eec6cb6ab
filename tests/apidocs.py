"""The API reference the tests check against, kept in the repository (tests/data/layers-api).

A copy of the planning repository's ``shared/layers-api``: the suite never reads outside the
checkout. Refresh it by copying that folder over ``tests/data/layers-api``.
"""

from __future__ import annotations

from pathlib import Path

#: README.md, openapi.yaml, operations.tsv and examples/ as the docs' reconstruction prints them.
API_DOCS = Path(__file__).resolve().parent / "data" / "layers-api"
#: The docs' example payloads.
EXAMPLES = API_DOCS / "examples"
