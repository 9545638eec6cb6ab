"""Typed resources of the Layers API: frozen attrs classes, one module per resource."""

from .account import (
    ApiKey,
    ApiKeyDeleteResult,
    ApiKeyKillResult,
    ApiKeyRotateResult,
    CreditEvent,
    CreditPeriod,
    Credits,
    RateLimitTier,
    WhoAmI,
)
from .github import GithubAccount, GithubInstallation, GithubInstallUrl, GithubRepo
from .jobs import (
    CancelResult,
    IngestAppstoreResult,
    IngestGithubResult,
    IngestWebsiteResult,
    JobError,
    JobKind,
    JobSnapshot,
    JobStatus,
)
from .projects import (
    BrandContext,
    IngestSourceState,
    IngestState,
    Project,
    ProjectArchiveResult,
    ProjectStatus,
)

__all__ = [
    "ApiKey",
    "ApiKeyDeleteResult",
    "ApiKeyKillResult",
    "ApiKeyRotateResult",
    "BrandContext",
    "CancelResult",
    "CreditEvent",
    "CreditPeriod",
    "Credits",
    "GithubAccount",
    "GithubInstallUrl",
    "GithubInstallation",
    "GithubRepo",
    "IngestAppstoreResult",
    "IngestGithubResult",
    "IngestSourceState",
    "IngestState",
    "IngestWebsiteResult",
    "JobError",
    "JobKind",
    "JobSnapshot",
    "JobStatus",
    "Project",
    "ProjectArchiveResult",
    "ProjectStatus",
    "RateLimitTier",
    "WhoAmI",
]
