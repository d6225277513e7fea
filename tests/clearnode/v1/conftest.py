"""Fixtures: a local Nitronode, a socket to it, the demo wallet's operations and clients."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from custom_components.nitrolite.clearnode import NitronodeClient
from custom_components.nitrolite.clearnode.models import AppDefinition, AppSession
from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.models import PROTOCOL
from custom_components.nitrolite.clearnode.v1.node import NodeInfo, read_node
from custom_components.nitrolite.clearnode.v1.operations import Operations
from local_nitronode import (
    DEMO_COUNTERPARTY_KEY,
    DEMO_NODE_KEY,
    DEMO_WALLET_KEY,
    LocalNitronode,
    RateLimit,
)

from .clock import SimulatedClock
from .sender import Sender

YUSD = "yusd"
# The frame budget is the rate limiter's business (tests/clearnode/test_ratelimit.py).
GENEROUS = RateLimit(per_second=1000, burst=1000)

type Connect = Callable[..., Awaitable[Sender]]


class Recorder(list[AppSession]):
    """The sessions the operations reported as accepted by the node."""

    def __call__(self, session: AppSession) -> None:
        """Record one."""
        self.append(session)


@pytest.fixture
def wallet() -> Signer:
    """Return the demo wallet."""
    return Signer.from_key(DEMO_WALLET_KEY)


@pytest.fixture
def counterparty() -> Signer:
    """Return the demo counterparty."""
    return Signer.from_key(DEMO_COUNTERPARTY_KEY)


@pytest.fixture
async def nitronode() -> AsyncIterator[LocalNitronode]:
    """Run a local Nitronode (v1.4.1) with no funds."""
    async with LocalNitronode(node_key=DEMO_NODE_KEY) as running:
        running.faults.rate_limit = GENEROUS
        yield running


@pytest.fixture
async def connect(
    nitronode: LocalNitronode, http: aiohttp.ClientSession
) -> AsyncIterator[Connect]:
    """Open senders to the node (closed after the test)."""
    senders: list[Sender] = []

    async def open_sender(**options: float) -> Sender:
        sender = Sender(await http.ws_connect(nitronode.url), **options)
        senders.append(sender)
        return sender

    yield open_sender
    for sender in senders:
        await sender.close()


@pytest.fixture
async def sender(connect: Connect) -> Sender:
    """Return one sender."""
    return await connect()


@pytest.fixture
async def node_info(sender: Sender) -> NodeInfo:
    """Return what the node says of itself."""
    return await read_node(sender)


@pytest.fixture
def applied() -> Recorder:
    """Return the record of accepted sessions."""
    return Recorder()


@pytest.fixture
def ops(
    sender: Sender, wallet: Signer, node_info: NodeInfo, applied: Recorder
) -> Operations:
    """Return the demo wallet's operations (reads of the node already done)."""
    sender.requests.clear()
    return Operations(sender, wallet, node_info, applied=applied)


@dataclass(frozen=True)
class Local:
    """A local node, a socket to it, and the demo wallet acting there."""

    node: LocalNitronode
    sender: Sender
    ops: Operations
    applied: Recorder
    wallet: Signer
    counterparty: Signer

    def fund(self, amount: str = "10") -> None:
        """Credit the wallet off-chain, as the faucet does."""
        self.node.fund(self.wallet.address, YUSD, Decimal(amount))


@pytest.fixture
def local(
    nitronode: LocalNitronode,
    sender: Sender,
    ops: Operations,
    applied: Recorder,
    parties: tuple[Signer, Signer],
) -> Local:
    """Return the node, the socket and the wallet's operations together."""
    return Local(nitronode, sender, ops, applied, *parties)


@pytest.fixture
def parties(wallet: Signer, counterparty: Signer) -> tuple[Signer, Signer]:
    """Return the wallet and the counterparty."""
    return wallet, counterparty


def definition(
    *participants: tuple[Signer, int], quorum: int, nonce: int = 1
) -> AppDefinition:
    """Return a v1 definition of (signer, weight) participants."""
    return AppDefinition(
        application="home-assistant",
        protocol=PROTOCOL,
        participants=tuple(signer.address for signer, _ in participants),
        weights=tuple(weight for _, weight in participants),
        quorum=quorum,
        challenge=0,
        nonce=nonce,
    )


def shares(session: AppSession) -> dict[str, Decimal]:
    """Return a session's non-zero shares by participant (one asset)."""
    assert session.allocations is not None
    return {a.participant: a.amount for a in session.allocations if a.amount}


type ClientFactory = Callable[..., NitronodeClient]


@pytest.fixture
def clock() -> SimulatedClock:
    """Return simulated time (for a client, and the node's frame budget)."""
    return SimulatedClock()


@pytest.fixture
async def make_v1_client(
    http: aiohttp.ClientSession,
) -> AsyncIterator[ClientFactory]:
    """Build demo-wallet clients of a node; every client is closed after the test.

    They poll only every 300 s and reconnect quickly, unless told otherwise.
    """
    clients: list[NitronodeClient] = []

    def factory(node: LocalNitronode, **options: Any) -> NitronodeClient:
        options = {
            "faucet_url": node.faucet_url,
            "poll_interval": 300.0,
            "request_timeout": 5.0,
            "reconnect_min_delay": 0.05,
            "reconnect_max_delay": 0.2,
        } | options
        client = NitronodeClient(http, node.url, DEMO_WALLET_KEY, **options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()
