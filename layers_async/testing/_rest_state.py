"""What the fake remembers of SDK apps, keywords, media uploads, influencers, social and
leased accounts (written from the docs, not from the library)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import attrs

#: How long a presigned URL lives, and when an untouched OAuth hand-off completes by itself
#: or expires (API seconds; all inferred, the docs print none of them).
PRESIGN_TTL = 900.0
OAUTH_TTL = 600.0
OAUTH_AUTO_COMPLETE = 120.0


@attrs.define(kw_only=True, eq=False)
class SdkAppRecord:
    """An SDK app and its current ingest key."""

    id: str
    project_id: str
    name: str
    platform: str
    bundle_id: str | None
    android_package: str | None
    web_domain: str | None
    api_key: str
    created_at: float
    updated_at: float
    capi: dict[str, dict[str, bool]] = attrs.Factory(
        lambda: {"meta": {"enabled": False}, "tiktok": {"enabled": False},
                 "apple": {"enabled": False}})


@attrs.define(kw_only=True, eq=False)
class UploadRecord:
    """A presigned upload: what was promised, and what the upload host received."""

    id: str
    project_id: str
    kind: str
    mime_type: str
    filename: str | None
    size_bytes: int | None
    checksum: str | None
    expires_at: float
    received_sha256: str | None = None
    received_size: int | None = None
    media_id: str | None = None


@attrs.define(kw_only=True, eq=False)
class InfluencerRecord:
    """An influencer; while its create job runs its status follows the job."""

    id: str
    project_id: str
    seq: int
    name: str
    gender: str
    age_range: str | None
    brand_voice: str
    language: str
    created_at: float
    updated_at: float
    job_id: str | None = None
    persona: dict[str, Any] = attrs.Factory(dict)
    deleted_at: float | None = None


@attrs.define(kw_only=True, eq=False)
class OAuthRecord:
    """One OAuth hand-off: pending until a hook (or the fake's clock) ends it."""

    state: str
    project_id: str
    platform: str
    created_at: float
    expires_at: float
    status: str = "pending"
    ended_at: float | None = None
    social_account_id: str | None = None
    error: str | None = None
    handle: str | None = None


@attrs.define(kw_only=True, eq=False)
class SocialAccountRecord:
    """A connected (or leased) account."""

    id: str
    project_id: str
    platform: str
    handle: str
    connected_at: float
    leased: bool = False
    status: str = "connected"
    disconnected_at: float | None = None
    followers: int = 0


@attrs.define(kw_only=True, eq=False)
class LeaseRecord:
    """A lease request: ``requested`` until a test hook assigns or rejects it."""

    id: str
    project_id: str
    count: int
    niche: dict[str, Any]
    submitted_at: float
    status: str = "requested"
    assigned_at: float | None = None
    account_ids: list[str] = attrs.Factory(list)
    note: str | None = None


@attrs.define(kw_only=True, eq=False)
class UploadFault:
    """The next ``times`` PUTs to the upload host answer ``status`` (with ``headers``)."""

    status: int
    times: int
    headers: dict[str, str]


class RestWorld:
    """The state of these areas, by id (projects' ids are the canonical ``prj_`` ones)."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret  # signs presigned URLs; known only to the fake
        self.upload_base: str | None = None
        self.sdk_apps: dict[str, SdkAppRecord] = {}
        self.keyword_refresh_jobs: dict[str, list[str]] = {}
        self.uploads: dict[str, UploadRecord] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.influencers: dict[str, InfluencerRecord] = {}
        self.influencer_seq = 0
        self.oauth: dict[str, OAuthRecord] = {}
        self.accounts: dict[str, SocialAccountRecord] = {}
        self.leases: dict[str, LeaseRecord] = {}
        self.upload_faults: list[UploadFault] = []
        self.upload_requests: list[dict[str, Any]] = []

    def sign(self, method: str, path: str, expires: int) -> str:
        """The signature of a presigned URL: HMAC-SHA256 over method, path and expiry."""
        message = f"{method}\n{path}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()
