"""Idempotency-Key: replay, conflict, 24 h window, isolation, what is stored."""

from __future__ import annotations

import uuid

import pytest

from layers_async import idempotency_key
from layers_async.testing import FakeLayers

from .fakehttp import Api

pytestmark = pytest.mark.anyio

BODY = {"name": "Acme", "timezone": "UTC"}


async def _count_projects(api: Api) -> int:
    return len((await api("GET", "/v1/projects")).json()["items"])


async def test_same_key_same_body_replays(api: Api) -> None:
    """The replay returns the original status and body verbatim and creates nothing."""
    headers = {"Idempotency-Key": idempotency_key("k-1")}
    first = await api("POST", "/v1/projects", json=BODY, headers=headers)
    second = await api("POST", "/v1/projects", json=BODY, headers=headers)
    assert 201 == first.status
    assert first.status == second.status
    assert first.body == second.body
    assert 1 == await _count_projects(api)


async def test_replay_repeats_the_request_id(api: Api, fake: FakeLayers) -> None:
    """A replay carries the original X-Request-Id, so header and body requestId still agree;
    the journal keeps the replay as its own entry, marked replayed."""
    headers = {"Idempotency-Key": idempotency_key("k-rid")}
    bad = {"name": "no timezone"}
    first = await api("POST", "/v1/projects", json=bad, headers=headers)
    second = await api("POST", "/v1/projects", json=bad, headers=headers)
    assert 422 == second.status
    assert first.body == second.body
    assert first.headers["X-Request-Id"] == second.headers["X-Request-Id"]
    assert second.headers["X-Request-Id"] == second.error["requestId"]
    created = await api(
        "POST", "/v1/projects", json=BODY, headers={"Idempotency-Key": idempotency_key("k-ok")}
    )
    again = await api(
        "POST", "/v1/projects", json=BODY, headers={"Idempotency-Key": idempotency_key("k-ok")}
    )
    assert created.headers["X-Request-Id"] == again.headers["X-Request-Id"]
    posts = [entry for entry in fake.journal if entry.method == "POST"]
    assert 4 == len(posts)
    assert [False, True, False, True] == [entry.replayed for entry in posts]
    assert [first.headers["X-Request-Id"]] * 2 == [entry.request_id for entry in posts[:2]]
    fresh = await api("GET", "/v1/whoami")
    assert fresh.headers["X-Request-Id"] != created.headers["X-Request-Id"]


async def test_same_resource_template_different_resource_is_not_replayed(api: Api) -> None:
    """The same key and body sent to another project's ingest starts that project's job."""
    await api.install()
    first_project = (await api.project(name="A"))["id"]
    second_project = (await api.project(name="B"))["id"]
    headers = {"Idempotency-Key": idempotency_key("k-cross")}
    body = {"repoFullName": "acme/acme-mobile"}
    first = await api(
        "POST", f"/v1/projects/{first_project}/ingest/github", json=body, headers=headers
    )
    second = await api(
        "POST", f"/v1/projects/{second_project}/ingest/github", json=body, headers=headers
    )
    assert (202, 202) == (first.status, second.status)
    assert first.json()["jobId"] != second.json()["jobId"]
    assert second_project == second.json()["projectId"]
    assert second_project == (await api.job(second.json()["jobId"]))["projectId"]


async def test_one_key_kills_two_api_keys(api: Api, fake: FakeLayers) -> None:
    """kill k1 then kill k2 under one Idempotency-Key kills both (no replay of k1's record)."""
    first, second = fake.add_key(), fake.add_key()
    headers = {"Idempotency-Key": idempotency_key("k-kill")}
    one = await api("POST", f"/v1/api-keys/{fake.key_id(first)}/kill", headers=headers)
    two = await api("POST", f"/v1/api-keys/{fake.key_id(second)}/kill", headers=headers)
    assert fake.key_id(first) == one.json()["apiKey"]["id"]
    assert fake.key_id(second) == two.json()["apiKey"]["id"]
    assert 503 == (await api("GET", "/v1/whoami", key=second)).status


async def test_query_is_part_of_the_endpoint(api: Api) -> None:
    """The same key and body on another query string executes again."""
    headers = {"Idempotency-Key": idempotency_key("k-query")}
    for value in ("1", "2", "2"):
        await api("POST", "/v1/projects", json=BODY, headers=headers, params={"x": value})
    assert 2 == await _count_projects(api)


