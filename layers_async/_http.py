"""Plain request and response values, and the pure request builder.

Nothing here does I/O: the transport turns a :class:`Request` into a
:class:`Response`, everything else works on these values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import attrs

__all__ = ["FileBody", "Request", "Response", "Timeout", "redact"]

#: Headers whose values are secrets: never shown in a repr, a log or a journal.
SECRET_HEADERS = frozenset({"authorization", "x-api-key"})


@attrs.frozen(kw_only=True)
class Timeout:
    """Per-request time limits in seconds (``None``: no limit)."""

    connect: float | None = 10.0
    total: float | None = 60.0

    def __attrs_post_init__(self) -> None:
        for name in ("connect", "total"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"timeout {name} must be a positive number of seconds, "
                                 f"got {value!r}")

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        """A :class:`Timeout` from seconds (the total), a Timeout, or None (no limits)."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, total=None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"timeout must be seconds or a Timeout, got {type(value).__name__}")
        return cls(connect=min(10.0, value), total=value)


#: The default limits: 10 s to connect, 60 s in all.
DEFAULT_TIMEOUT = Timeout()


@attrs.frozen(kw_only=True)
class FileBody:
    """A request body streamed from a file: the transport opens ``path`` on every attempt
    (so a retry re-sends it from the start) and sends ``size`` bytes without reading the
    file whole into memory."""

    path: str
    size: int


def _headers_repr(headers: Mapping[str, str]) -> str:
    shown = {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}
    return repr(shown)


@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request, fully built: the transport sends it as it is."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str] = attrs.field(repr=_headers_repr)
    body: bytes | FileBody | None = attrs.field(default=None, repr=False)
    timeout: Timeout = DEFAULT_TIMEOUT
    endpoint_class: str = "read-light"

    def with_header(self, name: str, value: str) -> Request:
        """This request with one more header (or one replaced): the rest is shared."""
        return Request(method=self.method, url=self.url, path=self.path,
                       headers={**self.headers, name: value}, body=self.body,
                       timeout=self.timeout, endpoint_class=self.endpoint_class)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Header values that must never be shown (the API key, in both forms)."""
        found: list[str] = []
        for name, value in self.headers.items():
            if name.lower() in SECRET_HEADERS:
                found.append(value)
                if value.lower().startswith("bearer "):
                    found.append(value[7:])
        return tuple(found)


@attrs.frozen(kw_only=True)
class Response:
    """One HTTP response with its body read in full. Header names are lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=False)
    method: str = ""
    path: str = ""
    elapsed: float = 0.0

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` header."""
        return self.headers.get("x-request-id")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it isn't)."""
        return parse_json(self.body)


#: The C scanner behind ``json.loads``: parses one JSON value at an index of a str.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"


def parse_json(body: bytes) -> Any:
    """``json.loads(body)``, the same value and the same errors, with less work for the
    usual body: UTF-8 with the value at its first character (``json.loads`` of bytes first
    sniffs the encoding and matches whitespace with a regex on both sides). Anything else
    (a BOM, leading whitespace, UTF-16, invalid JSON) goes to ``json.loads`` itself."""
    try:
        text = body.decode()
        value, end = _scan(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError):
        return json.loads(body)
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        return json.loads(body)  # raises: something follows the value
    return value


#: One-time secrets the API returns (keys ``lp_…``, webhook secrets ``whsec_…``): whatever
#: the caller's own key is, these never reach an error excerpt or a log either.
_ONE_TIME = re.compile(r"\b(?:lp_(?:live|test)_|whsec_)[A-Za-z0-9_\-]+")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every occurrence of each secret, and of any API key or signing
    secret, replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return _ONE_TIME.sub("<redacted>", text)


def excerpt(text: str | bytes, secrets: tuple[str, ...], size: int = 200) -> str:
    """The start of ``text``, redacted *before* it is cut (a cut key would slip through)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return redact(text, secrets)[:size].strip()


def redact_data(value: Any, secrets: tuple[str, ...]) -> Any:
    """JSON-like ``value`` with every secret removed from the strings inside it."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {k: redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, secrets) for v in value]
    return value


def build_url(base_url: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """Join the base URL, an API path and query parameters.

    ``None`` values are dropped; a list or tuple travels as the same name repeated
    (``status=a&status=b``).
    """
    url = base_url + path
    if params:
        pairs = [(k, _query_value(item)) for k, v in params.items() if v is not None
                 for item in (v if isinstance(v, list | tuple) else (v,))]
        if pairs:
            url += "?" + urlencode(pairs)
    return url


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


#: Characters ``quote`` never changes: an id made only of these is its own path segment.
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")


def segment(value: str, what: str) -> str:
    """An id checked (non-empty, no slash) and quoted for use as one path segment."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    if _PLAIN_SEGMENT.fullmatch(value) and value not in (".", ".."):
        return value  # every API id (job_..., prj_...): nothing to check further or quote
    if not value or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    if "/" in value or value != value.strip() or value in (".", ".."):
        raise ValueError(f"{what} must be an id, got {value!r}")
    return quote(value, safe="")


def encode_json(body: Any) -> bytes:
    """Compact JSON bytes for a request body."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
