"""Transport limits of v1.4.1: the frame budget, keepalive and the frame size cap."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from local_nitronode import Keepalive, LocalNitronode, NodeConfig

from .peer import Peer

TS = 1764201600000
CLOSED = {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR}
FAST = Keepalive(ping_interval=0.05, pong_timeout=0.5)
MAX_FRAME = 128 * 1024


def frozen() -> float:
    """Return a time that never moves: the frame budget does not refill."""
    return 0.0


@pytest.fixture
async def budgeted() -> AsyncIterator[LocalNitronode]:
    """Run a v1.4.1 node with the real budget (10/s, burst 20) and a frozen refill."""
    async with LocalNitronode(frame_clock=frozen) as node:
        yield node


async def test_a_burst_over_the_budget_closes_the_socket(
    budgeted: LocalNitronode, http: aiohttp.ClientSession
) -> None:
    """Frame 21 of a burst drops the connection, with no error frame (v1.4)."""
    peer = Peer(await http.ws_connect(budgeted.url))
    for _ in range(20):
        assert await peer.call("node.v1.ping") == {}
    await peer.send_text(peer.frame("node.v1.ping", {}))
    message = await peer.ws.receive(timeout=10)
    assert message.type in CLOSED


async def test_malformed_frames_spend_the_budget_too(
    budgeted: LocalNitronode, http: aiohttp.ClientSession
) -> None:
    """Every frame counts, answered or not: 20 garbage frames leave nothing."""
    peer = Peer(await http.ws_connect(budgeted.url))
    for _ in range(20):
        assert (await peer.raw("garbage")).error == "invalid message format"
    await peer.send_text(peer.frame("node.v1.ping", {}))
    assert (await peer.ws.receive(timeout=10)).type in CLOSED


async def test_a_v1_3_node_answers_rate_limit_exceeded_and_keeps_the_socket(
    http: aiohttp.ClientSession,
) -> None:
    """Presenting v1.3, the node answers an overrun with an error and stays connected."""
    config = NodeConfig(node_version="v1.3.2")
    async with LocalNitronode(config=config, frame_clock=frozen) as node:
        peer = Peer(await http.ws_connect(node.url))
        for _ in range(20):
            await peer.call("node.v1.ping")
        for _ in range(2):
            assert await peer.error("node.v1.ping") == "rate limit exceeded"
        assert node.faults.received["node.v1.ping"] == 22
        assert not peer.ws.closed
        await peer.ws.close()


async def test_the_budget_refills_with_time(http: aiohttp.ClientSession) -> None:
    """Ten frames a second come back: after a second a full burst fits again."""
    now = [0.0]
    async with LocalNitronode(frame_clock=lambda: now[0]) as node:
        peer = Peer(await http.ws_connect(node.url))
        for _ in range(20):
            await peer.call("node.v1.ping")
        now[0] = 2.0
        for _ in range(20):
            await peer.call("node.v1.ping")
        await peer.ws.close()


async def test_a_client_that_never_pongs_is_dropped(
    http: aiohttp.ClientSession,
) -> None:
    """The node pings; without pongs its read deadline passes and it hangs up."""
    async with LocalNitronode(keepalive=FAST) as node:
        ws = await http.ws_connect(node.url, autoping=False)
        pings = 0
        while (message := await ws.receive(timeout=10)).type is aiohttp.WSMsgType.PING:
            pings += 1
        assert message.type in CLOSED
        assert pings >= 1


async def test_pongs_keep_the_connection_alive(http: aiohttp.ClientSession) -> None:
    """Each pong extends the deadline: answering 60 pings outlives the 1 s timeout."""
    async with LocalNitronode(keepalive=Keepalive(0.02, 1.0)) as node:
        ws = await http.ws_connect(node.url, autoping=False)
        for _ in range(60):
            message = await ws.receive(timeout=10)
            assert message.type is aiohttp.WSMsgType.PING
            await ws.pong(message.data)
        assert await Peer(ws).call("node.v1.ping") == {}
        await ws.close()


async def test_ignored_pongs_drop_even_an_answering_client(
    http: aiohttp.ClientSession,
) -> None:
    """With ``ignore_pongs`` the deadline never moves, whatever the client does."""
    async with LocalNitronode(keepalive=FAST) as node:
        node.faults.ignore_pongs = True
        ws = await http.ws_connect(node.url)
        assert (await ws.receive(timeout=10)).type in CLOSED


async def test_a_node_that_stops_pinging_sends_nothing_before_hanging_up(
    http: aiohttp.ClientSession,
) -> None:
    """With ``stop_pinging`` no ping arrives, so no pong can: the client is dropped."""
    async with LocalNitronode(keepalive=FAST) as node:
        node.faults.stop_pinging = True
        ws = await http.ws_connect(node.url, autoping=False)
        assert (await ws.receive(timeout=10)).type in CLOSED


def padded_ping(size: int) -> str:
    """Return a ping frame of exactly ``size`` bytes."""
    skeleton = f'[1,1,"node.v1.ping",{{"pad":""}},{TS}]'
    return skeleton.replace('""', '"' + "x" * (size - len(skeleton)) + '"')


async def test_frames_up_to_128_kib_are_read(peer: Peer) -> None:
    """A frame of exactly 128 KiB is within the cap."""
    answer = await peer.raw(padded_ping(MAX_FRAME))
    assert answer.result == {}


async def test_a_larger_frame_closes_with_1009(peer: Peer) -> None:
    """One byte more closes the socket with code 1009 (message too big)."""
    await peer.send_text(padded_ping(MAX_FRAME + 1))
    message = await peer.ws.receive(timeout=10)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_binary_frames_are_read_like_text(peer: Peer) -> None:
    """The node reads a binary WebSocket message as it reads a text one."""
    await peer.ws.send_bytes(peer.frame("node.v1.ping", {}).encode())
    assert (await peer.receive()).result == {}


async def test_a_flood_beyond_the_inbound_queue_drops_the_socket(
    node: LocalNitronode, peer: Peer
) -> None:
    """While a request is being handled, at most 64 more may wait; the next drops us."""
    node.faults.delay = 5.0
    for _ in range(70):
        await peer.send_text(peer.frame("node.v1.ping", {}))
    assert (await peer.ws.receive(timeout=10)).type in CLOSED


@pytest.mark.parametrize(
    ("version", "answers"),
    [
        ("v1.3.2", True),
        ("1.2.0", True),
        ("v1.4.0", False),
        ("v2.0.0", False),
        ("dev", False),
    ],
)
def test_which_versions_answer_an_overrun(version: str, answers: bool) -> None:
    """Before v1.4 an overrun is answered; from v1.4 (or an unknown version) it closes."""
    assert NodeConfig(node_version=version).answers_rate_limit is answers
