"""The error tree, and the pure choice of an error from a response.

::

    LayersError
    ├── APIError                      the API answered with an error envelope
    │   ├── AuthenticationError           401 UNAUTHENTICATED
    │   ├── BillingExhaustedError         402 BILLING_EXHAUSTED
    │   ├── PermissionDeniedError         403 FORBIDDEN_SCOPE, RETURN_URL_NOT_ALLOWED
    │   │   └── ApprovalRequiredError     403 APPROVAL_REQUIRED (.container_id)
    │   ├── NotFoundError                 404 NOT_FOUND
    │   ├── ConflictError                 409 CONFLICT
    │   │   ├── IdempotencyConflictError  409 IDEMPOTENCY_CONFLICT
    │   │   ├── ContentRejectedError      409 CONTENT_REJECTED (.container_id)
    │   │   └── ContentConflictError      409 CONFLICT from a generate call (re-sent ``id``)
    │   ├── ValidationError               422 (or 400) VALIDATION, IDEMPOTENCY_REQUIRED
    │   │   └── ChecksumMismatchError     422 CHECKSUM_MISMATCH: an upload's bytes changed
    │   ├── RateLimitError                429 RATE_LIMITED (.retry_after)
    │   ├── KillSwitchError               503 KILL_SWITCH: never retried
    │   └── ServerError                   other 5xx
    ├── APIConnectionError            no usable response: refused, reset, DNS...
    │   └── APITimeoutError               connect or total timeout (also a TimeoutError)
    ├── DecodeError                   a 2xx body that is not the documented shape
    ├── JobError                      a job ended other than completed
    │   ├── JobFailedError                status "failed" (.error)
    │   ├── JobCanceledError              status "canceled"
    │   └── JobTimeoutError               wait() ran out of time (also a TimeoutError)
    ├── PostWaitTimeoutError          scheduled_posts.wait() ran out of time (a TimeoutError)
    └── WebhookVerificationError      a delivery that is not Layers' own (.reason)

Errors are chosen by the body's ``error.code`` first, then by status, so a
``VALIDATION`` sent with 400 is still a :class:`ValidationError`. Every error
pickles, and none holds a reference to a request's headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._http import Response, excerpt, redact, redact_data

if TYPE_CHECKING:
    from .models.jobs import JobError as JobErrorInfo
    from .models.jobs import JobSnapshot

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "ApprovalRequiredError",
    "AuthenticationError",
    "BillingExhaustedError",
    "ChecksumMismatchError",
    "ConflictError",
    "ContentConflictError",
    "ContentRejectedError",
    "DecodeError",
    "IdempotencyConflictError",
    "JobCanceledError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "KillSwitchError",
    "LayersError",
    "NotFoundError",
    "PermissionDeniedError",
    "PostWaitTimeoutError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
    "error_from_response",
]

_EXCERPT = 200
#: The generate route: a CONFLICT there is about the container ``id`` (or content layers).
_GENERATE = re.compile(r"^/v1/projects/[^/]+/content/?$")


class LayersError(Exception):
    """Base of every error this library raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors don't survive the default pickling of exceptions.
        return (_rebuild, (type(self), self.__dict__.copy(), self.args))


def _rebuild(cls: type[LayersError], state: dict[str, Any], args: tuple[Any, ...]) -> LayersError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class APIError(LayersError):
    """The API answered with an error status and (usually) an error envelope."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        method: str | None = None,
        path: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details: Mapping[str, Any] = dict(details or {})
        self.method = method
        self.path = path
        self.attempts = attempts

    def __str__(self) -> str:
        where = f" on {self.method} {self.path}" if self.method and self.path else ""
        code = f" {self.code}" if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.status}{code}{where}: {self.message}{rid}{tries}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(APIError):
    """401: the key is missing, malformed, unknown, rotated away or of the wrong env."""


class BillingExhaustedError(APIError):
    """402: the wallet's available credits can't cover the reservation."""


class PermissionDeniedError(APIError):
    """403: the key lacks the route's scope, or a policy gate refused the call."""


