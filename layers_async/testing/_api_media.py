"""Handlers: app media from a URL, inline uploads, presign and finalize; and the upload host,
a second aiohttp app on its own loopback port that takes the presigned PUTs."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from ._api_projects import project_or_404
from ._context import caller
from ._errors import ApiError, json_response, not_found
from ._records import Project
from ._rest_state import PRESIGN_TTL, UploadRecord
from ._state import State
from ._validation import Checker, read_object

KINDS = ("image", "video", "audio", "logo", "reference_image")
APP_KINDS = ("logo", "screenshot", "demo-video", "end-card")
INLINE_LIMIT = 256 * 1024  # "decoded size < 256 KB"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
UPLOAD_STATE: web.AppKey[State] = web.AppKey("layers_fake_upload_state", State)


def _asset(state: State, project: Project, kind: str, mime: str, url: str | None = None,
           ) -> dict[str, Any]:
    media_id = state.ids.id("med")
    asset = {
        "mediaId": media_id,
        "assetId": media_id,
        "url": url or f"https://media.layers.com/{project.id}/{media_id}",
        "kind": kind,
        "contentType": mime,
        "mimeType": mime,
    }
    state.rest.media[media_id] = asset
    return asset


def _public_https(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return parts.hostname != "localhost"
    return address.is_global


async def upload_app_media(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/app-media (201): a public https URL (private IPs
    refused with 422)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    kind = check.choice("kind", APP_KINDS)
    url = check.string("url", required=True)
    if "kind" not in check.body:
        check.fail(("kind",), "Required.")
    if url is not None and not _public_https(url):
        check.fail(("url",), "Must be a public https URL.")
    check.done()
    assert kind is not None
    assert url is not None
    mime = "video/mp4" if kind == "demo-video" else "image/png"
    return json_response(_asset(state, project, kind, mime), status=201)


def _mime(check: Checker) -> str | None:
    if "mimeType" not in check.body and "contentType" in check.body:  # documented alias
        check.body["mimeType"] = check.body["contentType"]
    mime = check.string("mimeType", required=True, min_len=3)
    if mime is not None and "/" not in mime:
        check.fail(("mimeType",), "Must be a MIME type.")
    return mime


def _kind(check: Checker) -> str | None:
    kind = check.choice("kind", KINDS)
    if "kind" not in check.body:
        check.fail(("kind",), "Required.")
    return kind


async def upload_media_inline(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/media (201): base64 under 256 KB decoded, else 422."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    kind = _kind(check)
    mime = _mime(check)
    data = check.string("dataBase64", required=True)
    check.string("filename", min_len=1, max_len=256)
    if data is not None:
        try:
            size = len(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError):
            check.fail(("dataBase64",), "Not valid base64.")
        else:
            if size >= INLINE_LIMIT:
                check.fail(("dataBase64",), "Decoded size must be under 256 KB.")
    check.done()
    assert kind is not None
    assert mime is not None
    return json_response(_asset(state, project, kind, mime), status=201)


async def presign_media_upload(request: web.Request) -> web.StreamResponse:
    """POST …/media/presign (200, inferred shape): a URL on the upload host, signed with
    HMAC-SHA256 over method, path and expiry, valid 15 minutes (inferred)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    kind = _kind(check)
    mime = _mime(check)
    filename = check.string("filename", min_len=1, max_len=256)
    if "sizeBytes" not in check.body and "byteSize" in check.body:  # documented alias
        check.body["sizeBytes"] = check.body["byteSize"]
    size = check.integer("sizeBytes", low=0, high=5 * 1024**3)
    checksum = check.string("checksumSha256")
    if checksum is not None and not _SHA256.match(checksum):
        check.fail(("checksumSha256",), "Must be 64 lower-case hex digits.")
    check.done()
    assert kind is not None
    assert mime is not None
    if state.rest.upload_base is None:  # pragma: no cover - started with the fake
        raise ApiError(503, "SERVER_ERROR", "The upload host is not running.")
    now = state.clock.now()
    upload = UploadRecord(id=state.ids.id("upl"), project_id=project.id, kind=kind,
                          mime_type=mime, filename=filename, size_bytes=size,
                          checksum=checksum, expires_at=now + PRESIGN_TTL)
    state.rest.uploads[upload.id] = upload
    path = f"/uploads/{upload.id}"
    expires = int(upload.expires_at)
    query = urlencode({"expires": expires, "signature": state.rest.sign("PUT", path, expires)})
    return json_response({
        "uploadId": upload.id,
        "uploadUrl": f"{state.rest.upload_base}{path}?{query}",
        "headers": {"Content-Type": mime},
        "expiresAt": state.clock.iso(upload.expires_at),
    })


