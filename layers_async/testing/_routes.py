"""The route table: every operation the fake serves, written from the docs, not the library.

Each row is (method, path, handler, openapi operationId, scope as README section 10 prints it
(None: none printed), rate class); ``job=True`` marks the operations that answer 202 with a job.
"""

from __future__ import annotations

from aiohttp import web

from . import _api_account as account
from . import _api_github as github
from . import _api_jobs as jobs
from . import _api_projects as projects
from . import _api_webhooks as webhooks
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
        "/v1/webhook-endpoints",
        webhooks.create_endpoint,
        "createWebhookEndpoint",
        None,
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/webhook-endpoints",
        webhooks.list_endpoints,
        "listWebhookEndpoints",
        None,
        READ_LIGHT,
    ),
    _route(
        "PATCH",
        "/v1/webhook-endpoints/{endpointId}",
        webhooks.update_endpoint,
        "updateWebhookEndpoint",
        None,
        WRITE_LIGHT,
    ),
    _route(
        "DELETE",
        "/v1/webhook-endpoints/{endpointId}",
        webhooks.delete_endpoint,
        "deleteWebhookEndpoint",
        None,
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/webhook-endpoints/{endpointId}/rotate-secret",
        webhooks.rotate_secret,
        "rotateWebhookSecret",
        None,
        WRITE_LIGHT,
    ),
    _route(
        "POST",
        "/v1/webhook-endpoints/{endpointId}/test",
        webhooks.test_endpoint,
        "testWebhookEndpoint",
        None,
        WRITE_LIGHT,
    ),
    _route(
        "GET",
        "/v1/webhook-endpoints/{endpointId}/deliveries",
        webhooks.list_deliveries,
        "listWebhookDeliveries",
        None,
        READ_LIGHT,
    ),
    _route(
        "POST",
        "/v1/webhook-deliveries/{deliveryId}/replay",
        webhooks.replay_delivery,
        "replayWebhookDelivery",
        None,
        WRITE_LIGHT,
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
