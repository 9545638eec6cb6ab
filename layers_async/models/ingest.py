"""Request shapes of the ingest endpoints."""

from __future__ import annotations

import attrs

__all__ = ["PLATFORMS", "SdkConfig"]

#: Platforms the GitHub ingest can instrument.
PLATFORMS = ("ios", "android", "web", "react-native", "flutter", "expo")


@attrs.frozen(kw_only=True)
class SdkConfig:
    """``sdkConfig`` of a GitHub ingest: how the SDK patch is generated."""

    app_name: str | None = None
    include_platforms: tuple[str, ...] | None = None
    event_allowlist: tuple[str, ...] | None = None
