"""The narrow seams: lifecycle, with_options, requests to other hosts, one-time secrets,
repeated query parameters, request bodies through the converter, the pure retry decision."""

from __future__ import annotations

import json
import logging
import pickle
from typing import Any

import attrs
import pytest
from aiohttp import web

from layers_async import (
    UNSET,
    APIError,
    AsyncLayers,
    MockTransport,
    Request,
    Response,
    RetryPolicy,
    SdkConfig,
    Secret,
)
from layers_async._converter import coerce, encode_fields, structure
from layers_async._http import build_url
from layers_async.testing import FakeLayers

pytestmark = pytest.mark.anyio

KEY = "lp_test_ABCDEFGHIJKLMNOP_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
SCALE = 1000.0


def ok(body: Any) -> Response:
    """A 200 with a JSON body."""
    return Response(status=200, headers={}, body=json.dumps(body).encode())


# -- lifecycle -------------------------------------------------------------------------------

async def test_entering_twice_or_after_close_is_a_clear_error() -> None:
    """A client is entered once; a closed one is never reopened."""
    layers = AsyncLayers(api_key=KEY, transport=MockTransport(lambda r: ok({})))
    async with layers:
        with pytest.raises(RuntimeError, match="already open"):
            await layers.__aenter__()
    with pytest.raises(RuntimeError, match="closed"):
        async with layers:
            pass


# -- with_options ----------------------------------------------------------------------------

async def test_with_options_shares_connection_pacer_and_scheduler() -> None:
    """A child-org view sends X-Layers-Organization over the parent's session and pacer."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        child_id = fake.add_org(name="Child", parent_id=fake.organization_id)
        child = layers.with_options(organization=child_id, timeout=5, max_retries=0)
        async with child:
            me = await child.whoami()
            job = child.jobs.attach(fake.create_job(duration=5, organization_id=child_id))
            await job.wait()
        assert not layers.closed  # closing the view closed nothing
        assert child_id == me.organization_id
        assert layers.pacer is child.pacer
        assert layers._scheduler is child._scheduler
        assert child._pipeline.connection is layers._pipeline.connection
        assert 0 == child.config.retry.max_retries
        assert 5 == child.config.timeout.total
        polls = [e for e in fake.journal if e.path.startswith("/v1/jobs/")]
        assert polls
        assert all(child_id == e.headers.get("X-Layers-Organization") for e in polls)
        plain = (await layers.whoami()).organization_id
    assert fake.organization_id == plain
    assert child.closed  # the parent's close is the view's too


def test_with_options_checks_its_arguments() -> None:
    """A bad organization is refused at once, without a request."""
    layers = AsyncLayers(api_key=KEY, transport=MockTransport(lambda r: ok({})))
    with pytest.raises(ValueError, match="organization"):
        layers.with_options(organization=" org_x")
    assert None is layers.with_options(organization=None).config.organization


# -- other hosts -------------------------------------------------------------------------------

async def test_a_request_to_another_host_carries_no_key_and_follows_no_redirect() -> None:
    """A presigned-upload style PUT: no Authorization / X-Api-Key; a 302 is not followed."""
    seen: list[dict[str, str]] = []

    async def upload(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        raise web.HTTPFound("http://127.0.0.1:9/elsewhere")

    app = web.Application()
    app.router.add_put("/bucket/object", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with AsyncLayers(api_key=KEY, base_url="http://127.0.0.1:1") as layers:
            request = layers.build_external("PUT", f"http://127.0.0.1:{port}/bucket/object",
                                            body=b"bytes", headers={"Content-Type": "image/png"})
            with pytest.raises(APIError) as info:
                await layers.send(request, max_retries=0)
    finally:
        await runner.cleanup()
    assert 302 == info.value.status
    assert 1 == len(seen)
    assert not {"Authorization", "X-Api-Key", "Idempotency-Key"} & set(seen[0])
    assert "image/png" == seen[0]["Content-Type"]
    assert KEY not in repr(request)


def test_requests_to_other_hosts_are_checked() -> None:
    """No plain http off loopback, no key header smuggled in."""
    layers = AsyncLayers(api_key=KEY, transport=MockTransport(lambda r: ok({})))
    with pytest.raises(ValueError, match="plain http"):
        layers.build_external("PUT", "http://uploads.example.com/x")
    with pytest.raises(ValueError, match="API key"):
        layers.build_external("PUT", "https://uploads.example.com/x",
                              headers={"Authorization": f"Bearer {KEY}"})


# -- one-time secrets ------------------------------------------------------------------------

def test_a_secret_shows_only_through_value(caplog: pytest.LogCaptureFixture) -> None:
    """repr, str, f-strings, logs and unstructured JSON hide it; .value and pickling keep it."""
    secret = Secret("whsec_abc123")
    with caplog.at_level(logging.INFO):
        logging.getLogger("layers_async").info("got %s %r", secret, secret)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", caplog.text):
        assert "abc123" not in text
    assert "whsec_abc123" == secret.value
    assert secret == pickle.loads(pickle.dumps(secret))
    assert secret != Secret("whsec_other")


def test_decode_errors_never_show_a_one_time_secret() -> None:
    """A body with a key or signing secret that fails to decode is excerpted without it."""
    from layers_async import ApiKeyRotateResult, DecodeError

    body = {"apiKey": 7, "secret": "lp_live_ABCDEFGHIJKLMNOP_s3cr3tvalue", "hook": "whsec_xyz"}
    with pytest.raises(DecodeError) as info:
        structure(body, ApiKeyRotateResult)
    text = str(info.value) + repr(info.value) + (info.value.excerpt or "")
    assert "s3cr3tvalue" not in text
    assert "whsec_xyz" not in text


# -- query and body ------------------------------------------------------------------------------

def test_a_list_query_value_travels_as_the_name_repeated() -> None:
    """status=a&status=b, None dropped, booleans lower-case."""
    url = build_url("https://x", "/v1/m", {"status": ["a", "b"], "skip": None, "all": True})
    assert "https://x/v1/m?status=a&status=b&all=true" == url


async def test_repeated_query_parameters_reach_the_wire() -> None:
    """Through the client too: one name, many values."""
    transport = MockTransport(lambda r: ok({}))
    async with AsyncLayers(api_key=KEY, transport=transport) as layers:
        await layers.call("GET", "/v1/x", dict, params={"metric": ("views", "likes")})
    assert transport.requests[0].url.endswith("/v1/x?metric=views&metric=likes")


def test_bodies_use_the_specs_wire_names_and_omit_what_is_unset() -> None:
    """open_pr -> openPR (declared, not invented); None and UNSET omitted unless nullable."""
    names = ("repoFullName", "openPR", "sdkConfig", "appName", "branch")
    body = encode_fields(names, {"repo_full_name": "a/b", "open_pr": True, "branch": None,
                                 "app_name": None, "sdk_config": UNSET},
                         nullable={"appName"})
    assert {"repoFullName": "a/b", "openPR": True, "appName": None} == body
    with pytest.raises(TypeError, match="not a field"):
        encode_fields(names, {"repo": "a/b"})


def test_a_nested_object_is_a_model_or_a_mapping_of_wire_keys() -> None:
    """SdkConfig(...) and {"appName": ...} give the same wire object; typos are refused."""
    as_model = encode_fields(("sdkConfig",), {"sdk_config": SdkConfig(app_name="Acme")})
    as_mapping = encode_fields(("sdkConfig",), {"sdk_config": coerce(
        {"appName": "Acme"}, SdkConfig, "sdk_config")})
    assert {"sdkConfig": {"appName": "Acme"}} == as_model == as_mapping
    with pytest.raises(ValueError, match="unknown field"):
        coerce({"app_name": "Acme"}, SdkConfig, "sdk_config")


async def test_an_ingest_with_a_mapping_sdk_config_sends_the_wire_keys() -> None:
    """The resource path: the mapping is checked, then sent with the API's names."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        project = await layers.projects.create(name="Acme")
        await layers.github.register_installation(1, "state")
        await layers.ingest.github(project.id, repo_full_name="acme/app", open_pr=False,
                                   sdk_config={"appName": "Acme", "includePlatforms": ["ios"]})
        with pytest.raises(ValueError, match="unknown platform"):
            await layers.ingest.github(project.id, repo_full_name="acme/app",
                                       sdk_config={"includePlatforms": ["palm"]})
    sent = [e for e in fake.journal if e.path.endswith("/ingest/github")]
    assert 1 == len(sent)
    assert {"repoFullName": "acme/app", "openPR": False,
            "sdkConfig": {"appName": "Acme", "includePlatforms": ["ios"]}} == sent[0].json


