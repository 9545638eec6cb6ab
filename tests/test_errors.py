"""error_from_response picks the class by code, then status; errors pickle."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from layers_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ApprovalRequiredError,
    AuthenticationError,
    BillingExhaustedError,
    ConflictError,
    ContentRejectedError,
    DecodeError,
    IdempotencyConflictError,
    JobFailedError,
    JobSnapshot,
    JobTimeoutError,
    KillSwitchError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Response,
    ServerError,
    ValidationError,
)
from layers_async._errors import error_from_response
from layers_async.models.jobs import JobError as JobErrorInfo


def envelope(status: int, code: str | None, **extra: Any) -> Response:
    """A response carrying the API's error envelope."""
    error: dict[str, Any] = {"message": f"msg for {code}", "requestId": "req_body"}
    if code is not None:
        error["code"] = code
    error.update(extra)
    return Response(status=status, headers={"x-request-id": "req_header"},
                    body=json.dumps({"error": error}).encode(), method="GET", path="/v1/x")


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "UNAUTHENTICATED", AuthenticationError),
        (403, "FORBIDDEN_SCOPE", PermissionDeniedError),
        (403, "APPROVAL_REQUIRED", ApprovalRequiredError),
        (409, "CONTENT_REJECTED", ContentRejectedError),
        (402, "BILLING_EXHAUSTED", BillingExhaustedError),
        (404, "NOT_FOUND", NotFoundError),
        (409, "CONFLICT", ConflictError),
        (409, "IDEMPOTENCY_CONFLICT", IdempotencyConflictError),
        (422, "VALIDATION", ValidationError),
        (400, "VALIDATION", ValidationError),
        (400, "IDEMPOTENCY_REQUIRED", ValidationError),
        (429, "RATE_LIMITED", RateLimitError),
        (503, "KILL_SWITCH", KillSwitchError),
        (503, None, ServerError),
        (500, "SOMETHING_NEW", ServerError),
        (418, "SOMETHING_NEW", APIError),
        (404, None, NotFoundError),
    ],
)
def test_class_by_code_then_status(status: int, code: str | None, cls: type[APIError]) -> None:
    """The body's code decides first; the status decides when the code is unknown."""
    error = error_from_response(envelope(status, code))
    assert cls is type(error)
    assert status == error.status
    assert code == error.code


def test_fields_come_from_the_envelope() -> None:
    """message, request id (body first) and details are carried."""
    details = {"subcode": "JOB_CANCEL_UNAVAILABLE"}
    error = error_from_response(envelope(409, "CONFLICT", details=details))
    assert isinstance(error, ConflictError)
    assert "msg for CONFLICT" == error.message
    assert "req_body" == error.request_id
    assert "JOB_CANCEL_UNAVAILABLE" == error.subcode
    assert "409 CONFLICT on GET /v1/x: msg for CONFLICT (request id req_body)" == str(error)


def test_non_json_body_still_gives_an_error_with_header_request_id() -> None:
    """A proxy's HTML page becomes a ServerError with the X-Request-Id header."""
    response = Response(status=502, headers={"x-request-id": "req_h"},
                        body=b"<html>Bad gateway</html>")
    error = error_from_response(response)
    assert isinstance(error, ServerError)
    assert "req_h" == error.request_id
    assert "HTTP 502: <html>Bad gateway</html>" == error.message


def test_key_echoed_by_a_proxy_is_scrubbed() -> None:
    """Text from the response never carries the client's key into the error."""
    key = "lp_test_ABCDEFGHIJKLMNOP_secretsecret"
    response = Response(status=502, headers={}, body=f"upstream saw X-Api-Key: {key}".encode())
    error = error_from_response(response, secrets=(key,))
    assert key not in str(error)
    assert key not in repr(error)
    assert "<redacted>" in error.message


def test_rate_limit_error_carries_retry_after() -> None:
    """429 errors expose retry_after in float seconds."""
    error = error_from_response(envelope(429, "RATE_LIMITED"), retry_after=2.0)
    assert isinstance(error, RateLimitError)
    assert 2.0 == error.retry_after


@pytest.mark.parametrize(
    "error",
    [
        error_from_response(envelope(429, "RATE_LIMITED", details={"a": 1}), retry_after=3.0),
        error_from_response(envelope(409, "IDEMPOTENCY_CONFLICT")),
        APIConnectionError("refused", method="GET", path="/v1/whoami", attempts=4),
        APITimeoutError("timed out", method="GET", path="/v1/whoami"),
        DecodeError("bad", path="$.x", excerpt="{}", status=200, request_id="req_1"),
        JobFailedError("failed", snapshot=JobSnapshot(id="job_1", status="failed"),
                       error=JobErrorInfo(code="INGEST_FAILED", message="no")),
        JobTimeoutError("late", snapshot=None),
    ],
)
def test_errors_survive_pickling(error: Exception) -> None:
    """Every error pickles and unpickles with its type, text and fields."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(error) is type(copy)
    assert str(error) == str(copy)
    assert vars(error) == vars(copy)


def test_timeout_errors_are_timeout_errors() -> None:
    """APITimeoutError and JobTimeoutError can be caught as TimeoutError."""
    assert issubclass(APITimeoutError, TimeoutError)
    assert issubclass(JobTimeoutError, TimeoutError)
