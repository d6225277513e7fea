"""Fixtures: a funded local ClearNode on loopback and raw peers talking to it."""

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import aiohttp
import pytest
import pytest_socket

from custom_components.nitrolite.clearnode import signing
from local_clearnode import DEMO_COUNTERPARTY_KEY, DEMO_WALLET_KEY, LocalClearNode

from .peer import Peer

type Connect = Callable[[], Awaitable[Peer]]


@pytest.fixture(autouse=True)
def allow_loopback() -> None:
    """Let these tests open real sockets, to 127.0.0.1 only."""
    pytest_socket.enable_socket()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
def wallet() -> signing.Signer:
    """Return the demo wallet (a public test key)."""
    return signing.Signer.from_key(DEMO_WALLET_KEY)


@pytest.fixture
def counterparty() -> signing.Signer:
    """Return the demo counterparty (a public test key)."""
    return signing.Signer.from_key(DEMO_COUNTERPARTY_KEY)


@pytest.fixture
def session_key() -> signing.Signer:
    """Return a fresh session key."""
    return signing.Signer.generate()


@pytest.fixture
async def node(
    wallet: signing.Signer, counterparty: signing.Signer
) -> AsyncIterator[LocalClearNode]:
    """Run a node where the wallet holds 100 usdc and 10 ytest.usd, the counterparty 20 usdc."""
    funding = {
        wallet.address: {"usdc": Decimal(100), "ytest.usd": Decimal(10)},
        counterparty.address: {"usdc": Decimal(20)},
    }
    async with LocalClearNode(fund=funding) as running:
        yield running


@pytest.fixture
async def connect(node: LocalClearNode) -> AsyncIterator[Connect]:
    """Open raw sockets to the node; the initial assets push is consumed and checked."""
    peers: list[Peer] = []
    async with aiohttp.ClientSession() as http:

        async def open_peer() -> Peer:
            ws = await http.ws_connect(node.url)
            peer = Peer(ws, node.broker_address)
            peers.append(peer)
            assets = await peer.receive()
            assert (assets.request_id, assets.method) == (0, "assets")
            return peer

        yield open_peer
        for peer in peers:
            await peer.ws.close()


@pytest.fixture
async def peer(connect: Connect) -> Peer:
    """Return one connected, not logged-in peer."""
    return await connect()


@pytest.fixture
async def logged_in(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> Peer:
    """Return a peer logged in as the wallet, session key for "home-assistant" (50 usdc)."""
    answer = await peer.login(wallet, session_key)
    assert answer.method == "auth_verify", answer
    channels, balances = await peer.next_push(), await peer.next_push()
    assert (channels.method, balances.method) == ("channels", "bu")
    return peer
