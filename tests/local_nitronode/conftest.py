"""Fixtures: a local Nitronode on loopback, raw peers, wallets and a movable clock."""

from collections.abc import AsyncIterator, Awaitable, Callable
import time

import aiohttp
import pytest
import pytest_socket

from custom_components.nitrolite.clearnode.signing import Signer
from local_nitronode import (
    DEMO_COUNTERPARTY_KEY,
    DEMO_NODE_KEY,
    DEMO_WALLET_KEY,
    LocalNitronode,
    RateLimit,
)

from .peer import Peer

type Connect = Callable[..., Awaitable[Peer]]
# Loose enough that no test trips it; the rate-limit tests use the real budget.
GENEROUS = RateLimit(per_second=1000, burst=1000)


class Clock:
    """Unix time that only moves when a test moves it."""

    def __init__(self) -> None:
        """Start at the real current time."""
        self.now = time.time()

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


@pytest.fixture(autouse=True)
def allow_loopback() -> None:
    """Let these tests open real sockets, to 127.0.0.1 only."""
    pytest_socket.enable_socket()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
def wallet() -> Signer:
    """Return the demo wallet (the vectors' "user", a public test key)."""
    return Signer.from_key(DEMO_WALLET_KEY)


@pytest.fixture
def counterparty() -> Signer:
    """Return the demo counterparty (the vectors' "peer", a public test key)."""
    return Signer.from_key(DEMO_COUNTERPARTY_KEY)


@pytest.fixture
def clock() -> Clock:
    """Return the node's clock."""
    return Clock()


@pytest.fixture
async def node(clock: Clock) -> AsyncIterator[LocalNitronode]:
    """Run a node with the vectors' node key and no funds."""
    async with LocalNitronode(node_key=DEMO_NODE_KEY, clock=clock) as running:
        running.faults.rate_limit = GENEROUS
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP client session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def connect(
    node: LocalNitronode, http: aiohttp.ClientSession
) -> AsyncIterator[Connect]:
    """Open raw sockets to the node (closed at the end of the test)."""
    sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def open_peer(**options: object) -> Peer:
        ws = await http.ws_connect(node.url, **options)  # type: ignore[arg-type]
        sockets.append(ws)
        return Peer(ws)

    yield open_peer
    for ws in sockets:
        await ws.close()


@pytest.fixture
async def peer(connect: Connect) -> Peer:
    """Return one connected peer."""
    return await connect()
