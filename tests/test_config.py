"""ClientConfig: resolution order, validation, and pure request building."""

from __future__ import annotations

import pytest

from layers_async import AsyncLayers, Timeout, idempotency_key
from layers_async._config import ClientConfig

KEY = "lp_test_ABCDEFGHIJKLMNOP_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"


def test_arguments_win_over_environment() -> None:
    """api_key/base_url arguments beat LAYERS_API_KEY/LAYERS_BASE_URL."""
    env = {"LAYERS_API_KEY": "lp_test_env", "LAYERS_BASE_URL": "https://env.example"}
    config = ClientConfig.resolve(api_key=KEY, base_url="https://arg.example", environ=env)
    assert KEY == config.api_key
    assert "https://arg.example" == config.base_url


def test_environment_then_defaults() -> None:
    """Without arguments the environment is read, then the default base URL."""
    config = ClientConfig.resolve(environ={"LAYERS_API_KEY": KEY})
    assert KEY == config.api_key
    assert "https://api.layers.com" == config.base_url
    env = {"LAYERS_API_KEY": KEY, "LAYERS_BASE_URL": "https://staging.example/v1/"}
    assert "https://staging.example" == ClientConfig.resolve(environ=env).base_url


def test_missing_key_names_the_variable() -> None:
    """No key anywhere: the error says which variable to set."""
    with pytest.raises(ValueError, match="LAYERS_API_KEY"):
        ClientConfig.resolve(environ={})


