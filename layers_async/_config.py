"""Client configuration: arguments first, then the environment, then defaults."""

from __future__ import annotations

import ipaddress
import os
import platform
import uuid
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs

from ._http import (
    DEFAULT_TIMEOUT,
    SECRET_HEADERS,
    FileBody,
    Request,
    Timeout,
    build_url,
    encode_json,
)
from ._idempotency import check_idempotency_key
from ._poll import PollPolicy, PostPollPolicy
from ._retry import RetryPolicy
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "AuthMode", "ClientConfig", "check_external_url"]

DEFAULT_BASE_URL = "https://api.layers.com"
ENV_API_KEY = "LAYERS_API_KEY"
ENV_BASE_URL = "LAYERS_BASE_URL"

AuthMode = Literal["x-api-key", "bearer"]
_AUTH_MODES = ("x-api-key", "bearer")
_MUTATING = frozenset({"POST", "PATCH", "DELETE"})


def check_api_key(key: object) -> str:
    """The key if it is usable in a header; a clear error (without the key) if not."""
    if not isinstance(key, str):
        raise TypeError(f"api_key must be a string, got {type(key).__name__}")
    if not key:
        raise ValueError("api_key is empty")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValueError("api_key contains whitespace or control characters "
                         "(check for a stray newline or space when it was copied)")
    return key


def normalize_base_url(url: str) -> str:
    """``url`` without a trailing ``/`` or ``/v1``; plain http only for loopback hosts."""
    if not isinstance(url, str) or not url:
        raise ValueError("base_url must be a non-empty URL such as https://api.layers.com")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL, got {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("base_url must not carry a query, a fragment or credentials")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(f"base_url {url!r} uses plain http for a host that is not loopback; "
                         "the API key would travel unencrypted. Use https.")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_user_agent() -> str:
    """``layers-async/<version> python/<x.y.z> aiohttp/<version>``."""
    import aiohttp

    return (f"layers-async/{__version__} python/{platform.python_version()} "
            f"aiohttp/{aiohttp.__version__}")


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a client needs to build requests. The key never shows in its repr."""

    api_key: str = attrs.field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    auth: AuthMode = "bearer"
    organization: str | None = None
    user_agent: str = attrs.field(factory=default_user_agent)
    timeout: Timeout = DEFAULT_TIMEOUT
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    poll: PollPolicy = attrs.field(factory=PollPolicy)
    #: How ``scheduled_posts.wait()`` paces its polls.
    post_poll: PostPollPolicy = attrs.field(factory=PostPollPolicy)
    #: The headers every API request starts with, made once here rather than per request.
    _base_headers: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)
    #: What must never be shown: the key (read on every decode: made once, here).
    secrets: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        base = {"Accept": "application/json", "User-Agent": self.user_agent}
        if self.auth == "bearer":
            base["Authorization"] = f"Bearer {self.api_key}"
        else:
            base["X-Api-Key"] = self.api_key
        if self.organization is not None:
            base["X-Layers-Organization"] = self.organization
        object.__setattr__(self, "_base_headers", base)  # frozen: set once, at construction
        object.__setattr__(self, "secrets", (self.api_key,))

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        auth: AuthMode = "bearer",
        organization: str | None = None,
        user_agent: str | None = None,
        timeout: float | Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        post_poll: PostPollPolicy | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Arguments win over ``LAYERS_API_KEY`` / ``LAYERS_BASE_URL``, which win over defaults."""
        env = os.environ if environ is None else environ
        key = api_key if api_key is not None else env.get(ENV_API_KEY)
        if key is None:
            raise ValueError(f"no API key: pass api_key=... or set the {ENV_API_KEY} "
                             "environment variable")
        if user_agent is not None and (not isinstance(user_agent, str) or not user_agent
                                       or any(ord(c) < 0x20 or ord(c) == 0x7F for c in user_agent)):
            raise ValueError("user_agent must be a non-empty string without control characters")
        if auth not in _AUTH_MODES:
            raise ValueError(f"auth must be one of {_AUTH_MODES}, got {auth!r}")
        check_organization(organization)
        policy = retry if retry is not None else RetryPolicy()
        if max_retries is not None:
            policy = attrs.evolve(policy, max_retries=max_retries)
        url = base_url if base_url is not None else env.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        return cls(
            api_key=check_api_key(key),
            base_url=normalize_base_url(url),
            auth=auth,
            organization=organization,
            user_agent=user_agent if user_agent is not None else default_user_agent(),
            timeout=Timeout.coerce(timeout),
            retry=policy,
            poll=poll if poll is not None else PollPolicy(),
            post_poll=post_poll if post_poll is not None else PostPollPolicy(),
        )

    def build_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeout | None = None,
        rate_class: str | None = None,
    ) -> Request:
        """The complete request for one logical call (pure but for a fresh UUID4).

        ``timeout=None`` means the client's default; pass ``Timeout(connect=None,
        total=None)`` for no limit on this call.

        POST, PATCH and DELETE always carry an ``Idempotency-Key``: the caller's, or a new
        UUID4. The pipeline reuses this same request on every retry. ``rate_class`` is the
        operation's (see ``_operations``); by default GET reads and anything else writes.
        """
        built = dict(self._base_headers)
        body = None
        if json is not None:
            body = encode_json(json)
            built["Content-Type"] = "application/json"
        if method in _MUTATING or idempotency_key is not None:
            built["Idempotency-Key"] = check_idempotency_key(
                idempotency_key if idempotency_key is not None else str(uuid.uuid4()))
        if headers:
            built.update(headers)
        return Request(
            method=method,
            url=build_url(self.base_url, path, params),
            path=path,
            headers=built,
            body=body,
            timeout=self.timeout if timeout is None else Timeout.coerce(timeout),
            endpoint_class=rate_class or ("read-light" if method == "GET" else "write-light"),
        )

    def build_external(self, method: str, url: str, *, body: bytes | FileBody | None = None,
                       headers: Mapping[str, str] | None = None,
                       timeout: float | Timeout | None = None) -> Request:
        """A request to a host other than the API (a presigned upload URL).

        It carries only the given headers and the User-Agent: never the API key, the
        organization or an idempotency key. Redirects are never followed for it either.
        """
        built = {"User-Agent": self.user_agent, **(headers or {})}
        if any(name.lower() in SECRET_HEADERS for name in built):
            raise ValueError("a request to another host must not carry an API key header")
        return Request(method=method, url=check_external_url(url),
                       path=urlsplit(url).path or "/", headers=built, body=body,
                       timeout=self.timeout if timeout is None else Timeout.coerce(timeout),
                       endpoint_class="external")


def check_external_url(url: object) -> str:
    """An https URL (plain http only for loopback), without credentials."""
    if not isinstance(url, str):
        raise TypeError(f"url must be a string, got {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be an http(s) URL, got {url[:80]!r}")
    if parts.username or parts.password:
        raise ValueError("url must not carry credentials")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError("plain http is refused for a host that is not loopback")
    return url


def check_organization(organization: object) -> str | None:
    """An ``X-Layers-Organization`` value (an org id), or None."""
    if organization is None:
        return None
    if not isinstance(organization, str) or not organization \
            or organization != organization.strip() \
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in organization):
        raise ValueError(f"organization must be an org id such as org_..., got {organization!r}")
    return organization

