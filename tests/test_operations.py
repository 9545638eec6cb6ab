"""The operation table, and the fake's own route table, against openapi.yaml and operations.tsv."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from apispec import BY_ID, TSV, UNDOCUMENTED_PAGING, body_properties, query_parameters

from layers_async import AsyncLayers
from layers_async._operations import OPERATIONS, RESULT_TYPES, Operation
from layers_async.testing._routes import ROUTES

LIBRARY = {op.operation_id: op for op in OPERATIONS}
FAKE = {(route.method, route.path): route for route in ROUTES}


def test_the_spec_and_the_tsv_name_the_same_94_operations() -> None:
    """The reference is whole: 94 operations in both files, the same ids."""
    assert 94 == len(BY_ID) == len(TSV)
    assert set(BY_ID) == set(TSV)


def test_every_operation_exists_in_library_and_fake() -> None:
    """All 94 operations are in the library's table and in the fake's, and nothing else."""
    fake_ids = {ident for ident, (method, path, _) in BY_ID.items() if (method, path) in FAKE}
    assert set(BY_ID) == set(LIBRARY), "library table"
    assert set(BY_ID) == fake_ids, "fake route table"
    assert len(FAKE) == len(fake_ids), "the fake serves a route the spec does not have"
    assert 94 == len(OPERATIONS) == len(ROUTES)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
def test_library_row_matches_the_spec(op: Operation[Any]) -> None:
    """Method, path, rate class, job or not, idempotency badge and Python name as documented."""
    method, path, spec = BY_ID[op.operation_id]
    row = TSV[op.operation_id]
    assert (method, path) == (op.method, op.path)
    assert spec["x-rate-limit-class"] == op.rate_class
    assert bool(spec.get("x-async-job")) == (op.job is not None)
    assert ("Job" == row["returns"]) == (op.job is not None)
    assert ("pages" == row["returns"]) == op.pages
    assert bool(spec.get("x-idempotent")) == op.idempotent
    assert row["python"] == f"layers.{op.name}"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
def test_library_wire_names_are_the_specs(op: Operation[Any]) -> None:
    """Every body and query field the library sends is one the spec names."""
    _, _, spec = BY_ID[op.operation_id]
    assert set() == set(op.body) - body_properties(spec)
    assert set() == set(op.query) - query_parameters(spec)
    if op.pages and op.operation_id not in UNDOCUMENTED_PAGING:
        assert {"cursor", "limit"} <= query_parameters(spec)


@pytest.mark.anyio
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
async def test_each_row_has_its_documented_method_on_the_client(op: Operation[Any]) -> None:
    """``layers.<python name>`` exists and is a method (async, or a paginator for lists)."""
    async with AsyncLayers(api_key="lp_test_x", base_url="http://127.0.0.1:9") as layers:
        target: Any = layers
        for part in op.name.split("."):
            target = getattr(target, part)
    assert callable(target)
    assert inspect.iscoroutinefunction(target) != op.pages
    assert target.__doc__


def test_job_result_types_derive_from_the_table() -> None:
    """Every job kind spelling of every job-starting row maps to its result type."""
    expected = {kind: op.job.result for op in OPERATIONS if op.job for kind in op.job.kinds}
    assert expected == dict(RESULT_TYPES)
    assert {"ingest_github", "project_ingest_github"} <= set(RESULT_TYPES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_fake_route_matches_the_spec(route: Any) -> None:
    """The fake's own table: operationId, scope, job flag and rate class as documented."""
    method, path, op = BY_ID[route.operation_id]
    assert (method, path) == (route.method, route.path)
    assert op.get("x-scope") == route.scope
    assert bool(op.get("x-async-job")) == route.job
    assert op["x-rate-limit-class"] == route.rate_class


def test_fake_route_table_has_no_duplicates() -> None:
    """Each (method, path) and each operationId appears once in the fake's table."""
    assert len(ROUTES) == len(FAKE) == len({route.operation_id for route in ROUTES})


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/v1/jobs/job_1", "jobs.get"),
    ("POST", "/v1/projects/prj_1/ingest/github", "ingest.github"),
    ("PATCH", "/v1/projects/prj_1", "projects.update"),
    ("GET", "/v1/github/installation/install-url", "github.install_url"),
    ("GET", "/v1/projects/prj_1/ingest", None),
])
def test_find_operation_matches_concrete_paths(method: str, path: str,
                                               expected: str | None) -> None:
    """A concrete request finds its row (journals and benchmarks classify by it)."""
    from layers_async._operations import find_operation

    found = find_operation(method, path)
    assert expected == (found.name if found is not None else None)
