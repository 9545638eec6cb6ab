"""Every operation of the API, described once, as data.

A row names the operation as ``operations.tsv`` does (``projects.create``), its
method and path template as ``openapi.yaml`` prints them, the wire names of its
query and body fields, what its answer decodes to, and whether it starts a job
or pages. Resource methods are thin typed wrappers that check their arguments
and hand a row and the values to one shared call / start / page path; the rate
class of a request and the result type of each job kind derive from here.

Adding an operation: one row below, a method on its resource, its models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Generic, TypeVar

import attrs

from .models.account import (
    ApiKeyDeleteResult,
    ApiKeyKillResult,
    ApiKeyRotateResult,
    CreditEvent,
    Credits,
    WhoAmI,
)
from .models.github import GithubInstallation, GithubInstallUrl, GithubRepo
from .models.jobs import (
    CancelResult,
    IngestAppstoreResult,
    IngestGithubResult,
    IngestWebsiteResult,
    JobSnapshot,
)
from .models.projects import Project, ProjectArchiveResult
from .models.webhooks import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreateResult,
    WebhookEndpointDeleteResult,
    WebhookReplayResult,
    WebhookRotateSecretResult,
    WebhookTestResult,
)

__all__ = ["OPERATIONS", "RESULT_TYPES", "JobSpec", "Operation", "find_operation", "operation"]

READ_LIGHT: Final = "read-light"
WRITE_LIGHT: Final = "write-light"
LONG_RUNNING: Final = "long-running"

_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class JobSpec:
    """What a job-starting operation's job returns: its result type, by job kind."""

    result: type[Any]
    #: Every spelling of the job kind the docs print for this operation.
    kinds: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Operation(Generic[T]):
    """One operation of the API (a row of the table); ``T`` is what its answer decodes to."""

    #: The Python name after ``layers.``, as ``operations.tsv`` prints it.
    name: str
    #: ``operationId`` in ``openapi.yaml``.
    operation_id: str
    method: str
    #: The path template, placeholders as the spec names them (``/v1/projects/{id}``).
    path: str
    #: The answer's model; for a paged operation, the model of one item.
    response: type[T]
    #: Wire names of the query parameters (``cursor`` is implied for paged ones).
    query: tuple[str, ...] = ()
    #: Wire names of the JSON body's top-level fields.
    body: tuple[str, ...] = ()
    #: Body fields where ``None`` travels as JSON null ("clear"); elsewhere None is omitted.
    nullable: frozenset[str] = frozenset()
    #: Set when the operation answers 202 with a job envelope.
    job: JobSpec | None = None
    #: The largest page size, for a paged operation (None: not paged).
    max_limit: int | None = None
    #: Whether the docs mark it idempotent (every mutation carries a key regardless).
    idempotent: bool = False
    #: The API answers 400 ``IDEMPOTENCY_REQUIRED`` without a key.
    key_required: bool = False

    @property
    def rate_class(self) -> str:
        """The rate-limit class (README §3): GET reads, job starts, other writes."""
        if self.method == "GET":
            return READ_LIGHT
        return LONG_RUNNING if self.job is not None else WRITE_LIGHT

    @property
    def pages(self) -> bool:
        """Whether the operation answers ``{"items", "nextCursor"}`` pages."""
        return self.max_limit is not None

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The path's placeholders, in order."""
        return tuple(_PLACEHOLDER.findall(self.path))

    def matches(self, method: str, path: str) -> bool:
        """Whether a concrete request (``POST /v1/projects/prj_1/ingest/github``) is this one."""
        mine, theirs = self.path.split("/"), path.split("/")
        return method == self.method and len(mine) == len(theirs) and all(
            part == other or (part.startswith("{") and bool(other))
            for part, other in zip(mine, theirs, strict=True))


_TABLE: list[Operation[Any]] = []


def _op(name: str, operation_id: str, method: str, path: str, response: type[T], *,
        query: Iterable[str] = (), body: Iterable[str] = (), nullable: Iterable[str] = (),
        job: JobSpec | None = None, max_limit: int | None = None, idempotent: bool = False,
        key_required: bool = False) -> Operation[T]:
    row = Operation(name=name, operation_id=operation_id, method=method, path=path,
                    response=response, query=tuple(query), body=tuple(body),
                    nullable=frozenset(nullable), job=job, max_limit=max_limit,
                    idempotent=idempotent, key_required=key_required)
    _TABLE.append(row)
    return row


