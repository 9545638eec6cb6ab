"""GitHub App routes: install URL, installation registration, repositories."""

from __future__ import annotations

import pytest

from layers_async.testing import FakeLayers

from .fakehttp import Api, Reply, StartFake

pytestmark = pytest.mark.anyio


async def test_install_url(api: Api) -> None:
    """The install URL echoes the state and expires in 15 minutes."""
    reply = await api(
        "GET",
        "/v1/github/installation/install-url",
        params={"returnUrl": "https://app.example.com/done", "state": "s1"},
    )
    assert 200 == reply.status
    body = reply.json()
    assert "s1" == body["state"]
    assert body["authUrl"] == body["installUrl"]
    assert body["authUrl"].startswith("https://github.com/")
    assert body["expiresAt"].endswith("Z")


async def test_install_url_generates_state(api: Api) -> None:
    """Without a state one is generated."""
    body = (
        await api(
            "GET", "/v1/github/installation/install-url", params={"returnUrl": "https://a.example"}
        )
    ).json()
    assert 32 == len(body["state"])


@pytest.mark.parametrize("params", [{}, {"returnUrl": "http://a.example/x"}, {"returnUrl": "nope"}])
async def test_install_url_needs_https(api: Api, params: dict[str, str]) -> None:
    """A missing or non-https returnUrl answers 422."""
    reply = await api("GET", "/v1/github/installation/install-url", params=params)
    assert 422 == reply.status
    assert ["returnUrl"] == reply.error["details"]["issues"][0]["path"]


async def test_installation_404_until_registered(api: Api) -> None:
    """GET /v1/github/installation answers the documented 404 before registration."""
    reply = await api("GET", "/v1/github/installation")
    assert 404 == reply.status
    assert "NOT_FOUND" == reply.error["code"]
    assert (
        "No GitHub App installation is registered for this organization." == reply.error["message"]
    )
    assert 404 == (await api("GET", "/v1/github/repos")).status


async def test_register_installation(api: Api) -> None:
    """POST registers (201); re-posting the same id is a no-op; GET then returns it."""
    body = {"installationId": 50291845, "state": "lUNN5tIRm"}
    first = await api("POST", "/v1/github/installation", json=body)
    assert 201 == first.status
    installed = first.json()
    assert 50291845 == installed["installationId"]
    assert "active" == installed["status"]
    assert installed["githubAccount"]["login"] == installed["orgLogin"]
    assert installed["registeredAt"].endswith("+00:00")
    api.fake.advance(10)
    again = await api("POST", "/v1/github/installation", json=body)
    assert 201 == again.status
    assert installed == again.json()
    assert installed == (await api("GET", "/v1/github/installation")).json()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"state": "s"}, ["installationId"]),
        ({"installationId": "5", "state": "s"}, ["installationId"]),
        ({"installationId": True, "state": "s"}, ["installationId"]),
        ({"installationId": 5}, ["state"]),
        ({"installationId": 5, "state": "s", "extra": 1}, ["extra"]),
    ],
)
async def test_register_validation(api: Api, body: dict[str, object], path: list[str]) -> None:
    """The body must be exactly {installationId: int, state: str} (422 otherwise)."""
    reply = await api("POST", "/v1/github/installation", json=body)
    assert 422 == reply.status
    assert path in [issue["path"] for issue in reply.error["details"]["issues"]]


async def test_repos_paginate(api: Api) -> None:
    """About 40 deterministic repos, 30 per page by default, then the rest."""
    await api.install()
    first = (await api("GET", "/v1/github/repos")).json()
    assert 30 == len(first["items"])
    rest = (await api("GET", "/v1/github/repos", params={"cursor": first["nextCursor"]})).json()
    assert rest["nextCursor"] is None
    repos = first["items"] + rest["items"]
    assert 40 == len(repos)
    assert len(repos) == len({repo["fullName"] for repo in repos})
    repo = repos[0]
    assert {
        "repoId",
        "fullName",
        "owner",
        "private",
        "defaultBranch",
        "language",
        "primaryLanguage",
        "htmlUrl",
    } == set(repo)
    assert f"https://github.com/{repo['fullName']}" == repo["htmlUrl"]


async def test_repos_search_limit_and_cursor_errors(api: Api) -> None:
    """search filters; bad limits and cursors from other filters answer 422."""
    await api.install()
    found = (await api("GET", "/v1/github/repos", params={"search": "APP"})).json()["items"]
    assert found
    assert all("app" in repo["fullName"] for repo in found)
    cursor = (await api("GET", "/v1/github/repos", params={"limit": "1"})).json()["nextCursor"]
    assert 422 == (await api("GET", "/v1/github/repos", params={"limit": "201"})).status
    reply = await api("GET", "/v1/github/repos", params={"cursor": cursor, "search": "x"})
    assert 422 == reply.status


async def test_ingested_repo_becomes_visible(api: Api) -> None:
    """A repo named in an ingest joins the installation's repo list."""
    await api.install()
    project = await api.project()
    await api.ingest(project["id"], repo="someone/elsewhere")
    found = (await api("GET", "/v1/github/repos", params={"search": "elsewhere"})).json()["items"]
    assert ["someone/elsewhere"] == [repo["fullName"] for repo in found]
    assert "someone" == found[0]["owner"]


async def _install_url(api: Api, return_url: str, key: str | None = None) -> Reply:
    params = {"returnUrl": return_url}
    if key is None:
        return await api("GET", "/v1/github/installation/install-url", params=params)
    return await api("GET", "/v1/github/installation/install-url", params=params, key=key)


async def test_return_url_must_be_on_the_allowlist(start_fake: StartFake) -> None:
    """With return_url_hosts, another host answers 403 RETURN_URL_NOT_ALLOWED."""
    api = await start_fake(return_url_hosts=["app.example.com", "Admin.Example.com:8443"])
    for allowed in (
        "https://app.example.com/done",
        "https://APP.example.com:443/x",
        "https://admin.example.com:8443/cb",
    ):
        assert 200 == (await _install_url(api, allowed)).status, allowed
    for refused in ("https://evil.example.net/done", "https://admin.example.com/cb"):
        reply = await _install_url(api, refused)
        assert 403 == reply.status, refused
        assert "RETURN_URL_NOT_ALLOWED" == reply.error["code"]
    assert 422 == (await _install_url(api, "http://evil.example.net/")).status  # https first
    inherited = api.fake.add_key(scopes=["github:admin"])
    assert 403 == (await _install_url(api, "https://evil.example.net/", inherited)).status


async def test_return_url_allowlist_per_key(api: Api, fake: FakeLayers) -> None:
    """By default any host is allowed; a key added with its own list is held to it."""
    assert 200 == (await _install_url(api, "https://anything.example/")).status
    narrow = fake.add_key(return_url_hosts=["partner.example"])
    assert 200 == (await _install_url(api, "https://partner.example/cb", narrow)).status
    reply = await _install_url(api, "https://anything.example/", narrow)
    assert 403 == reply.status
    assert "RETURN_URL_NOT_ALLOWED" == reply.error["code"]
    with pytest.raises(TypeError):
        fake.add_key(return_url_hosts="partner.example")
