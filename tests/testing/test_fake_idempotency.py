"""Idempotency-Key: replay, conflict, 24 h window, isolation, what is stored."""

from __future__ import annotations

import pytest

from .fakehttp import Api

pytestmark = pytest.mark.anyio

BODY = {"name": "Acme", "timezone": "UTC"}


async def _count_projects(api: Api) -> int:
    return len((await api("GET", "/v1/projects")).json()["items"])


async def test_same_key_same_body_replays(api: Api) -> None:
    """The replay returns the original status and body verbatim and creates nothing."""
    headers = {"Idempotency-Key": "k-1"}
    first = await api("POST", "/v1/projects", json=BODY, headers=headers)
    second = await api("POST", "/v1/projects", json=BODY, headers=headers)
    assert 201 == first.status
    assert first.status == second.status
    assert first.body == second.body
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert 1 == await _count_projects(api)


async def test_no_key_executes_every_time(api: Api) -> None:
    """Without Idempotency-Key every request runs."""
    await api("POST", "/v1/projects", json=BODY)
    await api("POST", "/v1/projects", json=BODY)
    assert 2 == await _count_projects(api)


async def test_same_key_different_body_conflicts(api: Api) -> None:
    """Reusing a key with another body answers 409 IDEMPOTENCY_CONFLICT."""
    headers = {"Idempotency-Key": "k-2"}
    await api("POST", "/v1/projects", json=BODY, headers=headers)
    reply = await api("POST", "/v1/projects", json=BODY | {"name": "Other"}, headers=headers)
    assert 409 == reply.status
    assert "IDEMPOTENCY_CONFLICT" == reply.error["code"]
    assert 1 == await _count_projects(api)


async def test_window_is_24_hours(api: Api) -> None:
    """After 24 h of API time the key executes again."""
    headers = {"Idempotency-Key": "k-3"}
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
    headers = {"Idempotency-Key": "k-4"}
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
    headers = {"Idempotency-Key": "k-5"}
    first = await api("POST", "/v1/projects", json={"name": "A"}, headers=headers)
    assert 422 == first.status
    second = await api("POST", "/v1/projects", json={"name": "A"}, headers=headers)
    assert first.body == second.body


async def test_server_errors_are_not_stored(api: Api) -> None:
    """A 5xx is not stored: the retry with the same key executes."""
    headers = {"Idempotency-Key": "k-6"}
    api.fake.faults.add(status=500, times=1, route="POST /v1/projects")
    assert 500 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status
    assert 201 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status
    assert 1 == await _count_projects(api)


async def test_rate_limited_responses_are_not_stored(api: Api) -> None:
    """A 429 is not stored either."""
    headers = {"Idempotency-Key": "k-7"}
    api.fake.faults.add(status=429, times=1)
    assert 429 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status
    assert 201 == (await api("POST", "/v1/projects", json=BODY, headers=headers)).status


async def test_rotate_replay_returns_the_same_secret(api: Api) -> None:
    """Replaying a rotation returns the same new secret and does not rotate again."""
    key = api.fake.add_key()
    path = f"/v1/api-keys/{api.fake.key_id(key)}/rotate"
    headers = {"Idempotency-Key": "k-8"}
    first = (await api("POST", path, headers=headers)).json()
    second = (await api("POST", path, headers=headers)).json()
    assert first["secret"] == second["secret"]
    assert 200 == (await api("GET", "/v1/whoami", key=first["secret"])).status


async def test_job_start_replay_returns_the_same_job(api: Api) -> None:
    """Replaying an ingest returns the same job and Location without starting another."""
    await api.install()
    project_id = (await api.project())["id"]
    path = f"/v1/projects/{project_id}/ingest/github"
    headers = {"Idempotency-Key": "k-9"}
    first = await api("POST", path, json={"repoFullName": "a/b"}, headers=headers)
    second = await api("POST", path, json={"repoFullName": "a/b"}, headers=headers)
    assert first.body == second.body
    assert first.headers["Location"] == second.headers["Location"]
    assert 202 == second.status


async def test_patch_and_delete_are_covered(api: Api) -> None:
    """PATCH and DELETE replays return the stored response."""
    project_id = (await api.project())["id"]
    headers = {"Idempotency-Key": "k-10"}
    first = await api("DELETE", f"/v1/projects/{project_id}", headers=headers)
    api.fake.advance(60)
    assert first.body == (await api("DELETE", f"/v1/projects/{project_id}", headers=headers)).body
    patch = await api("PATCH", f"/v1/projects/{project_id}", json={"name": "N"}, headers=headers)
    assert 200 == patch.status
