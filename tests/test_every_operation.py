"""Every operation through the library against the fake: the request as the journal saw it
(method, path, Idempotency-Key, body keys and query names as openapi.yaml spells them) and an
answer that decodes.

``CASES`` has one entry per operationId: how to call it, given the client and a ``World`` of
ids. A world lives in one fake per test and builds only what the call reads (a project, a
container, a scheduled post, a child org...), so each test stays a few requests long.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import attrs
import pytest
from apispec import (
    BY_ID,
    TSV,
    UNDOCUMENTED_PAGING,
    body_properties,
    query_parameters,
    repeatable_query_parameters,
    required_body_alternatives,
    required_query_parameters,
)

from layers_async import AsyncLayers, Job, PublishTarget
from layers_async._operations import OPERATIONS, Operation
from layers_async._pagination import AsyncPaginator
from layers_async.testing import FakeLayers

pytestmark = pytest.mark.anyio

LIBRARY = {op.operation_id: op for op in OPERATIONS}
MUTATIONS = frozenset({"POST", "PATCH", "DELETE", "PUT"})
PAGE_QUERY = frozenset({"cursor", "limit"})
SINCE = datetime(2026, 4, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 30, tzinfo=UTC)
#: clone-from-post names the container it makes: a UUID the caller chooses.
NEW_CONTAINER = "7d18b9a1-8b2c-4f3e-a4d5-6e7f8a9b0c1d"
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 64


class World:
    """The ids a call needs, made on first use in one fake (read them as attributes)."""

    def __init__(self, fake: FakeLayers, layers: AsyncLayers) -> None:
        self.fake = fake
        self.layers = layers
        self._ids: dict[str, str] = {}

    async def prepare(self, names: Iterable[str]) -> None:
        """Make every id in ``names`` that a world knows how to make (others are ignored)."""
        for name in names:
            if hasattr(self, f"_make_{name}"):
                await self._need(name)

    async def _need(self, name: str) -> str:
        if name not in self._ids:
            self._ids[name] = await getattr(self, f"_make_{name}")()
        return self._ids[name]

    def _get(self, name: str) -> str:
        if name not in self._ids:
            raise AssertionError(f"the world's {name!r} was read but not prepared")
        return self._ids[name]

    # -- the ids, as the calls read them -------------------------------------------------------

    project = property(lambda self: self._get("project"))
    job = property(lambda self: self._get("job"))
    container = property(lambda self: self._get("container"))
    in_review = property(lambda self: self._get("in_review"))
    asset = property(lambda self: self._get("asset"))
    account = property(lambda self: self._get("account"))
    scheduled_post = property(lambda self: self._get("scheduled_post"))
    influencer = property(lambda self: self._get("influencer"))
    child_org = property(lambda self: self._get("child_org"))
    suspended_org = property(lambda self: self._get("suspended_org"))
    child_key = property(lambda self: self._get("child_key"))
    spare_key = property(lambda self: self._get("spare_key"))
    github_state = property(lambda self: self._get("github_state"))
    installation = property(lambda self: self._get("installation"))
    sdk_app = property(lambda self: self._get("sdk_app"))
    media = property(lambda self: self._get("media"))
    upload = property(lambda self: self._get("upload"))
    oauth_state = property(lambda self: self._get("oauth_state"))
    lease_request = property(lambda self: self._get("lease_request"))
    endpoint = property(lambda self: self._get("endpoint"))
    delivery = property(lambda self: self._get("delivery"))

    # -- how each is made ----------------------------------------------------------------------

    async def _make_project(self) -> str:
        project = await self.layers.projects.create(name="Acme Coffee", timezone="UTC",
                                                    customer_external_id="acme-1")
        return project.id

    async def _make_job(self) -> str:
        return self.fake.create_job(project_id=await self._need("project"), duration=10_000)

    async def _make_container(self) -> str:
        job = await self.layers.content.generate(await self._need("project"), format="auto")
        return (await job.wait()).containers[0]

    async def _make_in_review(self) -> str:
        """A completed container waiting for review (the project reviews everything)."""
        project = await self._need("project")
        await self.layers.content.update_review_policy(project, policy="review_all")
        job = await self.layers.content.generate(project, format="auto")
        return (await job.wait()).containers[0]

    async def _make_asset(self) -> str:
        container = await self.layers.content.get(await self._need("container"))
        return container.assets[0].asset_id

    async def _make_account(self) -> str:
        return self.fake.connect_social_account(await self._need("project"))

    async def _make_scheduled_post(self) -> str:
        container, account = await self._need("container"), await self._need("account")
        answer = await self.layers.content.schedule(
            container, scheduled_for=self.fake.utcnow() + timedelta(days=1),
            targets=[PublishTarget(social_account_id=account, mode="direct_publish")])
        return answer.scheduled_post_ids[0]

    async def _make_influencer(self) -> str:
        job = await self.layers.influencers.create(await self._need("project"), gender="female",
                                                   age_range="adult", prompt="A barista")
        return str((await job.wait())["influencerId"])

    async def _make_child_org(self) -> str:
        return self.fake.add_org(name="Acme Child", parent_id=self.fake.organization_id)

    async def _make_suspended_org(self) -> str:
        org = await self._need("child_org")
        await self.layers.organizations.suspend(org)
        return org

    async def _make_child_key(self) -> str:
        minted = await self.layers.organizations.api_keys.create(
            await self._need("child_org"), name="child", scopes=["projects:read"])
        return minted.api_key.id

    async def _make_spare_key(self) -> str:
        return self.fake.key_id(self.fake.add_key(name="spare"))

    async def _make_github_state(self) -> str:
        return (await self.layers.github.install_url("https://example.com/back")).state

    async def _make_installation(self) -> str:
        await self.layers.github.register_installation(424242, await self._need("github_state"))
        return "424242"

    async def _make_sdk_app(self) -> str:
        app = await self.layers.sdk_apps.create(await self._need("project"), name="Acme iOS",
                                                platform="ios", bundle_id="com.acme.ios")
        assert app.app_id is not None
        return app.app_id

    async def _make_media(self) -> str:
        asset = await self.layers.media.upload_inline(await self._need("project"), PNG,
                                                      kind="image", mime_type="image/png")
        return asset.media_id

    async def _make_upload(self) -> str:
        """A presigned upload whose bytes are on the upload host, not yet finalized."""
        presign = await self.layers.media.presign(
            await self._need("project"), kind="image", mime_type="image/png",
            filename="logo.png", size_bytes=len(PNG))
        assert presign.upload_url is not None
        async with aiohttp.ClientSession() as session, session.put(
                presign.upload_url, data=PNG, headers=presign.headers) as answer:
            assert answer.status < 300, await answer.text()
        return presign.upload_id

    async def _make_oauth_state(self) -> str:
        url = await self.layers.social_accounts.oauth_url(
            await self._need("project"), platform="tiktok", return_url="https://example.com/b")
        return url.state

    async def _make_lease_request(self) -> str:
        lease = await self.layers.leased_accounts.request(
            await self._need("project"), count=1, niche={"vertical": "coffee"})
        return lease.request_id

    async def _make_endpoint(self) -> str:
        created = await self.layers.webhook_endpoints.create(
            url=f"{self.fake.base_url}/hooks/acme", events=["content.approved"])
        return created.endpoint.id

    async def _make_delivery(self) -> str:
        await self._need("endpoint")
        made = self.fake.emit_event("content.approved", {"containerId": "cnt_1"})
        await self.fake.wait_for_webhook_attempts(1)
        return made[0]


Call = Callable[[AsyncLayers, World], Any]


@attrs.frozen
class Case:
    """How to call one operation, and the values of query parameters it must send (every
    value of the name, in order: a list filter travels as the name repeated).

    The world prepares every id the call reads (the attribute names in its code) plus
    ``also``: state the call needs but does not name (a registered GitHub installation).
    """

    call: Call
    query: Mapping[str, list[str]] = attrs.field(factory=dict)
    also: tuple[str, ...] = ()

    def needs(self) -> tuple[str, ...]:
        """The names the call reads, then ``also``."""
        return self.call.__code__.co_names + self.also


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CASES: dict[str, Case] = {
    # -- Organizations ---------------------------------------------------------------------
    "getWhoami": Case(lambda c, w: c.whoami()),
    "createOrganization": Case(lambda c, w: c.organizations.create(
        name="Acme EU", metadata={"region": "eu"}, billing_email="ops@acme.test")),
    "listOrganizations": Case(lambda c, w: c.organizations.list(status="active", limit=5)),
    "getOrganization": Case(lambda c, w: c.organizations.get(w.child_org)),
    "patchOrganization": Case(lambda c, w: c.organizations.update(
        w.child_org, name="Acme EU 2", metadata={"tier": "gold"}, billing_email=None)),
    "archiveOrganization": Case(lambda c, w: c.organizations.archive(w.child_org)),
    "suspendOrganization": Case(lambda c, w: c.organizations.suspend(w.child_org)),
    "resumeOrganization": Case(lambda c, w: c.organizations.resume(w.suspended_org)),
    "migrateOrganizations": Case(lambda c, w: c.organizations.migrate({w.project: "Acme NA"})),
    "getChildCredits": Case(lambda c, w: c.organizations.credits.get(w.child_org)),
    "allocateChildCredits": Case(lambda c, w: c.organizations.credits.allocate(
        w.child_org, credits=100, description="April", metadata={"po": "42"})),
    "listChildCreditEvents": Case(lambda c, w: c.organizations.credits.events(
        w.child_org, event_type="allocation", since=SINCE, until=UNTIL, limit=10)),
    "getChildCreditConfig": Case(lambda c, w: c.organizations.credit_config.get(w.child_org)),
    "patchChildCreditConfig": Case(lambda c, w: c.organizations.credit_config.update(
        w.child_org, monthly_credit_cap=1000, refill_threshold=100, refill_amount=500)),
    "mintChildApiKey": Case(lambda c, w: c.organizations.api_keys.create(
        w.child_org, name="ci", scopes=["projects:read"], env="test")),
    "listChildApiKeys": Case(lambda c, w: c.organizations.api_keys.list(w.child_org, limit=5)),
    "rotateChildApiKey": Case(lambda c, w: c.organizations.api_keys.rotate(
        w.child_org, w.child_key)),
    "revokeChildApiKey": Case(lambda c, w: c.organizations.api_keys.revoke(
        w.child_org, w.child_key)),
    # -- Credits -----------------------------------------------------------------------------
    "getCredits": Case(lambda c, w: c.credits.get()),
    "listCreditEvents": Case(lambda c, w: c.credits.events(
        project_id=w.project, event_type="usage", since=SINCE, until=UNTIL, limit=10)),
    # -- API keys ----------------------------------------------------------------------------
    "killApiKey": Case(lambda c, w: c.api_keys.kill(w.spare_key)),
    "deleteApiKey": Case(lambda c, w: c.api_keys.delete(w.spare_key)),
    "rotateApiKey": Case(lambda c, w: c.api_keys.rotate(w.spare_key)),
    # -- Audit log ---------------------------------------------------------------------------
    "listAuditLog": Case(lambda c, w: c.audit_log.list(
        event_type="project.created", project_id=w.project, api_key_id=w.fake.api_key_id,
        since=SINCE, until=UNTIL, limit=10)),
    # -- Projects ----------------------------------------------------------------------------
    "createProject": Case(lambda c, w: c.projects.create(
        name="Acme Tea", timezone="Europe/Paris", customer_external_id="acme-2",
        primary_language="fr", owner_email="tea@acme.test", app_name="Acme Tea",
        app_description="Tea, brewed. " * 10, metadata={"plan": "pro"})),
    "listProjects": Case(lambda c, w: c.projects.list(
        customer_external_id="acme-1", status="active", search="Acme", limit=5)),
    "getProject": Case(lambda c, w: c.projects.get(w.project)),
    "patchProject": Case(lambda c, w: c.projects.update(
        w.project, name="Acme Coffee 2", owner_email="o@acme.test", timezone="UTC",
        primary_language="en", app_name=None, tagline="Good coffee", brand_voice="witty",
        metadata={"plan": "pro"})),
    "archiveProject": Case(lambda c, w: c.projects.archive(w.project)),
    # -- Ingest ------------------------------------------------------------------------------
    "ingestGithub": Case(lambda c, w: c.ingest.github(
        w.project, repo_full_name="acme/acme-mobile", branch="main", open_pr=True,
        platforms=["ios"], pr_title="Add Layers", pr_body="Adds the SDK."),
        also=("installation",)),
    "ingestWebsite": Case(lambda c, w: c.ingest.website(
        w.project, url="https://acme.test", follow_links=True, max_pages=5)),
    "ingestAppstore": Case(lambda c, w: c.ingest.appstore(
        w.project, ios_bundle_id="com.acme.ios", android_package="com.acme.android",
        country_code="US")),
    # -- GitHub ------------------------------------------------------------------------------
    "getGithubInstallUrl": Case(lambda c, w: c.github.install_url(
        "https://example.com/back", state="opaque-1")),
    "registerGithubInstallation": Case(lambda c, w: c.github.register_installation(
        777, w.github_state)),
    "getGithubInstallation": Case(lambda c, w: c.github.installation(),
                                  also=("installation",)),
    "listGithubRepos": Case(lambda c, w: c.github.repos(search="acme", limit=5),
                            also=("installation",)),
    # -- SDK apps ----------------------------------------------------------------------------
    "createSdkApp": Case(lambda c, w: c.sdk_apps.create(
        w.project, name="Acme Android", platform="android", android_package="com.acme.android",
        app_id="acme-android")),
    "patchSdkApp": Case(lambda c, w: c.sdk_apps.update(
        w.project, w.sdk_app, name="Acme iOS 2", bundle_id="com.acme.ios2",
        capi={"meta": True}, rotate_key=True)),
    "getSdkInstallSpec": Case(lambda c, w: c.sdk_apps.install_spec(
        w.project, w.sdk_app, platforms=["ios", "web"]),
        query={"platforms": ["ios,web"]}),  # the spec: one comma-separated string
    # -- Keywords ----------------------------------------------------------------------------
    "listKeywords": Case(lambda c, w: c.keywords.list(w.project)),
    "refreshKeywords": Case(lambda c, w: c.keywords.refresh(w.project)),
    # -- Media -------------------------------------------------------------------------------
    "uploadAppMedia": Case(lambda c, w: c.media.import_app_media(
        w.project, kind="logo", url="https://cdn.acme.test/logo.png")),
    "uploadMediaInline": Case(lambda c, w: c.media.upload_inline(
        w.project, PNG, kind="image", mime_type="image/png", filename="logo.png")),
    "presignMediaUpload": Case(lambda c, w: c.media.presign(
        w.project, kind="image", mime_type="image/png", filename="logo.png",
        size_bytes=len(PNG), checksum_sha256=_sha(PNG))),
    "finalizeMediaUpload": Case(lambda c, w: c.media.finalize(
        w.project, w.upload, checksum_sha256=_sha(PNG))),
    # -- Jobs --------------------------------------------------------------------------------
    "getJob": Case(lambda c, w: c.jobs.get(w.job)),
    "cancelJob": Case(lambda c, w: c.jobs.cancel(w.job)),
    # -- Content -----------------------------------------------------------------------------
    "generateContent": Case(lambda c, w: c.content.generate(
        w.project, format="video_remix", variant_count=2, brief={"topic": "Cold brew"})),
    "listContainers": Case(lambda c, w: c.content.list(
        w.project, status=["completed", "failed"], format=["video-remix", "ugc-remix"],
        creative_type="generated", since=SINCE, until=UNTIL, limit=5),
        query={"status": ["completed", "failed"], "format": ["video-remix", "ugc-remix"]}),
    "generateVideoRemix": Case(lambda c, w: c.content.video_remix(
        w.project, tiktok_video_id="72345", social_account_id=w.account)),
    "generateSlideshowRemix": Case(lambda c, w: c.content.slideshow_remix(
        w.project, tiktok_video_id="72346", social_account_id=w.account)),
    "generateUgcRemix": Case(lambda c, w: c.content.ugc_remix(
        w.project, influencer_id="inf_1", hook="Wait for it", media_id=w.media)),
    "generateSlideshowBuilder": Case(lambda c, w: c.content.slideshow_builder(
        w.project, hook="3 apps", influencer_id=w.influencer)),
    "listSourceRecommendations": Case(lambda c, w: c.content.source_recommendations(
        w.project, keyword="coffee", kind="video", limit=3)),
    "listHooks": Case(lambda c, w: c.content.hooks(w.project)),
    "createUploadSession": Case(lambda c, w: c.content.create_upload(
        w.project, grouping="per-file",
        files=[{"filename": "teaser.mp4", "contentType": "video/mp4", "sizeBytes": 4821}])),
    "getContainer": Case(lambda c, w: c.content.get(w.container)),
    "getContainerProgress": Case(lambda c, w: c.content.progress(w.container)),
    "getAsset": Case(lambda c, w: c.content.asset(w.container, w.asset)),
    "regenerateContainer": Case(lambda c, w: c.content.regenerate(
        w.container, brief={"topic": "Iced"}, preserve_assets=True)),
    "cloneFromPost": Case(lambda c, w: c.content.clone_from_post(
        NEW_CONTAINER, project_id=w.project, source_platform_post_id="738591", mode="fork",
        variations=2)),
    # -- Approval ----------------------------------------------------------------------------
    "approveContainer": Case(lambda c, w: c.content.approve(w.in_review, note="Looks good")),
    "rejectContainer": Case(lambda c, w: c.content.reject(w.in_review, reason="Off brand")),
    "getContentReviewPolicy": Case(lambda c, w: c.content.review_policy(w.project)),
    "patchContentReviewPolicy": Case(lambda c, w: c.content.update_review_policy(
        w.project, policy="review_first_n", first_n=3)),
    # -- Publishing --------------------------------------------------------------------------
    "scheduleContainer": Case(lambda c, w: c.content.schedule(
        w.container, scheduled_for=w.fake.utcnow() + timedelta(hours=2),
        targets=[PublishTarget(social_account_id=w.account, mode="direct_publish",
                               caption_override="Brewed.")])),
    "publishContainer": Case(lambda c, w: c.content.publish(
        w.container, targets=[{"socialAccountId": w.account, "mode": "direct_publish"}])),
    "getScheduledPost": Case(lambda c, w: c.scheduled_posts.get(w.scheduled_post)),
    "cancelScheduledPost": Case(lambda c, w: c.scheduled_posts.cancel(
        w.scheduled_post, reason="Changed plans")),
    "listScheduledPosts": Case(lambda c, w: c.scheduled_posts.list(
        w.project, status=["queued", "published"], social_account_id="sa_1", since=SINCE,
        until=UNTIL, limit=5), query={"status": ["queued", "published"]}),
    "reschedulePost": Case(lambda c, w: c.scheduled_posts.reschedule(
        w.scheduled_post, scheduled_for=w.fake.utcnow() + timedelta(days=2))),
    # -- Influencers -------------------------------------------------------------------------
    "createInfluencer": Case(lambda c, w: c.influencers.create(
        w.project, gender="male", age_range="young_adult", prompt="A roaster", name="Sam",
        influencer_id="7d18b9a1-8b2c-4f3e-a4d5-6e7f8a9b0c1d")),
    "listInfluencers": Case(lambda c, w: c.influencers.list(w.project, status="ready",
                                                            limit=5)),
    "getInfluencer": Case(lambda c, w: c.influencers.get(w.influencer)),
    "patchInfluencer": Case(lambda c, w: c.influencers.update(
        w.influencer, name="Ana", gender="female", age_range=None, brand_voice="warm",
        language="es")),
    "deleteInfluencer": Case(lambda c, w: c.influencers.delete(w.influencer,
                                                               reason="Retired")),
    "cloneInfluencer": Case(lambda c, w: c.influencers.clone(
        w.influencer, name="Ana 2", overrides={"brandVoice": "casual"})),
    # -- Metrics -----------------------------------------------------------------------------
    "listTopPerformers": Case(lambda c, w: c.metrics.top_performers(
        w.project, metric="views", window="30d", source_type=["content_container", "manual"],
        platform=["tiktok", "instagram"], limit=5, include_ineligible=True),
        query={"sourceType": ["content_container", "manual"], "platform": ["tiktok", "instagram"],
               "includeIneligible": ["true"]}),
    "getMetrics": Case(lambda c, w: c.metrics.get(
        w.project, scope="project", id=w.project, metrics=["views", "likes"], since=SINCE,
        until=UNTIL, granularity="day"), query={"metrics": ["views", "likes"]}),
    # -- Social accounts ---------------------------------------------------------------------
    "createSocialOAuthUrl": Case(lambda c, w: c.social_accounts.oauth_url(
        w.project, platform="instagram", return_url="https://example.com/back",
        scopes=["publish"], usage_note="Posting for Acme")),
    "getSocialOAuthStatus": Case(lambda c, w: c.social_accounts.oauth_status(w.oauth_state)),
    "listSocialAccounts": Case(lambda c, w: c.social_accounts.list(
        w.project, platform="tiktok", status="connected", leased=False, limit=5)),
    "revokeSocialAccount": Case(lambda c, w: c.social_accounts.revoke(w.account)),
    # -- Leased accounts ---------------------------------------------------------------------
    "requestLeasedAccounts": Case(lambda c, w: c.leased_accounts.request(
        w.project, count=2, niche={"vertical": "coffee"}, target="tiktok", note="Spring")),
    "getLeaseRequest": Case(lambda c, w: c.leased_accounts.get_request(
        w.project, w.lease_request)),
    "listLeasedAccounts": Case(lambda c, w: c.leased_accounts.list(w.project,
                                                                   status="assigned")),
    # -- Webhooks ----------------------------------------------------------------------------
    "createWebhookEndpoint": Case(lambda c, w: c.webhook_endpoints.create(
        url="https://hooks.acme.test/layers", events=["job.completed", "post.published"],
        description="Prod", metadata={"team": "ops"}, project_id=w.project)),
    "listWebhookEndpoints": Case(lambda c, w: c.webhook_endpoints.list(
        project_id=w.project, status="active", limit=5)),
    "updateWebhookEndpoint": Case(lambda c, w: c.webhook_endpoints.update(
        w.endpoint, url="https://hooks.acme.test/v2", events=["job.failed"],
        description=None, status="paused")),
    "deleteWebhookEndpoint": Case(lambda c, w: c.webhook_endpoints.delete(w.endpoint)),
    "rotateWebhookSecret": Case(lambda c, w: c.webhook_endpoints.rotate_secret(w.endpoint)),
    "testWebhookEndpoint": Case(lambda c, w: c.webhook_endpoints.test(
        w.endpoint, payload={"hello": "world"})),
    "listWebhookDeliveries": Case(lambda c, w: c.webhook_endpoints.deliveries(
        w.endpoint, event_type="content.approved", status="failed", limit=5)),
    "replayWebhookDelivery": Case(lambda c, w: c.webhook_deliveries.replay(w.delivery)),
}


def test_the_table_covers_exactly_the_94_operations() -> None:
    """CASES names every operationId of operations.tsv once, and nothing else."""
    assert 94 == len(TSV)
    assert set(TSV) == set(CASES)


def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(path)))


async def _answer(op: Operation[Any], value: Any) -> Any:
    """What the call returned, checked to decode; for a list, its first page's items."""
    if op.job is not None:
        assert isinstance(value, Job)
        return value
    if op.pages:
        assert isinstance(value, AsyncPaginator)
        pages = value.pages()
        assert isinstance(pages, AsyncGenerator)
        async with aclosing(pages):
            page = await anext(pages)
        assert all(isinstance(item, op.response) for item in page.items)
        return page
    assert isinstance(value, op.response)
    return value


