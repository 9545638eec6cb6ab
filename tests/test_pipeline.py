"""The request pipeline over the transport seam: retries, idempotency, logging, lifecycle."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from layers_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncLayers,
    DecodeError,
    KillSwitchError,
    MockTransport,
    NotFoundError,
    RateLimitError,
    Request,
    Response,
    RetryPolicy,
    ServerError,
    ValidationError,
    idempotency_key,
)
from layers_async._http import segment

pytestmark = pytest.mark.anyio

KEY = "lp_test_ABCDEFGHIJKLMNOP_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
WHOAMI = {"organizationId": "org_1", "apiKeyId": "key_1", "scopes": ["*"],
          "rateLimitTier": "standard"}
FAST = RetryPolicy().scaled(1e-4)

MINE = idempotency_key("acme_42", "project")


def answer(status: int, body: Any = None, **headers: str) -> Response:
    """A response with a JSON body."""
    return Response(status=status, headers={k.replace("_", "-"): v for k, v in headers.items()},
                    body=json.dumps(body if body is not None else {}).encode())


def error(status: int, code: str, **headers: str) -> Response:
    """An error envelope response."""
    return answer(status, {"error": {"code": code, "message": code.lower(),
                                     "requestId": f"req_{status}"}}, **headers)


def scripted(*responses: Response | Exception) -> Callable[[Request], Response]:
    """A handler that answers with each response in turn (exceptions are raised)."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


async def test_fails_twice_then_succeeds_with_the_same_idempotency_key() -> None:
    """Two 503s then a 201: three attempts, one Idempotency-Key."""
    transport = MockTransport(scripted(error(503, "SERVER_ERROR"), error(502, "BAD_GATEWAY"),
                                       answer(201, {"id": "prj_1", "name": "Acme"})))
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST) as layers:
        project = await layers.projects.create(name="Acme", customer_external_id="acme_42")
    assert "prj_1" == project.id
    assert 3 == len(transport.requests)
    keys = {r.headers["Idempotency-Key"] for r in transport.requests}
    assert 1 == len(keys)


async def test_callers_idempotency_key_is_sent_on_every_attempt() -> None:
    """A caller's key is used as-is on the first try and each retry."""
    transport = MockTransport(scripted(APIConnectionError("reset"),
                                       answer(201, {"id": "prj_1", "name": "Acme"})))
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST) as layers:
        await layers.projects.create(name="Acme", idempotency_key=MINE)
    assert [MINE] * 2 == [r.headers["Idempotency-Key"] for r in transport.requests]


async def test_gives_up_after_max_retries_with_the_last_error() -> None:
    """max_retries=2 means three attempts; the last response's error is raised."""
    transport = MockTransport(scripted(error(500, "A"), error(500, "B"), error(502, "C")))
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST,
                           max_retries=2) as layers:
        with pytest.raises(ServerError) as info:
            await layers.whoami()
    assert "C" == info.value.code
    assert 3 == info.value.attempts
    assert 3 == len(transport.requests)


async def test_kill_switch_is_never_retried() -> None:
    """503 KILL_SWITCH is raised after one attempt."""
    transport = MockTransport(scripted(error(503, "KILL_SWITCH")))
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST) as layers:
        with pytest.raises(KillSwitchError):
            await layers.whoami()
    assert 1 == len(transport.requests)


@pytest.mark.parametrize(("status", "code"), [(400, "VALIDATION"), (401, "UNAUTHENTICATED"),
                                              (404, "NOT_FOUND"), (409, "CONFLICT"),
                                              (422, "VALIDATION")])
async def test_client_errors_are_not_retried(status: int, code: str) -> None:
    """4xx other than 408/429 fail on the first attempt."""
    transport = MockTransport(scripted(error(status, code)))
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST) as layers:
        with pytest.raises(APIError) as info:
            await layers.whoami()
    assert status == info.value.status
    assert 1 == len(transport.requests)


