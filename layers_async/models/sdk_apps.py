"""SDK apps: one per shipped app, with its ingest key, CAPI toggles and install snippets."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from .._secret import Secret
from .._wire import wire

__all__ = ["SdkApp", "SdkDependency", "SdkEnvVar", "SdkInstallSpec", "SdkPlatform",
           "SdkPlatformSpec"]


class SdkPlatform(enum.StrEnum):
    """Platforms an SDK app targets (nextjs / vite / react-router: newest docs only)."""

    IOS = "ios"
    ANDROID = "android"
    WEB = "web"
    REACT_NATIVE = "react-native"
    FLUTTER = "flutter"
    EXPO = "expo"
    NEXTJS = "nextjs"
    VITE = "vite"
    REACT_ROUTER = "react-router"


@attrs.frozen(kw_only=True)
class SdkApp:
    """An SDK app as create / update answer it.

    The docs print no response body for these routes, so ``raw`` keeps the whole answer
    (without the key); ``app_id`` and ``api_key`` are read from it when present. ``api_key``
    is the app's ingest key, shown once (on create and after ``rotate_key=True``): a
    :class:`Secret`, read ``.value`` and store it.
    """

    app_id: str | None = None
    api_key: Secret | None = None
    raw: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_wire(cls, data: Any) -> SdkApp:
        """Decode the raw answer (the converter calls this)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        raw = {str(k): v for k, v in data.items() if k != "apiKey"}
        key = data.get("apiKey")
        if key is not None and not isinstance(key, str):
            raise TypeError("apiKey must be a string")
        app_id = data.get("appId", data.get("id"))
        return cls(app_id=str(app_id) if app_id is not None else None,
                   api_key=Secret(key) if key is not None else None, raw=raw)


@attrs.frozen(kw_only=True)
class SdkDependency:
    """How the SDK package is installed (``from`` on the wire)."""

    manager: str | None = None
    url: str | None = None
    from_: str | None = attrs.field(default=None, metadata=wire("from"))


@attrs.frozen(kw_only=True)
class SdkEnvVar:
    """One environment variable the snippet needs."""

    name: str
    value: str | None = None


@attrs.frozen(kw_only=True)
class SdkPlatformSpec:
    """The install snippet of one platform."""

    platform: SdkPlatform | str
    dependency: SdkDependency | None = None
    env_vars: list[SdkEnvVar] = attrs.field(factory=list)
    init_snippet: str | None = None


@attrs.frozen(kw_only=True)
class SdkInstallSpec:
    """``GET …/install-spec``: a deterministic per-platform install spec."""

    app_id: str | None = None
    platforms: list[SdkPlatformSpec] = attrs.field(factory=list)
