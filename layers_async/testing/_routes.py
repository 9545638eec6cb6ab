"""The route table: every operation the fake serves, written from the docs, not the library.

Each row is (method, path, handler, openapi operationId, scope as README section 10 prints it
(None: none printed), rate class); ``job=True`` marks the operations that answer 202 with a job.
"""

from __future__ import annotations

from aiohttp import web

from . import _api_account as account
from . import _api_github as github
from . import _api_influencers as influencers
from . import _api_jobs as jobs
from . import _api_media as media
from . import _api_projects as projects
from . import _api_sdk_apps as sdk_apps
from . import _api_social as social
from ._context import ROUTE_SPECS, STATE, Handler, RouteSpec
from ._middleware import MIDDLEWARES
from ._ratelimit import LONG_RUNNING, READ_LIGHT, WRITE_LIGHT
from ._state import State


def _route(
    method: str,
    path: str,
    handler: Handler,
    operation_id: str,
    scope: str | None,
    rate: str,
    *,
    job: bool = False,
) -> RouteSpec:
    return RouteSpec(
        method=method,
        path=path,
        handler=handler,
        operation_id=operation_id,
        scope=scope,
        rate_class=rate,
        job=job,
    )


ROUTES: tuple[RouteSpec, ...] = (
    _route("GET", "/v1/whoami", account.whoami, "getWhoami", None, READ_LIGHT),
    _route("GET", "/v1/credits", account.get_credits, "getCredits", None, READ_LIGHT),
    _route(
        "GET",
        "/v1/credits/events",
        account.list_credit_events,
        "listCreditEvents",
        None,
        READ_LIGHT,
    ),
    _route(
        "POST", "/v1/api-keys/{keyId}/kill", account.kill_api_key, "killApiKey", None, WRITE_LIGHT
    ),
    _route(
        "DELETE", "/v1/api-keys/{keyId}", account.delete_api_key, "deleteApiKey", None, WRITE_LIGHT
    ),
    _route(
        "POST",
        "/v1/api-keys/{keyId}/rotate",
        account.rotate_api_key,
        "rotateApiKey",
        None,
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects",
        projects.create_project,
        "createProject",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "GET", "/v1/projects", projects.list_projects, "listProjects", "projects:read", READ_LIGHT
    ),
    _route(
        "GET", "/v1/projects/{id}", projects.get_project, "getProject", "projects:read", READ_LIGHT
    ),
    _route(
        "PATCH",
        "/v1/projects/{id}",
        projects.patch_project,
        "patchProject",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "DELETE",
        "/v1/projects/{id}",
        projects.archive_project,
        "archiveProject",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{id}/ingest/github",
        jobs.ingest_github,
        "ingestGithub",
        "ingest:write",
        LONG_RUNNING,
        job=True,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/ingest/website",
        jobs.ingest_website,
        "ingestWebsite",
        "ingest:write",
        LONG_RUNNING,
        job=True,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/ingest/appstore",
        jobs.ingest_appstore,
        "ingestAppstore",
        "ingest:write",
        LONG_RUNNING,
        job=True,
    ),
    _route(
        "GET",
        "/v1/github/installation/install-url",
        github.get_install_url,
        "getGithubInstallUrl",
        "github:admin",
        READ_LIGHT,
    ),
    _route(
        "POST",
        "/v1/github/installation",
        github.register_installation,
        "registerGithubInstallation",
        "github:admin",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/github/installation",
        github.get_installation,
        "getGithubInstallation",
        "github:admin",
        READ_LIGHT,
    ),
    _route(
        "GET", "/v1/github/repos", github.list_repos, "listGithubRepos", "github:admin", READ_LIGHT
    ),
    _route("GET", "/v1/jobs/{jobId}", jobs.get_job, "getJob", "jobs:read", READ_LIGHT),
    _route(
        "POST", "/v1/jobs/{jobId}/cancel", jobs.cancel_job, "cancelJob", "jobs:cancel", WRITE_LIGHT
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/sdk-apps",
        sdk_apps.create_sdk_app,
        "createSdkApp",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "PATCH",
        "/v1/projects/{projectId}/sdk-apps/{appId}",
        sdk_apps.patch_sdk_app,
        "patchSdkApp",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/sdk-apps/{appId}/install-spec",
        sdk_apps.install_spec,
        "getSdkInstallSpec",
        "projects:read",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/keywords",
        sdk_apps.list_keywords,
        "listKeywords",
        "projects:read",
        READ_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/keywords/refresh",
        sdk_apps.refresh_keywords,
        "refreshKeywords",
        "projects:write",
        LONG_RUNNING,
        job=True,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/app-media",
        media.upload_app_media,
        "uploadAppMedia",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/media",
        media.upload_media_inline,
        "uploadMediaInline",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/media/presign",
        media.presign_media_upload,
        "presignMediaUpload",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/media/finalize",
        media.finalize_media_upload,
        "finalizeMediaUpload",
        "projects:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/influencers",
        influencers.create_influencer,
        "createInfluencer",
        "influencers:write",
        LONG_RUNNING,
        job=True,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/influencers",
        influencers.list_influencers,
        "listInfluencers",
        "influencers:write",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/influencers/{influencerId}",
        influencers.get_influencer,
        "getInfluencer",
        "influencers:write",
        READ_LIGHT,
    ),
    _route(
        "PATCH",
        "/v1/influencers/{influencerId}",
        influencers.patch_influencer,
        "patchInfluencer",
        "influencers:write",
        WRITE_LIGHT,
    ),
    _route(
        "DELETE",
        "/v1/influencers/{influencerId}",
        influencers.delete_influencer,
        "deleteInfluencer",
        "influencers:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/influencers/{influencerId}/clone",
        influencers.clone_influencer,
        "cloneInfluencer",
        "influencers:write",
        LONG_RUNNING,
        job=True,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/top-performers",
        social.list_top_performers,
        "listTopPerformers",
        "metrics:read",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/metrics",
        social.get_metrics,
        "getMetrics",
        "metrics:read",
        READ_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/social/oauth-url",
        social.create_oauth_url,
        "createSocialOAuthUrl",
        "social:write",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/social/oauth-status/{state}",
        social.get_oauth_status,
        "getSocialOAuthStatus",
        "social:read",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/social-accounts",
        social.list_social_accounts,
        "listSocialAccounts",
        "social:read",
        READ_LIGHT,
    ),
    _route(
        "DELETE",
        "/v1/social-accounts/{socialAccountId}",
        social.revoke_social_account,
        "revokeSocialAccount",
        "social:write",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/leased-accounts/request",
        social.request_leased_accounts,
        "requestLeasedAccounts",
        "leased:write",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/leased-accounts/requests/{requestId}",
        social.get_lease_request,
        "getLeaseRequest",
        "leased:write",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/projects/{projectId}/leased-accounts",
        social.list_leased_accounts,
        "listLeasedAccounts",
        "leased:write",
        READ_LIGHT,
    ),
)


def build_app(state: State) -> web.Application:
    """The aiohttp application serving ``ROUTES`` over ``state``."""
    app = web.Application(middlewares=MIDDLEWARES)
    app[STATE] = state
    app[ROUTE_SPECS] = {(spec.method, spec.path): spec for spec in ROUTES}
    for spec in ROUTES:
        app.router.add_route(spec.method, spec.path, spec.handler)
    return app
