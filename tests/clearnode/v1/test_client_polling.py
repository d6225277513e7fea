"""What the v1 client does by itself: polls, keepalive and the frame budget.

Client and node run their schedules and frame budgets on one simulated clock, so
"the next poll" and "30 s idle" are exact; only the loopback I/O is real.
"""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionUpdated,
    Balance,
    BalancesUpdated,
    ClearNodeTimeoutError,
    ConnectionState,
    ConnectionStateChanged,
    NitronodeClient,
    Resynced,
    Signer,
    to_checksum_address,
)
from custom_components.nitrolite.clearnode.v1 import PROTOCOL
from local_nitronode import (
    DEMO_COUNTERPARTY_KEY,
    DEMO_NODE_KEY,
    DEMO_WALLET_ADDRESS,
    Keepalive,
    LocalNitronode,
)
from tests.clearnode.conftest import EventLog, eventually

from .clock import SimulatedClock
from .conftest import ClientFactory

YUSD = "yusd"
WALLET = to_checksum_address(DEMO_WALLET_ADDRESS)
PEER_KEY = Signer.from_key(DEMO_COUNTERPARTY_KEY)
PEER = PEER_KEY.address
POLL = 1.0
EIGHTH = 0.125  # one token of the default budget (8 a second)


@pytest.fixture
async def node(clock: SimulatedClock) -> AsyncIterator[LocalNitronode]:
    """Run a local Nitronode v1.4.1 whose frame budget (10/s, burst 20) is on ``clock``."""
    async with LocalNitronode(node_key=DEMO_NODE_KEY, frame_clock=clock) as running:
        yield running


