"""Seeded data: GitHub repositories, credit-ledger rows, default job results."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._clock import Clock
from ._ids import Ids
from ._jobs import INGEST_APPSTORE, INGEST_GITHUB, INGEST_WEBSITE

if TYPE_CHECKING:
    from ._records import Project

REPO_NAMES = (
    "acme-mobile", "ios-app", "android-app", "web-app", "marketing-site", "api", "design-system",
    "checkout", "loyalty", "react-native-app", "flutter-app", "expo-app", "admin-dashboard",
    "data-pipeline", "infra", "docs", "sdk-playground", "onboarding", "payments", "search",
    "notifications", "analytics", "support-bot", "partner-portal", "brand-assets", "blog",
    "landing-pages", "ml-models", "feature-flags", "auth-service", "storefront", "catalog",
    "recommendations", "growth-experiments", "wallet", "maps", "media-service", "chat",
    "release-tools", "status-page",
)  # fmt: skip
_LANGUAGES = ("Swift", "Kotlin", "TypeScript", "Dart", "JavaScript", "Python", "Go", None)
_EVENT_TYPES = ("usage", "usage", "usage", "refund", "grant", "purchase", "adjustment")


def default_result(
    ids: Ids, rng: random.Random, kind: str, project: Project, params: Mapping[str, Any]
) -> dict[str, Any]:
    """What a completed job of ``kind`` returns (github per the quickstart; others inferred)."""
    if kind == INGEST_GITHUB:
        full_name = str(params.get("repoFullName", "acme/acme-mobile"))
        name = full_name.split("/")[-1]
        open_pr = params.get("openPR", True) is not False
        number = rng.randint(100, 999)
        return {
            "projectId": project.id,
            "repoFullName": full_name,
            "prUrl": f"https://github.com/{full_name}/pull/{number}" if open_pr else None,
            "prNumber": number if open_pr else None,
            "brandContext": {
                "appName": _title(name),
                "tagline": "Faster checkouts, fewer taps.",
                "audience": "Mobile shoppers, 25-44",
                "brandVoice": "direct, dry, occasionally funny",
                "keywords": [word for word in name.split("-") if word][:5],
            },
            "sdkAppId": f"app_{ids.hex(22)}",
        }
    if kind == INGEST_WEBSITE:
        url = str(params.get("url", ""))
        host = url.split("://", 1)[-1].split("/", 1)[0]
        return {
            "projectId": project.id,
            "url": url,
            "brandContext": {
                "appName": _title(host.split(".")[0] if host else project.name),
                "tagline": "Made for people on the move.",
                "keywords": [host] if host else [],
            },
        }
    if kind == INGEST_APPSTORE:
        return {
            "projectId": project.id,
            "iosBundleId": params.get("iosBundleId"),
            "androidPackage": params.get("androidPackage"),
            "brandContext": {"appName": project.name, "keywords": ["app"]},
        }
    return {"projectId": project.id}


def repo(rng: random.Random, full_name: str, index: int) -> dict[str, Any]:
    """One GithubRepo object, deterministic for a seed."""
    owner = full_name.split("/")[0]
    language = _LANGUAGES[index % len(_LANGUAGES)]
    return {
        "repoId": 612900000 + index * 97 + rng.randint(0, 96),
        "fullName": full_name,
        "owner": owner,
        "private": index % 3 != 1,
        "defaultBranch": "main",
        "language": language,
        "primaryLanguage": language,
        "htmlUrl": f"https://github.com/{full_name}",
    }


def credit_events(ids: Ids, rng: random.Random, clock: Clock) -> list[dict[str, Any]]:
    """About 30 ledger rows, newest first, six hours apart."""
    now = clock.now()
    events: list[dict[str, Any]] = []
    prepaid = 5400
    for i in range(30):
        event_type = _EVENT_TYPES[i % len(_EVENT_TYPES)]
        credits = {
            "usage": -rng.choice((50, 120)),
            "refund": 50,
            "grant": 1000,
            "purchase": 2500,
            "adjustment": rng.choice((-10, 10)),
        }[event_type]
        is_usage = event_type in ("usage", "refund")
        events.append(
            {
                "eventId": ids.uuid(),
                "projectId": ids.id("prj") if is_usage else None,
                "credits": credits,
                "eventType": event_type,
                "format": "video_remix" if is_usage else None,
                "containerId": f"cnt_{ids.uuid()}" if is_usage else None,
                "workflowId": None,
                "balanceAfterPrepaid": prepaid,
                "usageAfterPeriod": 400 if is_usage else None,
                "createdAt": clock.iso(now - 3600 * 6 * (i + 1)),
            }
        )
    return events


def _title(slug: str) -> str:
    return " ".join(part.capitalize() for part in re.split(r"[-_.]", slug) if part) or slug


def empty_brand(language: str) -> dict[str, Any]:
    """A BrandContext with every field present and unset."""
    return {
        "appName": None,
        "appDescription": None,
        "tagline": None,
        "audience": None,
        "icp": None,
        "brandVoice": None,
        "keywords": [],
        "primaryLanguage": language,
        "logoUrl": None,
    }
