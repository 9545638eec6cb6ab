"""Jobs end to end against FakeLayers: waiting, watching, cancelling, sharing polls."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections import Counter
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from layers_async import (
    AsyncLayers,
    CancelResult,
    IngestAppstoreResult,
    IngestGithubResult,
    IngestWebsiteResult,
    Job,
    JobCanceledError,
    JobFailedError,
    JobSnapshot,
    JobStatus,
    JobTimeoutError,
    NotFoundError,
    PollPolicy,
    SdkConfig,
)
from layers_async._job import JobState
from layers_async._many import Sweep
from layers_async.testing import FakeLayers

pytestmark = pytest.mark.anyio

SCALE = 1000.0


def polls_of(fake: FakeLayers, job_id: str) -> list[int | None]:
    """Statuses of every GET /v1/jobs/{job_id} the fake received."""
    return [e.status for e in fake.journal if e.method == "GET" and e.path == f"/v1/jobs/{job_id}"]


def client_tasks() -> int:
    """Tasks alive now, leaving out the fake server's per-connection handlers."""
    names = [getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks()]
    return len([n for n in names if not n.startswith("RequestHandler.")])


async def started(layers: AsyncLayers, repo: str = "acme/acme-mobile") -> Job[IngestGithubResult]:
    """A project, the installation, and a GitHub ingest job on it."""
    project = await layers.projects.create(name="Acme Mobile", customer_external_id=repo,
                                           timezone="America/Los_Angeles")
    await layers.github.register_installation(56781234, "gh_state_from_install_url_callback")
    return await layers.ingest.github(project.id, repo_full_name=repo, branch="main",
                                      open_pr=True, platforms=["ios"])


async def test_quickstart_end_to_end() -> None:
    """whoami -> create project -> register installation -> ingest -> wait: a typed result."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        me = await layers.whoami()
        job = await started(layers)
        result = await job.wait()
    assert "standard" == me.rate_limit_tier
    assert isinstance(result, IngestGithubResult)
    assert result.pr_url is not None
    assert result.pr_url.startswith("https://github.com/acme/acme-mobile/pull/")
    assert result.brand_context is not None
    ingest = next(e for e in fake.journal if e.path.endswith("/ingest/github"))
    assert {"repoFullName": "acme/acme-mobile", "branch": "main", "openPR": True,
            "platforms": ["ios"]} == ingest.json


async def test_failed_job_raises_with_its_error_and_snapshot() -> None:
    """A scripted failure gives JobFailedError carrying code, message and the snapshot."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.script_job(outcome="failed", error_code="REPO_UNREADABLE", error_message="no access")
        job = await started(layers)
        with pytest.raises(JobFailedError) as info:
            await job.wait()
    assert info.value.error is not None
    assert "REPO_UNREADABLE" == info.value.error.code
    assert "no access" == info.value.error.message
    assert info.value.snapshot is not None
    assert JobStatus.FAILED == info.value.snapshot.status
    assert job.id == info.value.job_id


async def test_canceled_job_raises_job_canceled_error() -> None:
    """A job that ends canceled raises JobCanceledError with the final snapshot."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.script_job(outcome="canceled")
        job = await started(layers)
        with pytest.raises(JobCanceledError) as info:
            await job.wait()
    assert info.value.snapshot is not None
    assert JobStatus.CANCELED == info.value.snapshot.status


async def test_terminal_snapshot_is_cached_and_never_polled_again() -> None:
    """A second wait (and refresh) on a finished job sends no request."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        job = await started(layers)
        first = await job.wait()
        count = len(fake.journal)
        again = await job.wait()
        await job.refresh()
        assert first == again
        assert count == len(fake.journal)