async def test_retry_after_is_obeyed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 with Retry-After: 7 waits exactly 7 s (scaled) before the retry."""
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr("layers_async._client.anyio.sleep", fake_sleep)
    transport = MockTransport(scripted(error(429, "RATE_LIMITED", retry_after="7"),
                                       answer(200, WHOAMI)))
    async with AsyncLayers(api_key=KEY, transport=transport, pacing=False) as layers:
        await layers.whoami()
    assert [7.0] == slept


async def test_retry_after_beyond_the_cap_is_raised_at_once() -> None:
    """A Retry-After of two minutes is not slept through: RateLimitError with it."""
    transport = MockTransport(scripted(error(429, "RATE_LIMITED", retry_after="120")))
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST) as layers:
        with pytest.raises(RateLimitError) as info:
            await layers.whoami()
    assert 120.0 == info.value.retry_after
    assert 1 == len(transport.requests)


async def test_bad_input_is_refused_before_any_request() -> None:
    """Empty ids, malformed repos and unknown platforms raise before sending."""
    transport = MockTransport(scripted())
    async with AsyncLayers(api_key=KEY, transport=transport) as layers:
        with pytest.raises(ValueError, match="project_id"):
            await layers.projects.get("")
        with pytest.raises(ValueError, match="owner/name"):
            await layers.ingest.github("prj_1", repo_full_name="acme-mobile")
        with pytest.raises(ValueError, match="platform"):
            await layers.ingest.github("prj_1", repo_full_name="acme/app", platforms=["symbian"])
        with pytest.raises(ValueError, match="limit"):
            layers.projects.list(limit=0)
        with pytest.raises(ValueError, match="timeout"):
            await layers.jobs.attach("job_1").wait(timeout=-1)
        with pytest.raises(ValueError, match="job_id"):
            layers.jobs.attach(" ")
    assert [] == transport.requests


async def test_logs_one_debug_per_attempt_and_a_warning_per_retry(
        caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG names method, path, status, request id and attempt; the key never appears."""
    transport = MockTransport(scripted(error(500, "X", x_request_id="req_a"),
                                       answer(200, WHOAMI, x_request_id="req_b")))
    caplog.set_level(logging.DEBUG, logger="layers_async")
    async with AsyncLayers(api_key=KEY, transport=transport, retry=FAST) as layers:
        await layers.whoami()
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert 2 == len(debug)
    assert "GET /v1/whoami -> 500 (request id req_a, attempt 1" in debug[0]
    assert "GET /v1/whoami -> 200 (request id req_b, attempt 2" in debug[1]
    assert 1 == len(warnings)
    assert "retrying GET /v1/whoami" in warnings[0]
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_use_after_close_is_a_clear_error() -> None:
    """A closed client refuses calls and refuses to reopen."""
    layers = AsyncLayers(api_key=KEY, transport=MockTransport(scripted()))
    async with layers:
        pass
    assert layers.closed
    with pytest.raises(RuntimeError, match="closed"):
        await layers.whoami()
    with pytest.raises(RuntimeError, match="closed"):
        await layers.__aenter__()


async def test_validation_sent_as_400_is_a_validation_error() -> None:
    """The code wins over the status (patch-project answers VALIDATION with 400)."""
    transport = MockTransport(scripted(error(400, "VALIDATION")))
    async with AsyncLayers(api_key=KEY, transport=transport) as layers:
        with pytest.raises(ValidationError):
            await layers.projects.update("prj_1", name="x")


# -- real loopback servers for what only a socket shows ----------------------------


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Start ``app`` on a free loopback port."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def test_redirects_are_not_followed() -> None:
    """A 302 to another host is an error, and the other host is never contacted."""
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.2:9/steal")

    app = web.Application()
    app.router.add_get("/v1/whoami", redirect)
    runner, url = await serve(app)
    try:
        async with AsyncLayers(api_key=KEY, base_url=url) as layers:
            with pytest.raises(APIError) as info:
                await layers.whoami()
    finally:
        await runner.cleanup()
    assert 302 == info.value.status


async def test_connection_refused_is_a_connection_error_without_the_key() -> None:
    """No server: APIConnectionError after the retries, no aiohttp exception chained."""
    runner, url = await serve(web.Application())
    await runner.cleanup()  # the port is now closed
    async with AsyncLayers(api_key=KEY, base_url=url, retry=FAST, max_retries=1) as layers:
        with pytest.raises(APIConnectionError) as info:
            await layers.whoami()
    assert 2 == info.value.attempts
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert KEY not in str(info.value)


async def test_total_timeout_raises_api_timeout_error() -> None:
    """A server slower than the total timeout gives APITimeoutError (a TimeoutError)."""
    import anyio

    release = anyio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response(WHOAMI)

    app = web.Application()
    app.router.add_get("/v1/whoami", slow)
    runner, url = await serve(app)
    try:
        async with AsyncLayers(api_key=KEY, base_url=url, max_retries=0,
                               timeout=0.05) as layers:
            with pytest.raises(APITimeoutError) as info:
                await layers.whoami()
    finally:
        release.set()
        await runner.cleanup()
    assert isinstance(info.value, TimeoutError)
    assert info.value.__context__ is None


async def test_borrowed_session_is_left_open() -> None:
    """A caller's aiohttp session is used and not closed by the client."""
    async def whoami(request: web.Request) -> web.Response:
        assert f"Bearer {KEY}" == request.headers["Authorization"]
        return web.json_response(WHOAMI)

    app = web.Application()
    app.router.add_get("/v1/whoami", whoami)
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession() as session:
            async with AsyncLayers(api_key=KEY, base_url=url, session=session) as layers:
                me = await layers.whoami()
            assert not session.closed
            assert "org_1" == me.organization_id
    finally:
        await runner.cleanup()


