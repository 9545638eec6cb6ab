"""Issue 15 over loopback HTTP to FakeLayers: SDK apps, keywords, media uploads, influencers,
metrics, social and leased accounts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from apidocs import EXAMPLES

from layers_async import (
    APIError,
    AsyncLayers,
    ChecksumMismatchError,
    NotFoundError,
    OAuthState,
    PermissionDeniedError,
    Response,
    Secret,
    ValidationError,
)
from layers_async._errors import error_from_response
from layers_async.testing import FakeLayers

pytestmark = pytest.mark.anyio


async def _project(layers: AsyncLayers) -> str:
    return (await layers.projects.create(name="Acme Coffee", customer_external_id="c1")).id


def _bodies(fake: FakeLayers, method: str, fragment: str) -> list[Any]:
    return [entry for entry in fake.journal if entry.method == method and fragment in entry.path]


async def test_sdk_app_key_is_a_one_time_secret_and_rotates() -> None:
    """create() returns the key as a Secret (never in repr); rotate_key gives a new one."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        app = await layers.sdk_apps.create(project, name="Acme iOS", platform="ios",
                                           bundle_id="com.acme.ios")
        assert isinstance(app.api_key, Secret)
        assert app.api_key.value not in repr(app)
        assert "apiKey" not in app.raw
        assert app.app_id is not None
        rotated = await layers.sdk_apps.update(project, app.app_id, rotate_key=True,
                                               capi={"meta": True})
        assert rotated.api_key is not None
        assert app.api_key != rotated.api_key
        assert {"enabled": True} == rotated.raw["capi"]["meta"]
        plain = await layers.sdk_apps.update(project, app.app_id, name="Acme iOS 2")
        assert None is plain.api_key
        spec = await layers.sdk_apps.install_spec(project, app.app_id, platforms=["ios", "web"])
        assert ["ios", "web"] == [p.platform for p in spec.platforms]
        with pytest.raises(ValueError, match="platform"):
            await layers.sdk_apps.create(project, name="x", platform="windows")


async def test_keyword_refresh_is_a_job_that_moves_refreshed_at() -> None:
    """refresh() returns a job; once it completes the bank's refreshedAt is newer."""
    async with FakeLayers(time_scale=1000, job_duration=5) as fake, fake.client() as layers:
        project = await _project(layers)
        before = await layers.keywords.list(project)
        job = await layers.keywords.refresh(project)
        result = await job.wait()
        after = await layers.keywords.list(project)
        assert project == result["projectId"]
        assert before.refreshed_at is not None
        assert after.refreshed_at is not None
        assert after.refreshed_at > before.refreshed_at
        assert 3 == len(after.hashtags)


async def test_upload_bytes_end_to_end_without_the_api_key() -> None:
    """upload() presigns, PUTs to the upload host (no key), finalizes with the SHA-256."""
    data = b"\x89PNG" + b"x" * 5000
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        asset = await layers.media.upload(project, data, kind="image", mime_type="image/png")
        assert asset.media_id.startswith("med_")
        [put] = fake.upload_requests
        assert "PUT" == put["method"]
        assert fake.api_key not in json.dumps(put)
        assert {"authorization", "x-api-key", "idempotency-key"}.isdisjoint(put["headers"])
        [finalize] = _bodies(fake, "POST", "/media/finalize")
        [presign] = _bodies(fake, "POST", "/media/presign")
        assert fake.base_url != fake.upload_url
        assert hashlib.sha256(data).hexdigest() == json.loads(finalize.body)["checksumSha256"]
        assert len(data) == json.loads(presign.body)["sizeBytes"]


async def test_upload_streams_a_file_and_a_failed_put_is_retried(tmp_path: Path) -> None:
    """A path is streamed (FileBody) and re-sent after a 503 from the upload host."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        fake.fail_uploads(status=503, times=1)
        asset = await layers.media.upload(project, path, kind="video", mime_type="video/mp4")
        assert "video" == asset.kind
        assert 2 == len(fake.upload_requests)
        [presign] = _bodies(fake, "POST", "/media/presign")
        assert "clip.mp4" == json.loads(presign.body)["filename"]


async def test_a_redirect_from_the_upload_host_is_not_followed() -> None:
    """A 307 to elsewhere raises: the client never follows it."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        fake.fail_uploads(status=307, headers={"Location": f"{fake.base_url}/v1/whoami"})
        with pytest.raises(APIError) as caught:
            await layers.media.upload(project, b"abc", kind="image", mime_type="image/png")
        assert 307 == caught.value.status
        assert 1 == len(fake.upload_requests)
        assert [] == _bodies(fake, "GET", "/v1/whoami")