async def test_polls_send_if_none_match_and_304_keeps_the_snapshot() -> None:
    """After the first 200 every poll carries the ETag; an unchanged job answers 304."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job = layers.jobs.attach(fake.create_job(duration=1_000_000))  # 1 % per 10 s of loop
        first = await job.refresh()
        second = await job.refresh()
        third = await job.refresh()
    gets = [e for e in fake.journal if e.method == "GET" and e.path == f"/v1/jobs/{job.id}"]
    assert [200, 304, 304] == [e.status for e in gets]
    assert "If-None-Match" not in gets[0].headers
    assert all("If-None-Match" in e.headers for e in gets[1:])
    assert first == second == third


async def test_watch_yields_each_change_and_ends_at_the_terminal_one() -> None:
    """Statuses/stages only move forward, progress never decreases, last one is terminal."""
    seen: list[JobSnapshot] = []
    scale = 100.0  # each stage of a 60 s job lasts >= 9 API s = 90 ms: a 10 ms poll sees it
    every_second = PollPolicy(initial=1.0, maximum=1.0).scaled(1 / scale)
    async with FakeLayers(time_scale=scale, stage_spread=0) as fake, \
            fake.client(poll=every_second) as layers:
        fake.script_job(duration=60)
        fake.script_job(duration=60)
        job = await started(layers)
        async for snapshot in job.watch():
            seen.append(snapshot)
        progress_calls: list[JobSnapshot] = []
        other = await started(layers, "acme/other")
        await other.wait(on_progress=progress_calls.append)
    assert seen[-1].terminal
    assert all(not s.terminal for s in seen[:-1])
    progress = [s.progress or 0.0 for s in seen]
    assert sorted(progress) == progress
    stages = [s.stage for s in seen]
    assert {"cloning", "analyzing", "generating_sdk_patch", "opening_pr"} <= set(stages)
    assert progress_calls[-1].terminal
    assert len(progress_calls) >= 4


async def test_timeout_raises_with_last_snapshot_and_leaves_the_job_running() -> None:
    """JobTimeoutError (a TimeoutError) carries the last snapshot; no cancel is sent."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.script_job(duration=10_000)
        job = await started(layers)
        with pytest.raises(JobTimeoutError) as info:
            await job.wait(timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    assert info.value.snapshot is not None
    assert JobStatus.RUNNING == info.value.snapshot.status
    assert not any(e.path.endswith("/cancel") for e in fake.journal)
    assert "running" == fake.job(job.id)["status"]


async def test_timeout_with_cancel_sends_one_cancel() -> None:
    """on_timeout="cancel" sends exactly one cancel before raising."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.script_job(duration=10_000)
        job = await started(layers)
        with pytest.raises(JobTimeoutError):
            await job.wait(timeout=0.05, on_timeout="cancel")
    cancels = [e for e in fake.journal if e.path == f"/v1/jobs/{job.id}/cancel"]
    assert [202] == [e.status for e in cancels]


async def test_deadline_before_next_poll_gets_one_last_poll_at_the_deadline() -> None:
    """With the next poll 1 s away, a 0.15 s deadline still sees a job done at 0.1 s."""
    slow = PollPolicy(initial=1.0, maximum=1.0)
    async with FakeLayers(time_scale=SCALE) as fake, fake.client(poll=slow) as layers:
        fake.script_job(duration=100)  # 0.1 s of loop time
        job = await started(layers)
        result = await job.wait(timeout=0.15)
    assert isinstance(result, IngestGithubResult)
    assert [200] == polls_of(fake, job.id)


async def test_many_waiters_on_one_job_share_each_poll() -> None:
    """Twenty tasks waiting on one job cost no more polls than one."""
    backoff = PollPolicy(adaptive=False).scaled(1 / SCALE)  # a second job learns nothing
    async with FakeLayers(time_scale=SCALE) as fake, fake.client(poll=backoff) as layers:
        job = await started(layers)
        results: list[object] = []

        async def waiter() -> None:
            results.append(await layers.jobs.attach(job.id).wait())

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(waiter)
        alone = await started(layers, "acme/alone")
        await alone.wait()
    assert 20 == len(results)
    assert len(polls_of(fake, job.id)) <= len(polls_of(fake, alone.id)) + 2


async def test_cancelling_the_waiter_stops_polling_and_leaves_no_task() -> None:
    """Cancelling the awaiting task ends its polls at once; no task is left behind."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.script_job(duration=10_000)
        job = await started(layers)
        before = client_tasks()
        first_poll = anyio.Event()

        def on_progress(snapshot: JobSnapshot) -> None:
            if snapshot.progress is not None:
                first_poll.set()

        async with anyio.create_task_group() as group:
            group.start_soon(job.wait, None, on_progress)
            await first_poll.wait()
            group.cancel_scope.cancel()
        polls = len(polls_of(fake, job.id))
        assert before == client_tasks()
        state = job._state
        assert not state.driving
        assert state.inflight is None
        await anyio.sleep(0.05)  # ten poll intervals of scaled time: nothing may poll
        assert polls == len(polls_of(fake, job.id))


async def test_a_429_on_a_poll_pauses_all_polling_for_its_retry_after() -> None:
    """One 429 pauses every job's polls for Retry-After instead of per-job retries."""
    # At 1/100 time, not 1/1000: the other first polls' next ones fall due 5 API s after
    # them, and the client must have read the 429 by then; 5 ms of wall time is less than
    # one garbage collection of a process that has run the suite up to here.
    async with FakeLayers(time_scale=100, tier="partner") as fake, fake.client() as layers:
        jobs = [layers.jobs.attach(fake.create_job(duration=60)) for _ in range(10)]
        fake.faults.add(status=429, retry_after=20, times=1, route="GET /v1/jobs/{jobId}")
        await layers.jobs.wait_all(jobs)
    polls = [e for e in fake.journal if e.method == "GET" and e.path.startswith("/v1/jobs/")]
    limited = next(e for e in polls if e.status == 429)
    # The first round went out together; every poll sent after the 429 waited for it.
    first_round = {id(next(e for e in polls if e.path == path)) for path in {e.path for e in polls}}
    later = [e for e in polls if id(e) not in first_round]
    assert 10 < len(later)
    assert all(e.at >= limited.at + 19.5 for e in later)
    assert 1 == sum(e.status == 429 for e in polls)


async def test_wait_all_on_a_thousand_jobs_shares_polls_and_leaves_no_task() -> None:
    """1,000 jobs, each waited by two handles: every result arrives, polls are shared."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client(
            max_concurrent_polls=64) as layers:
        ids = [fake.create_job(duration=90 + (i % 150)) for i in range(1000)]
        handles = [layers.jobs.attach(i) for i in ids] + [layers.jobs.attach(i) for i in ids]
        before = client_tasks()
        results = await layers.jobs.wait_all(handles, limit=2000)
        after = client_tasks()
    assert 2000 == len(results)
    assert all(isinstance(r, IngestGithubResult) for r in results)
    assert results[:1000] == results[1000:]
    assert before == after
    per_job = Counter(e.path for e in fake.journal if e.method == "GET")
    assert 1000 == len(per_job)
    # One waiter alone polls a 90-240 s job about 6-12 times; two sharing must not double it.
    assert max(per_job.values()) <= 14


async def test_wait_all_raises_the_first_failure_or_returns_exceptions() -> None:
    """Default: the failure is raised; return_exceptions=True puts it in the list."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        ok = layers.jobs.attach(fake.create_job(duration=50))
        bad = layers.jobs.attach(fake.create_job(duration=20, outcome="failed"))
        with pytest.raises(JobFailedError):
            await layers.jobs.wait_all([ok, bad])
        mixed = await layers.jobs.wait_all([ok, bad], return_exceptions=True)
    assert isinstance(mixed[0], IngestGithubResult)
    assert isinstance(mixed[1], JobFailedError)


async def test_as_completed_yields_jobs_in_finishing_order() -> None:
    """The shortest job comes out first."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        # Ends hundreds of API seconds apart: at 1/1000 time a pause of the whole process
        # (a full garbage collection late in the suite takes 100 ms, 100 API s) can't let a
        # later job end before an earlier one is seen.
        jobs = [layers.jobs.attach(fake.create_job(duration=d)) for d in (900, 10, 450)]
        order: list[str] = []
        async with layers.jobs.as_completed(jobs) as finished:
            async for job in finished:
                order.append(job.id)
                assert job.done
    assert [jobs[1].id, jobs[2].id, jobs[0].id] == order


async def test_cancel_answers_accepted_already_terminal_and_unavailable() -> None:
    """202 accepted, 200 already terminal, 409 JOB_CANCEL_UNAVAILABLE in opening_pr."""
    async with FakeLayers(time_scale=1.0, rate_limits=False, stage_spread=0) as fake, \
            fake.client() as layers:
        running = fake.create_job(duration=100)
        accepted = await layers.jobs.cancel(running)
        done = fake.create_job(duration=0)
        already = await layers.jobs.cancel(done)
        late = fake.create_job(duration=100)
        fake.advance(75)  # opening_pr covers 70-85 % of the job
        unavailable = await layers.jobs.cancel(late)
        fake.advance(30)
        snapshot = await layers.jobs.get(running)
    assert accepted.accepted
    assert not already.accepted
    assert "ALREADY_COMPLETED" == already.reason
    assert not unavailable.accepted
    assert "JOB_CANCEL_UNAVAILABLE" == unavailable.reason
    assert "opening_pr" == unavailable.stage
    assert JobStatus.CANCELED == snapshot.status


async def test_resume_token_picks_up_the_wait_in_another_client() -> None:
    """A token from one client resumes the same job (same cadence) in a fresh client."""
    async with FakeLayers(time_scale=SCALE) as fake:
        async with fake.client() as first:
            job = await started(first)
            async for snapshot in job.watch():
                if snapshot.progress:
                    break
            token = job.resume_token()
        async with fake.client() as second:
            resumed = second.jobs.resume(token)
            assert job.id == resumed.id
            assert "ingest_github" == resumed.kind
            result = await resumed.wait()
    assert isinstance(result, IngestGithubResult)
    assert len(token) < 300


@pytest.mark.parametrize("token", ["", "lj1.!!!", "lj2.e30", "lj1.e30"])
async def test_bad_resume_tokens_are_refused(token: str) -> None:
    """Damaged or foreign tokens raise ValueError before any request."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        with pytest.raises(ValueError, match="token"):
            layers.jobs.resume(token)
    assert [] == list(fake.journal)


async def test_unknown_kind_still_waits_and_returns_the_raw_result() -> None:
    """A kind the library doesn't model returns its raw result mapping."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job = layers.jobs.attach(fake.create_job(kind="keywords_refresh", duration=5,
                                                 result={"keywords": ["a"]}))
        result = await job.wait()
    assert isinstance(result, dict)
    assert ["a"] == result["keywords"]


async def test_unknown_job_is_not_found() -> None:
    """Waiting on a job id the API doesn't know raises NotFoundError."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        with pytest.raises(NotFoundError):
            await layers.jobs.attach("job_DOESNOTEXIST").wait()


async def test_status_going_back_from_terminal_is_ignored_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    """Terminal states are sticky even if a stale 'running' envelope arrives later."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job = layers.jobs.attach(fake.create_job(duration=1))
        await job.wait()
        scheduler = layers._scheduler
        state = job._state
        with caplog.at_level(logging.WARNING, logger="layers_async"):
            scheduler._publish(state, JobSnapshot(id=job.id, status="running"))
    assert job.snapshot is not None
    assert JobStatus.COMPLETED == job.snapshot.status
    assert "went from terminal" in caplog.text


async def test_website_and_appstore_ingests_return_their_typed_results() -> None:
    """Website and store-listing ingests start jobs whose results are typed."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        project = await layers.projects.create(name="Acme Coffee")
        site = await layers.ingest.website(project.id, url="https://acmecoffee.com", max_pages=3)
        store = await layers.ingest.appstore(project.id, ios_bundle_id="com.acmecoffee.ios")
        both: list[Job[Any]] = [site, store]  # mixed result types: the list is Job[Any]
        site_result, store_result = await layers.jobs.wait_all(both)
    assert isinstance(site_result, IngestWebsiteResult)
    assert "https://acmecoffee.com" == site_result.url
    assert isinstance(store_result, IngestAppstoreResult)
    assert "com.acmecoffee.ios" == store_result.ios_bundle_id
    bodies = [e.json for e in fake.journal if e.path.endswith(("/ingest/website",
                                                               "/ingest/appstore"))]
    assert [{"url": "https://acmecoffee.com", "maxPages": 3},
            {"iosBundleId": "com.acmecoffee.ios"}] == bodies


async def test_sdk_config_travels_with_the_api_spelling() -> None:
    """sdk_config (an SdkConfig or a mapping) is sent as sdkConfig with camelCase keys."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        project = await layers.projects.create(name="Acme")
        await layers.github.register_installation(1, "s")
        await layers.ingest.github(project.id, repo_full_name="acme/app", open_pr=False,
                                   sdk_config=SdkConfig(app_name="Acme",
                                                        include_platforms=("ios", "web")),
                                   pr_title="Add Layers")
        await layers.ingest.github(project.id, repo_full_name="acme/app2",
                                   sdk_config={"eventAllowlist": ["purchase"]})
        with pytest.raises(ValueError, match="platform"):
            await layers.ingest.github(project.id, repo_full_name="acme/app3",
                                       sdk_config={"include_platforms": ["palm"]})
    bodies = [e.json for e in fake.journal if e.path.endswith("/ingest/github")]
    assert {"repoFullName": "acme/app", "openPR": False, "prTitle": "Add Layers",
            "sdkConfig": {"appName": "Acme", "includePlatforms": ["ios", "web"]}} == bodies[0]
    assert {"eventAllowlist": ["purchase"]} == bodies[1]["sdkConfig"]
    assert 2 == len(bodies)


async def test_legacy_kind_spelling_still_gives_the_typed_result() -> None:
    """The older docs' 'project_ingest_github' kind decodes to IngestGithubResult."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job_id = fake.create_job(kind="project_ingest_github", duration=5,
                                 result={"prUrl": "https://github.com/a/b/pull/1",
                                         "prNumber": 1})
        result = await layers.jobs.attach(job_id).wait()
    assert isinstance(result, IngestGithubResult)
    assert 1 == result.pr_number


