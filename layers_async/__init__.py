"""Asyncio-first client for the Layers Partner API.

>>> async with AsyncLayers() as layers:       # doctest: +SKIP
...     me = await layers.whoami()
"""

from ._client import AsyncLayers
from ._converter import UNSET, to_wire
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BillingExhaustedError,
    ConflictError,
    DecodeError,
    IdempotencyConflictError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    KillSwitchError,
    LayersError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from ._http import Request, Response, Timeout
from ._idempotency import idempotency_key
from ._job import Job
from ._pacing import Pacing
from ._pagination import AsyncPaginator, Page
from ._poll import PollPolicy
from ._retry import RetryPolicy
from ._secret import Secret
from ._transport import AiohttpTransport, MockTransport, Transport
from ._version import __version__
from .models import (
    ApiKey,
    ApiKeyDeleteResult,
    ApiKeyKillResult,
    ApiKeyRotateResult,
    BrandContext,
    CancelResult,
    CreditEvent,
    CreditPeriod,
    Credits,
    GithubAccount,
    GithubInstallation,
    GithubInstallUrl,
    GithubRepo,
    IngestAppstoreResult,
    IngestGithubResult,
    IngestSourceState,
    IngestState,
    IngestWebsiteResult,
    JobKind,
    JobSnapshot,
    JobStatus,
    Project,
    ProjectArchiveResult,
    ProjectStatus,
    RateLimitTier,
    WhoAmI,
)
from .models.ingest import PLATFORMS, SdkConfig
from .models.jobs import JobError as JobErrorInfo
from .resources.ingest import check_repo_full_name

__all__ = [
    "PLATFORMS",
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AiohttpTransport",
    "ApiKey",
    "ApiKeyDeleteResult",
    "ApiKeyKillResult",
    "ApiKeyRotateResult",
    "AsyncLayers",
    "AsyncPaginator",
    "AuthenticationError",
    "BillingExhaustedError",
    "BrandContext",
    "CancelResult",
    "ConflictError",
    "CreditEvent",
    "CreditPeriod",
    "Credits",
    "DecodeError",
    "GithubAccount",
    "GithubInstallUrl",
    "GithubInstallation",
    "GithubRepo",
    "IdempotencyConflictError",
    "IngestAppstoreResult",
    "IngestGithubResult",
    "IngestSourceState",
    "IngestState",
    "IngestWebsiteResult",
    "Job",
    "JobCanceledError",
    "JobError",
    "JobErrorInfo",
    "JobFailedError",
    "JobKind",
    "JobSnapshot",
    "JobStatus",
    "JobTimeoutError",
    "KillSwitchError",
    "LayersError",
    "MockTransport",
    "NotFoundError",
    "Pacing",
    "Page",
    "PermissionDeniedError",
    "PollPolicy",
    "Project",
    "ProjectArchiveResult",
    "ProjectStatus",
    "RateLimitError",
    "RateLimitTier",
    "Request",
    "Response",
    "RetryPolicy",
    "SdkConfig",
    "Secret",
    "ServerError",
    "Timeout",
    "Transport",
    "ValidationError",
    "WhoAmI",
    "__version__",
    "check_repo_full_name",
    "idempotency_key",
    "to_wire",
]