async def test_a_checksum_mismatch_is_a_typed_error() -> None:
    """finalize() with another checksum than the bytes uploaded raises ChecksumMismatchError."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        signed = await layers.media.presign(project, kind="image", mime_type="image/png")
        assert signed.upload_url is not None
        request = layers.build_external("PUT", signed.upload_url, body=b"real bytes",
                                        headers=signed.headers)
        assert 200 == (await layers.send(request)).status
        with pytest.raises(ChecksumMismatchError) as caught:
            await layers.media.finalize(project, signed.upload_id, checksum_sha256="0" * 64)
        assert isinstance(caught.value, ValidationError)


async def test_the_upload_host_checks_signature_and_expiry() -> None:
    """A tampered signature and an expired URL both answer 403."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        signed = await layers.media.presign(project, kind="image", mime_type="image/png")
        assert signed.upload_url is not None
        tampered = signed.upload_url[:-4] + "0000"
        for url in (tampered, signed.upload_url):
            if url == signed.upload_url:
                fake.advance(901)
            request = layers.build_external("PUT", url, body=b"x", headers=signed.headers)
            with pytest.raises(APIError) as caught:
                await layers.send(request)
            assert 403 == caught.value.status


async def test_inline_upload_refuses_256_kb_before_any_request() -> None:
    """upload_inline() takes under 256 KB; at the limit it raises without a request."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        asset = await layers.media.upload_inline(project, b"x" * 1000, kind="logo",
                                                 mime_type="image/png", filename="l.png")
        with pytest.raises(ValueError, match="under 262144"):
            await layers.media.upload_inline(project, b"x" * 256 * 1024, kind="logo",
                                             mime_type="image/png")
        assert 1 == len([e for e in _bodies(fake, "POST", "/") if e.path.endswith("/media")])
        imported = await layers.media.import_app_media(
            project, kind="logo", url="https://cdn.acmecoffee.com/brand/logo-512.png")
        assert asset.media_id != imported.media_id


async def test_influencers_accept_both_generations() -> None:
    """Newest and older create/patch/clone bodies work; the job makes the influencer ready."""
    async with FakeLayers(time_scale=1000, job_duration=5) as fake, fake.client() as layers:
        project = await _project(layers)
        new = await layers.influencers.create(project, gender="non_binary", age_range="adult")
        old = await layers.influencers.create(project, name="Ava Chen", gender="nonbinary",
                                              persona={"vibe": "dry"})
        first = await new.wait()
        await old.wait()
        influencer = await layers.influencers.get(first["influencerId"])
        assert "ready" == influencer.status
        legacy = json.loads(EXAMPLES.joinpath("influencers.patch.request.legacy.json").read_text())
        patched = await layers.influencers.update(influencer.influencer_id, persona=legacy)
        patched = await layers.influencers.update(influencer.influencer_id,
                                                  brand_voice="casual", language="es-MX")
        assert ("casual", "es-MX") == (patched.brand_voice, patched.language)
        clone = await layers.influencers.clone(influencer.influencer_id, name="Ava (EU)",
                                               overrides={"vibe": "sharper"})
        await clone.wait()
        names = [i.name async for i in layers.influencers.list(project, limit=1)]
        assert ["Ava (EU)", "Ava Chen", "New influencer"] == names
        deleted = await layers.influencers.delete(influencer.influencer_id, reason="done")
        assert "deleted" == deleted.status
        with pytest.raises(NotFoundError):
            await layers.influencers.get(influencer.influencer_id)
        with pytest.raises(ValueError, match="gender"):
            await layers.influencers.create(project, gender="other")


async def test_metrics_send_repeated_query_parameters() -> None:
    """A list filter travels as the same name repeated."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        top = await layers.metrics.top_performers(
            project, metric="views", source_type=["content_container", "manual"],
            platform=["tiktok", "instagram"], limit=3)
        series = await layers.metrics.get(project, scope="project", id=project,
                                          metrics=["views", "likes"], granularity="day")
        assert {"content_container", "manual"} == {item.source_type for item in top.items}
        assert 3 == len(top.items)
        assert {"views", "likes"} == set(series.totals)
        with pytest.raises(ValueError, match="metric"):
            await layers.metrics.top_performers(project, metric="likes")