async def test_async_on_progress_callbacks_are_awaited() -> None:
    """on_progress may be a coroutine function; each snapshot is awaited in order."""
    seen: list[str] = []

    async def record(snapshot: JobSnapshot) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(str(snapshot.status))

    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        await layers.jobs.attach(fake.create_job(duration=20)).wait(on_progress=record)
    assert "completed" == seen[-1]
    assert all("running" == s for s in seen[:-1])


async def test_a_slow_poll_cannot_stretch_a_wait_past_its_timeout() -> None:
    """A poll stuck for 10 s is abandoned at the deadline (plus one initial delay)."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job = layers.jobs.attach(fake.create_job(duration=10_000))
        await job.refresh()
        fake.faults.add(delay=10_000, route="GET /v1/jobs/{jobId}")
        with anyio.fail_after(2):  # a hang guard, not a timing assertion
            with pytest.raises(JobTimeoutError):
                await job.wait(timeout=0.05)


async def test_polls_answered_429_with_retry_after_zero_do_not_spin() -> None:
    """Retry-After: 0 on every poll pauses at least a poll delay; the wait still times out."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job = layers.jobs.attach(fake.create_job(duration=10_000))
        fake.faults.add(status=429, retry_after=0, route="GET /v1/jobs/{jobId}")
        with anyio.fail_after(2), pytest.raises(JobTimeoutError):
            await job.wait(timeout=0.1)
    polls = len(polls_of(fake, job.id))
    assert 0 < polls <= 0.1 / 0.005 + 2  # one per 5 ms (the scaled initial delay) at most


