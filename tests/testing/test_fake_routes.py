"""The fake's route table agrees with openapi.yaml, operation by operation."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from apidocs import API_DOCS

from layers_async.testing._context import RouteSpec
from layers_async.testing._routes import ROUTES

_PATH = re.compile(r"^  (/\S+):\s*$")
_METHOD = re.compile(r"^    (get|put|post|patch|delete|head|options):\s*$")
_FIELD = re.compile(r"^      (operationId|x-scope|x-async-job|x-rate-limit-class): (.*?)\s*$")
_TOP_LEVEL = re.compile(r"^\S")


@attrs.frozen
class Operation:
    """The few fields of one openapi operation the comparison needs."""

    method: str
    path: str
    operation_id: str | None = None
    scope: str | None = None
    job: bool | None = None
    rate_class: str | None = None


def _scalar(raw: str) -> Any:
    if raw in ("null", "~", ""):
        return None
    if raw in ("true", "false"):
        return raw == "true"
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def read_operations(text: str) -> dict[tuple[str, str], Operation]:
    """(METHOD, path) -> Operation, read line by line from the ``paths:`` section.

    Enough YAML for this file's block style: a path at indent 2, a method at 4, the
    operation's scalar keys at 6. No YAML parser is a dependency.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    in_paths = False
    path: str | None = None
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        if _TOP_LEVEL.match(line):
            in_paths = line.rstrip() == "paths:"
            path = current = None
            continue
        if not in_paths:
            continue
        if match := _PATH.match(line):
            path, current = match.group(1), None
        elif (match := _METHOD.match(line)) and path is not None:
            current = found.setdefault((match.group(1).upper(), path), {})
        elif (match := _FIELD.match(line)) and current is not None:
            current[match.group(1)] = _scalar(match.group(2))
    return {
        (method, path): Operation(
            method=method,
            path=path,
            operation_id=fields.get("operationId"),
            scope=fields.get("x-scope"),
            job=fields.get("x-async-job"),
            rate_class=fields.get("x-rate-limit-class"),
        )
        for (method, path), fields in found.items()
    }


SAMPLE = """\
openapi: 3.1.0
paths:
  /v1/things/{id}:
    get:
      operationId: getThing
      parameters:
      - name: x-scope
      x-scope: null
      x-async-job: false
      x-rate-limit-class: read-light
    post:
      operationId: 'startThing'
      x-scope: things:write
      x-async-job: true
      x-rate-limit-class: long-running
components:
  schemas:
    operationId: not an operation
"""


def test_reader_takes_each_operations_fields() -> None:
    """The line reader gives each method of a path its own fields and stops at ``paths``' end."""
    assert {
        ("GET", "/v1/things/{id}"): Operation(
            "GET", "/v1/things/{id}", "getThing", None, False, "read-light"
        ),
        ("POST", "/v1/things/{id}"): Operation(
            "POST", "/v1/things/{id}", "startThing", "things:write", True, "long-running"
        ),
    } == read_operations(SAMPLE)


@pytest.fixture(scope="module")
def operations() -> dict[tuple[str, str], Operation]:
    """Every operation of tests/data/layers-api/openapi.yaml."""
    return read_operations((API_DOCS / "openapi.yaml").read_text(encoding="utf-8"))


def test_reader_finds_all_documented_operations(operations: dict[Any, Operation]) -> None:
    """README section 10 counts 94 operations; each has an operationId and a rate class."""
    assert 94 == len(operations)
    assert [] == [op for op in operations.values() if not op.operation_id or not op.rate_class]


@pytest.mark.parametrize("spec", ROUTES, ids=lambda spec: f"{spec.method} {spec.path}")
def test_route_matches_openapi(spec: RouteSpec, operations: dict[Any, Operation]) -> None:
    """Method and path exist; operationId, scope, job flag and rate class are the spec's."""
    documented = operations.get((spec.method, spec.path))
    assert documented is not None, f"{spec.method} {spec.path} is not in openapi.yaml"
    fake = Operation(
        spec.method, spec.path, spec.operation_id, spec.scope, spec.job, spec.rate_class
    )
    assert documented == fake


def test_route_table_has_no_duplicates() -> None:
    """Each (method, path) and each operationId appears once in the fake's table."""
    assert len(ROUTES) == len({(spec.method, spec.path) for spec in ROUTES})
    assert len(ROUTES) == len({spec.operation_id for spec in ROUTES})
