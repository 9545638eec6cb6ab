"""``layers.ingest``: start ingest jobs (GitHub repo, website, store listing)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .._converter import coerce
from .._http import Timeout
from .._job import Job
from .._operations import INGEST_APPSTORE, INGEST_GITHUB, INGEST_WEBSITE
from ..models.ingest import PLATFORMS, SdkConfig
from ..models.jobs import IngestAppstoreResult, IngestGithubResult, IngestWebsiteResult
from ._base import Resource

__all__ = ["Ingest", "check_repo_full_name"]

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def check_repo_full_name(value: object) -> str:
    """``value`` if it is a GitHub ``owner/name``; a clear ValueError if not."""
    if not isinstance(value, str) or not _REPO.match(value) or value.endswith(("/.", "/..")):
        raise ValueError(f"repo_full_name must look like 'owner/name', got {value!r}")
    return value


def _platforms(values: Iterable[str] | None, what: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list of platforms, not a single string")
    found = tuple(values)
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
        """Clone ``repo_full_name``, learn the brand, and (by default) open an SDK PR.

        ``sdk_config`` is an :class:`SdkConfig` or a mapping with the API's keys.
        """
        check_repo_full_name(repo_full_name)
        if branch is not None and (not isinstance(branch, str) or not branch.strip()):
            raise ValueError(f"branch must be a non-empty string, got {branch!r}")
        config = coerce(sdk_config, SdkConfig, "sdk_config") if sdk_config is not None else None
        if config is not None:
            _platforms(config.include_platforms, "sdk_config.include_platforms")
        return await self._start(INGEST_GITHUB, project_id, body=dict(
            repo_full_name=repo_full_name, branch=branch,
            open_pr=None if open_pr is None else bool(open_pr),
            platforms=_platforms(platforms, "platforms"), sdk_config=config,
            pr_title=pr_title, pr_body=pr_body),
            idempotency_key=idempotency_key, timeout=timeout)

    async def website(self, project_id: str, *, url: str, follow_links: bool | None = None,
                      max_pages: int | None = None, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> Job[IngestWebsiteResult]:
        """Scrape a website into the project's brand context."""
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        if max_pages is not None and (isinstance(max_pages, bool) or not isinstance(
                max_pages, int) or not 1 <= max_pages <= 25):
            raise ValueError(f"max_pages must be an int from 1 to 25, got {max_pages!r}")
        return await self._start(INGEST_WEBSITE, project_id, body=dict(
            url=url, follow_links=None if follow_links is None else bool(follow_links),
            max_pages=max_pages), idempotency_key=idempotency_key, timeout=timeout)

    async def appstore(self, project_id: str, *, ios_bundle_id: str | None = None,
                       android_package: str | None = None, app_store_url: str | None = None,
                       country_code: str | None = None, idempotency_key: str | None = None,
                       timeout: float | Timeout | None = None) -> Job[IngestAppstoreResult]:
        """Scrape App Store / Play listings (give at least one of the three identifiers)."""
        if ios_bundle_id is None and android_package is None and app_store_url is None:
            raise ValueError("give at least one of ios_bundle_id, android_package, app_store_url")
        return await self._start(INGEST_APPSTORE, project_id, body=dict(
            ios_bundle_id=ios_bundle_id, android_package=android_package,
            app_store_url=app_store_url, country_code=country_code),
            idempotency_key=idempotency_key, timeout=timeout)