async def test_a_refresh_that_sees_the_end_wakes_the_sleeping_waiter() -> None:
    """With the next poll 1 s away, a refresh() seeing 'completed' ends wait() at once."""
    slow = PollPolicy(initial=1.0, maximum=1.0)
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client(
            poll=slow) as layers:
        job_id = fake.create_job(duration=50)
        job = layers.jobs.attach(job_id)
        await job.refresh()  # running; the next scheduled poll is 1 s away
        done = anyio.Event()

        async def waiter() -> None:
            await job.wait()
            done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()  # the waiter now sleeps as the job's driver
            assert layers.jobs.attach(job_id)._state.driving
            fake.advance(60)
            await layers.jobs.attach(job_id).refresh()
            with anyio.fail_after(0.5):  # a hang guard: without the wake-up it takes 1 s
                await done.wait()
    assert [200, 200] == polls_of(fake, job_id)


async def test_joined_polls_share_the_owner_s_error() -> None:
    """Two concurrent refreshes of an unknown job: one request, both get NotFoundError."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        errors: list[BaseException] = []

        async def refresh() -> None:
            try:
                await layers.jobs.attach("job_NOPE").refresh()
            except NotFoundError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            group.start_soon(refresh)
            group.start_soon(refresh)
    assert 2 == len(errors)
    assert 1 == len(polls_of(fake, "job_NOPE"))


async def test_many_job_helpers_raise_plain_errors_not_groups() -> None:
    """Bad arguments raise ValueError before any request; a caller's error stays itself."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        jobs = [layers.jobs.attach(fake.create_job(duration=d)) for d in (5, 10)]
        with pytest.raises(ValueError, match="timeout"):
            await layers.jobs.wait_all(jobs, timeout=-1)
        with pytest.raises(ValueError, match="limit"):
            await layers.jobs.wait_all(jobs, limit=0)
        assert [] == list(fake.journal)
        with pytest.raises(KeyError):  # noqa: PT012 - the raise must come from the body
            async with layers.jobs.as_completed(jobs) as finished:
                async for _ in finished:
                    raise KeyError("the caller's own bug")


