"""``layers.sdk_apps``: provision SDK apps, toggle CAPI, rotate the ingest key, install specs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._http import Timeout
from .._operations import SDK_APPS_CREATE, SDK_APPS_INSTALL_SPEC, SDK_APPS_UPDATE
from ..models.sdk_apps import SdkApp, SdkInstallSpec, SdkPlatform
from ._base import Resource

__all__ = ["SdkApps"]

_PLATFORMS = tuple(p.value for p in SdkPlatform)
_CAPI = ("meta", "tiktok", "apple")


def _platform(value: object, what: str = "platform") -> str:
    if value not in _PLATFORMS:
        raise ValueError(f"{what} must be one of {list(_PLATFORMS)}, got {value!r}")
    return str(value)


def _capi(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError("capi must be a mapping such as {'meta': {'enabled': True}}")
    out: dict[str, Any] = {}
    for name, toggle in value.items():
        if name not in _CAPI:
            raise ValueError(f"unknown capi channel {name!r}; known: {list(_CAPI)}")
        if isinstance(toggle, bool):
            toggle = {"enabled": toggle}
        if not isinstance(toggle, Mapping) or not isinstance(toggle.get("enabled"), bool):
            raise ValueError(f"capi.{name} must be {{'enabled': bool}} (or a bool)")
        out[name] = {"enabled": toggle["enabled"]}
    return out


class SdkApps(Resource):
    """SDK apps of a project. The ingest key is shown once: :attr:`SdkApp.api_key`."""

    async def create(self, project_id: str, *, name: str, platform: str,
                     bundle_id: str | None = None, android_package: str | None = None,
                     web_domain: str | None = None, app_id: str | None = None,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> SdkApp:
        """``POST /v1/projects/{projectId}/sdk-apps`` (201). The answer's ``api_key`` is a
        one-time :class:`Secret`: send an ``idempotency_key`` so a retry replays the same key
        instead of minting a second app. ``app_id`` is the older docs' partner-chosen id."""
        if not isinstance(name, str) or not 1 <= len(name) <= 128 or not name.strip():
            raise ValueError("name must be a string of 1 to 128 characters")
        _platform(platform)
        return await self._call(SDK_APPS_CREATE, project_id, body=dict(
            name=name, platform=platform, bundle_id=bundle_id, android_package=android_package,
            web_domain=web_domain, app_id=app_id), idempotency_key=idempotency_key,
            timeout=timeout)

    async def update(self, project_id: str, app_id: str, *, name: str | None = None,
                     bundle_id: str | None = None, android_package: str | None = None,
                     web_domain: str | None = None, capi: Mapping[str, Any] | None = None,
                     rotate_key: bool | None = None, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> SdkApp:
        """``PATCH /v1/projects/{projectId}/sdk-apps/{appId}``: rename, toggle CAPI channels
        (``capi={"meta": {"enabled": True}}``), or ``rotate_key=True`` for a new ingest key
        (returned once in ``api_key``)."""
        fields = dict(name=name, bundle_id=bundle_id, android_package=android_package,
                      web_domain=web_domain, capi=_capi(capi),
                      rotate_key=None if rotate_key is None else bool(rotate_key))
        if all(value is None for value in fields.values()):
            raise ValueError("update() needs at least one field to change")
        return await self._call(SDK_APPS_UPDATE, project_id, app_id, body=fields,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def install_spec(self, project_id: str, app_id: str, *,
                           platforms: Iterable[str] | None = None,
                           timeout: float | Timeout | None = None) -> SdkInstallSpec:
        """``GET …/sdk-apps/{appId}/install-spec``: per-platform snippets (``platforms``
        travels comma-separated)."""
        joined = None
        if platforms is not None:
            if isinstance(platforms, str):
                raise TypeError("platforms must be a list of platforms, not a single string")
            joined = ",".join(_platform(p, "platforms") for p in platforms) or None
        return await self._call(SDK_APPS_INSTALL_SPEC, project_id, app_id,
                                query=dict(platforms=joined), timeout=timeout)
