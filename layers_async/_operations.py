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
from .models.audit_log import AuditEvent
from .models.content import (
    ApproveResult,
    Asset,
    Container,
    ContainerProgress,
    ContainerSummary,
    ContentGenerateResult,
    HookList,
    RejectResult,
    ReviewPolicy,
)
from .models.github import GithubInstallation, GithubInstallUrl, GithubRepo
from .models.influencers import Influencer, InfluencerDeleteResult
from .models.jobs import (
    CancelResult,
    IngestAppstoreResult,
    IngestGithubResult,
    IngestWebsiteResult,
    JobSnapshot,
)
from .models.keywords import KeywordBank
from .models.media import MediaAsset, MediaPresign
from .models.metrics import Metrics, TopPerformers
from .models.organizations import (
    ChildApiKey,
    ChildApiKeyRevokeResult,
    ChildApiKeySecret,
    CreditAllocation,
    CreditConfigResult,
    Organization,
    OrganizationArchiveResult,
    OrganizationMigrateResult,
)
from .models.projects import Project, ProjectArchiveResult
from .models.publishing import (
    CancelPostResult,
    RescheduleResult,
    ScheduledPost,
    ScheduleResult,
)
from .models.sdk_apps import SdkApp, SdkInstallSpec
from .models.social import (
    LeasedAccounts,
    LeaseRequest,
    OAuthStatus,
    OAuthUrl,
    SocialAccount,
    SocialAccountRevokeResult,
)
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
_INFLUENCER_CREATE = JobSpec(result=dict, kinds=("influencer_create",))

_CONTENT_GENERATE = JobSpec(result=ContentGenerateResult, kinds=("content_generate",))

# The table: one constant per operation, areas in the order of ``operations.tsv``.

# -- Organizations -------------------------------------------------------------------------
WHOAMI = _op("whoami", "getWhoami", "GET", "/v1/whoami", WhoAmI)
ORGS_CREATE = _op(
    "organizations.create", "createOrganization", "POST", "/v1/organizations", Organization,
    idempotent=True, body=("name", "metadata", "billingEmail"))
ORGS_LIST = _op(
    "organizations.list", "listOrganizations", "GET", "/v1/organizations", Organization,
    query=("status",), max_limit=200)
ORGS_GET = _op(
    "organizations.get", "getOrganization", "GET", "/v1/organizations/{orgId}", Organization)
ORGS_UPDATE = _op(
    "organizations.update", "patchOrganization", "PATCH", "/v1/organizations/{orgId}",
    Organization, idempotent=True, body=("name", "metadata", "billingEmail"),
    nullable=("metadata", "billingEmail"))
ORGS_ARCHIVE = _op(
    "organizations.archive", "archiveOrganization", "DELETE", "/v1/organizations/{orgId}",
    OrganizationArchiveResult, idempotent=True)
ORGS_SUSPEND = _op(
    "organizations.suspend", "suspendOrganization", "POST", "/v1/organizations/{orgId}/suspend",
    Organization, idempotent=True)
ORGS_RESUME = _op(
    "organizations.resume", "resumeOrganization", "POST", "/v1/organizations/{orgId}/resume",
    Organization, idempotent=True)
ORGS_MIGRATE = _op(
    "organizations.migrate", "migrateOrganizations", "POST", "/v1/organizations/migrate",
    OrganizationMigrateResult, idempotent=True, body=("mapping",))
ORGS_CREDITS_GET = _op(
    "organizations.credits.get", "getChildCredits", "GET", "/v1/organizations/{orgId}/credits",
    Credits)
ORGS_CREDITS_ALLOCATE = _op(
    "organizations.credits.allocate", "allocateChildCredits", "POST",
    "/v1/organizations/{orgId}/credits/allocate", CreditAllocation, idempotent=True,
    key_required=True, body=("credits", "description", "metadata"))
ORGS_CREDITS_EVENTS = _op(
    "organizations.credits.events", "listChildCreditEvents", "GET",
    "/v1/organizations/{orgId}/credits/events", CreditEvent,
    query=("projectId", "eventType", "since", "until"), max_limit=100)
ORGS_CREDIT_CONFIG_GET = _op(
    "organizations.credit_config.get", "getChildCreditConfig", "GET",
    "/v1/organizations/{orgId}/credit-config", CreditConfigResult)
ORGS_CREDIT_CONFIG_UPDATE = _op(
    "organizations.credit_config.update", "patchChildCreditConfig", "PATCH",
    "/v1/organizations/{orgId}/credit-config", CreditConfigResult, idempotent=True,
    body=("monthlyCreditCap", "refillThreshold", "refillAmount"),
    nullable=("monthlyCreditCap", "refillThreshold", "refillAmount"))