async def test_exception_inside_the_block_still_closes_the_session() -> None:
    """An error in the async with body closes the owned session (no unclosed warning)."""
    async def whoami(request: web.Request) -> web.Response:
        return web.json_response(WHOAMI)

    app = web.Application()
    app.router.add_get("/v1/whoami", whoami)
    runner, url = await serve(app)
    try:
        layers = AsyncLayers(api_key=KEY, base_url=url)
        with pytest.raises(ZeroDivisionError):  # noqa: PT012 - the raise must be inside the block
            async with layers:
                await layers.whoami()
                1 / 0  # noqa: B018 - the point is the exception
    finally:
        await runner.cleanup()
    assert layers.closed


async def test_key_echoed_into_bodies_never_reaches_an_error() -> None:
    """Echoed keys are scrubbed from excerpts (even across the cut), messages and details."""
    echo = {"items": [{"id": "p1", "name": "ok"}, {"id": "p2", "note": KEY}], "nextCursor": None}
    long_page = ("x" * 170 + f" X-Api-Key: {KEY}").encode()
    transport = MockTransport(scripted(
        answer(200, echo),
        Response(status=502, headers={}, body=long_page),
        answer(422, {"error": {"code": "VALIDATION", "message": "bad", "requestId": "req_1",
                               "details": {"issues": [{"echo": f"key {KEY}"}]}}}),
    ))
    async with AsyncLayers(api_key=KEY, transport=transport, max_retries=0) as layers:
        with pytest.raises(DecodeError) as page_error:
            await layers.projects.list().collect()
        with pytest.raises(ServerError) as gateway:
            await layers.whoami()
        with pytest.raises(ValidationError) as invalid:
            await layers.whoami()
    errors: list[Exception] = [page_error.value, gateway.value, invalid.value]
    for error in errors:
        text = f"{error!s} {error!r} {vars(error)}"
        assert KEY not in text
        assert KEY[:30] not in text  # not even the key id and the start of the secret


async def test_a_borrowed_session_that_raises_for_status_still_maps_errors() -> None:
    """A caller's raise_for_status=True session: a 404 is NotFoundError after one request."""
    hits: list[str] = []

    async def missing(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({"error": {"code": "NOT_FOUND", "message": "nope",
                                            "requestId": "req_1"}}, status=404)

    app = web.Application()
    app.router.add_get("/v1/projects/{id}", missing)
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession(raise_for_status=True) as session, AsyncLayers(
                api_key=KEY, base_url=url, session=session) as layers:
            with pytest.raises(NotFoundError):
                await layers.projects.get("prj_1")
    finally:
        await runner.cleanup()
    assert ["/v1/projects/prj_1"] == hits


@pytest.mark.parametrize("bad", [".", "..", "a/b"])
async def test_dot_segments_are_not_ids(bad: str) -> None:
    """'.' and '..' would be folded away by URL normalisation: refused before sending."""
    transport = MockTransport(scripted())
    async with AsyncLayers(api_key=KEY, transport=transport) as layers:
        with pytest.raises(ValueError, match="id"):
            await layers.api_keys.kill(bad)
        with pytest.raises(ValueError, match="id"):
            await layers.projects.get(bad)
    assert [] == transport.requests


@pytest.mark.parametrize("value", [
    "job_01M8SW8SN7YGC1PMFV9HHK8SH3", "prj_d318deea-b240-41b2-8524-cb0177053e97", "a.b~c-d_e",
    "...", "a b", "ä", "a%2Fb", "a?b", "a#b", "a+b", "café", " a", "a ", "", " ", ".", "..", "a/b",
])
def test_ids_become_path_segments_as_quote_makes_them(value: str) -> None:
    """An id is its path segment as urllib's quote(safe="") makes it, or refused; a plain id
    (letters, digits, _ . ~ -) takes the short way and comes out unchanged."""
    try:
        got: str | Exception = segment(value, "id")
    except ValueError as exc:
        got = exc
    if not value.strip() or "/" in value or value != value.strip() or value in (".", ".."):
        assert isinstance(got, ValueError)
    else:
        assert quote(value, safe="") == got


def test_user_agent_with_control_characters_is_refused() -> None:
    """A CRLF in user_agent is a clear ValueError at construction."""
    with pytest.raises(ValueError, match="user_agent"):
        AsyncLayers(api_key=KEY, user_agent="me\r\nX-Evil: 1")


async def test_a_refused_connection_says_so_and_where() -> None:
    """reason and url name what failed, for a message a person can act on."""
    async with AsyncLayers(api_key=KEY, base_url="http://127.0.0.1:1", retry=FAST) as layers:
        with pytest.raises(APIConnectionError) as info:
            await layers.whoami()
    assert ("connection refused", "http://127.0.0.1:1", 4) == (
        info.value.reason, info.value.url, info.value.attempts)