async def test_wait_all_timeout_bounds_the_whole_call() -> None:
    """timeout= is for the whole wait_all, even when limit queues the jobs."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        jobs = [layers.jobs.attach(fake.create_job(duration=10_000)) for _ in range(4)]
        with anyio.fail_after(2), pytest.raises(JobTimeoutError):
            await layers.jobs.wait_all(jobs, limit=1, timeout=0.05)


class SendTimes:
    """A transport that notes the loop time each job poll goes out (the client's own clock)."""

    def __init__(self) -> None:
        from layers_async import AiohttpTransport

        self.inner = AiohttpTransport()
        self.sent: dict[str, list[float]] = {}

    async def send(self, request: Any) -> Any:
        if request.method == "GET" and request.path.startswith("/v1/jobs/"):
            self.sent.setdefault(request.path, []).append(anyio.current_time())
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_scheduled_polls_are_5_to_30_seconds_apart() -> None:
    """Adaptive or not, after a 304, a cancelled driver or a 429 pause: every gap in [5, 30]."""
    scale = 50.0  # 5-30 API s are 0.1-0.6 s of loop time: room for the loop's own latency
    transport = SendTimes()
    async with FakeLayers(time_scale=scale) as fake, fake.client(transport=transport) as layers:
        fake.faults.add(status=429, times=2, route="GET /v1/jobs/{jobId}")
        jobs = [layers.jobs.attach(fake.create_job(duration=d)) for d in (40, 70, 95)]

        async def impatient(job: Job[Any]) -> None:
            with anyio.move_on_after(0.15):  # a driver cancelled mid-wait: another takes over
                await job.wait()

        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(impatient, job)
                group.start_soon(job.wait)
    gaps = [b - a for times in transport.sent.values() for a, b in itertools.pairwise(times)]
    assert 3 == len(transport.sent)
    assert len(gaps) >= 6
    assert 5.0 / scale - 1e-6 <= min(gaps)
    assert max(gaps) <= 30.0 / scale + 0.05


async def test_news_wakes_a_waiter_at_once_and_resets_its_cadence() -> None:
    """jobs.notify(id): the sleeping driver polls now, not at its next 1,000 s poll."""
    patient = PollPolicy(initial=1000.0, maximum=1000.0)  # loop seconds: never, in a test
    async with FakeLayers(time_scale=SCALE) as fake, fake.client(poll=patient) as layers:
        job_id = fake.create_job(duration=600)  # 0.6 s of loop time, or an advance()
        job = layers.jobs.attach(job_id)
        await job.refresh()
        done = anyio.Event()

        async def waiter() -> None:
            await job.wait()
            done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            fake.advance(600)
            assert layers.jobs.notify(job_id)
            with anyio.fail_after(5):
                await done.wait()
        assert not layers.jobs.notify(job_id)  # finished: nothing to wake
        assert not layers.jobs.notify("job_unknown")
    assert [200, 200] == polls_of(fake, job_id)


async def test_a_terminal_snapshot_as_news_ends_the_wait_without_a_poll() -> None:
    """A pushed terminal envelope (say, from a webhook) is published as if polled."""
    patient = PollPolicy(initial=1000.0, maximum=1000.0)
    async with FakeLayers(time_scale=SCALE) as fake, fake.client(poll=patient) as layers:
        job_id = fake.create_job(duration=600)
        job = layers.jobs.attach(job_id)
        await job.refresh()
        fake.advance(600)
        envelope = fake.job(job_id)
        async with anyio.create_task_group() as group:
            group.start_soon(job.wait)
            await anyio.wait_all_tasks_blocked()
            layers.jobs.notify(job_id, JobSnapshot(id=job_id, kind=envelope["kind"],
                                                   status="completed",
                                                   result=envelope["result"]))
        result = await job.wait()
    assert isinstance(result, IngestGithubResult)
    assert [200] == polls_of(fake, job_id)


# -- wait_all and as_completed: one sweep of workers, not a task per job ------------------------

async def test_wait_all_polls_from_a_few_workers_not_a_task_per_job() -> None:
    """500 jobs waited at once: the client runs about max_concurrent_polls tasks, not 500."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client(
            max_concurrent_polls=8) as layers:
        jobs = [layers.jobs.attach(fake.create_job(duration=90 + i % 100)) for i in range(500)]
        before = client_tasks()
        during: list[int] = []

        async def count() -> None:
            for _ in range(20):
                await anyio.sleep(0.005)
                during.append(client_tasks() - before)

        async with anyio.create_task_group() as group:
            group.start_soon(count)
            results = await layers.jobs.wait_all(jobs)
    assert all(isinstance(r, IngestGithubResult) for r in results)
    # The workers, this counter and wait_all's own task (and, while connections open, a
    # few of aiohttp's): never a task per job.
    assert sorted(during)[len(during) // 2] <= 8 + 2
    assert max(during) < 30
    assert 500 == len({e.path for e in fake.journal if e.method == "GET"})


class _CountingDriver:
    """A driver with no server: each poll is noted; a job is due again at once until its
    third poll, which finds it completed."""

    poll_capacity = 1  # one worker: the order of the polls is the sweep's own

    def __init__(self) -> None:
        self.polled: list[str] = []

    async def poll(self, state: JobState, *, scheduled: bool = False) -> None:
        await anyio.lowlevel.checkpoint()
        self.polled.append(state.id)
        state.last_sent = state.next_at = -math.inf  # due again now
        if self.polled.count(state.id) == 3:
            state.show(JobSnapshot(id=state.id, status="completed"))

    # The rest of JobDriver, which a sweep never calls.
    async def wait_change(self, state: JobState, seen: int, deadline: float | None) -> bool:
        raise AssertionError("not used by a sweep")

    def result_of(self, state: JobState) -> Any:
        raise AssertionError("not used by a sweep")

    async def cancel_job(self, state: JobState, **options: Any) -> CancelResult:
        raise AssertionError("not used by a sweep")


async def test_jobs_due_at_the_same_moment_are_polled_first_filed_first() -> None:
    """The sweep files jobs by due time: jobs due at once are polled in the order they were
    filed (round after round), each job once per round, and every job is reported once."""
    driver = _CountingDriver()
    states = [JobState(f"job_{i:02d}", None, None) for i in range(40)]  # type: ignore[arg-type]
    jobs: list[Job[Any]] = [Job(driver, state) for state in states]
    done: list[str] = []
    sweep = Sweep(jobs, limit=None, on_done=lambda state, error: done.append(state.id))
    assert [] == await sweep.run_for(None)
    ids = [state.id for state in states]
    assert ids * 3 == driver.polled
    assert sorted(ids) == sorted(done)
    assert 40 == len(done)


async def test_a_limited_sweep_files_each_admitted_job_behind_those_already_due() -> None:
    """limit=3: a job admitted when another ends is due at once, and comes after the jobs
    already due; every job gets its polls and no more than three are waited on at once."""
    driver = _CountingDriver()
    states = [JobState(f"job_{i:02d}", None, None) for i in range(7)]  # type: ignore[arg-type]
    sweep = Sweep([Job(driver, state) for state in states], limit=3,
                  on_done=lambda state, error: None)
    assert [] == await sweep.run_for(None)
    ids = [state.id for state in states]
    # Jobs 0-2 take turns; the third poll of job 0 ends it, job 3 is admitted and filed
    # behind jobs 1 and 2 (still due); and so on. Job 6, alone at the end, has no one to wait.
    assert ids[0:3] * 3 + ids[3:6] * 3 + ids[6:] * 3 == driver.polled


async def test_wait_all_and_a_lone_wait_on_the_same_job_share_its_polls() -> None:
    """A job waited by wait_all and by job.wait() elsewhere is polled as for one waiter."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        ids = [fake.create_job(duration=90 + 40 * i) for i in range(4)]
        lone: list[Any] = []

        async def wait_alone(job_id: str) -> None:
            lone.append(await layers.jobs.attach(job_id).wait())

        async with anyio.create_task_group() as group:
            for job_id in ids[:2]:  # these two have a driver before wait_all starts
                group.start_soon(wait_alone, job_id)
            await anyio.wait_all_tasks_blocked()
            together = await layers.jobs.wait_all([layers.jobs.attach(i) for i in ids])
            for job_id in ids[2:]:  # and these two are wait_all's before a lone waiter comes
                group.start_soon(wait_alone, job_id)
    assert 4 == len(lone)
    assert all(isinstance(r, IngestGithubResult) for r in lone)
    assert sorted(r.pr_url for r in together) == sorted(r.pr_url for r in lone)
    per_job = Counter(e.path for e in fake.journal if e.method == "GET")
    assert 4 == len(per_job)
    assert max(per_job.values()) <= 14  # one waiter alone polls a 90-210 s job 6-12 times


async def test_a_cancelled_wait_all_hands_its_jobs_to_the_other_waiters() -> None:
    """wait_all drives a job, another task waits on it too; wait_all is cancelled: the other
    waiter takes over the polling and gets the result."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        job = layers.jobs.attach(fake.create_job(duration=200))
        results: list[IngestGithubResult] = []
        before = client_tasks()
        got = anyio.Event()

        async def patient() -> None:
            results.append(await job.wait())
            got.set()

        async with anyio.create_task_group() as group:
            with anyio.move_on_after(0.05):  # 50 API s into a 200 s job
                async with anyio.create_task_group() as inner:
                    inner.start_soon(layers.jobs.wait_all, [job])
                    await anyio.sleep(0.005)
                    assert job._state.driving  # the sweep drives it
                    assert job._state.watchers
                    group.start_soon(patient)
                    await anyio.sleep(1)  # cancelled first
            with anyio.fail_after(5):
                await got.wait()
        after = client_tasks()
    assert job.done
    assert isinstance(results[0], IngestGithubResult)
    assert before == after


async def test_news_wakes_wait_all_at_once() -> None:
    """jobs.notify(id) reaches a job waited by wait_all: polled now, not in 1,000 s."""
    patient = PollPolicy(initial=1000.0, maximum=1000.0)
    async with FakeLayers(time_scale=SCALE) as fake, fake.client(poll=patient) as layers:
        ids = [fake.create_job(duration=600) for _ in range(3)]
        jobs = [layers.jobs.attach(i) for i in ids]
        for job in jobs:
            await job.refresh()
        out: list[Any] = []
        got = anyio.Event()

        async def wait() -> None:
            out.extend(await layers.jobs.wait_all(jobs))
            got.set()

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            fake.advance(600)
            for job_id in ids[:2]:
                assert layers.jobs.notify(job_id)  # news: poll these now
            envelope = fake.job(ids[2])
            assert layers.jobs.notify(ids[2], JobSnapshot(  # news with the envelope
                id=ids[2], kind=envelope["kind"], status="completed", result=envelope["result"]))
            with anyio.fail_after(5):
                await got.wait()
    assert 3 == len(out)
    assert all(isinstance(r, IngestGithubResult) for r in out)
    assert [[200, 200], [200, 200], [200]] == [polls_of(fake, i) for i in ids]


async def test_wait_all_keeps_every_scheduled_gap_inside_5_to_30_seconds() -> None:
    """The sweep follows the same cadence: after 429 pauses and a cancelled lone driver."""
    scale = 50.0
    transport = SendTimes()
    async with FakeLayers(time_scale=scale) as fake, fake.client(transport=transport) as layers:
        fake.faults.add(status=429, times=2, route="GET /v1/jobs/{jobId}")
        jobs = [layers.jobs.attach(fake.create_job(duration=d)) for d in (40, 70, 95, 120)]

        async def impatient(job: Job[Any]) -> None:
            with anyio.move_on_after(0.15):
                await job.wait()

        async with anyio.create_task_group() as group:
            group.start_soon(impatient, jobs[0])  # it drives job 0 when wait_all starts
            await anyio.wait_all_tasks_blocked()
            await layers.jobs.wait_all(jobs)
    gaps = [b - a for times in transport.sent.values() for a, b in itertools.pairwise(times)]
    assert 4 == len(transport.sent)
    assert len(gaps) >= 8
    assert 5.0 / scale - 1e-6 <= min(gaps)
    assert max(gaps) <= 30.0 / scale + 0.05


async def test_as_completed_with_a_limit_admits_jobs_as_others_finish() -> None:
    """limit=2 of 5: never more than 2 jobs polled at a time; all 5 come out as they end
    (every job runs from its start; a job admitted after its end comes out at its first poll)."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, fake.client() as layers:
        durations = (60, 20, 400, 40, 150)
        jobs = [layers.jobs.attach(fake.create_job(duration=d)) for d in durations]
        order: list[str] = []
        async with layers.jobs.as_completed(jobs, limit=2) as finished:
            async for job in finished:
                order.append(job.id)
    assert [jobs[i].id for i in (1, 0, 3, 4, 2)] == order
    first_poll = {e.path: e.at for e in reversed(fake.journal) if e.method == "GET"}
    last_poll = {e.path: e.at for e in fake.journal if e.method == "GET"}
    # Never three jobs being polled at once: at each job's first poll, at most two jobs'
    # polling spans (first poll to last) hold that moment.
    for start in first_poll.values():
        assert sum(first_poll[p] <= start <= last_poll[p] for p in first_poll) <= 2


async def test_lone_waiters_never_have_more_polls_in_flight_than_the_limit() -> None:
    """40 jobs each waited by its own task: at most max_concurrent_polls GETs at once."""
    import json

    from layers_async import MockTransport, Request, Response

    in_flight, peak, polls = 0, 0, Counter[str]()

    async def answer(request: Request) -> Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await anyio.lowlevel.checkpoint()  # let the other waiters send theirs
            await anyio.lowlevel.checkpoint()
        finally:
            in_flight -= 1
        job_id = request.path.rsplit("/", 1)[1]
        polls[job_id] += 1
        done = polls[job_id] >= 3
        body = {"jobId": job_id, "kind": "ingest_github",
                "status": "completed" if done else "running",
                "progress": 1.0 if done else polls[job_id] / 3,
                "result": {"prNumber": 7} if done else None}
        return Response(status=200, headers={"etag": f'"{polls[job_id]}"'},
                        body=json.dumps(body).encode())

    async with AsyncLayers(api_key="lp_test_" + "k" * 32, transport=MockTransport(answer),
                           poll=PollPolicy().scaled(1 / 10_000),
                           max_concurrent_polls=4) as layers:
        jobs = [layers.jobs.attach(f"job_{i:04d}") for i in range(40)]
        results: list[Any] = []
        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(_collect, job, results)
    assert 40 == len(results)
    assert all(isinstance(r, IngestGithubResult) and r.pr_number == 7 for r in results)
    assert 4 == peak  # the limit was reached, and never passed
    assert 120 == sum(polls.values())


async def test_every_poll_carries_the_clients_headers_and_a_conditional_one_only_adds_the_etag(
) -> None:
    """Poll requests of many jobs share the client's headers: each poll sends exactly them,
    plus If-None-Match with the job's last ETag from its second poll on; a conditional poll
    changes no other request (the requests recorded earlier are as they were sent)."""
    import json

    from layers_async import MockTransport, Request, Response

    polls = Counter[str]()

    def answer(request: Request) -> Response:
        job_id = request.path.rsplit("/", 1)[1]
        polls[job_id] += 1
        done = polls[job_id] >= 3
        body = {"jobId": job_id, "kind": "ingest_github",
                "status": "completed" if done else "running", "progress": polls[job_id] / 3}
        return Response(status=200, headers={"etag": f'"{job_id}-{polls[job_id]}"'},
                        body=json.dumps(body).encode())

    transport = MockTransport(answer)
    key = "lp_test_" + "k" * 32
    async with AsyncLayers(api_key=key, transport=transport,
                           poll=PollPolicy().scaled(1 / 10_000)) as layers:
        await layers.jobs.wait_all([layers.jobs.attach(f"job_{i:02d}") for i in range(5)])
        expected = dict(layers.config.build_request("GET", "/v1/jobs/x").headers)
    assert f"Bearer {key}" == expected["Authorization"]
    seen = Counter[str]()
    for request in transport.requests:
        job_id = request.path.rsplit("/", 1)[1]
        seen[job_id] += 1
        headers = dict(request.headers)
        etag = headers.pop("If-None-Match", None)
        assert expected == headers
        assert (None if seen[job_id] == 1 else f'"{job_id}-{seen[job_id] - 1}"') == etag
    assert 15 == len(transport.requests)
    assert len({id(r.headers) for r in transport.requests if "If-None-Match" not in r.headers}) == 1


async def _collect(job: Job[Any], into: list[Any]) -> None:
    into.append(await job.wait())


def _envelope(job_id: str, progress: float) -> Any:
    import json

    from layers_async import Response

    body = {"jobId": job_id, "kind": "ingest_github", "status": "running", "progress": progress}
    return Response(status=200, headers={}, body=json.dumps(body).encode())


async def test_refreshes_at_once_share_one_request_and_its_snapshot() -> None:
    """A second refresh() while one is in flight joins it: one GET, the same snapshot."""
    from layers_async import MockTransport, Request

    gate, sent = anyio.Event(), []

    async def answer(request: Request) -> Any:
        sent.append(request)
        await gate.wait()
        return _envelope("job_1", 0.5)

    async with AsyncLayers(api_key="lp_test_" + "k" * 32,
                           transport=MockTransport(answer)) as layers:
        job = layers.jobs.attach("job_1")
        seen: list[JobSnapshot] = []

        async def refresh() -> None:
            seen.append(await job.refresh())

        with anyio.fail_after(10):  # a joiner left waiting would hang: fail instead
            async with anyio.create_task_group() as group:
                group.start_soon(refresh)
                group.start_soon(refresh)
                while not sent:
                    await anyio.lowlevel.checkpoint()
                for _ in range(5):  # both are waiting now: one on the server, one on it
                    await anyio.lowlevel.checkpoint()
                gate.set()
        assert 1 == len(sent)
        assert 2 == len(seen)
        assert seen[0] is seen[1]
        assert job._state.inflight is None


async def test_a_joiner_polls_itself_when_the_owner_is_cancelled_mid_poll() -> None:
    """The owner's refresh is cancelled with its GET in flight: the one that joined it
    sends its own GET and gets the snapshot; nothing is left marked in flight."""
    from layers_async import MockTransport, Request

    sent: list[Request] = []

    async def answer(request: Request) -> Any:
        sent.append(request)
        if len(sent) == 1:
            await anyio.sleep_forever()  # the owner's GET never answers
        return _envelope("job_1", 0.25)

    async with AsyncLayers(api_key="lp_test_" + "k" * 32,
                           transport=MockTransport(answer)) as layers:
        job = layers.jobs.attach("job_1")
        owner_scope = anyio.CancelScope()
        joined: list[JobSnapshot] = []

        async def owner() -> None:
            with owner_scope:
                await job.refresh()

        async def joiner() -> None:
            joined.append(await job.refresh())

        with anyio.fail_after(10):  # a joiner left waiting would hang: fail instead
            async with anyio.create_task_group() as group:
                group.start_soon(owner)
                while not sent:
                    await anyio.lowlevel.checkpoint()
                group.start_soon(joiner)
                for _ in range(5):
                    await anyio.lowlevel.checkpoint()
                assert 1 == len(sent)  # the joiner waits on the owner's GET, sends none
                owner_scope.cancel()
        assert 2 == len(sent)
        assert [0.25] == [s.progress for s in joined]
        assert job._state.inflight is None
