"""openapi.yaml and operations.tsv as the tests read them: the operations by id, and the wire
names (body properties, query parameters) each one documents."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import yaml
from apidocs import API_DOCS

SPEC: dict[str, Any] = yaml.safe_load((API_DOCS / "openapi.yaml").read_text())
with (API_DOCS / "operations.tsv").open(newline="") as _tsv:
    #: operations.tsv's rows by operationId.
    TSV: dict[str, dict[str, str]] = {
        row["operation_id"]: row for row in csv.DictReader(_tsv, delimiter="\t")}

#: Paged per operations.tsv, though the spec prints no cursor/limit (its nextCursor is inferred).
UNDOCUMENTED_PAGING = frozenset({"listSocialAccounts"})


def spec_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation in openapi.yaml."""
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "patch", "delete", "put"):
                yield method.upper(), path, op


#: (method, path template, operation) by operationId.
BY_ID = {op["operationId"]: (method, path, op) for method, path, op in spec_operations()}


def resolve(node: Any) -> Any:
    """``node`` with a local ``$ref`` followed."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _body_schema(op: dict[str, Any]) -> Any:
    content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    return content.get("schema")


def body_properties(op: dict[str, Any]) -> set[str]:
    """Top-level property names the spec allows in the request body (across oneOf/anyOf)."""
    found: set[str] = set()
    pending = [_body_schema(op)]
    while pending:
        schema = resolve(pending.pop())
        if not isinstance(schema, dict):
            continue
        found |= set(schema.get("properties", {}))
        for key in ("oneOf", "anyOf", "allOf"):
            pending.extend(schema.get(key, []))
    return found


def required_body_alternatives(op: dict[str, Any]) -> list[set[str]]:
    """The sets of top-level body names the spec requires, one per ``oneOf``/``anyOf``
    alternative (``allOf`` parts add up); a body is valid when it holds one whole set."""

    def alternatives(node: Any) -> list[set[str]]:
        schema = resolve(node)
        if not isinstance(schema, dict):
            return [set()]
        mine = [set(schema.get("required", []))]
        for part in schema.get("allOf", []):
            mine = [have | more for have in mine for more in alternatives(part)]
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                choices = [alt for part in schema[key] for alt in alternatives(part)]
                mine = [have | more for have in mine for more in choices]
        return mine

    return alternatives(_body_schema(op))


def _parameters(op: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (p for p in (resolve(p) for p in op.get("parameters", [])) if p.get("in") == "query")


def query_parameters(op: dict[str, Any]) -> set[str]:
    """Query parameter names of the operation."""
    return {p["name"] for p in _parameters(op)}


def required_query_parameters(op: dict[str, Any]) -> set[str]:
    """Query parameter names the operation requires."""
    return {p["name"] for p in _parameters(op) if p.get("required")}


def repeatable_query_parameters(op: dict[str, Any]) -> set[str]:
    """Query parameters sent as the name repeated (an array, ``form`` style, exploded)."""
    return {p["name"] for p in _parameters(op)
            if resolve(p.get("schema", {})).get("type") == "array"
            and p.get("style", "form") == "form" and p.get("explode", True)}
