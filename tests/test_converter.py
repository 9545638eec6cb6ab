"""The converter: every docs example decodes, in both generations; failures are DecodeError."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from apidocs import EXAMPLES

from layers_async import (
    ApiKeyDeleteResult,
    ApiKeyKillResult,
    ApiKeyRotateResult,
    ApproveResult,
    Asset,
    CancelPostResult,
    CancelResult,
    ChildApiKey,
    ChildApiKeyRevokeResult,
    Container,
    ContainerProgress,
    CreditConfigResult,
    CreditEvent,
    Credits,
    DecodeError,
    GithubInstallation,
    GithubRepo,
    Influencer,
    InfluencerDeleteResult,
    IngestGithubResult,
    JobKind,
    JobSnapshot,
    JobStatus,
    KeywordBank,
    LeasedAccount,
    LeaseRequest,
    OAuthStatus,
    OAuthUrl,
    Organization,
    OrganizationArchiveResult,
    OrganizationMigrateResult,
    Project,
    ProjectArchiveResult,
    RejectResult,
    RescheduleResult,
    Response,
    ReviewPolicy,
    ScheduledPost,
    Secret,
    SocialAccount,
    SocialAccountRevokeResult,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointDeleteResult,
    WebhookReplayResult,
    WebhookRotateSecretResult,
    WebhookTestResult,
    WhoAmI,
)
from layers_async._converter import decode, structure, unstructure, wire_to_snake
from layers_async._http import parse_json
from layers_async._operations import RESULT_TYPES
from layers_async._pagination import decode_page

#: Example file prefix -> the model its payload decodes to (lists: the item model).
MODELS: dict[str, type[Any]] = {
    "whoami.": WhoAmI,
    "seed.whoami.": WhoAmI,
    "credits.get.": Credits,
    "organizations.credits.events.item": CreditEvent,
    "organizations.credits.get.": Credits,
    "organizations.get.": Organization,
    "organizations.suspend.": Organization,
    "organizations.resume.": Organization,
    "organizations.archive.": OrganizationArchiveResult,
    "organizations.migrate.response": OrganizationMigrateResult,
    "organizations.credit-config.get.": CreditConfigResult,
    "organizations.api-keys.delete.": ChildApiKeyRevokeResult,
    "api-keys.kill.": ApiKeyKillResult,
    "api-keys.delete.": ApiKeyDeleteResult,
    "api-keys.rotate.": ApiKeyRotateResult,
    "projects.get.": Project,
    "seed.projects.create.response": Project,
    "projects.archive.": ProjectArchiveResult,
    "github.installation.get.": GithubInstallation,
    "github.installation.register.response": GithubInstallation,
    "jobs.accepted.": JobSnapshot,
    "jobs.get.": JobSnapshot,
    "seed.ingest.github.accepted": JobSnapshot,
    "seed.jobs.get.": JobSnapshot,
    "jobs.cancel.": CancelResult,
    "content.get.": Container,
    "content.progress.": ContainerProgress,
    "content.assets.get.": Asset,
    "content.approve.response": ApproveResult,
    "content.reject.response": RejectResult,
    "content-review-policy.get.": ReviewPolicy,
    "scheduled-posts.get.": ScheduledPost,
    "scheduled-posts.cancel.response": CancelPostResult,
    "scheduled-posts.reschedule.response": RescheduleResult,
    "influencers.get.": Influencer,
    "influencers.delete.": InfluencerDeleteResult,
    "keywords.list.": KeywordBank,
    "leased-accounts.list.item": LeasedAccount,
    "leased-accounts.request.get.": LeaseRequest,
    "social-accounts.list.item": SocialAccount,
    "social-accounts.revoke.": SocialAccountRevokeResult,
    "social.oauth-status.": OAuthStatus,
    "social.oauth-url.response": OAuthUrl,
    "webhook-endpoints.rotate-secret.": WebhookRotateSecretResult,
    "webhook-endpoints.delete.": WebhookEndpointDeleteResult,
    "webhook-endpoints.test.": WebhookTestResult,
    "webhook-deliveries.replay.": WebhookReplayResult,
}
PAGES: dict[str, type[Any]] = {
    "projects.list.": Project,
    "github.repos.list.": GithubRepo,
    "webhook-endpoints.list.": WebhookEndpoint,
    "webhook-endpoints.deliveries.list.": WebhookDelivery,
    "organizations.list.": Organization,
    "organizations.api-keys.list.": ChildApiKey,
    "influencers.list.": Influencer,
}


def example_files() -> list[Path]:
    """Every example payload of the endpoints this library covers."""
    files = sorted(EXAMPLES.glob("*.json"))
    covered = [f for f in files if any(f.name.startswith(p) for p in (*MODELS, *PAGES))]
    return [f for f in covered if ".request" not in f.name]


def test_examples_folder_is_found() -> None:
    """The loop below really runs over the docs' examples."""
    assert 25 <= len(example_files())


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_every_example_payload_decodes(path: Path) -> None:
    """Each docs example decodes to its model, and round-trips its known fields."""
    data = json.loads(path.read_text())
    page_type = next((t for p, t in PAGES.items() if path.name.startswith(p)), None)
    if page_type is not None:
        page = decode_page(data, page_type)
        assert len(data["items"]) == len(page.items)
        assert data["nextCursor"] == page.next_cursor
        return
    model = next(t for p, t in sorted(MODELS.items(), key=lambda kv: -len(kv[0]))
                 if path.name.startswith(p))
    value = structure(data, model)
    again = unstructure(value)
    for key, raw in data.items():
        if isinstance(raw, str | int | bool) and key in again:
            secret = getattr(value, wire_to_snake(key), None)
            if isinstance(secret, Secret):  # one-time secrets stay hidden when unstructured
                assert (raw, repr(secret)) == (secret.value, again[key])
                continue
            assert raw == again[key] or str(raw).replace("+00:00", "Z") == str(again[key]) \
                or _same_instant(raw, again[key])