# -- the retry decision ------------------------------------------------------------------------

def test_the_retry_decision_is_pure() -> None:
    """Connection errors and 5xx retry, 4xx and KILL_SWITCH do not, Retry-After is obeyed."""
    policy = RetryPolicy(jitter=0.0)
    assert 0.5 == policy.decide(1)                                    # connection error
    assert 1.0 == policy.decide(2, status=503)
    assert None is policy.decide(1, status=503, code="KILL_SWITCH")
    assert None is policy.decide(1, status=404)
    assert 7.0 == policy.decide(1, status=429, retry_after=7.0)
    assert None is policy.decide(1, status=429, retry_after=61.0)
    assert None is policy.decide(1, status=429, retry_rate_limits=False)
    assert None is policy.decide(4, status=503)                        # out of attempts
    assert 0.5 == policy.decide(1, status=500, retries=1)
    assert None is policy.decide(2, status=500, retries=1)


def test_backoff_never_overflows() -> None:
    """Attempt 10,000 waits the cap, not an OverflowError."""
    policy = RetryPolicy(jitter=0.0)
    assert policy.maximum == policy.backoff(10_000)
    assert policy.maximum == policy.decide(10_000, status=503, retries=20_000)


def test_request_values_stay_frozen() -> None:
    """The pipeline resends one frozen Request: it cannot change between attempts."""
    request = AsyncLayers(api_key=KEY, transport=MockTransport(lambda r: ok({}))).build(
        "POST", "/v1/projects", json={"name": "a"})
    assert isinstance(request, Request)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.url = "https://elsewhere"  # type: ignore[misc]