ORGS_API_KEYS_CREATE = _op(
    "organizations.api_keys.create", "mintChildApiKey", "POST",
    "/v1/organizations/{orgId}/api-keys", ChildApiKeySecret, idempotent=True,
    body=("name", "scopes", "env"))
ORGS_API_KEYS_LIST = _op(
    "organizations.api_keys.list", "listChildApiKeys", "GET",
    "/v1/organizations/{orgId}/api-keys", ChildApiKey, max_limit=100)
ORGS_API_KEYS_ROTATE = _op(
    "organizations.api_keys.rotate", "rotateChildApiKey", "POST",
    "/v1/organizations/{orgId}/api-keys/{keyId}/rotate", ChildApiKeySecret, idempotent=True)
ORGS_API_KEYS_REVOKE = _op(
    "organizations.api_keys.revoke", "revokeChildApiKey", "DELETE",
    "/v1/organizations/{orgId}/api-keys/{keyId}", ChildApiKeyRevokeResult, idempotent=True)

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
AUDIT_LOG_LIST = _op(
    "audit_log.list", "listAuditLog", "GET", "/v1/audit-log", AuditEvent,
    query=("eventType", "projectId", "apiKeyId", "since", "until"), max_limit=200)

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
SDK_APPS_CREATE = _op(
    "sdk_apps.create", "createSdkApp", "POST", "/v1/projects/{projectId}/sdk-apps", SdkApp,
    idempotent=True, body=("name", "platform", "bundleId", "androidPackage", "webDomain", "appId"))
SDK_APPS_UPDATE = _op(
    "sdk_apps.update", "patchSdkApp", "PATCH", "/v1/projects/{projectId}/sdk-apps/{appId}",
    SdkApp, body=("name", "bundleId", "androidPackage", "webDomain", "capi", "rotateKey"))
SDK_APPS_INSTALL_SPEC = _op(
    "sdk_apps.install_spec", "getSdkInstallSpec", "GET",
    "/v1/projects/{projectId}/sdk-apps/{appId}/install-spec", SdkInstallSpec,
    query=("platforms",))

# -- Keywords ------------------------------------------------------------------------------
KEYWORDS_LIST = _op(
    "keywords.list", "listKeywords", "GET", "/v1/projects/{projectId}/keywords", KeywordBank)
#: The docs print no job kind for a keyword refresh: ``keywords_refresh`` is inferred.
KEYWORDS_REFRESH = _op(
    "keywords.refresh", "refreshKeywords", "POST", "/v1/projects/{projectId}/keywords/refresh",
    JobSnapshot, job=JobSpec(result=dict, kinds=("keywords_refresh",)), idempotent=True)

# -- Media ---------------------------------------------------------------------------------
MEDIA_IMPORT_APP_MEDIA = _op(
    "media.import_app_media", "uploadAppMedia", "POST", "/v1/projects/{projectId}/app-media",
    MediaAsset, idempotent=True, body=("kind", "url"))
MEDIA_UPLOAD_INLINE = _op(
    "media.upload_inline", "uploadMediaInline", "POST", "/v1/projects/{projectId}/media",
    MediaAsset, body=("kind", "dataBase64", "mimeType", "filename"))
MEDIA_PRESIGN = _op(
    "media.presign", "presignMediaUpload", "POST", "/v1/projects/{projectId}/media/presign",
    MediaPresign, body=("kind", "filename", "mimeType", "sizeBytes", "checksumSha256"))
MEDIA_FINALIZE = _op(
    "media.finalize", "finalizeMediaUpload", "POST", "/v1/projects/{projectId}/media/finalize",
    MediaAsset, body=("uploadId", "checksumSha256"))

# -- Jobs ----------------------------------------------------------------------------------
JOBS_GET = _op("jobs.get", "getJob", "GET", "/v1/jobs/{jobId}", JobSnapshot)
JOBS_CANCEL = _op("jobs.cancel", "cancelJob", "POST", "/v1/jobs/{jobId}/cancel", CancelResult)

# -- Content -------------------------------------------------------------------------------
_REMIX_BODY = ("tiktokVideoId", "socialAccountId", "influencerId")
CONTENT_GENERATE = _op(
    "content.generate", "generateContent", "POST", "/v1/projects/{projectId}/content",
    JobSnapshot, job=_CONTENT_GENERATE, idempotent=True,
    body=("id", "projectLayerId", "format", "variantCount", "brief"))