class ApprovalRequiredError(PermissionDeniedError):
    """403 APPROVAL_REQUIRED: publish-now of content its review policy has not cleared.

    Approve it (``content.approve``) and publish again; ``details`` name the container
    and its ``approvalStatus``.
    """

    @property
    def container_id(self) -> str | None:
        """``details.containerId``."""
        value = self.details.get("containerId")
        return value if isinstance(value, str) else None

    @property
    def approval_status(self) -> str | None:
        """``details.approvalStatus`` (``pending``...)."""
        value = self.details.get("approvalStatus")
        return value if isinstance(value, str) else None


class NotFoundError(APIError):
    """404: no such resource (also answered for another organization's resources)."""


class ConflictError(APIError):
    """409: the resource's state forbids the call (``details`` says why)."""

    @property
    def subcode(self) -> str | None:
        """``details.subcode``, e.g. ``JOB_CANCEL_UNAVAILABLE``."""
        value = self.details.get("subcode")
        return value if isinstance(value, str) else None


class IdempotencyConflictError(ConflictError):
    """409: the same Idempotency-Key was used with another body; use a new key."""


class ContentRejectedError(ConflictError):
    """409 CONTENT_REJECTED: the container was rejected and can't be scheduled (not retryable)."""

    @property
    def container_id(self) -> str | None:
        """``details.containerId``, when given."""
        value = self.details.get("containerId")
        return value if isinstance(value, str) else None


class ContentConflictError(ConflictError):
    """409 CONFLICT from ``content.generate``: its client-chosen ``id`` names a container
    made from another brief (or, README section 2, the project has several content layers
    and no ``project_layer_id`` was given). ``details`` say which."""

    @property
    def container_id(self) -> str | None:
        """``details.containerId``, when given."""
        value = self.details.get("containerId")
        return value if isinstance(value, str) else None


class ValidationError(APIError):
    """422 (400 on a few routes): the request failed the API's validation."""


class ChecksumMismatchError(ValidationError):
    """Finalizing an upload found other bytes than the SHA-256 checksum names (code
    ``CHECKSUM_MISMATCH``, inferred: the docs print no code for it). Upload again."""


class RateLimitError(APIError):
    """429: a rate-limit bucket or the concurrent-job cap is exhausted."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class KillSwitchError(APIError):
    """503 KILL_SWITCH: the key was killed or the org suspended. Never retried."""


class ServerError(APIError):
    """5xx other than KILL_SWITCH: a transient fault on the API's side."""


class APIConnectionError(LayersError):
    """No usable response arrived: the connection failed, broke or was refused."""

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None,
                 attempts: int = 1, reason: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.attempts = attempts
        #: Why, in a few words: "connection refused", "timed out", "host name not found",
        #: "TLS failure", "connection closed" (None: none of these).
        self.reason = reason
        #: The origin that could not be reached (``https://api.layers.com``), never a query.
        self.url = url

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{where}{self.message}{tries}"


class APITimeoutError(APIConnectionError, TimeoutError):
    """The connect or total timeout of a request ran out."""


class DecodeError(LayersError):
    """A success response whose body is not the documented shape."""

    def __init__(self, message: str, *, path: str | None = None, excerpt: str = "",
                 status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.excerpt = excerpt
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.message}{where}{rid}; body starts: {self.excerpt!r}"


class JobError(LayersError):
    """A job ended other than ``completed``, or waiting for it ran out of time."""

    def __init__(self, message: str, *, snapshot: JobSnapshot | None) -> None:
        super().__init__(message)
        self.snapshot = snapshot

    @property
    def job_id(self) -> str | None:
        """The job's id, when a snapshot is known."""
        return self.snapshot.id if self.snapshot is not None else None