@pytest.mark.parametrize("operation_id", sorted(CASES))
async def test_operation_sends_what_the_spec_names_and_decodes(operation_id: str) -> None:
    """One call: journal entry's method, path, key, body and query as documented; it decodes."""
    case, op = CASES[operation_id], LIBRARY[operation_id]
    method, template, spec = BY_ID[operation_id]
    async with FakeLayers(time_scale=1000, job_duration=2) as fake, fake.client() as layers:
        world = World(fake, layers)
        await world.prepare(case.needs())
        mark = len(fake.journal)
        value = case.call(layers, world)
        await _answer(op, await value if inspect.isawaitable(value) else value)
        sent = list(fake.journal[mark:])
    assert 1 == len(sent), [f"{e.method} {e.path}" for e in sent]
    entry = sent[0]
    assert entry.status is not None, entry.path
    assert entry.status < 300, entry.json
    assert method == entry.method
    assert _template(template).fullmatch(entry.path), entry.path
    assert (method in MUTATIONS) == ("Idempotency-Key" in entry.headers)
    body = entry.json if entry.json is not None else {}
    assert isinstance(body, dict)
    assert set() == set(body) - body_properties(spec)
    assert any(required <= set(body) for required in required_body_alternatives(spec))
    names = set(entry.query_all)
    if operation_id in UNDOCUMENTED_PAGING:
        names -= PAGE_QUERY
    assert set() == names - query_parameters(spec)
    assert required_query_parameters(spec) <= names
    once = names - repeatable_query_parameters(spec)
    assert dict.fromkeys(once, 1) == {name: len(entry.query_all[name]) for name in once}
    assert dict(case.query) == {name: entry.query_all.get(name) for name in case.query}