@pytest.fixture
async def polling(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> tuple[NitronodeClient, EventLog]:
    """Return a connected client polling every second of ``clock``, and its events."""
    client = make_v1_client(node, poll_interval=POLL, clock=clock, sleep=clock.sleep)
    events = EventLog()
    client.subscribe(events.append)
    await client.connect()
    return client, events


def polls(client: NitronodeClient) -> int:
    """Return how many polls ran or were skipped."""
    return int(client.stats["polls"] + client.stats["skipped_polls"])


async def next_poll(
    client: NitronodeClient, clock: SimulatedClock, seconds: float = POLL
) -> None:
    """Move simulated time on by ``seconds``; return once the poll then due has run."""
    before = polls(client)
    await eventually(lambda: clock.sleepers > 0)
    clock.advance(seconds)
    await eventually(lambda: polls(client) > before)


def sessions_in(events: EventLog) -> list[AppSessionUpdated]:
    """Return the session updates among ``events``, and forget every event."""
    updates = [event for event in events if isinstance(event, AppSessionUpdated)]
    events.clear()
    return updates


async def shared_session(
    client: NitronodeClient, node: LocalNitronode, clock: SimulatedClock
) -> AppSession:
    """Open [us 1, peer 1] quorum 1 with our 5 yusd, past the first poll; forget events.

    Either participant can change it alone.
    """
    node.fund(WALLET, YUSD, Decimal(10))
    await next_poll(client, clock)
    definition = AppDefinition(
        "home-assistant", PROTOCOL, (WALLET, PEER), (1, 1), 1, 0, 7
    )
    allocations = [Allocation(WALLET, YUSD, Decimal(5))]
    result = await client.create_app_session(definition, allocations)
    await next_poll(client, clock)
    async for session in client.iter_app_sessions(status="open"):
        if session.app_session_id == result.app_session_id:
            return session
    raise AssertionError("the session is not listed")


def split(ours: str, theirs: str) -> list[Allocation]:
    """Return a yusd split between our wallet and the peer."""
    return [
        Allocation(WALLET, YUSD, Decimal(ours)),
        Allocation(PEER, YUSD, Decimal(theirs)),
    ]


async def test_changes_after_connecting_are_events_of_the_first_poll(
    polling: tuple[NitronodeClient, EventLog],
    node: LocalNitronode,
    clock: SimulatedClock,
) -> None:
    """Connecting read the state; nothing is sent until the interval has passed."""
    client, events = polling
    node.fund(WALLET, YUSD, Decimal(10))
    assert node.faults.received["user.v1.get_balances"] == 1
    await next_poll(client, clock)
    assert events[-1] == BalancesUpdated((Balance(YUSD, Decimal(10)),))
    assert node.faults.received["user.v1.get_balances"] == 2


async def test_after_each_reconnect_the_state_comes_as_one_resync(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """run() re-reads balances and open sessions and emits them as Resynced."""
    client = make_v1_client(node)
    events = EventLog()
    client.subscribe(events.append)
    running = asyncio.create_task(client.run())
    await events.wait_for(Resynced)
    events.clear()
    node.fund(WALLET, YUSD, Decimal(10))
    await node.restart()
    resynced = await events.wait_for(Resynced)
    assert resynced.balances == (Balance(YUSD, Decimal(10)),)
    assert client.stats["reconnects"] == 1
    await client.close()
    await running


async def test_our_own_changes_are_not_reported_again(
    polling: tuple[NitronodeClient, EventLog],
    node: LocalNitronode,
    clock: SimulatedClock,
) -> None:
    """The answers were recorded: the next poll tells only the balance that moved."""
    client, events = polling
    node.fund(WALLET, YUSD, Decimal(10))
    await next_poll(client, clock)
    events.clear()
    definition = AppDefinition(
        "home-assistant", PROTOCOL, (WALLET, PEER), (1, 0), 1, 0, 7
    )
    await client.create_app_session(definition, [Allocation(WALLET, YUSD, Decimal(4))])
    await next_poll(client, clock)
    assert events == [BalancesUpdated((Balance(YUSD, Decimal(6)),))]


async def test_a_counterpartys_payment_is_reported_by_the_next_poll(
    polling: tuple[NitronodeClient, EventLog],
    node: LocalNitronode,
    clock: SimulatedClock,
) -> None:
    """Within one poll interval, as an update of one version with the new split."""
    client, events = polling
    session = await shared_session(client, node, clock)
    events.clear()
    node.peer_submit(session.app_session_id, split("4", "1"), PEER_KEY)
    await next_poll(client, clock)
    (update,) = sessions_in(events)
    assert (update.session.version, update.versions) == (session.version + 1, 1)
    assert set(update.session.allocations or ()) == set(split("4", "1"))


async def test_changes_between_two_polls_come_as_one_event(
    polling: tuple[NitronodeClient, EventLog],
    node: LocalNitronode,
    clock: SimulatedClock,
) -> None:
    """Two payments by the peer coalesce: one update that covers two versions."""
    client, events = polling
    session = await shared_session(client, node, clock)
    events.clear()
    node.peer_submit(session.app_session_id, split("4", "1"), PEER_KEY)
    node.peer_submit(session.app_session_id, split("3", "2"), PEER_KEY)
    await next_poll(client, clock)
    (update,) = sessions_in(events)
    assert (update.session.version, update.versions) == (session.version + 2, 2)


async def test_a_counterpartys_close_is_reported_with_the_split_it_released(
    polling: tuple[NitronodeClient, EventLog],
    node: LocalNitronode,
    clock: SimulatedClock,
) -> None:
    """The node lists a closed session as zeros; the event carries the last split."""
    client, events = polling
    session = await shared_session(client, node, clock)
    node.peer_submit(session.app_session_id, split("4", "1"), PEER_KEY)
    await next_poll(client, clock)
    events.clear()
    node.close_by_peer(session.app_session_id, PEER_KEY)
    await next_poll(client, clock)
    (closed,) = sessions_in(events)
    assert (closed.session.status, closed.session.version) == (
        "closed",
        session.version + 2,
    )
    assert set(closed.session.allocations or ()) == set(split("4", "1"))
    assert await client.get_balances() == (Balance(YUSD, Decimal(9)),)


async def test_a_poll_is_skipped_while_the_frame_budget_is_low(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> None:
    """Fewer than 4 tokens left: the poll yields to actions, the next one runs."""
    client = make_v1_client(
        node,
        poll_interval=POLL,
        frame_rate=0.5,
        clock=clock,
        sleep=clock.sleep,
    )
    await client.connect()
    await asyncio.gather(*(client.ping() for _ in range(9)))  # 16 - 4 - 9 = 3 left
    await next_poll(client, clock)  # + 0.5
    assert (client.stats["polls"], client.stats["skipped_polls"]) == (0, 1)
    assert node.faults.received["user.v1.get_balances"] == 1  # connecting's
    await next_poll(client, clock)  # + 0.5: 4 tokens
    assert (client.stats["polls"], client.stats["skipped_polls"]) == (1, 1)


async def test_an_idle_connection_is_pinged_after_30_s_without_a_frame(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> None:
    """With polls 300 s apart, node.v1.ping keeps the application-level round trip."""
    client = make_v1_client(node, poll_interval=300, clock=clock, sleep=clock.sleep)
    await client.connect()
    await eventually(lambda: clock.sleepers > 0)
    clock.advance(29)
    await eventually(lambda: clock.sleepers > 0)
    assert node.faults.received["node.v1.ping"] == 0
    clock.advance(1)
    await eventually(lambda: node.faults.received["node.v1.ping"] == 1)


async def test_a_keepalive_waiting_for_the_budget_does_not_drop_the_connection(
    make_v1_client: ClientFactory,
    node: LocalNitronode,
    clock: SimulatedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A ping that never left is no sign of a dead node: warned about, socket kept."""
    client = make_v1_client(
        node,
        poll_interval=300,
        frame_rate=0.01,
        request_timeout=0.5,
        clock=clock,
        sleep=clock.sleep,
    )
    await client.connect()
    await asyncio.gather(*(client.ping() for _ in range(12)))  # the budget is spent
    await eventually(lambda: clock.sleepers > 0)
    clock.advance(30)
    await eventually(lambda: "keepalive failed" in caplog.text)
    assert "could not be sent" in caplog.text
    assert (client.state, client.stats["connects"]) == (ConnectionState.CONNECTED, 1)
    assert node.faults.received["node.v1.ping"] == 12


async def test_a_request_waiting_for_the_budget_past_its_timeout_never_leaves(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> None:
    """The wait for a token counts against the timeout; unsent, nothing was applied."""
    client = make_v1_client(node, request_timeout=0.3, clock=clock, sleep=clock.sleep)
    await client.connect()
    await asyncio.gather(*(client.ping() for _ in range(12)))  # the budget is spent
    with pytest.raises(ClearNodeTimeoutError, match="could not be sent") as waited:
        await client.get_balances()
    assert not waited.value.outcome_unknown
    assert node.faults.received["user.v1.get_balances"] == 1  # connecting's


async def test_idle_polling_at_the_default_interval_sends_under_half_a_frame_a_second(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> None:
    """Every 5 s: balances and the open sessions, and never a ping (polls suffice)."""
    client = make_v1_client(node, poll_interval=5, clock=clock, sleep=clock.sleep)
    await client.connect()
    sent = client.stats["frames_sent"]
    for _ in range(24):  # two simulated minutes
        await next_poll(client, clock, 5)
    frames = client.stats["frames_sent"] - sent
    assert frames == 48
    assert frames / 120 <= 0.5
    assert node.faults.received["node.v1.ping"] == 0


async def test_a_node_that_stops_pinging_is_dropped_and_reconnected(
    make_v1_client: ClientFactory,
) -> None:
    """Nothing from the node for the silence timeout, not even a ping: reconnect."""
    keepalive = Keepalive(ping_interval=0.05, pong_timeout=1000)
    async with LocalNitronode(keepalive=keepalive) as quiet:
        client = make_v1_client(quiet, silence_timeout=0.5)
        events = EventLog()
        client.subscribe(events.append)
        running = asyncio.create_task(client.run())
        await events.wait_for(Resynced)
        quiet.faults.stop_pinging = True
        dropped = await events.wait_for(
            ConnectionStateChanged, state=ConnectionState.DISCONNECTED
        )
        assert "went silent" in str(dropped.error)
        await eventually(lambda: client.stats["reconnects"] >= 1)
        await client.close()
        await running


async def run_on_simulated_time(
    client: NitronodeClient, node: LocalNitronode, clock: SimulatedClock, count: int
) -> list[object]:
    """Send ``count`` concurrent reads; move time only once the node has them all.

    Every frame then reaches the node at the simulated moment its token was taken.
    """
    tasks = [asyncio.create_task(client.get_balances()) for _ in range(count)]

    def received() -> int:
        return sum(node.faults.received.values())

    def finished() -> bool:
        dropped = client.state is ConnectionState.DISCONNECTED
        return dropped or all(task.done() for task in tasks)

    def waiting_for_a_token() -> bool:
        # The upkeep's sleep is one sleeper; a frame waiting for its token the other.
        return received() == client.stats["frames_sent"] and clock.sleepers > 1

    async with asyncio.timeout(60):
        while not finished():
            while not (finished() or waiting_for_a_token()):
                await asyncio.sleep(0.001)
            if not finished():
                clock.advance(EIGHTH)
    for task in tasks:
        task.cancel()  # those still waiting for a token when the socket dropped
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_200_concurrent_requests_never_trip_the_node(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> None:
    """The client's budget (8/s, burst 16) keeps inside a v1.4 node's (10/s, burst 20).

    A v1.4 node closes the socket on an overrun; here every request is answered.
    """
    client = make_v1_client(node, clock=clock, sleep=clock.sleep, request_timeout=60)
    await client.connect()
    started = clock()
    results = await run_on_simulated_time(client, node, clock, 200)
    assert results == [()] * 200
    assert (client.state, client.stats["connects"]) == (ConnectionState.CONNECTED, 1)
    assert client.stats["frames_sent"] == 204
    assert client.stats["limiter_waits"] == 204 - 16
    assert clock() - started == (204 - 16) * EIGHTH


async def test_a_budget_above_the_nodes_gets_the_socket_closed(
    make_v1_client: ClientFactory, node: LocalNitronode, clock: SimulatedClock
) -> None:
    """The same run at 12 frames a second overruns the node: the test above can fail."""
    client = make_v1_client(
        node, clock=clock, sleep=clock.sleep, request_timeout=60, frame_rate=12
    )
    await client.connect()
    results = await run_on_simulated_time(client, node, clock, 200)
    assert any(isinstance(result, Exception) for result in results)
    assert client.state is ConnectionState.DISCONNECTED