async def test_json_bodies_compare_canonically(api: Api) -> None:
    """Key order and whitespace do not make a body different; the replay returns the first
    response, and a really different body still conflicts."""
    headers = {"Idempotency-Key": idempotency_key("k-canon"), "Content-Type": "application/json"}
    compact = b'{"name":"Acme","timezone":"UTC"}'
    spaced = b'{ "timezone" : "UTC",\n  "name": "Acme" }'
    first = await api("POST", "/v1/projects", data=compact, headers=headers)
    second = await api("POST", "/v1/projects", data=spaced, headers=headers)
    assert 201 == second.status
    assert first.body == second.body
    assert 1 == await _count_projects(api)
    other = await api(
        "POST", "/v1/projects", data=b'{"name":"Acme","timezone":"GMT"}', headers=headers
    )
    assert "IDEMPOTENCY_CONFLICT" == other.error["code"]


async def test_non_json_bodies_compare_as_bytes(api: Api) -> None:
    """A body that is not JSON is compared byte for byte."""
    headers = {"Idempotency-Key": idempotency_key("k-raw"), "Content-Type": "application/json"}
    first = await api("POST", "/v1/projects", data=b"{nope", headers=headers)
    assert 422 == first.status
    assert first.body == (await api("POST", "/v1/projects", data=b"{nope", headers=headers)).body
    other = await api("POST", "/v1/projects", data=b"{nope ", headers=headers)
    assert 409 == other.status
    assert "IDEMPOTENCY_CONFLICT" == other.error["code"]


async def test_keys_are_isolated_per_acting_organization(api: Api, fake: FakeLayers) -> None:
    """The same request acting in a child org is another endpoint: it creates the child's own."""
    child = fake.add_org(parent_id=fake.organization_id)
    headers = {"Idempotency-Key": idempotency_key("k-org")}
    parent_project = await api("POST", "/v1/projects", json=BODY, headers=headers)
    child_project = await api(
        "POST", "/v1/projects", json=BODY, headers=headers | {"X-Layers-Organization": child}
    )
    assert 201 == child_project.status
    assert child == child_project.json()["organizationId"]
    assert parent_project.json()["id"] != child_project.json()["id"]


async def test_no_key_executes_every_time(api: Api) -> None:
    """Without Idempotency-Key every request runs."""
    await api("POST", "/v1/projects", json=BODY)
    await api("POST", "/v1/projects", json=BODY)
    assert 2 == await _count_projects(api)


async def test_same_key_different_body_conflicts(api: Api) -> None:
    """Reusing a key with another body answers 409 IDEMPOTENCY_CONFLICT."""
    headers = {"Idempotency-Key": idempotency_key("k-2")}
    await api("POST", "/v1/projects", json=BODY, headers=headers)
    reply = await api("POST", "/v1/projects", json=BODY | {"name": "Other"}, headers=headers)
    assert 409 == reply.status
    assert "IDEMPOTENCY_CONFLICT" == reply.error["code"]
    assert 1 == await _count_projects(api)


async def test_window_is_24_hours(api: Api) -> None:
    """After 24 h of API time the key executes again."""
    headers = {"Idempotency-Key": idempotency_key("k-3")}
    first = await api("POST", "/v1/projects", json=BODY, headers=headers)
    api.fake.advance(23 * 3600)
    assert first.body == (await api("POST", "/v1/projects", json=BODY, headers=headers)).body
    api.fake.advance(3600 + 1)
    again = await api("POST", "/v1/projects", json=BODY, headers=headers)
    assert 201 == again.status
    assert first.body != again.body
    assert 2 == await _count_projects(api)


async def test_keys_are_isolated_per_api_key_and_route(api: Api) -> None:
    """The same Idempotency-Key under another API key or route is independent."""
    headers = {"Idempotency-Key": idempotency_key("k-4")}
    other = api.fake.add_key()
    await api("POST", "/v1/projects", json=BODY, headers=headers)
    assert 201 == (await api("POST", "/v1/projects", json=BODY, headers=headers, key=other)).status
    install = {"installationId": 1, "state": "s"}
    assert (
        201 == (await api("POST", "/v1/github/installation", json=install, headers=headers)).status
    )
    assert 2 == await _count_projects(api)


async def test_client_errors_are_replayed(api: Api) -> None:
    """A stored 422 replays as the same 422 even if the state changed."""
    headers = {"Idempotency-Key": idempotency_key("k-5")}
    first = await api("POST", "/v1/projects", json={"name": "A"}, headers=headers)
    assert 422 == first.status
    second = await api("POST", "/v1/projects", json={"name": "A"}, headers=headers)
    assert first.body == second.body


