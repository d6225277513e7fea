"""The client's frame budget: a fair token bucket that keeps below the node's limit."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from custom_components.nitrolite.clearnode.ratelimit import (
    RateLimiterStats,
    TokenBucket,
)
from local_nitronode import LocalNitronode

from .v1.clock import SimulatedClock, settle
from .v1.sender import Sender

EIGHTH = 0.125  # one token at the default 8 a second (exact in binary)
WAIT_TIMEOUT = 30.0


@pytest.fixture
def clock() -> SimulatedClock:
    """Return simulated time."""
    return SimulatedClock()


@pytest.fixture
def bucket(clock: SimulatedClock) -> TokenBucket:
    """Return a bucket with the default budget on simulated time."""
    return TokenBucket(clock=clock, sleep=clock.sleep)


type Start = Callable[[int], list[asyncio.Task[None]]]


@pytest.fixture
async def start(bucket: TokenBucket) -> AsyncIterator[Start]:
    """Start waiters, in order; those still waiting are cancelled after the test."""
    tasks: list[asyncio.Task[None]] = []

    def start_waiters(count: int) -> list[asyncio.Task[None]]:
        started = [asyncio.create_task(bucket.acquire()) for _ in range(count)]
        tasks.extend(started)
        return started

    yield start_waiters
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def done(tasks: list[asyncio.Task[None]]) -> int:
    """Return how many waiters got their token."""
    return sum(1 for task in tasks if task.done() and not task.cancelled())


async def test_a_full_bucket_lets_a_burst_of_16_through_at_once(
    clock: SimulatedClock, bucket: TokenBucket, start: Start
) -> None:
    """The bucket starts full: 16 frames go at once, the 17th waits for time to pass."""
    tasks = start(17)
    await settle()
    assert done(tasks) == 16
    assert bucket.available == 0
    clock.advance(EIGHTH)
    await settle()
    assert done(tasks) == 17


async def test_after_the_burst_tokens_come_at_8_a_second(
    clock: SimulatedClock, bucket: TokenBucket, start: Start
) -> None:
    """Over 10 simulated seconds, 80 more frames pass: exactly 8 a second."""
    tasks = start(200)
    await settle()
    for _ in range(80):
        clock.advance(EIGHTH)
        await settle()
    assert done(tasks) == 16 + 80


async def test_a_long_pause_refills_no_more_than_the_burst(
    clock: SimulatedClock, bucket: TokenBucket, start: Start
) -> None:
    """An idle minute fills the bucket to 16, not to 16 + 8 × 60."""
    await asyncio.gather(*start(16))
    clock.advance(60)
    assert bucket.available == 16
    tasks = start(20)
    await settle()
    assert done(tasks) == 16


async def test_waiters_are_served_in_arrival_order(
    clock: SimulatedClock, bucket: TokenBucket
) -> None:
    """A frame never overtakes one that asked for a token earlier."""
    served: list[int] = []

    async def frame(number: int) -> None:
        await bucket.acquire()
        served.append(number)

    tasks = [asyncio.create_task(frame(number)) for number in range(40)]
    await settle()
    for _ in range(24):
        clock.advance(EIGHTH)
        await settle()
    await asyncio.gather(*tasks)
    assert served == list(range(40))


async def test_a_cancelled_waiter_takes_no_token(
    clock: SimulatedClock, bucket: TokenBucket, start: Start
) -> None:
    """A request that times out while waiting leaves its token to the next one.

    The first waiter is sleeping for the next token when it is cancelled; the token
    that then arrives goes to the third waiter, and the second (cancelled while
    queued) never gets one either.
    """
    await asyncio.gather(*start(16))
    first, second, third = start(3)
    await settle()
    assert clock.sleepers == 1
    first.cancel()
    second.cancel()
    await settle()
    clock.advance(EIGHTH)
    await settle()
    assert third.done() and not third.cancelled()
    assert first.cancelled() and second.cancelled()
    assert bucket.available == 0
    clock.advance(EIGHTH)
    assert bucket.available == 1


async def test_available_counts_the_tokens_promised_to_waiters(
    clock: SimulatedClock, bucket: TokenBucket, start: Start
) -> None:
    """A poll sees what is left for it: tokens in the bucket less queued frames."""
    await asyncio.gather(*start(13))
    assert bucket.available == 3
    await asyncio.gather(*start(3))
    tasks = start(2)
    await settle()
    clock.advance(3 * EIGHTH)
    assert bucket.available == 1  # three tokens, two already promised
    await settle()
    assert done(tasks) == 2
    assert bucket.available == 1


async def test_stats_count_the_frames_that_waited_and_for_how_long(
    clock: SimulatedClock, bucket: TokenBucket, start: Start
) -> None:
    """Diagnostics: 18 frames, the last two waited 1/8 s and 2/8 s."""
    tasks = start(18)
    await settle()
    for _ in range(2):
        clock.advance(EIGHTH)
        await settle()
    await asyncio.gather(*tasks)
    assert bucket.stats == RateLimiterStats(
        acquired=18, waited=2, total_wait=3 * EIGHTH
    )


@pytest.mark.parametrize(("rate", "burst"), [(0, 16), (8, 0), (-1, 1)])
def test_a_bucket_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    """Nothing could ever pass a bucket without rate or room."""
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate, burst)


@pytest.fixture
async def node_on(
    clock: SimulatedClock, http: aiohttp.ClientSession
) -> AsyncIterator[Callable[[TokenBucket], Awaitable[Sender]]]:
    """Run a local Nitronode whose frame budget (10/s, burst 20) runs on ``clock``."""
    async with LocalNitronode(frame_clock=clock) as node:
        senders: list[Sender] = []

        async def connect(limiter: TokenBucket) -> Sender:
            sender = Sender(await http.ws_connect(node.url), limiter)
            senders.append(sender)
            return sender

        yield connect
        for sender in senders:
            await sender.close()


async def run_on_simulated_time(
    clock: SimulatedClock, bucket: TokenBucket, sender: Sender, count: int
) -> list[object]:
    """Send ``count`` concurrent pings; move time only once the node has answered all.

    Every frame then reaches the node at the simulated moment its token was taken,
    however busy the machine is.
    """
    tasks = [asyncio.create_task(sender("node.v1.ping", {})) for _ in range(count)]

    def finished() -> bool:
        return sender.ws.closed or all(task.done() for task in tasks)

    def quiet() -> bool:
        answered_all = sender.answered == bucket.stats.acquired
        return finished() or (answered_all and clock.sleepers > 0)

    async with asyncio.timeout(WAIT_TIMEOUT):
        while True:
            while not quiet():
                await asyncio.sleep(0.001)
            if finished():
                break
            clock.advance(EIGHTH)
    for task in tasks:
        task.cancel()  # those still waiting for a token when the socket dropped
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_200_concurrent_requests_through_the_bucket_never_trip_the_node(
    clock: SimulatedClock, node_on: Callable[[TokenBucket], Awaitable[Sender]]
) -> None:
    """The default budget (8/s, burst 16) stays inside a v1.4 node's (10/s, burst 20).

    The node closes the socket on an overrun; here it stays open and answers all 200,
    which takes the bucket (200 - 16) / 8 = 23 simulated seconds.
    """
    bucket = TokenBucket(clock=clock, sleep=clock.sleep)
    sender = await node_on(bucket)
    started = clock()
    results = await run_on_simulated_time(clock, bucket, sender, 200)
    assert results == [{}] * 200
    assert not sender.ws.closed
    assert clock() - started == (200 - 16) * EIGHTH
    assert bucket.stats.waited == 200 - 16


async def test_a_budget_above_the_nodes_gets_the_socket_closed(
    clock: SimulatedClock, node_on: Callable[[TokenBucket], Awaitable[Sender]]
) -> None:
    """The same run with 12 frames a second overruns the node, which drops the socket.

    This is what the test above would see if the default budget were too generous.
    """
    bucket = TokenBucket(12, 16, clock=clock, sleep=clock.sleep)
    sender = await node_on(bucket)
    results = await run_on_simulated_time(clock, bucket, sender, 200)
    assert sender.ws.closed
    assert any(isinstance(result, Exception) for result in results)
