"""Plain-aiohttp helpers for talking to FakeLayers over loopback in tests."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import attrs
from multidict import CIMultiDictProxy

from layers_async.testing import FakeLayers

#: The ``start_fake`` fixture: start another fake with options, get its ``Api``.
StartFake = Callable[..., Awaitable["Api"]]

#: Sentinel: send the fake's default key.
DEFAULT_KEY = "<default>"


@attrs.frozen
class Reply:
    """One response, fully read."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        """The ``error`` object of an error envelope."""
        envelope = self.json()
        assert isinstance(envelope, dict)
        error = envelope["error"]
        assert isinstance(error, dict)
        return error


class Api:
    """Sends requests to one fake with its default key in ``X-Api-Key``."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakeLayers) -> None:
        self.session = session
        self.fake = fake

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        key: str | None = DEFAULT_KEY,
        bearer: bool = False,
    ) -> Reply:
        """Send one request; ``key=None`` sends no key, ``bearer`` uses Authorization."""
        sent: dict[str, str] = {}
        if key is not None:
            full = self.fake.api_key if key == DEFAULT_KEY else key
            if bearer:
                sent["Authorization"] = f"Bearer {full}"
            else:
                sent["X-Api-Key"] = full
        sent.update(headers or {})
        async with self.session.request(
            method,
            self.fake.base_url + path,
            json=json,
            data=data,
            params=params,
            headers=sent,
        ) as response:
            return Reply(response.status, response.headers, await response.read())

    async def project(self, **fields: Any) -> dict[str, Any]:
        """Create a project (defaults filled in) and return its JSON."""
        body = {"name": "Acme Mobile", "timezone": "America/Los_Angeles"} | fields
        reply = await self("POST", "/v1/projects", json=body)
        assert reply.status == 201, reply.body
        created = reply.json()
        assert isinstance(created, dict)
        return created

    async def install(self, installation_id: int = 56781234) -> None:
        """Register a GitHub installation."""
        reply = await self(
            "POST",
            "/v1/github/installation",
            json={"installationId": installation_id, "state": "gh_state"},
        )
        assert reply.status == 201, reply.body

    async def ingest(self, project_id: str, repo: str = "acme/acme-mobile", **fields: Any) -> str:
        """Start a GitHub ingest and return the job id."""
        reply = await self(
            "POST", f"/v1/projects/{project_id}/ingest/github", json={"repoFullName": repo} | fields
        )
        assert reply.status == 202, reply.body
        job_id = reply.json()["jobId"]
        assert isinstance(job_id, str)
        return job_id

    async def job(self, job_id: str) -> dict[str, Any]:
        """Poll a job once."""
        reply = await self("GET", f"/v1/jobs/{job_id}")
        assert reply.status == 200, reply.body
        body = reply.json()
        assert isinstance(body, dict)
        return body