def _same_instant(a: Any, b: Any) -> bool:
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return False


def test_both_generations_of_whoami_decode() -> None:
    """Old (killSwitch, bare UUIDs) and new (parentOrganizationId, prefixed ids) shapes."""
    old = structure(json.loads((EXAMPLES / "whoami.response.legacy.json").read_text()), WhoAmI)
    new = structure(json.loads((EXAMPLES / "whoami.response.json").read_text()), WhoAmI)
    assert old.kill_switch is False
    assert new.kill_switch is None
    assert new.organization_id.startswith("org_")
    assert "standard" == old.rate_limit_tier == new.rate_limit_tier


def test_completed_seed_ingest_decodes_to_typed_result() -> None:
    """The quickstart's completed job carries a PR URL, number and brand context."""
    data = json.loads((EXAMPLES / "seed.jobs.get.completed.ingest.json").read_text())
    snapshot = structure(data, JobSnapshot)
    assert JobKind.PROJECT_INGEST_GITHUB == snapshot.kind
    assert JobStatus.COMPLETED == snapshot.status
    assert snapshot.terminal
    result = structure(snapshot.result, RESULT_TYPES[str(snapshot.kind)])
    assert isinstance(result, IngestGithubResult)
    assert "https://github.com/acme/acme-mobile/pull/247" == result.pr_url
    assert 247 == result.pr_number
    assert result.brand_context is not None
    assert ("one-tap checkout", "saved cards") == result.brand_context.keywords


def test_unknown_enum_values_and_fields_are_tolerated() -> None:
    """A new status or kind stays a plain string; unknown fields are ignored."""
    snapshot = structure({"jobId": "job_1", "kind": "brand_new", "status": "paused",
                          "somethingNew": {"x": 1}}, JobSnapshot)
    assert "paused" == snapshot.status
    assert "brand_new" == snapshot.kind
    assert not snapshot.terminal