_INGEST_GITHUB = JobSpec(result=IngestGithubResult,
                         kinds=("ingest_github", "project_ingest_github"))
_INGEST_WEBSITE = JobSpec(result=IngestWebsiteResult,
                          kinds=("project_ingest_website", "ingest_website"))
_INGEST_APPSTORE = JobSpec(result=IngestAppstoreResult,
                           kinds=("project_ingest_appstore", "ingest_appstore"))

# The table: one constant per operation, areas in the order of ``operations.tsv``.

# -- Organizations -------------------------------------------------------------------------
WHOAMI = _op("whoami", "getWhoami", "GET", "/v1/whoami", WhoAmI)

# -- Credits -------------------------------------------------------------------------------
CREDITS_GET = _op("credits.get", "getCredits", "GET", "/v1/credits", Credits)
CREDITS_EVENTS = _op(
    "credits.events", "listCreditEvents", "GET", "/v1/credits/events", CreditEvent,
    query=("projectId", "eventType", "since", "until"), max_limit=100)

# -- API keys ------------------------------------------------------------------------------
API_KEYS_KILL = _op(
    "api_keys.kill", "killApiKey", "POST", "/v1/api-keys/{keyId}/kill", ApiKeyKillResult,
    idempotent=True)
API_KEYS_DELETE = _op(
    "api_keys.delete", "deleteApiKey", "DELETE", "/v1/api-keys/{keyId}", ApiKeyDeleteResult)
API_KEYS_ROTATE = _op(
    "api_keys.rotate", "rotateApiKey", "POST", "/v1/api-keys/{keyId}/rotate",
    ApiKeyRotateResult, idempotent=True)

# -- Audit log -----------------------------------------------------------------------------

# -- Projects ------------------------------------------------------------------------------
PROJECTS_CREATE = _op(
    "projects.create", "createProject", "POST", "/v1/projects", Project, idempotent=True,
    body=("name", "timezone", "customerExternalId", "primaryLanguage", "ownerEmail",
          "appName", "appDescription", "metadata"))
PROJECTS_LIST = _op(
    "projects.list", "listProjects", "GET", "/v1/projects", Project, max_limit=200,
    query=("customerExternalId", "status", "search"))
PROJECTS_GET = _op("projects.get", "getProject", "GET", "/v1/projects/{id}", Project)
PROJECTS_UPDATE = _op(
    "projects.update", "patchProject", "PATCH", "/v1/projects/{id}", Project,
    body=("name", "status", "ownerEmail", "timezone", "primaryLanguage", "customerExternalId",
          "appName", "appDescription", "tagline", "brandVoice", "targetGender", "metadata"),
    nullable=("appName", "appDescription"))
PROJECTS_ARCHIVE = _op(
    "projects.archive", "archiveProject", "DELETE", "/v1/projects/{id}", ProjectArchiveResult,
    idempotent=True)

# -- Ingest --------------------------------------------------------------------------------
INGEST_GITHUB = _op(
    "ingest.github", "ingestGithub", "POST", "/v1/projects/{id}/ingest/github", JobSnapshot,
    job=_INGEST_GITHUB, idempotent=True,
    body=("repoFullName", "branch", "openPR", "platforms", "sdkConfig", "prTitle", "prBody"))
INGEST_WEBSITE = _op(
    "ingest.website", "ingestWebsite", "POST", "/v1/projects/{projectId}/ingest/website",
    JobSnapshot, job=_INGEST_WEBSITE, idempotent=True, body=("url", "followLinks", "maxPages"))
INGEST_APPSTORE = _op(
    "ingest.appstore", "ingestAppstore", "POST", "/v1/projects/{projectId}/ingest/appstore",
    JobSnapshot, job=_INGEST_APPSTORE, idempotent=True,
    body=("iosBundleId", "androidPackage", "appStoreUrl", "countryCode"))

# -- GitHub --------------------------------------------------------------------------------
GITHUB_INSTALL_URL = _op(
    "github.install_url", "getGithubInstallUrl", "GET", "/v1/github/installation/install-url",
    GithubInstallUrl, query=("returnUrl", "state"))
GITHUB_REGISTER_INSTALLATION = _op(
    "github.register_installation", "registerGithubInstallation", "POST",
    "/v1/github/installation", GithubInstallation, body=("installationId", "state"))
GITHUB_INSTALLATION = _op(
    "github.installation", "getGithubInstallation", "GET", "/v1/github/installation",
    GithubInstallation)