async def finalize_media_upload(request: web.Request) -> web.StreamResponse:
    """POST …/media/finalize: 409 CONFLICT before the PUT arrived, 422 CHECKSUM_MISMATCH
    (inferred code) when the checksum differs from the bytes received; a repeat echoes the
    asset."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    upload_id = check.string("uploadId", required=True, min_len=1)
    checksum = check.string("checksumSha256")
    check.done()
    assert upload_id is not None
    upload = state.rest.uploads.get(upload_id)
    if upload is None or upload.project_id != project.id:
        raise not_found("Upload not found.")
    if upload.media_id is not None:
        return json_response(state.rest.media[upload.media_id])
    if upload.received_sha256 is None:
        raise ApiError(409, "CONFLICT", "No object has been uploaded for this uploadId yet.")
    for expected in (checksum, upload.checksum):
        if expected is not None and expected != upload.received_sha256:
            raise ApiError(422, "CHECKSUM_MISMATCH",
                           "The uploaded object does not match checksumSha256.",
                           details={"expected": expected, "received": upload.received_sha256})
    if upload.size_bytes is not None and upload.size_bytes != upload.received_size:
        raise ApiError(422, "VALIDATION", "The uploaded object does not match sizeBytes.",
                       details={"issues": [{"path": ["sizeBytes"],
                                            "message": "Size differs from the upload."}]})
    asset = _asset(state, project, upload.kind, upload.mime_type)
    upload.media_id = asset["mediaId"]
    return json_response(asset)


# -- the upload host --------------------------------------------------------------------------


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, headers=headers)


async def put_upload(request: web.Request) -> web.StreamResponse:
    """PUT /uploads/{uploadId}?expires=&signature=: 403 for a bad signature or an expired URL,
    400 for another Content-Type than presigned; the bytes are hashed as they stream in."""
    state = request.app[UPLOAD_STATE]
    rest = state.rest
    rest.upload_requests.append({
        "method": request.method,
        "path": request.path,
        "headers": {k.lower(): v for k, v in request.headers.items()},
    })
    if rest.upload_faults:
        fault = rest.upload_faults[0]
        fault.times -= 1
        if fault.times <= 0:
            rest.upload_faults.pop(0)
        await request.read()
        return _plain(fault.status, "injected fault", fault.headers)
    upload = rest.uploads.get(request.match_info["uploadId"])
    try:
        expires = int(request.query.get("expires", ""))
    except ValueError:
        return _plain(403, "SignatureDoesNotMatch")
    expected = rest.sign("PUT", request.path, expires)
    given = request.query.get("signature", "")
    if upload is None or not hmac.compare_digest(given, expected):
        return _plain(403, "SignatureDoesNotMatch")
    if state.clock.now() > expires:
        return _plain(403, "Request has expired")
    if request.headers.get("Content-Type", "").split(";")[0].strip() != upload.mime_type:
        return _plain(400, "Content-Type differs from the presigned one")
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.content.iter_chunked(1 << 16):
        digest.update(chunk)
        size += len(chunk)
    upload.received_sha256 = digest.hexdigest()
    upload.received_size = size
    return web.Response(status=200, headers={"ETag": f'"{upload.received_sha256[:32]}"'})


def build_upload_app(state: State) -> web.Application:
    """The upload host's application (no API middlewares: it never sees an API key)."""
    app = web.Application(client_max_size=5 * 1024**3)
    app[UPLOAD_STATE] = state
    app.router.add_put("/uploads/{uploadId}", put_upload)
    return app
