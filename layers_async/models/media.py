"""Media: assets imported from a URL, uploaded inline, or through a presigned PUT."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["AppMediaKind", "MediaAsset", "MediaKind", "MediaPresign"]


class MediaKind(enum.StrEnum):
    """What an uploaded file is (inline and presigned uploads)."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    LOGO = "logo"
    REFERENCE_IMAGE = "reference_image"


class AppMediaKind(enum.StrEnum):
    """What an app-media import from a URL is."""

    LOGO = "logo"
    SCREENSHOT = "screenshot"
    DEMO_VIDEO = "demo-video"
    END_CARD = "end-card"


@attrs.frozen(kw_only=True)
class MediaAsset:
    """A canonical media asset (``med_…``). The docs show its body only in part."""

    media_id: str
    asset_id: str | None = None
    url: str | None = None
    kind: MediaKind | str | None = None  # app-media kinds (AppMediaKind) stay plain str
    content_type: str | None = None
    mime_type: str | None = None


@attrs.frozen(kw_only=True)
class MediaPresign:
    """``POST …/media/presign``: where to PUT the bytes and with which headers.

    Only ``uploadId`` is named in the docs; ``uploadUrl``, ``headers`` and ``expiresAt`` are
    inferred.
    """

    upload_id: str
    upload_url: str | None = None
    headers: dict[str, str] = attrs.field(factory=dict)
    expires_at: datetime | None = None
