"""FakeLayers(docs=...): the newest docs' spellings or the quickstart's, both id forms on input."""

from __future__ import annotations

import re
import uuid

import pytest

from layers_async.testing import FakeLayers

from .fakehttp import StartFake

pytestmark = pytest.mark.anyio

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
MODES = ("newest", "quickstart")


def _both_forms(prefix: str, stored: str) -> tuple[str, str]:
    bare = stored.removeprefix(f"{prefix}_")
    return f"{prefix}_{bare}", bare


@pytest.mark.parametrize(("docs", "prefixed"), [("newest", True), ("quickstart", False)])
async def test_ids_are_answered_in_the_modes_form(
    start_fake: StartFake, docs: str, prefixed: bool
) -> None:
    """Organization, key and project ids carry their prefixes only in the newest mode."""
    api = await start_fake(docs=docs)
    project = await api.project()
    whoami = (await api("GET", "/v1/whoami")).json()
    for prefix, value in (
        ("org", api.fake.organization_id),
        ("key", api.fake.api_key_id),
        ("prj", project["id"]),
    ):
        assert re.fullmatch((f"{prefix}_" if prefixed else "") + UUID, value), value
    assert api.fake.organization_id == project["organizationId"] == whoami["organizationId"]
    assert api.fake.api_key_id == whoami["apiKeyId"]


@pytest.mark.parametrize("docs", MODES)
async def test_both_id_forms_are_accepted_on_input(start_fake: StartFake, docs: str) -> None:
    """Projects, API keys and X-Layers-Organization take prj_/key_/org_ ids and bare UUIDs."""
    api = await start_fake(docs=docs)
    fake = api.fake
    project = await api.project()
    for given in _both_forms("prj", project["id"]):
        reply = await api("GET", f"/v1/projects/{given}")
        assert (200, project["id"]) == (reply.status, reply.json().get("id"))
        assert project["id"] == fake.job(fake.create_job(project_id=given, duration=1))["projectId"]
    for given in _both_forms("key", fake.key_id(fake.add_key())):
        assert 200 == (await api("POST", f"/v1/api-keys/{given}/kill")).status
    child = fake.add_org(name="Child", parent_id=_both_forms("org", fake.organization_id)[1])
    for given in _both_forms("org", child):
        reply = await api("GET", "/v1/whoami", headers={"X-Layers-Organization": given})
        assert (200, child) == (reply.status, reply.json()["organizationId"])


@pytest.mark.parametrize(
    ("docs", "kind", "first_stage", "blocked"),
    [
        ("newest", "ingest_github", "cloning", 0),
        ("quickstart", "project_ingest_github", "initializing", None),
    ],
)
async def test_github_ingest_spellings(
    start_fake: StartFake, docs: str, kind: str, first_stage: str, blocked: int | None
) -> None:
    """The GitHub ingest's kind, first stage and a project's firstNPostsBlocked follow the mode."""
    api = await start_fake(docs=docs)
    project = await api.project()
    assert blocked == project["firstNPostsBlocked"]
    await api.install()
    reply = await api(
        "POST",
        f"/v1/projects/{project['id']}/ingest/github",
        json={"repoFullName": "acme/acme-mobile"},
    )
    assert (kind, first_stage, "acme/acme-mobile") == (
        reply.json()["kind"],
        reply.json()["stage"],
        reply.json()["repoFullName"],
    )
    assert kind == api.fake.job(reply.json()["jobId"])["kind"]


async def test_create_job_takes_either_kind_spelling() -> None:
    """fake.create_job accepts project_ingest_github as the GitHub ingest in either mode."""
    for docs, printed in (("newest", "ingest_github"), ("quickstart", "project_ingest_github")):
        fake = FakeLayers(docs=docs)
        job = fake.job(fake.create_job(kind="project_ingest_github", duration=100))
        assert (printed, "cloning" if docs == "newest" else "initializing") == (
            job["kind"],
            job["stage"],
        )


def test_unknown_docs_mode_is_refused() -> None:
    """A docs value other than newest or quickstart is a ValueError."""
    with pytest.raises(ValueError, match="docs must be one of"):
        FakeLayers(docs="legacy")


@pytest.mark.parametrize("unique", [True, False])
async def test_customer_external_id_uniqueness(start_fake: StartFake, unique: bool) -> None:
    """A repeated customerExternalId is a 409 naming the project when enforced, else created."""
    api = await start_fake(unique_customer_ids=unique)
    first = await api.project(customerExternalId="acme_42")
    body = {"name": "Again", "timezone": "UTC", "customerExternalId": "acme_42"}
    reply = await api(
        "POST", "/v1/projects", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    if unique:
        assert (409, "CONFLICT") == (reply.status, reply.error["code"])
        assert {"customerExternalId": "acme_42", "projectId": first["id"]} == reply.error["details"]
    else:
        assert 201 == reply.status
        listed = await api("GET", "/v1/projects", params={"customerExternalId": "acme_42"})
        assert 2 == len(listed.json()["items"])
