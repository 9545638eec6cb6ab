"""``layers.ingest``: start ingest jobs (GitHub repo, website, store listing)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._converter import unstructure
from .._http import Timeout, segment
from ..models.ingest import PLATFORMS, SdkConfig
from ..models.jobs import (
    IngestAppstoreResult,
    IngestGithubResult,
    IngestWebsiteResult,
    JobKind,
)
from ._base import Resource

if TYPE_CHECKING:
    from .._jobs import Job

__all__ = ["Ingest", "check_repo_full_name"]

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def check_repo_full_name(value: object) -> str:
    """``value`` if it is a GitHub ``owner/name``; a clear ValueError if not."""
    if not isinstance(value, str) or not _REPO.match(value) or value.endswith(("/.", "/..")):
        raise ValueError(f"repo_full_name must look like 'owner/name', got {value!r}")
    return value


def _platforms(values: Iterable[str], what: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list of platforms, not a single string")
    found = list(values)
    unknown = [p for p in found if p not in PLATFORMS]
    if unknown:
        raise ValueError(f"unknown platform(s) {unknown} in {what}; known: {list(PLATFORMS)}")
    return found


class Ingest(Resource):
    """Ingest jobs. Each call answers 202 and returns a :class:`Job` to wait on."""

    async def github(
        self,
        project_id: str,
        *,
        repo_full_name: str,
        branch: str | None = None,
        open_pr: bool | None = None,
        platforms: Iterable[str] | None = None,
        sdk_config: SdkConfig | Mapping[str, Any] | None = None,
        pr_title: str | None = None,
        pr_body: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> Job[IngestGithubResult]:
        """Clone ``repo_full_name``, learn the brand, and (by default) open an SDK PR."""
        body: dict[str, Any] = {"repoFullName": check_repo_full_name(repo_full_name)}
        if branch is not None:
            if not isinstance(branch, str) or not branch.strip():
                raise ValueError(f"branch must be a non-empty string, got {branch!r}")
            body["branch"] = branch
        if open_pr is not None:
            body["openPR"] = bool(open_pr)
        if platforms is not None:
            body["platforms"] = _platforms(platforms, "platforms")
        if sdk_config is not None:
            config = sdk_config if isinstance(sdk_config, SdkConfig) else SdkConfig(**{
                _snake(k): v for k, v in sdk_config.items()})
            if config.include_platforms is not None:
                _platforms(config.include_platforms, "sdk_config.include_platforms")
            body["sdkConfig"] = {k: v for k, v in unstructure(config).items() if v is not None}
        if pr_title is not None:
            body["prTitle"] = pr_title
        if pr_body is not None:
            body["prBody"] = pr_body
        path = f"/v1/projects/{segment(project_id, 'project_id')}/ingest/github"
        return await self._client._scheduler.start(path, body, JobKind.INGEST_GITHUB,
                                                   idempotency_key=idempotency_key,
                                                   timeout=timeout)

    async def website(self, project_id: str, *, url: str, follow_links: bool | None = None,
                      max_pages: int | None = None, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> Job[IngestWebsiteResult]:
        """Scrape a website into the project's brand context."""
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        body: dict[str, Any] = {"url": url}
        if follow_links is not None:
            body["followLinks"] = bool(follow_links)
        if max_pages is not None:
            if isinstance(max_pages, bool) or not isinstance(max_pages, int) \
                    or not 1 <= max_pages <= 25:
                raise ValueError(f"max_pages must be an int from 1 to 25, got {max_pages!r}")
            body["maxPages"] = max_pages
        path = f"/v1/projects/{segment(project_id, 'project_id')}/ingest/website"
        return await self._client._scheduler.start(path, body, JobKind.PROJECT_INGEST_WEBSITE,
                                                   idempotency_key=idempotency_key,
                                                   timeout=timeout)

    async def appstore(self, project_id: str, *, ios_bundle_id: str | None = None,
                       android_package: str | None = None, app_store_url: str | None = None,
                       country_code: str | None = None, idempotency_key: str | None = None,
                       timeout: float | Timeout | None = None) -> Job[IngestAppstoreResult]:
        """Scrape App Store / Play listings (give at least one of the three identifiers)."""
        fields = {"iosBundleId": ios_bundle_id, "androidPackage": android_package,
                  "appStoreUrl": app_store_url}
        body: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        if not body:
            raise ValueError("give at least one of ios_bundle_id, android_package, app_store_url")
        if country_code is not None:
            body["countryCode"] = country_code
        path = f"/v1/projects/{segment(project_id, 'project_id')}/ingest/appstore"
        return await self._client._scheduler.start(path, body, JobKind.PROJECT_INGEST_APPSTORE,
                                                   idempotency_key=idempotency_key,
                                                   timeout=timeout)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
