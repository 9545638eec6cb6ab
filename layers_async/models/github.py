"""The organization's GitHub App installation and the repos it sees."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["GithubAccount", "GithubInstallUrl", "GithubInstallation", "GithubRepo"]


@attrs.frozen(kw_only=True)
class GithubAccount:
    """The GitHub account (organization or user) the app is installed on."""

    login: str
    type: str | None = None


@attrs.frozen(kw_only=True)
class GithubInstallation:
    """``GET/POST /v1/github/installation``."""

    installation_id: int
    status: str
    github_account: GithubAccount | None = None
    org_login: str | None = None
    registered_at: datetime | None = None
    last_verified_at: datetime | None = None


@attrs.frozen(kw_only=True)
class GithubInstallUrl:
    """``GET /v1/github/installation/install-url``: valid for 15 minutes."""

    auth_url: str
    state: str
    expires_at: datetime
    install_url: str | None = None


@attrs.frozen(kw_only=True)
class GithubRepo:
    """A repository visible to the installation."""

    full_name: str
    repo_id: int | None = None
    owner: str | None = None
    private: bool | None = None
    default_branch: str | None = None
    language: str | None = None
    primary_language: str | None = None
    html_url: str | None = None
