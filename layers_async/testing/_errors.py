"""The error envelope ``{"error": {code, message, requestId, details?}}``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

CODE_FOR_STATUS: Mapping[int, str] = {
    400: "VALIDATION",
    401: "UNAUTHENTICATED",
    402: "BILLING_EXHAUSTED",
    403: "FORBIDDEN_SCOPE",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "VALIDATION",
    429: "RATE_LIMITED",
}


def default_code(status: int) -> str:
    """The code the fake uses for a bare status (``SERVER_ERROR`` for 5xx, inferred)."""
    if status >= 500:
        return "SERVER_ERROR"
    return CODE_FOR_STATUS.get(status, "BAD_REQUEST")


class ApiError(Exception):
    """Raised anywhere in the pipeline; rendered as the documented error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details) if details is not None else None
        self.headers = dict(headers or {})


def validation_error(
    issues: Sequence[tuple[Sequence[str | int], str]], *, status: int = 422
) -> ApiError:
    """A ``VALIDATION`` error carrying ``details.issues``."""
    first = issues[0][1] if issues else "Invalid request."
    return ApiError(
        status,
        "VALIDATION",
        first,
        details={"issues": [{"path": list(path), "message": msg} for path, msg in issues]},
    )


def not_found(message: str) -> ApiError:
    """A 404 ``NOT_FOUND``."""
    return ApiError(404, "NOT_FOUND", message)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response with compact, stable encoding."""
    return web.Response(
        status=status,
        body=json.dumps(data, separators=(",", ":")).encode(),
        content_type="application/json",
        headers=dict(headers or {}),
    )


def error_response(request_id: str, error: ApiError) -> web.Response:
    """Render ``error`` with ``requestId`` equal to the response's X-Request-Id."""
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "requestId": request_id,
    }
    if error.details is not None:
        body["details"] = error.details
    return json_response({"error": body}, status=error.status, headers=error.headers)
