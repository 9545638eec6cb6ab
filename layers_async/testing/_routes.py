"""The route table: every operation the fake serves, with its scope and rate class."""

from __future__ import annotations

from aiohttp import web

from . import _api_account as account
from . import _api_github as github
from . import _api_jobs as jobs
from . import _api_projects as projects
from ._context import LONG_RUNNING, READ_LIGHT, WRITE_LIGHT, Handler, RouteSpec
from ._middleware import MIDDLEWARES, ROUTE_SPECS
from ._state import STATE, State


def _route(method: str, path: str, handler: Handler, scope: str | None, rate: str) -> RouteSpec:
    return RouteSpec(method=method, path=path, handler=handler, scope=scope, rate_class=rate)


#: Scopes as README section 10 prints them (None = no scope printed).
ROUTES: tuple[RouteSpec, ...] = (
    _route("GET", "/v1/whoami", account.whoami, None, READ_LIGHT),
    _route("GET", "/v1/credits", account.get_credits, None, READ_LIGHT),
    _route("GET", "/v1/credits/events", account.list_credit_events, None, READ_LIGHT),
    _route("POST", "/v1/api-keys/{keyId}/kill", account.kill_api_key, None, WRITE_LIGHT),
    _route("DELETE", "/v1/api-keys/{keyId}", account.delete_api_key, None, WRITE_LIGHT),
    _route("POST", "/v1/api-keys/{keyId}/rotate", account.rotate_api_key, None, WRITE_LIGHT),
    _route("POST", "/v1/projects", projects.create_project, "projects:write", WRITE_LIGHT),
    _route("GET", "/v1/projects", projects.list_projects, "projects:read", READ_LIGHT),
    _route("GET", "/v1/projects/{id}", projects.get_project, "projects:read", READ_LIGHT),
    _route("PATCH", "/v1/projects/{id}", projects.patch_project, "projects:write", WRITE_LIGHT),
    _route("DELETE", "/v1/projects/{id}", projects.archive_project, "projects:write", WRITE_LIGHT),
    _route(
        "POST", "/v1/projects/{id}/ingest/github", jobs.ingest_github, "ingest:write", LONG_RUNNING
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/ingest/website",
        jobs.ingest_website,
        "ingest:write",
        LONG_RUNNING,
    ),
    _route(
        "POST",
        "/v1/projects/{projectId}/ingest/appstore",
        jobs.ingest_appstore,
        "ingest:write",
        LONG_RUNNING,
    ),
    _route(
        "GET",
        "/v1/github/installation/install-url",
        github.get_install_url,
        "github:admin",
        READ_LIGHT,
    ),
    _route(
        "POST", "/v1/github/installation", github.register_installation, "github:admin", WRITE_LIGHT
    ),
    _route("GET", "/v1/github/installation", github.get_installation, "github:admin", READ_LIGHT),
    _route("GET", "/v1/github/repos", github.list_repos, "github:admin", READ_LIGHT),
    _route("GET", "/v1/jobs/{jobId}", jobs.get_job, "jobs:read", READ_LIGHT),
    _route("POST", "/v1/jobs/{jobId}/cancel", jobs.cancel_job, "jobs:cancel", WRITE_LIGHT),
)


def build_app(state: State) -> web.Application:
    """The aiohttp application serving ``ROUTES`` over ``state``."""
    app = web.Application(middlewares=MIDDLEWARES)
    app[STATE] = state
    app[ROUTE_SPECS] = {(spec.method, spec.path): spec for spec in ROUTES}
    for spec in ROUTES:
        app.router.add_route(spec.method, spec.path, spec.handler)
    return app