CONTENT_LIST = _op(
    "content.list", "listContainers", "GET", "/v1/projects/{projectId}/content",
    ContainerSummary, query=("status", "format", "creativeType", "since", "until"),
    max_limit=200)
CONTENT_VIDEO_REMIX = _op(
    "content.video_remix", "generateVideoRemix", "POST",
    "/v1/projects/{projectId}/content/video-remix", JobSnapshot, job=_CONTENT_GENERATE,
    idempotent=True, body=_REMIX_BODY)
CONTENT_SLIDESHOW_REMIX = _op(
    "content.slideshow_remix", "generateSlideshowRemix", "POST",
    "/v1/projects/{projectId}/content/slideshow-remix", JobSnapshot, job=_CONTENT_GENERATE,
    idempotent=True, body=_REMIX_BODY)
CONTENT_UGC_REMIX = _op(
    "content.ugc_remix", "generateUgcRemix", "POST", "/v1/projects/{projectId}/content/ugc-remix",
    JobSnapshot, job=_CONTENT_GENERATE, idempotent=True,
    body=("socialAccountId", "influencerId", "hook", "mediaId"))
CONTENT_SLIDESHOW_BUILDER = _op(
    "content.slideshow_builder", "generateSlideshowBuilder", "POST",
    "/v1/projects/{projectId}/content/slideshow-builder", JobSnapshot, job=_CONTENT_GENERATE,
    idempotent=True, body=("hook", "socialAccountId", "influencerId"))
CONTENT_SOURCE_RECOMMENDATIONS = _op(
    "content.source_recommendations", "listSourceRecommendations", "GET",
    "/v1/projects/{projectId}/content/source-recommendations", dict,
    query=("keyword", "kind"), max_limit=50)
CONTENT_HOOKS = _op(
    "content.hooks", "listHooks", "GET", "/v1/projects/{projectId}/content/hooks", HookList)
CONTENT_CREATE_UPLOAD = _op(
    "content.create_upload", "createUploadSession", "POST",
    "/v1/projects/{projectId}/content/uploads", dict, idempotent=True,
    body=("files", "grouping"))
CONTENT_GET = _op("content.get", "getContainer", "GET", "/v1/content/{containerId}", Container)
CONTENT_PROGRESS = _op(
    "content.progress", "getContainerProgress", "GET", "/v1/content/{containerId}/progress",
    ContainerProgress)
CONTENT_ASSET = _op(
    "content.asset", "getAsset", "GET", "/v1/content/{containerId}/assets/{assetId}", Asset)
CONTENT_REGENERATE = _op(
    "content.regenerate", "regenerateContainer", "POST", "/v1/content/{containerId}/regenerate",
    JobSnapshot, job=_CONTENT_GENERATE, idempotent=True,
    body=("brief", "references", "preserveAssets"))
CONTENT_CLONE_FROM_POST = _op(
    "content.clone_from_post", "cloneFromPost", "POST",
    "/v1/content/{containerId}/clone-from-post", JobSnapshot, job=_CONTENT_GENERATE,
    idempotent=True, body=("projectId", "projectLayerId", "sourcePlatformPostId", "mode",
                           "variations", "overrides"))

# -- Approval ------------------------------------------------------------------------------
CONTENT_APPROVE = _op(
    "content.approve", "approveContainer", "POST", "/v1/content/{containerId}/approve",
    ApproveResult, body=("note",))
CONTENT_REJECT = _op(
    "content.reject", "rejectContainer", "POST", "/v1/content/{containerId}/reject",
    RejectResult, body=("reason",))
CONTENT_REVIEW_POLICY = _op(
    "content.review_policy", "getContentReviewPolicy", "GET",
    "/v1/projects/{projectId}/content-review-policy", ReviewPolicy)
CONTENT_UPDATE_REVIEW_POLICY = _op(
    "content.update_review_policy", "patchContentReviewPolicy", "PATCH",
    "/v1/projects/{projectId}/content-review-policy", ReviewPolicy, body=("policy", "firstN"))

# -- Publishing ----------------------------------------------------------------------------
CONTENT_SCHEDULE = _op(
    "content.schedule", "scheduleContainer", "POST", "/v1/content/{containerId}/schedule",
    ScheduleResult, idempotent=True, body=("scheduledFor", "targets"))
CONTENT_PUBLISH = _op(
    "content.publish", "publishContainer", "POST", "/v1/content/{containerId}/publish",
    ScheduleResult, idempotent=True, body=("targets",))
SCHEDULED_POSTS_GET = _op(
    "scheduled_posts.get", "getScheduledPost", "GET", "/v1/scheduled-posts/{scheduledPostId}",
    ScheduledPost)