GITHUB_REPOS = _op(
    "github.repos", "listGithubRepos", "GET", "/v1/github/repos", GithubRepo,
    query=("search",), max_limit=200)

# -- SDK apps ------------------------------------------------------------------------------

# -- Keywords ------------------------------------------------------------------------------

# -- Media ---------------------------------------------------------------------------------

# -- Jobs ----------------------------------------------------------------------------------
JOBS_GET = _op("jobs.get", "getJob", "GET", "/v1/jobs/{jobId}", JobSnapshot)
JOBS_CANCEL = _op("jobs.cancel", "cancelJob", "POST", "/v1/jobs/{jobId}/cancel", CancelResult)

# -- Content -------------------------------------------------------------------------------

# -- Approval ------------------------------------------------------------------------------

# -- Publishing ----------------------------------------------------------------------------

# -- Influencers ---------------------------------------------------------------------------

# -- Metrics -------------------------------------------------------------------------------

# -- Social accounts -----------------------------------------------------------------------

# -- Leased accounts -----------------------------------------------------------------------

# -- Webhooks ------------------------------------------------------------------------------
WEBHOOK_ENDPOINTS_CREATE = _op(
    "webhook_endpoints.create", "createWebhookEndpoint", "POST", "/v1/webhook-endpoints",
    WebhookEndpointCreateResult, idempotent=True,
    body=("url", "events", "description", "metadata", "projectId", "scope"))
WEBHOOK_ENDPOINTS_LIST = _op(
    "webhook_endpoints.list", "listWebhookEndpoints", "GET", "/v1/webhook-endpoints",
    WebhookEndpoint, query=("projectId", "status"), max_limit=100)
WEBHOOK_ENDPOINTS_UPDATE = _op(
    "webhook_endpoints.update", "updateWebhookEndpoint", "PATCH",
    "/v1/webhook-endpoints/{endpointId}", WebhookEndpoint, idempotent=True,
    body=("url", "events", "description", "status"), nullable=("description",))
WEBHOOK_ENDPOINTS_DELETE = _op(
    "webhook_endpoints.delete", "deleteWebhookEndpoint", "DELETE",
    "/v1/webhook-endpoints/{endpointId}", WebhookEndpointDeleteResult, idempotent=True)
WEBHOOK_ENDPOINTS_ROTATE_SECRET = _op(
    "webhook_endpoints.rotate_secret", "rotateWebhookSecret", "POST",
    "/v1/webhook-endpoints/{endpointId}/rotate-secret", WebhookRotateSecretResult,
    idempotent=True)
WEBHOOK_ENDPOINTS_TEST = _op(
    "webhook_endpoints.test", "testWebhookEndpoint", "POST",
    "/v1/webhook-endpoints/{endpointId}/test", WebhookTestResult, idempotent=True,
    body=("payload",))
WEBHOOK_ENDPOINTS_DELIVERIES = _op(
    "webhook_endpoints.deliveries", "listWebhookDeliveries", "GET",
    "/v1/webhook-endpoints/{endpointId}/deliveries", WebhookDelivery,
    query=("eventType", "status"), max_limit=100)
WEBHOOK_DELIVERIES_REPLAY = _op(
    "webhook_deliveries.replay", "replayWebhookDelivery", "POST",
    "/v1/webhook-deliveries/{deliveryId}/replay", WebhookReplayResult, idempotent=True)

#: Every row, in table order.
OPERATIONS: tuple[Operation[Any], ...] = tuple(_TABLE)

_BY_NAME: Mapping[str, Operation[Any]] = {op.name: op for op in OPERATIONS}


def operation(name: str) -> Operation[Any]:
    """The row named ``name`` (``"projects.create"``)."""
    return _BY_NAME[name]


def find_operation(method: str, path: str) -> Operation[Any] | None:
    """The row a concrete request belongs to, if any (for journals and benchmarks)."""
    return next((op for op in OPERATIONS if op.matches(method, path)), None)


def _result_types(operations: Iterable[Operation[Any]]) -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for op in operations:
        if op.job is None:
            continue
        for kind in op.job.kinds:
            if found.setdefault(kind, op.job.result) is not op.job.result:
                raise ValueError(f"job kind {kind!r} has two result types in the table")
    return found


#: The typed result of each job kind; other kinds keep their raw mapping.
RESULT_TYPES: Mapping[str, type[Any]] = _result_types(OPERATIONS)