async def test_server_errors_are_not_stored(api: Api) -> None:
    """A 5xx is not stored: the retry with the same key executes."""
    headers = {"Idempotency-Key": idempotency_key("k-6")}
    api.fake.faults.add(status=500, times=1, route="POST /v1/projects")
    assert 500 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status
    assert 201 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status
    assert 1 == await _count_projects(api)


async def test_rate_limited_responses_are_not_stored(api: Api) -> None:
    """A 429 is not stored either."""
    headers = {"Idempotency-Key": idempotency_key("k-7")}
    api.fake.faults.add(status=429, times=1)
    assert 429 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status
    assert 201 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status


async def test_rotate_replay_returns_the_same_secret(api: Api) -> None:
    """Replaying a rotation returns the same new secret and does not rotate again."""
    key = api.fake.add_key()
    path = f"/v1/api-keys/{api.fake.key_id(key)}/rotate"
    headers = {"Idempotency-Key": idempotency_key("k-8")}
    first = (await api("POST", path, headers=headers)).json()
    second = (await api("POST", path, headers=headers)).json()
    assert first["secret"] == second["secret"]
    assert 200 == (await api("GET", "/v1/whoami", key=first["secret"])).status


async def test_job_start_replay_returns_the_same_job(api: Api) -> None:
    """Replaying an ingest returns the same job and Location without starting another."""
    await api.install()
    project_id = (await api.project())["id"]
    path = f"/v1/projects/{project_id}/ingest/github"
    headers = {"Idempotency-Key": idempotency_key("k-9")}
    first = await api("POST", path, json={"repoFullName": "a/b"}, headers=headers)
    second = await api("POST", path, json={"repoFullName": "a/b"}, headers=headers)
    assert first.body == second.body
    assert first.headers["Location"] == second.headers["Location"]
    assert 202 == second.status


async def test_patch_and_delete_are_covered(api: Api) -> None:
    """PATCH and DELETE replays return the stored response."""
    project_id = (await api.project())["id"]
    headers = {"Idempotency-Key": idempotency_key("k-10")}
    first = await api("DELETE", f"/v1/projects/{project_id}", headers=headers)
    api.fake.advance(60)
    assert first.body == (await api("DELETE", f"/v1/projects/{project_id}", headers=headers)).body
    patch = await api("PATCH", f"/v1/projects/{project_id}", json={"name": "N"}, headers=headers)
    assert 200 == patch.status


@pytest.mark.parametrize(
    "key",
    [
        "k-1",
        "",
        "acme_42:project",
        "6f1c0b9e8a7d4c3b2a1f0e9d8c7b6a59",  # a UUID's hex without the hyphens
        "{6f1c0b9e-8a7d-4c3b-2a1f-0e9d8c7b6a59}",
        "01HX9Y6K7EJ4T2ABCDEF0123",  # 24 chars: too short for a ULID
        "81HX9Y6K7EJ4T2ABCDEF012345",  # 26 chars, but over ULID's 128 bits
        "01HX9Y6K7EJ4T2ABCDEF01234U",  # U is not Crockford base32
    ],
)
async def test_a_key_neither_uuid_nor_ulid_is_a_validation_error(api: Api, key: str) -> None:
    """An Idempotency-Key that is no UUID or ULID answers 422 VALIDATION naming the header."""
    reply = await api("POST", "/v1/projects", json=BODY, headers={"Idempotency-Key": key})
    assert (422, "VALIDATION") == (reply.status, reply.error["code"])
    assert [["Idempotency-Key"]] == [issue["path"] for issue in reply.error["details"]["issues"]]
    assert [] == (await api("GET", "/v1/projects")).json()["items"]


@pytest.mark.parametrize(
    "key",
    [
        str(uuid.uuid4()),
        str(uuid.uuid4()).upper(),
        idempotency_key("a", "b"),  # a v5 UUID
        "01HX9Y6K7EJ4T2ABCDEF012345",
        "01hx9y6k7ej4t2abcdef012345",
    ],
)
async def test_uuid_and_ulid_keys_are_accepted(api: Api, key: str) -> None:
    """UUIDs of any version and case, and ULIDs of either case, are keys."""
    reply = await api("POST", "/v1/projects", json=BODY, headers={"Idempotency-Key": key})
    assert 201 == reply.status


async def test_keys_are_not_checked_on_reads(api: Api) -> None:
    """A GET ignores the header, whatever it holds."""
    assert 200 == (await api("GET", "/v1/whoami", headers={"Idempotency-Key": "k-1"})).status