SCHEDULED_POSTS_CANCEL = _op(
    "scheduled_posts.cancel", "cancelScheduledPost", "DELETE",
    "/v1/scheduled-posts/{scheduledPostId}", CancelPostResult, body=("reason",))
SCHEDULED_POSTS_LIST = _op(
    "scheduled_posts.list", "listScheduledPosts", "GET", "/v1/projects/{projectId}/scheduled-posts",
    ScheduledPost, query=("status", "socialAccountId", "since", "until"), max_limit=100)
SCHEDULED_POSTS_RESCHEDULE = _op(
    "scheduled_posts.reschedule", "reschedulePost", "POST",
    "/v1/scheduled-posts/{scheduledPostId}/reschedule", RescheduleResult,
    body=("scheduledFor",))

# -- Influencers ---------------------------------------------------------------------------
INFLUENCERS_CREATE = _op(
    "influencers.create", "createInfluencer", "POST", "/v1/projects/{projectId}/influencers",
    JobSnapshot, job=_INFLUENCER_CREATE, idempotent=True,
    body=("gender", "ageRange", "prompt", "name", "influencerId"))
INFLUENCERS_LIST = _op(
    "influencers.list", "listInfluencers", "GET", "/v1/projects/{projectId}/influencers",
    Influencer, query=("status",), max_limit=100)
INFLUENCERS_GET = _op(
    "influencers.get", "getInfluencer", "GET", "/v1/influencers/{influencerId}", Influencer)
INFLUENCERS_UPDATE = _op(
    "influencers.update", "patchInfluencer", "PATCH", "/v1/influencers/{influencerId}",
    Influencer, body=("name", "gender", "ageRange", "brandVoice", "language"),
    nullable=("ageRange",))
INFLUENCERS_DELETE = _op(
    "influencers.delete", "deleteInfluencer", "DELETE", "/v1/influencers/{influencerId}",
    InfluencerDeleteResult, body=("reason",))
INFLUENCERS_CLONE = _op(
    "influencers.clone", "cloneInfluencer", "POST", "/v1/influencers/{influencerId}/clone",
    JobSnapshot, job=_INFLUENCER_CREATE, idempotent=True,
    body=("name", "overrides", "newInfluencerId"))

# -- Metrics -------------------------------------------------------------------------------
METRICS_TOP_PERFORMERS = _op(
    "metrics.top_performers", "listTopPerformers", "GET",
    "/v1/projects/{projectId}/top-performers", TopPerformers,
    query=("metric", "window", "sourceType", "platform", "limit", "includeIneligible"))
METRICS_GET = _op(
    "metrics.get", "getMetrics", "GET", "/v1/projects/{projectId}/metrics", Metrics,
    query=("scope", "id", "metrics", "since", "until", "granularity"))

# -- Social accounts -----------------------------------------------------------------------
SOCIAL_ACCOUNTS_OAUTH_URL = _op(
    "social_accounts.oauth_url", "createSocialOAuthUrl", "POST",
    "/v1/projects/{projectId}/social/oauth-url", OAuthUrl,
    body=("platform", "returnUrl", "scopes", "usageNote"))
SOCIAL_ACCOUNTS_OAUTH_STATUS = _op(
    "social_accounts.oauth_status", "getSocialOAuthStatus", "GET",
    "/v1/social/oauth-status/{state}", OAuthStatus)
SOCIAL_ACCOUNTS_LIST = _op(
    "social_accounts.list", "listSocialAccounts", "GET",
    "/v1/projects/{projectId}/social-accounts", SocialAccount,
    query=("platform", "status", "leased"), max_limit=100)
SOCIAL_ACCOUNTS_REVOKE = _op(
    "social_accounts.revoke", "revokeSocialAccount", "DELETE",
    "/v1/social-accounts/{socialAccountId}", SocialAccountRevokeResult)

# -- Leased accounts -----------------------------------------------------------------------
LEASED_ACCOUNTS_REQUEST = _op(
    "leased_accounts.request", "requestLeasedAccounts", "POST",
    "/v1/projects/{projectId}/leased-accounts/request", LeaseRequest, idempotent=True,
    body=("projectId", "count", "niche", "target", "note", "requestId"))
LEASED_ACCOUNTS_GET_REQUEST = _op(
    "leased_accounts.get_request", "getLeaseRequest", "GET",
    "/v1/projects/{projectId}/leased-accounts/requests/{requestId}", LeaseRequest)
LEASED_ACCOUNTS_LIST = _op(
    "leased_accounts.list", "listLeasedAccounts", "GET",
    "/v1/projects/{projectId}/leased-accounts", LeasedAccounts, query=("status",))

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