async def test_oauth_wait_returns_when_the_hand_off_completes() -> None:
    """wait_for_oauth() polls until a hook completes the state, and yields the account."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        url = await layers.social_accounts.oauth_url(
            project, platform="tiktok", return_url="https://app.example.com/done")
        done: list[Any] = []

        async def wait() -> None:
            done.append(await layers.social_accounts.wait_for_oauth(url.state))

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.sleep(0.004)  # two scaled 2 s polls
            account = fake.complete_oauth(url.state, handle="acme")
        assert OAuthState.COMPLETED == done[0].status
        assert account == done[0].social_account_id
        polls = _bodies(fake, "GET", "/oauth-status/")
        assert 2 <= len(polls)
        [listed] = [a async for a in layers.social_accounts.list(project)]
        assert "acme" == listed.handle
        revoked = await layers.social_accounts.revoke(account)
        assert "disconnected" == revoked.status


async def test_connected_accounts_are_one_set_for_listing_revoking_and_publishing() -> None:
    """The test hook's account is listed and revocable; an OAuth account is a publish target;
    a revoked account no longer is."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        hooked = fake.connect_social_account(project, display_name="@acmecoffee")
        url = await layers.social_accounts.oauth_url(
            project, platform="tiktok", return_url="https://app.example.com/done")
        oauth = fake.complete_oauth(url.state, handle="acme")
        listed = {a.social_account_id: a.handle
                  async for a in layers.social_accounts.list(project)}
        result = await (await layers.content.generate(project)).wait()
        published = await layers.content.publish(result.containers[0], targets=[
            {"socialAccountId": oauth, "mode": "direct_publish"}])
        await layers.social_accounts.revoke(hooked)
        with pytest.raises(ValidationError, match="social account"):
            await layers.content.publish(result.containers[0], targets=[
                {"socialAccountId": hooked, "mode": "direct_publish"}])
    assert {hooked: "acmecoffee", oauth: "acme"} == listed
    assert [oauth] == [post.social_account_id for post in published.items]


async def test_oauth_wait_times_out_and_is_cancellable() -> None:
    """A failed hand-off returns; a short timeout raises; a cancel stops polling at once."""
    async with FakeLayers(time_scale=1000, return_url_hosts=["app.example.com"]) as fake, \
            fake.client() as layers:
        project = await _project(layers)
        with pytest.raises(PermissionDeniedError):
            await layers.social_accounts.oauth_url(project, platform="tiktok",
                                                   return_url="https://evil.example/x")
        url = await layers.social_accounts.oauth_url(
            project, platform="instagram", return_url="https://app.example.com/x")
        with pytest.raises(TimeoutError):
            await layers.social_accounts.wait_for_oauth(url.state, timeout=0.001)
        with anyio.move_on_after(0.003):
            await layers.social_accounts.wait_for_oauth(url.state)
        await anyio.sleep(0.001)  # a request cancelled in flight may still land
        count = len(_bodies(fake, "GET", "/oauth-status/"))
        await anyio.sleep(0.006)  # three scaled polls' worth
        assert count == len(_bodies(fake, "GET", "/oauth-status/"))
        fake.fail_oauth(url.state)
        failed = await layers.social_accounts.wait_for_oauth(url.state)
        assert OAuthState.FAILED == failed.status


async def test_lease_requests_are_assigned_or_rejected() -> None:
    """request() answers a lease request (202); hooks assign or reject it."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        project = await _project(layers)
        lease = await layers.leased_accounts.request(project, count=2,
                                                     niche={"vertical": "coffee"})
        other = await layers.leased_accounts.request(project, count=1,
                                                     niche={"vertical": "tea"})
        assert "requested" == lease.status
        [sent] = _bodies(fake, "POST", "/leased-accounts/request")[:1]
        assert project == json.loads(sent.body)["projectId"]
        fake.assign_lease(lease.request_id, count=1)
        fake.reject_lease(other.request_id)
        partial = await layers.leased_accounts.get_request(project, lease.request_id)
        rejected = await layers.leased_accounts.get_request(project, other.request_id)
        leased = await layers.leased_accounts.list(project)
        assert ("partial", "rejected") == (partial.status, rejected.status)
        assert partial.assigned_social_account_ids == [a.social_account_id for a in leased.items]
        assert 15000 == leased.items[0].monthly_price_cents
        with pytest.raises(ValueError, match="count"):
            await layers.leased_accounts.request(project, count=51, niche={"vertical": "x"})


def test_the_influencer_not_found_example_is_a_not_found_error() -> None:
    """errors.influencer.not_found.json decodes to NotFoundError."""
    body = (EXAMPLES / "errors.influencer.not_found.json").read_bytes()
    error = error_from_response(Response(status=404, headers={}, body=body))
    assert isinstance(error, NotFoundError)
    assert "NOT_FOUND" == error.code
