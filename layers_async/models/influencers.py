"""Influencers: AI personas a project's content features."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["AgeRange", "Gender", "Influencer", "InfluencerDeleteResult", "InfluencerStatus"]


class InfluencerStatus(enum.StrEnum):
    """An influencer's state (``processing`` and ``training`` both mean "being made")."""

    DRAFT = "draft"
    PENDING = "pending"
    TRAINING = "training"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    DELETED = "deleted"


class Gender(enum.StrEnum):
    """Both generations' spellings (README section 12.14): ``non_binary`` (newest),
    ``nonbinary`` and ``unspecified`` (older)."""

    MALE = "male"
    FEMALE = "female"
    NON_BINARY = "non_binary"
    NONBINARY = "nonbinary"
    UNSPECIFIED = "unspecified"


class AgeRange(enum.StrEnum):
    """Newest docs' age ranges (older lists print ranges such as ``25-34``)."""

    TEEN = "teen"
    YOUNG_ADULT = "young_adult"
    ADULT = "adult"
    MID_ADULT = "mid_adult"
    MATURE = "mature"
    SENIOR = "senior"


@attrs.frozen(kw_only=True)
class Influencer:
    """An influencer (list items carry a subset: ``thumbnail_url`` instead of ``image_url``)."""

    influencer_id: str
    status: InfluencerStatus | str
    project_id: str | None = None
    name: str | None = None
    image_url: str | None = None
    thumbnail_url: str | None = None
    gender: Gender | str | None = None
    age_range: AgeRange | str | None = None
    brand_voice: str | None = None
    language: str | None = None
    error_message: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class InfluencerDeleteResult:
    """``DELETE /v1/influencers/{influencerId}``: soft-deleted."""

    influencer_id: str
    status: str
    deleted_at: datetime | None = None