@pytest.mark.parametrize("bad", [" " + KEY, KEY + "\n", "lp_test_a b", "lp\x00x", ""])
def test_keys_with_whitespace_or_controls_are_refused_without_echo(bad: str) -> None:
    """Such keys raise ValueError at construction, and the message never shows the key."""
    with pytest.raises(ValueError, match="api_key") as info:
        AsyncLayers(api_key=bad)
    if bad.strip():
        assert bad.strip() not in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://api.layers.com", "http://10.0.0.5:8080", "ftp://x", "api.layers.com",
            "https://user:pw@api.layers.com"]
)
def test_insecure_or_odd_base_urls_are_refused(url: str) -> None:
    """Plain http to a non-loopback host, other schemes and credentials are refused."""
    with pytest.raises(ValueError, match="base_url"):
        ClientConfig.resolve(api_key=KEY, base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"])
def test_plain_http_is_fine_for_loopback(url: str) -> None:
    """The fake server runs on loopback over plain http."""
    assert url == ClientConfig.resolve(api_key=KEY, base_url=url).base_url


def test_repr_never_shows_the_key() -> None:
    """Neither the config, the client nor a built request shows the key."""
    client = AsyncLayers(api_key=KEY)
    request = client.build("GET", "/v1/whoami")
    polled = request.with_header("If-None-Match", '"v1"')  # how a job's polls are made
    for text in (repr(client.config), repr(client), repr(request), str(request), repr(polled)):
        assert KEY not in text
    assert (KEY,) == client.config.secrets


def test_with_header_adds_one_header_and_leaves_the_request_as_it_was() -> None:
    """A poll's conditional request: the same request plus If-None-Match."""
    request = ClientConfig.resolve(api_key=KEY).build_request("GET", "/v1/jobs/job_1")
    polled = request.with_header("If-None-Match", '"v1"')
    assert '"v1"' == polled.headers["If-None-Match"]
    assert "If-None-Match" not in request.headers
    assert {**request.headers, "If-None-Match": '"v1"'} == dict(polled.headers)
    assert (request.method, request.url, request.path, request.timeout, request.endpoint_class) \
        == (polled.method, polled.url, polled.path, polled.timeout, polled.endpoint_class)


def test_default_headers_bearer_and_user_agent() -> None:
    """Bearer by default (both doc generations accept it), a layers-async User-Agent, no
    Idempotency-Key on GET."""
    request = ClientConfig.resolve(api_key=KEY).build_request("GET", "/v1/whoami")
    assert f"Bearer {KEY}" == request.headers["Authorization"]
    assert "X-Api-Key" not in request.headers
    assert request.headers["User-Agent"].startswith("layers-async/")
    assert "Idempotency-Key" not in request.headers
    assert "https://api.layers.com/v1/whoami" == request.url


def test_x_api_key_and_organization_headers() -> None:
    """auth="x-api-key" sends X-Api-Key; organization sends X-Layers-Organization."""
    config = ClientConfig.resolve(api_key=KEY, auth="x-api-key", organization="org_child")
    request = config.build_request("GET", "/v1/whoami")
    assert KEY == request.headers["X-Api-Key"]
    assert "Authorization" not in request.headers
    assert "org_child" == request.headers["X-Layers-Organization"]
    assert (KEY,) == request.secrets



def test_headers_of_one_request_do_not_leak_into_the_next() -> None:
    """Per-call headers and idempotency keys stay on their own request."""
    config = ClientConfig.resolve(api_key=KEY)
    first = config.build_request("GET", "/v1/jobs/j", headers={"If-None-Match": '"v1"'})
    post = config.build_request("POST", "/v1/projects", json={"name": "x"})
    second = config.build_request("GET", "/v1/jobs/j")
    assert '"v1"' == first.headers["If-None-Match"]
    assert "If-None-Match" not in second.headers
    assert "Idempotency-Key" in post.headers
    assert "Content-Type" in post.headers
    assert {"Accept", "User-Agent", "Authorization"} == set(second.headers)


def test_evolved_config_builds_its_own_headers() -> None:
    """A config derived with attrs.evolve (as with_options does) sends its own auth and org."""
    import attrs

    config = ClientConfig.resolve(api_key=KEY)
    child = attrs.evolve(config, auth="x-api-key", organization="org_child")
    request = child.build_request("GET", "/v1/whoami")
    assert KEY == request.headers["X-Api-Key"]
    assert "org_child" == request.headers["X-Layers-Organization"]
    assert "Authorization" not in request.headers
    assert "X-Layers-Organization" not in config.build_request("GET", "/v1/whoami").headers

ROW_KEY = idempotency_key("row", 42)


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_mutations_always_carry_a_fresh_idempotency_key(method: str) -> None:
    """Each logical mutation gets its own UUID4 unless the caller gives one."""
    config = ClientConfig.resolve(api_key=KEY)
    first = config.build_request(method, "/v1/projects", json={"name": "a"})
    second = config.build_request(method, "/v1/projects", json={"name": "a"})
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    mine = config.build_request(method, "/v1/projects", idempotency_key=ROW_KEY)
    assert ROW_KEY == mine.headers["Idempotency-Key"]


def test_json_body_and_query_are_encoded() -> None:
    """Bodies are compact JSON; None query values are dropped; bools lower-case."""
    config = ClientConfig.resolve(api_key=KEY)
    request = config.build_request("POST", "/v1/x", json={"openPR": True, "name": "Ä"},
                                   params={"a": None, "b": False, "c": "x y"})
    assert b'{"openPR":true,"name":"\xc3\x84"}' == request.body
    assert "application/json" == request.headers["Content-Type"]
    assert "https://api.layers.com/v1/x?b=false&c=x+y" == request.url


@pytest.mark.parametrize("bad", [-1, 0, float("nan")])
def test_bad_timeouts_are_refused(bad: float) -> None:
    """A zero, negative or NaN timeout is a ValueError before any request."""
    with pytest.raises(ValueError, match="timeout"):
        AsyncLayers(api_key=KEY, timeout=bad)


def test_timeout_coercion() -> None:
    """Seconds become the total (connect capped at 10 s); None means no limit."""
    assert Timeout(connect=2.0, total=2.0) == Timeout.coerce(2.0)
    assert Timeout(connect=10.0, total=30.0) == Timeout.coerce(30)
    assert Timeout(connect=None, total=None) == Timeout.coerce(None)


def test_derived_idempotency_keys_are_stable_uuids() -> None:
    """The same parts give the same UUID in every run; other parts another one."""
    import uuid

    first = idempotency_key("acme_42", "project")
    assert first == idempotency_key("acme_42", "project")
    assert first != idempotency_key("acme_42", "ingest")
    assert 5 == uuid.UUID(first).version


@pytest.mark.parametrize("bad", ["acme_42:project", "row-42", "", "0" * 36])
def test_idempotency_keys_that_are_neither_uuid_nor_ulid_are_refused(bad: str) -> None:
    """The API types the header as a UUID (or ULID): anything else fails before a request."""
    config = ClientConfig.resolve(api_key=KEY)
    with pytest.raises(ValueError, match="UUID or a ULID"):
        config.build_request("POST", "/v1/projects", idempotency_key=bad)


def test_a_ulid_idempotency_key_is_accepted() -> None:
    """ULIDs are the API's other accepted form."""
    config = ClientConfig.resolve(api_key=KEY)
    ulid = "01HXZ9K3W0Q8Z6V5N4M3B2A1C0"
    assert ulid == config.build_request("POST", "/v1/x", idempotency_key=ulid).headers[
        "Idempotency-Key"]
