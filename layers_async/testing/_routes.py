"""The route table: every operation the fake serves, written from the docs, not the library.

Each row is (method, path, handler, openapi operationId, scope as README section 10 prints it
(None: none printed), rate class); ``job=True`` marks the operations that answer 202 with a job.
"""

from __future__ import annotations

from aiohttp import web

from . import _api_account as account
from . import _api_content as content
from . import _api_github as github
from . import _api_influencers as influencers
from . import _api_jobs as jobs
from . import _api_media as media
from . import _api_organizations as orgs
from . import _api_projects as projects
from . import _api_sdk_apps as sdk_apps
from . import _api_social as social
from ._audit import list_audit_log
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
        "/v1/organizations",
        orgs.create_organization,
        "createOrganization",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/organizations",
        orgs.list_organizations,
        "listOrganizations",
        "org:admin",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/organizations/{orgId}",
        orgs.get_organization,
        "getOrganization",
        "org:admin",
        READ_LIGHT,
    ),
    _route(
        "PATCH",
        "/v1/organizations/{orgId}",
        orgs.patch_organization,
        "patchOrganization",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "DELETE",
        "/v1/organizations/{orgId}",
        orgs.archive_organization,
        "archiveOrganization",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/organizations/{orgId}/suspend",
        orgs.suspend_organization,
        "suspendOrganization",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/organizations/{orgId}/resume",
        orgs.resume_organization,
        "resumeOrganization",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/organizations/migrate",
        orgs.migrate_organizations,
        "migrateOrganizations",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/organizations/{orgId}/credits",
        orgs.get_child_credits,
        "getChildCredits",
        "org:admin",
        READ_LIGHT,
    ),
    _route(
        "POST",
        "/v1/organizations/{orgId}/credits/allocate",
        orgs.allocate_child_credits,
        "allocateChildCredits",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/organizations/{orgId}/credits/events",
        orgs.list_child_credit_events,
        "listChildCreditEvents",
        "org:admin",
        READ_LIGHT,
    ),
    _route(
        "GET",
        "/v1/organizations/{orgId}/credit-config",
        orgs.get_child_credit_config,
        "getChildCreditConfig",
        "org:admin",
        READ_LIGHT,
    ),
    _route(
        "PATCH",
        "/v1/organizations/{orgId}/credit-config",
        orgs.patch_child_credit_config,
        "patchChildCreditConfig",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/organizations/{orgId}/api-keys",
        orgs.mint_child_api_key,
        "mintChildApiKey",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/organizations/{orgId}/api-keys",
        orgs.list_child_api_keys,
        "listChildApiKeys",
        "org:admin",
        READ_LIGHT,
    ),
    _route(
        "POST",
        "/v1/organizations/{orgId}/api-keys/{keyId}/rotate",
        orgs.rotate_child_api_key,
        "rotateChildApiKey",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route(
        "DELETE",
        "/v1/organizations/{orgId}/api-keys/{keyId}",
        orgs.revoke_child_api_key,
        "revokeChildApiKey",
        "org:admin",
        WRITE_LIGHT,
    ),
    _route("GET", "/v1/audit-log", list_audit_log, "listAuditLog", None, READ_LIGHT),
    # -- Content, Approval, Publishing (issue 12) --
    *(
        _route(method, path, handler, operation_id, scope, rate, job=rate == LONG_RUNNING)
        for method, path, handler, operation_id, scope, rate in (
            ("POST", "/v1/projects/{projectId}/content", content.generate_content,
             "generateContent", "content:write", LONG_RUNNING),
            ("GET", "/v1/projects/{projectId}/content", content.list_containers,
             "listContainers", "content:read", READ_LIGHT),
            ("POST", "/v1/projects/{projectId}/content/video-remix", content.video_remix,
             "generateVideoRemix", "content:write", LONG_RUNNING),
            ("POST", "/v1/projects/{projectId}/content/slideshow-remix", content.slideshow_remix,
             "generateSlideshowRemix", "content:write", LONG_RUNNING),
            ("POST", "/v1/projects/{projectId}/content/ugc-remix", content.ugc_remix,
             "generateUgcRemix", "content:write", LONG_RUNNING),
            ("POST", "/v1/projects/{projectId}/content/slideshow-builder",
             content.slideshow_builder, "generateSlideshowBuilder", "content:write",
             LONG_RUNNING),
            ("GET", "/v1/projects/{projectId}/content/source-recommendations",
             content.source_recommendations, "listSourceRecommendations", "content:read",
             READ_LIGHT),
            ("GET", "/v1/projects/{projectId}/content/hooks", content.list_hooks, "listHooks",
             "content:read", READ_LIGHT),
            ("POST", "/v1/projects/{projectId}/content/uploads", content.create_upload,
             "createUploadSession", "content:write", WRITE_LIGHT),
            ("GET", "/v1/content/{containerId}", content.get_container, "getContainer",
             "content:read", READ_LIGHT),
            ("GET", "/v1/content/{containerId}/progress", content.get_progress,
             "getContainerProgress", "content:read", READ_LIGHT),
            ("GET", "/v1/content/{containerId}/assets/{assetId}", content.get_asset, "getAsset",
             "content:read", READ_LIGHT),
            ("POST", "/v1/content/{containerId}/regenerate", content.regenerate,
             "regenerateContainer", "content:write", LONG_RUNNING),
            ("POST", "/v1/content/{containerId}/clone-from-post", content.clone_from_post,
             "cloneFromPost", "content:write", LONG_RUNNING),
            ("POST", "/v1/content/{containerId}/approve", content.approve, "approveContainer",
             "content:approve", WRITE_LIGHT),
            ("POST", "/v1/content/{containerId}/reject", content.reject, "rejectContainer",
             "content:approve", WRITE_LIGHT),
            ("GET", "/v1/projects/{projectId}/content-review-policy", content.get_review_policy,
             "getContentReviewPolicy", None, READ_LIGHT),
            ("PATCH", "/v1/projects/{projectId}/content-review-policy",
             content.patch_review_policy, "patchContentReviewPolicy", None, WRITE_LIGHT),
            ("POST", "/v1/content/{containerId}/schedule", content.schedule, "scheduleContainer",
             "publish:write", WRITE_LIGHT),
            ("POST", "/v1/content/{containerId}/publish", content.publish, "publishContainer",
             "publish:write", WRITE_LIGHT),
            ("GET", "/v1/scheduled-posts/{scheduledPostId}", content.get_post, "getScheduledPost",
             "publish:read", READ_LIGHT),
            ("DELETE", "/v1/scheduled-posts/{scheduledPostId}", content.cancel_post,
             "cancelScheduledPost", "publish:write", WRITE_LIGHT),
            ("GET", "/v1/projects/{projectId}/scheduled-posts", content.list_posts,
             "listScheduledPosts", "publish:read", READ_LIGHT),
            ("POST", "/v1/scheduled-posts/{scheduledPostId}/reschedule", content.reschedule_post,
             "reschedulePost", "publish:write", WRITE_LIGHT),
        )
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