class JobFailedError(JobError):
    """The job finished with status ``failed``; ``.error`` holds its code and message."""

    def __init__(self, message: str, *, snapshot: JobSnapshot | None,
                 error: JobErrorInfo | None) -> None:
        super().__init__(message, snapshot=snapshot)
        self.error = error


class JobCanceledError(JobError):
    """The job finished with status ``canceled``."""


class JobTimeoutError(JobError, TimeoutError):
    """``wait()`` ran out of time; ``.snapshot`` is the last one seen (job may still run)."""


class PostWaitTimeoutError(LayersError, TimeoutError):
    """``scheduled_posts.wait()`` ran out of time; ``.post`` is the last one seen."""

    def __init__(self, message: str, *, post: Any) -> None:
        super().__init__(message)
        self.post = post


class WebhookVerificationError(LayersError):
    """A webhook delivery failed verification: answer it 400 and do not act on it.

    ``reason`` is machine-readable: ``missing_signature``, ``malformed_signature``,
    ``no_v1_signature``, ``signature_mismatch``, ``timestamp_out_of_tolerance``,
    ``malformed_body``, ``event_id_mismatch``. The message never holds a secret.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


_BY_CODE: dict[str, type[APIError]] = {
    "UNAUTHENTICATED": AuthenticationError,
    "FORBIDDEN_SCOPE": PermissionDeniedError,
    "RETURN_URL_NOT_ALLOWED": PermissionDeniedError,
    "APPROVAL_REQUIRED": ApprovalRequiredError,
    "VALIDATION": ValidationError,
    "IDEMPOTENCY_REQUIRED": ValidationError,
    "NOT_FOUND": NotFoundError,
    "IDEMPOTENCY_CONFLICT": IdempotencyConflictError,
    "CONFLICT": ConflictError,
    "CHECKSUM_MISMATCH": ChecksumMismatchError,
    "CONTENT_REJECTED": ContentRejectedError,
    "BILLING_EXHAUSTED": BillingExhaustedError,
    "RATE_LIMITED": RateLimitError,
    "KILL_SWITCH": KillSwitchError,
}

_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: BillingExhaustedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class(status: int, code: str | None) -> type[APIError]:
    """The error class for a status and an ``error.code`` (code wins)."""
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return APIError


def error_from_response(
    response: Response,
    *,
    secrets: tuple[str, ...] = (),
    retry_after: float | None = None,
    attempts: int = 1,
) -> APIError:
    """Build the error for an error response (pure: no I/O, no clock).

    Text from the body is scrubbed of ``secrets`` (the client's key) since a
    proxy's error page may echo request headers back.
    """
    envelope = _envelope(response.body)
    code = envelope.get("code") if isinstance(envelope.get("code"), str) else None
    message = envelope.get("message")
    if not isinstance(message, str) or not message:
        start = excerpt(response.body, secrets, _EXCERPT)
        message = f"HTTP {response.status}" + (f": {start}" if start else "")
    request_id = envelope.get("requestId")
    if not isinstance(request_id, str):
        request_id = response.request_id
    details = envelope.get("details")
    kwargs: dict[str, Any] = {
        "status": response.status,
        "code": code,
        "request_id": request_id,
        "details": redact_data(details, secrets) if isinstance(details, Mapping) else None,
        "method": response.method,
        "path": response.path,
        "attempts": attempts,
    }
    cls = error_class(response.status, code)
    if cls is ConflictError and response.method == "POST" and response.path is not None \
            and _GENERATE.match(response.path):
        cls = ContentConflictError
    text = redact(message, secrets)
    if issubclass(cls, RateLimitError):
        return cls(text, retry_after=retry_after, **kwargs)
    return cls(text, **kwargs)


def _envelope(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if isinstance(data, Mapping) and isinstance(data.get("error"), Mapping):
        error: Mapping[str, Any] = data["error"]
        return error
    return {}
