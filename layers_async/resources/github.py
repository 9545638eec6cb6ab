"""``layers.github``: the GitHub App installation and its repos."""

from __future__ import annotations

from urllib.parse import urlsplit

from .._http import Timeout
from .._operations import (
    GITHUB_INSTALL_URL,
    GITHUB_INSTALLATION,
    GITHUB_REGISTER_INSTALLATION,
    GITHUB_REPOS,
)
from .._pagination import AsyncPaginator
from ..models.github import GithubInstallation, GithubInstallUrl, GithubRepo
from ._base import Resource

__all__ = ["Github"]


class Github(Resource):
    """Connect the organization's GitHub App and list what it can see."""

    async def install_url(self, return_url: str, *, state: str | None = None,
                          timeout: float | Timeout | None = None) -> GithubInstallUrl:
        """A GitHub App install URL (valid 15 minutes) that comes back to ``return_url``."""
        parts = urlsplit(return_url) if isinstance(return_url, str) else None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"return_url must be an https URL, got {return_url!r}")
        return await self._call(GITHUB_INSTALL_URL, query=dict(return_url=return_url,
                                                               state=state), timeout=timeout)

    async def register_installation(self, installation_id: int, state: str, *,
                                    idempotency_key: str | None = None,
                                    timeout: float | Timeout | None = None) -> GithubInstallation:
        """Bind an installation (from GitHub's callback) to the org; re-posting is a no-op."""
        if isinstance(installation_id, bool) or not isinstance(installation_id, int) \
                or installation_id <= 0:
            raise ValueError(f"installation_id must be a positive int, got {installation_id!r}")
        if not isinstance(state, str) or not state:
            raise ValueError("state must be the non-empty state from the install callback")
        return await self._call(GITHUB_REGISTER_INSTALLATION, body=dict(
            installation_id=installation_id, state=state), idempotency_key=idempotency_key,
            timeout=timeout)

    async def installation(self, *, timeout: float | Timeout | None = None) -> GithubInstallation:
        """The bound installation (:class:`NotFoundError` when none is registered)."""
        return await self._call(GITHUB_INSTALLATION, timeout=timeout)

    def repos(self, *, search: str | None = None, limit: int | None = None,
              timeout: float | Timeout | None = None) -> AsyncPaginator[GithubRepo]:
        """Repos the installation can see, fetched page by page."""
        return self._page(GITHUB_REPOS, query=dict(search=search), limit=limit, timeout=timeout)
