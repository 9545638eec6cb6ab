"""Projects: create, list (filters, cursor), get, patch, archive."""

from __future__ import annotations

import re
from typing import Any

import pytest

from layers_async.testing import FakeLayers

from .fakehttp import Api

pytestmark = pytest.mark.anyio

PRJ = r"prj_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


async def test_create_project(api: Api, fake: FakeLayers) -> None:
    """POST /v1/projects answers 201 with the full project row."""
    reply = await api(
        "POST",
        "/v1/projects",
        json={
            "name": "Acme Coffee iOS",
            "customerExternalId": "acme-coffee",
            "timezone": "America/Los_Angeles",
            "ownerEmail": "growth@example.com",
        },
    )
    assert 201 == reply.status
    body = reply.json()
    assert re.fullmatch(PRJ, body["id"])
    assert fake.organization_id == body["organizationId"]
    assert "active" == body["status"]
    assert "en" == body["primaryLanguage"]
    assert "acme-coffee" == body["customerExternalId"]
    assert {"github": None, "website": None, "appstore": None} == body["ingestState"]
    assert body["brandContext"] is None
    assert body["createdAt"] == body["updatedAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["createdAt"])


async def test_create_with_app_fields_fills_brand_context(api: Api) -> None:
    """appName / appDescription land in brandContext."""
    description = "A" * 120
    body = await api.project(appName="Acme", appDescription=description, metadata={"k": "v"})
    assert "Acme" == body["brandContext"]["appName"]
    assert description == body["brandContext"]["appDescription"]
    assert {"k": "v"} == body["metadata"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"timezone": "UTC"}, ["name"]),
        ({"name": "", "timezone": "UTC"}, ["name"]),
        ({"name": "x" * 129, "timezone": "UTC"}, ["name"]),
        ({"name": "A"}, ["timezone"]),
        ({"name": "A", "timezone": "Mars/Olympus_Mons"}, ["timezone"]),
        ({"name": "A", "timezone": "UTC", "appName": "ab"}, ["appName"]),
        ({"name": "A", "timezone": "UTC", "appDescription": "too short"}, ["appDescription"]),
        ({"name": "A", "timezone": "UTC", "metadata": []}, ["metadata"]),
        ({"name": 5, "timezone": "UTC"}, ["name"]),
        ([1, 2], []),
    ],
)
async def test_create_validation(api: Api, body: Any, path: list[str]) -> None:
    """Invalid bodies answer 422 VALIDATION with details.issues[].path."""
    reply = await api("POST", "/v1/projects", json=body)
    assert 422 == reply.status
    assert "VALIDATION" == reply.error["code"]
    assert path == reply.error["details"]["issues"][0]["path"]


