"""Everything the fake remembers: organizations, keys, projects, jobs, faults, journal."""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._clock import Clock
from ._events import content_generated
from ._ids import Ids
from ._jobs import (
    CONTENT_GENERATE,
    DURATIONS,
    INGEST_APPSTORE,
    INGEST_GITHUB,
    INGEST_WEBSITE,
    QUICKSTART_KINDS,
    QUICKSTART_STAGES,
    JobRecord,
    JobScript,
    job_view,
    stage_timing,
)
from ._ratelimit import DailyWrites, RateLimiter
from ._records import KEY_PATTERN, KeyRecord, Org, Project
from ._rest_state import RestWorld
from ._seed import REPO_NAMES, credit_events, default_result, empty_brand, repo
from ._webhooks import Webhooks

if TYPE_CHECKING:
    from ._faults import Faults
    from ._idempotency import StoredResponse
    from ._journal import JournalEntry

TIERS = ("standard", "pilot", "partner")
AUTH_MODES = ("both", "bearer")
#: Which generation of the docs the answers follow: the newest, or the quickstart's (older).
DOCS = ("newest", "quickstart")


class State:
    """The fake's whole world; handlers and middlewares reach it through ``STATE``."""

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int,
        tier: str,
        auth: str,
        rate_limits: bool,
        max_running_jobs: int | None,
        credits: int,
        faults: Faults,
        write_daily_cap: int | None = None,
        return_url_hosts: frozenset[str] | None = None,
        docs: str = "newest",
        unique_customer_ids: bool = True,
        job_duration: float | None = None,
        stage_spread: float = 0.5,
        webhook_retry: str = "schedule",
    ) -> None:
        if docs not in DOCS:
            raise ValueError(f"docs must be one of {DOCS}")
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        if auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {AUTH_MODES}")
        if max_running_jobs is not None and max_running_jobs < 0:
            raise ValueError("max_running_jobs must be >= 0")
        if write_daily_cap is not None and write_daily_cap < 1:
            raise ValueError("write_daily_cap must be >= 1 or None")
        self.clock = clock
        self.docs = docs
        self.unique_customer_ids = unique_customer_ids
        if job_duration is not None and not job_duration >= 0:
            raise ValueError("job_duration must be >= 0 API seconds, or None")
        self.job_duration = job_duration
        if not 0 <= stage_spread < 1:
            raise ValueError("stage_spread must be in [0, 1)")
        self.stage_spread = stage_spread
        self.ids = Ids(seed, prefixed=docs == "newest")
        self.job_rng = random.Random(f"layers-fake-jobs:{seed}")
        self.data_rng = random.Random(f"layers-fake-data:{seed}")
        self.auth = auth
        self.rate_limits = rate_limits
        self.max_running_jobs = max_running_jobs
        self.limiter = RateLimiter()
        self.daily_writes = DailyWrites()
        self.write_daily_cap = write_daily_cap
        self.return_url_hosts = return_url_hosts
        self.faults = faults
        self.journal: list[JournalEntry] = []
        self.orgs: dict[str, Org] = {}
        self.keys: dict[str, KeyRecord] = {}
        self.keys_by_public_id: dict[str, KeyRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.scripts: deque[JobScript] = deque()
        self.idempotency: dict[tuple[str, str, str, str, str], StoredResponse] = {}
        self._heap_counter = 0
        self.audit_seq = 0  # orders audit events across organizations
        self.rest = RestWorld(random.Random(f"layers-fake-upload:{seed}").randbytes(32))
        self.webhooks = Webhooks(self, retry=webhook_retry)
        self.default_org = self.add_org(name="Acme Growth", tier=tier, credits=credits)

    # -- organizations and keys -------------------------------------------------------------

    def add_org(self, *, name: str, tier: str, credits: int, parent_id: str | None = None) -> Org:
        """Create an organization with seeded credit events and repositories."""
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        if parent_id is not None and parent_id not in self.orgs:
            raise ValueError(f"unknown parent organization {parent_id!r}")
        now = self.clock.now()
        org = Org(
            id=self.ids.id("org"),
            name=name,
            tier=tier,
            credits=credits,
            parent_id=parent_id,
            created_at=now,
            updated_at=now,
        )
        org.credit_events = credit_events(self.ids, self.data_rng, self.clock)
        org.repos = [repo(self.data_rng, f"acme/{name}", i) for i, name in enumerate(REPO_NAMES)]
        self.orgs[org.id] = org
        return org

    def child_org(self, parent: Org, org_id: str) -> Org | None:
        """A direct child of ``parent`` by ``org_<uuid>`` or bare UUID; None for any other org."""
        child = self.orgs.get(self.ids.canonical("org", org_id))
        if child is None or child.parent_id != parent.id:
            return None
        return child

    def add_key(
        self,
        org: Org,
        *,
        env: str,
        scopes: tuple[str, ...],
        tier: str,
        name: str,
        return_url_hosts: frozenset[str] | None = None,
    ) -> KeyRecord:
        """Mint a key for ``org`` (``return_url_hosts`` None: the fake's default allowlist)."""
        if env not in ("live", "test"):
            raise ValueError("env must be 'live' or 'test'")
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        if return_url_hosts is None:
            return_url_hosts = self.return_url_hosts
        key = KeyRecord(
            id=self.ids.id("key"),
            org_id=org.id,
            env=env,
            public_id=self.ids.key_public_id(),
            secret=self.ids.key_secret(),
            scopes=scopes,
            tier=tier,
            name=name,
            created_at=self.clock.now(),
            return_url_hosts=return_url_hosts,
        )
        self.keys[key.id] = key
        self.keys_by_public_id[key.public_id] = key
        return key

    def rotate_key(self, key: KeyRecord) -> None:
        """Give ``key`` a new public id and secret; the old string stops working at once."""
        del self.keys_by_public_id[key.public_id]
        key.public_id = self.ids.key_public_id()
        key.secret = self.ids.key_secret()
        key.rotated_at = self.clock.now()
        self.keys_by_public_id[key.public_id] = key

    def key_by_string(self, full_key: str) -> KeyRecord | None:
        """The key a full key string names, if it parses and its secret matches."""
        match = KEY_PATTERN.match(full_key)
        if match is None:
            return None
        key = self.keys_by_public_id.get(match.group(2))
        if key is None or key.secret != match.group(3):
            return None
        return key

    def find_key(self, org: Org, key_id: str) -> KeyRecord | None:
        """A key of ``org`` by ``key_<uuid>`` or bare UUID; other orgs' keys are invisible."""
        key = self.keys.get(self.ids.canonical("key", key_id))
        if key is None or key.org_id != org.id:
            return None
        return key

    # -- projects ---------------------------------------------------------------------------

    def find_project(self, org: Org, project_id: str) -> Project | None:
        """A project of ``org`` by ``prj_<uuid>`` or bare UUID."""
        return org.projects.get(self.ids.canonical("prj", project_id))

    def add_project(
        self,
        org: Org,
        *,
        name: str,
        timezone: str,
        primary_language: str = "en",
        customer_external_id: str | None = None,
        owner_email: str | None = None,
        metadata: dict[str, Any] | None = None,
        brand_context: dict[str, Any] | None = None,
    ) -> Project:
        """Insert a project row."""
        now = self.clock.now()
        org.project_seq += 1
        project = Project(
            id=self.ids.id("prj"),
            seq=org.project_seq,
            organization_id=org.id,
            name=name,
            timezone=timezone,
            primary_language=primary_language,
            customer_external_id=customer_external_id,
            owner_email=owner_email,
            metadata=metadata,
            created_at=now,
            updated_at=now,
            brand_context=brand_context,
            # The quickstart prints null (no approval gate set); the newest examples print 0.
            first_n_posts_blocked=None if self.docs == "quickstart" else 0,
        )
        org.projects[project.id] = project
        return project

    def default_project(self, org: Org) -> Project:
        """A project for jobs created without one (made on first use)."""
        if org.default_project_id is None:
            project = self.add_project(org, name="Fake jobs project", timezone="UTC")
            org.default_project_id = project.id
        return org.projects[org.default_project_id]

    # -- jobs -------------------------------------------------------------------------------

    def take_script(self, kind: str, params: Mapping[str, Any]) -> JobScript | None:
        """Pop the first queued script this job matches (FIFO)."""
        for script in self.scripts:
            if script.matches(kind, params):
                self.scripts.remove(script)
                return script
        return None

    def start_job(
        self,
        org: Org,
        project: Project,
        *,
        kind: str,
        params: Mapping[str, Any],
        script: JobScript | None,
    ) -> JobRecord:
        """Record a running job; its later states are computed on read."""
        now = self.clock.now()
        duration = script.duration if script and script.duration is not None else None
        if duration is None:
            duration = self.job_duration
        if duration is None:
            low, high = DURATIONS.get(kind, (5.0, 10.0))
            duration = self.job_rng.uniform(low, high)
        if duration < 0:
            raise ValueError("duration must be >= 0")
        if script is not None and script.outcome not in ("completed", "failed", "canceled"):
            raise ValueError("outcome must be completed, failed or canceled")
        result = default_result(self.ids, self.data_rng, kind, project, params)
        if script is not None and script.result is not None:
            result.update(script.result)
        job = JobRecord(
            id=f"job_{self.ids.ulid(self.clock.epoch_ms(now))}",
            kind=kind,
            org_id=org.id,
            project_id=project.id,
            started_at=now,
            duration=duration,
            outcome=script.outcome if script else "completed",
            error_code=script.error_code if script else "INGEST_FAILED",
            error_message=script.error_message if script else "The ingest job failed.",
            result=result,
            params=dict(params),
        )
        if self.docs == "quickstart":
            job.printed_kind = QUICKSTART_KINDS.get(kind)
            job.plan = QUICKSTART_STAGES.get(kind)
        job.timing = stage_timing(job.stages(), self.stage_spread, self.job_rng)
        self.jobs[job.id] = job
        org.running_count += 1
        self.push_running(org, job)
        repo = params.get("repoFullName")
        if kind == INGEST_GITHUB and isinstance(repo, str):
            self.note_repo(org, repo)
        return job

    def push_running(self, org: Org, job: JobRecord) -> None:
        """(Re)schedule ``job`` in its org's heap of running jobs by terminal time."""
        self._heap_counter += 1
        heapq.heappush(org.running, (job.terminal_at(), self._heap_counter, job.id))
        self.webhooks.poke()  # the webhook pump fires at the new terminal time

    def settle(self, org: Org) -> None:
        """Apply the side effects of every job of ``org`` that has reached a terminal state
        (emitting their events), and run the webhook timers that are due."""
        self.webhooks.fire_due()
        now = self.clock.now()
        while org.running and org.running[0][0] <= now:
            _, _, job_id = heapq.heappop(org.running)
            job = self.jobs[job_id]
            if job.settled:
                continue
            view = job_view(job, now)
            if not view.terminal:  # stale entry; cannot happen since cancels only move earlier
                self.push_running(org, job)
                continue
            job.settled = True
            org.running_count -= 1
            self._apply_effects(org, job, view.status, view.finished_at or now)
            self.webhooks.job_ended(
                org,
                job.id,
                job.wire_kind,
                view.status,
                result=job.result,
                error={"code": job.error_code, "message": job.error_message},
                project_id=job.project_id,
            )
            if job.kind == CONTENT_GENERATE and view.status == "completed":
                content_generated(self, org, job.id)

    def seconds_until_a_job_ends(self, org: Org) -> float:
        """API seconds until the next running job of ``org`` finishes."""
        if not org.running:
            return 1.0
        return max(org.running[0][0] - self.clock.now(), 0.0)

    def _apply_effects(self, org: Org, job: JobRecord, status: str, finished_at: float) -> None:
        if job.kind == CONTENT_GENERATE:
            org.credits -= org.content.settle(job.id, status, finished_at)
            return
        project = org.projects.get(job.project_id)
        if project is None:
            return
        source = {INGEST_GITHUB: "github", INGEST_WEBSITE: "website", INGEST_APPSTORE: "appstore"}
        name = source.get(job.kind)
        if name is None:
            return
        project.ingest_state[name] = {
            "status": status,
            "jobId": job.id,
            "completedAt": self.clock.iso(finished_at) if status == "completed" else None,
        }
        if status == "completed":
            brand = job.result.get("brandContext")
            if isinstance(brand, Mapping):
                merged = dict(project.brand_context or empty_brand(project.primary_language))
                merged.update(brand)
                project.brand_context = merged
            if job.kind == INGEST_APPSTORE:
                project.platform_ios_bundle_id = job.params.get("iosBundleId")
                project.platform_android_bundle_id = job.params.get("androidPackage")
            if job.kind == INGEST_WEBSITE:
                url = str(job.params.get("url", ""))
                project.platform_web_domain = url.split("://", 1)[-1].split("/", 1)[0] or None
        project.updated_at = max(project.updated_at, finished_at)

    # -- seeded data ------------------------------------------------------------------------

    def note_repo(self, org: Org, full_name: str) -> None:
        """Make a repo named in an ingest visible to the installation."""
        if any(known["fullName"] == full_name for known in org.repos):
            return
        org.repos.append(repo(self.data_rng, full_name, len(org.repos)))