def test_optional_plain_fields_coerce_as_cattrs_does() -> None:
    """An int where a float is due becomes a float, a number where a str is due a str; a
    value already of the type is kept as it is, and a value that can't convert is an error."""
    snapshot = structure({"jobId": "job_1", "progress": 1, "stage": 3, "projectId": None},
                         JobSnapshot)
    assert 1.0 == snapshot.progress
    assert float is type(snapshot.progress)
    assert "3" == snapshot.stage
    assert snapshot.project_id is None
    with pytest.raises(DecodeError) as caught:
        structure({"jobId": "job_1", "progress": "most of it"}, JobSnapshot)
    assert "$.progress" == caught.value.path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-18T17:03:02Z", datetime(2026, 4, 18, 17, 3, 2, tzinfo=timezone.utc)),
        ("2026-04-18T17:03:02.000Z", datetime(2026, 4, 18, 17, 3, 2, tzinfo=timezone.utc)),
        ("2026-04-17T09:16:27.850881+00:00",
         datetime(2026, 4, 17, 9, 16, 27, 850881, tzinfo=timezone.utc)),
        ("2026-04-17T11:16:27+02:00",
         datetime(2026, 4, 17, 11, 16, 27, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_every_documented_timestamp_form_parses(text: str, expected: datetime) -> None:
    """Z or offset, with or without ms/µs."""
    assert expected == structure({"jobId": "j", "startedAt": text}, JobSnapshot).started_at


def test_wrong_shape_raises_decode_error_with_json_path() -> None:
    """A bad field names its JSON path and shows a short excerpt of the body."""
    with pytest.raises(DecodeError) as info:
        structure({"jobId": "job_1", "progress": "half"}, JobSnapshot)
    assert "$.progress" == info.value.path
    assert "half" in info.value.excerpt


def test_decode_of_truncated_body_is_a_decode_error() -> None:
    """A cut-off body raises DecodeError with status and request id, key scrubbed."""
    response = Response(status=200, headers={"x-request-id": "req_9"},
                        body=b'{"jobId": "job_1", "note": "lp_test_SECRET", "st', method="GET",
                        path="/v1/jobs/job_1")
    with pytest.raises(DecodeError) as info:
        decode(response, JobSnapshot, secrets=("lp_test_SECRET",))
    assert "req_9" == info.value.request_id
    assert 200 == info.value.status
    assert "lp_test_SECRET" not in str(info.value)


@pytest.mark.parametrize("body", [
    b'{"a": 1}', b' {"a": 1} ', b'{"a": 1}\n', b'\t[1, 2]\r\n', b'"text"', b"12.5", b"null",
    b"NaN", b'\xef\xbb\xbf{"bom": true}', '{"u": "\u00e9"}'.encode("utf-16"),
    '{"u": "\u00e9"}'.encode(), b'{"a": "\\ud800"}',
    # Not JSON: each must fail as json.loads fails.
    b"", b" ", b"nul", b'{"a": 1} x', b'{"a": 1}{', b'{"a": 1}\x0c', b"\xff", b'{"a": 1',
])
def test_bodies_parse_exactly_as_json_loads_parses_them(body: bytes) -> None:
    """The fast parse of response bodies is json.loads: the same value, or the same error."""
    try:
        expected: Any = json.loads(body)
    except ValueError as exc:
        with pytest.raises(type(exc), match=f"^{re.escape(str(exc))}$"):
            parse_json(body)
        return
    got = parse_json(body)
    assert json.dumps(expected) == json.dumps(got)  # (NaN != NaN: compare the text)


def test_page_item_errors_name_the_item_index() -> None:
    """A bad item in a list page says which one."""
    with pytest.raises(DecodeError) as info:
        decode_page({"items": [{"id": "a", "name": "x"}, {"id": "b"}], "nextCursor": None},
                    Project)
    assert (info.value.path or "").startswith("$.items[1]")



def test_decode_error_paths_use_the_api_names() -> None:
    """A nested failure is reported as the JSON path the API sent, not Python names."""
    with pytest.raises(DecodeError) as info:
        structure({"id": "p", "name": "n", "ingestState": {"github": {"completedAt": "soon"}}},
                  Project)
    assert "$.ingestState.github.completedAt" == info.value.path