async def test_create_rejects_non_json(api: Api) -> None:
    """A body that is not JSON answers 422."""
    reply = await api(
        "POST", "/v1/projects", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert 422 == reply.status


async def test_duplicate_customer_external_id_conflicts(api: Api) -> None:
    """A second project with the same customerExternalId answers 409 CONFLICT."""
    first = await api.project(customerExternalId="acme_42")
    reply = await api(
        "POST",
        "/v1/projects",
        json={"name": "B", "timezone": "UTC", "customerExternalId": "acme_42"},
    )
    assert 409 == reply.status
    assert "CONFLICT" == reply.error["code"]
    assert first["id"] == reply.error["details"]["projectId"]


async def test_get_project_by_prefixed_and_bare_id(api: Api) -> None:
    """GET /v1/projects/{id} accepts prj_<uuid> and the bare uuid."""
    created = await api.project()
    for project_id in (created["id"], created["id"].removeprefix("prj_")):
        reply = await api("GET", f"/v1/projects/{project_id}")
        assert 200 == reply.status
        assert created == reply.json()


async def test_unknown_and_foreign_projects_are_404(api: Api, fake: FakeLayers) -> None:
    """Unknown ids and other organizations' projects answer 404 "Project not found."."""
    created = await api.project()
    foreign = fake.add_key(organization_id=fake.add_org())
    for key, project_id in (
        (fake.api_key, "prj_00000000-0000-4000-8000-000000000000"),
        (foreign, created["id"]),
    ):
        for method in ("GET", "PATCH", "DELETE"):
            reply = await api(method, f"/v1/projects/{project_id}", key=key, json={})
            assert 404 == reply.status
            assert {"code": "NOT_FOUND", "message": "Project not found."} == {
                k: reply.error[k] for k in ("code", "message")
            }


async def test_list_newest_first_and_paginated(api: Api) -> None:
    """GET /v1/projects lists in reverse creation order and pages with an opaque cursor."""
    ids = [(await api.project(name=f"P{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await api("GET", "/v1/projects", params=params)).json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert list(reversed(ids)) == seen
    assert 3 == pages
    summary = (await api("GET", "/v1/projects", params={"limit": "1"})).json()["items"][0]
    assert {
        "id",
        "name",
        "status",
        "customerExternalId",
        "timezone",
        "primaryLanguage",
        "ownerEmail",
        "createdAt",
        "updatedAt",
    } == set(summary)


async def test_list_default_limit_is_25(api: Api) -> None:
    """Without limit a page holds 25 projects."""
    for i in range(26):
        await api.project(name=f"P{i}")
    page = (await api("GET", "/v1/projects")).json()
    assert 25 == len(page["items"])
    assert page["nextCursor"] is not None


async def test_list_filters(api: Api) -> None:
    """status, search (case-insensitive) and customerExternalId filter the list."""
    coffee = await api.project(name="Acme Coffee", customerExternalId="c1")
    await api.project(name="Tea House", customerExternalId="t1")
    archived = await api.project(name="Old Coffee")
    await api("DELETE", f"/v1/projects/{archived['id']}")

    async def names(**params: str) -> list[str]:
        body = (await api("GET", "/v1/projects", params=params)).json()
        return [item["name"] for item in body["items"]]

    assert ["Old Coffee", "Acme Coffee"] == await names(search="cOFFee")
    assert ["Acme Coffee"] == await names(customerExternalId="c1")
    assert ["Old Coffee"] == await names(status="archived")
    assert ["Tea House", "Acme Coffee"] == await names(status="active")
    assert [] == await names(customerExternalId="nobody")
    assert coffee["id"] != archived["id"]


async def test_list_bad_parameters(api: Api) -> None:
    """Bad limit or status, a malformed cursor or one from other filters answer 422."""
    for i in range(3):
        await api.project(name=f"P{i}")
    cursor = (await api("GET", "/v1/projects", params={"limit": "1"})).json()["nextCursor"]
    for params in (
        {"limit": "0"},
        {"limit": "201"},
        {"status": "deleted"},
        {"cursor": "garbage!"},
        {"cursor": "eyJvZmZzZXQiOjI1fQ=="},
        {"cursor": cursor, "search": "P"},
    ):
        reply = await api("GET", "/v1/projects", params=params)
        assert 422 == reply.status, params
        assert "VALIDATION" == reply.error["code"]
    ok = await api("GET", "/v1/projects", params={"cursor": cursor, "limit": "5"})
    assert 200 == ok.status


async def test_patch_project(api: Api) -> None:
    """PATCH updates writable fields and updatedAt."""
    created = await api.project()
    api.fake.advance(5)
    reply = await api(
        "PATCH",
        f"/v1/projects/{created['id']}",
        json={"timezone": "America/New_York", "ownerEmail": "ops@example.com", "tagline": "Hi"},
    )
    assert 200 == reply.status
    body = reply.json()
    assert "America/New_York" == body["timezone"]
    assert "ops@example.com" == body["ownerEmail"]
    assert "Hi" == body["brandContext"]["tagline"]
    assert body["updatedAt"] > created["updatedAt"]
    assert body == (await api("GET", f"/v1/projects/{created['id']}")).json()


async def test_patch_read_only_fields_is_400(api: Api) -> None:
    """Sending id, organizationId, createdAt, ingestState or brandContext answers 400."""
    created = await api.project()
    for field in ("id", "organizationId", "createdAt", "ingestState", "brandContext"):
        reply = await api("PATCH", f"/v1/projects/{created['id']}", json={field: "x"})
        assert 400 == reply.status
        assert "VALIDATION" == reply.error["code"]
        assert [field] == reply.error["details"]["issues"][0]["path"]


async def test_patch_validation_and_conflict(api: Api) -> None:
    """PATCH validates like create (422) and keeps customerExternalId unique (409)."""
    await api.project(customerExternalId="taken")
    created = await api.project()
    path = f"/v1/projects/{created['id']}"
    assert 422 == (await api("PATCH", path, json={"timezone": "Nowhere/Land"})).status
    assert 422 == (await api("PATCH", path, json={"brandVoice": "shouty"})).status
    assert 422 == (await api("PATCH", path, json={"tagline": "x" * 81})).status
    assert 409 == (await api("PATCH", path, json={"customerExternalId": "taken"})).status


async def test_archive_project(api: Api) -> None:
    """DELETE archives (200 ProjectArchiveResult); a repeat refreshes archivedAt."""
    created = await api.project()
    path = f"/v1/projects/{created['id']}"
    first = (await api("DELETE", path)).json()
    assert {"id": created["id"], "status": "archived", "canceledScheduledPosts": 0} == {
        k: first[k] for k in ("id", "status", "canceledScheduledPosts")
    }
    api.fake.advance(60)
    second = (await api("DELETE", path)).json()
    assert second["archivedAt"] > first["archivedAt"]
    assert "archived" == (await api("GET", path)).json()["status"]
