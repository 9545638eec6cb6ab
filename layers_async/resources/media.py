"""``layers.media``: import app media from a URL, upload inline, or presign → PUT → finalize."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Final
from urllib.parse import urlsplit

import anyio

from .._errors import DecodeError
from .._http import FileBody, Timeout
from .._operations import (
    MEDIA_FINALIZE,
    MEDIA_IMPORT_APP_MEDIA,
    MEDIA_PRESIGN,
    MEDIA_UPLOAD_INLINE,
)
from ..models.media import AppMediaKind, MediaAsset, MediaKind, MediaPresign
from ._base import Resource

__all__ = ["INLINE_LIMIT", "Media", "sha256_of"]

#: ``POST …/media`` takes a decoded size under 256 KB; bigger files go through ``upload``.
INLINE_LIMIT: Final = 256 * 1024
_CHUNK = 1 << 20
_KINDS = tuple(k.value for k in MediaKind)
_APP_KINDS = tuple(k.value for k in AppMediaKind)


def _kind(value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"kind must be one of {list(allowed)}, got {value!r}")
    return str(value)


def _mime(value: object) -> str:
    if not isinstance(value, str) or "/" not in value or value != value.strip():
        raise ValueError(f"mime_type must be a MIME type such as 'image/png', got {value!r}")
    return value


def _filename(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 256:
        raise ValueError("filename must be a string of 1 to 256 characters")
    return value


def sha256_of(path: str | os.PathLike[str]) -> tuple[str, int]:
    """The hex SHA-256 and the size of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class Media(Resource):
    """Media assets of a project."""

    async def import_app_media(self, project_id: str, *, kind: str, url: str,
                               idempotency_key: str | None = None,
                               timeout: float | Timeout | None = None) -> MediaAsset:
        """``POST /v1/projects/{projectId}/app-media`` (201): fetch a logo, screenshot,
        demo video or end card from a public https URL."""
        _kind(kind, _APP_KINDS)
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"url must be a public https URL, got {url!r}")
        return await self._call(MEDIA_IMPORT_APP_MEDIA, project_id, body=dict(kind=kind, url=url),
                                idempotency_key=idempotency_key, timeout=timeout)

    async def upload_inline(self, project_id: str, data: bytes, *, kind: str, mime_type: str,
                            filename: str | None = None, idempotency_key: str | None = None,
                            timeout: float | Timeout | None = None) -> MediaAsset:
        """``POST /v1/projects/{projectId}/media`` (201): a small file sent as base64.

        ``data`` must be under 256 KB decoded (refused here, before any request); use
        :meth:`upload` for anything bigger.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        raw = bytes(data)
        if len(raw) >= INLINE_LIMIT:
            raise ValueError(f"upload_inline takes under {INLINE_LIMIT} bytes, got {len(raw)}; "
                             "use media.upload() for bigger files")
        return await self._call(MEDIA_UPLOAD_INLINE, project_id, body=dict(
            kind=_kind(kind, _KINDS), data_base64=base64.b64encode(raw).decode("ascii"),
            mime_type=_mime(mime_type), filename=_filename(filename)),
            idempotency_key=idempotency_key, timeout=timeout)

    async def presign(self, project_id: str, *, kind: str, mime_type: str,
                      filename: str | None = None, size_bytes: int | None = None,
                      checksum_sha256: str | None = None, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> MediaPresign:
        """``POST …/media/presign``: a signed URL to PUT the bytes to (see :meth:`upload`)."""
        if size_bytes is not None and (isinstance(size_bytes, bool) or not isinstance(
                size_bytes, int) or size_bytes < 0):
            raise ValueError(f"size_bytes must be an int >= 0, got {size_bytes!r}")
        _checksum(checksum_sha256)
        return await self._call(MEDIA_PRESIGN, project_id, body=dict(
            kind=_kind(kind, _KINDS), filename=_filename(filename), mime_type=_mime(mime_type),
            size_bytes=size_bytes, checksum_sha256=checksum_sha256),
            idempotency_key=idempotency_key, timeout=timeout)

    async def finalize(self, project_id: str, upload_id: str, *,
                       checksum_sha256: str | None = None, idempotency_key: str | None = None,
                       timeout: float | Timeout | None = None) -> MediaAsset:
        """``POST …/media/finalize``: register the uploaded object. A checksum that does not
        match the bytes received raises :class:`ChecksumMismatchError`."""
        if not isinstance(upload_id, str) or not upload_id.strip():
            raise ValueError("upload_id must be a non-empty string")
        _checksum(checksum_sha256)
        return await self._call(MEDIA_FINALIZE, project_id, body=dict(
            upload_id=upload_id, checksum_sha256=checksum_sha256),
            idempotency_key=idempotency_key, timeout=timeout)

    async def upload(self, project_id: str, data: bytes | str | os.PathLike[str], *, kind: str,
                     mime_type: str, filename: str | None = None,
                     timeout: float | Timeout | None = None) -> MediaAsset:
        """Upload ``data`` (bytes, or a file path) end to end: presign, PUT the bytes to the
        signed URL, finalize with their SHA-256.

        The PUT goes through the same transport but to the storage host: without the API
        key, never following a redirect, retried like any request. A file is hashed and
        sent in chunks, never read whole into memory.
        """
        _kind(kind, _KINDS)
        _mime(mime_type)
        body: bytes | FileBody
        if isinstance(data, bytes | bytearray | memoryview):
            body = bytes(data)
            checksum, size = hashlib.sha256(body).hexdigest(), len(body)
        elif isinstance(data, str | os.PathLike):
            path = os.fspath(data)
            checksum, size = await anyio.to_thread.run_sync(sha256_of, path)
            body = FileBody(path=path, size=size)
            if filename is None:
                filename = os.path.basename(path) or None
        else:
            raise TypeError(f"data must be bytes or a file path, got {type(data).__name__}")
        signed = await self.presign(project_id, kind=kind, mime_type=mime_type,
                                    filename=_filename(filename), size_bytes=size,
                                    checksum_sha256=checksum, timeout=timeout)
        if not signed.upload_url:
            raise DecodeError("presign answered no uploadUrl to PUT the bytes to",
                              path="$.uploadUrl")
        headers = dict(signed.headers) or {"Content-Type": mime_type}
        request = self._pipeline.build_external("PUT", signed.upload_url, body=body,
                                                headers=headers, timeout=timeout)
        await self._pipeline.send(request)
        return await self.finalize(project_id, signed.upload_id, checksum_sha256=checksum,
                                   timeout=timeout)


def _checksum(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise ValueError("checksum_sha256 must be 64 lower-case hex digits")
