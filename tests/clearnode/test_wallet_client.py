"""One interface, two dialects: the same WalletClient scenario against both local nodes.

Each client is built by ``create_client`` from its dialect's options, and the scenario
uses only the WalletClient protocol and ``features``, as the integration does.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from decimal import Decimal

import aiohttp
import pytest

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    Balance,
    BalancesUpdated,
    ClearNodeFaucetError,
    ClearNodeOptions,
    ConnectionState,
    Dialect,
    Feature,
    NitronodeOptions,
    WalletClient,
    create_client,
    faucet_url_for,
    to_checksum_address,
)
from custom_components.nitrolite.clearnode.v1 import PROTOCOL
import local_clearnode
import local_nitronode

from .conftest import EventLog, eventually


@dataclass(frozen=True)
class Setup:
    """A running node of one dialect and how the scenario uses it."""

    url: str
    options: ClearNodeOptions | NitronodeOptions
    wallet_key: str
    counterparty: str
    asset: str
    protocol: str


type Node = Callable[[], AbstractAsyncContextManager[Setup]]


@asynccontextmanager
async def clearnode_v05() -> AsyncIterator[Setup]:
    """Run a local ClearNode v0.5 whose demo wallet holds 100 usdc."""
    async with local_clearnode.LocalClearNode(
        fund={local_clearnode.DEMO_WALLET_ADDRESS: {"usdc": Decimal(100)}}
    ) as node:
        yield Setup(
            node.url,
            ClearNodeOptions(allowances={"usdc": Decimal(100)}, request_timeout=5),
            local_clearnode.DEMO_WALLET_KEY,
            local_clearnode.DEMO_COUNTERPARTY_ADDRESS,
            "usdc",
            "NitroRPC/0.4",
        )


@asynccontextmanager
async def nitronode_v1() -> AsyncIterator[Setup]:
    """Run a local Nitronode v1 with its faucet; the demo wallet holds nothing yet."""
    async with local_nitronode.LocalNitronode() as node:
        yield Setup(
            node.url,
            NitronodeOptions(
                poll_interval=1,
                request_timeout=5,
                faucet_url=faucet_url_for(node.url, local=True),
            ),
            local_nitronode.DEMO_WALLET_KEY,
            to_checksum_address(local_nitronode.DEMO_COUNTERPARTY_ADDRESS),
            "yusd",
            PROTOCOL,
        )


@pytest.fixture(params=[clearnode_v05, nitronode_v1], ids=["v0.5", "v1"])
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    """Run one dialect's local node."""
    async with request.param() as running:
        yield running


@pytest.fixture
async def client(
    setup: Setup, http: aiohttp.ClientSession
) -> AsyncIterator[WalletClient]:
    """Return the client ``create_client`` builds for the dialect; closed afterwards."""
    built = create_client(http, setup.url, setup.wallet_key, setup.options)
    yield built
    await built.close()


def split(me: str, setup: Setup, ours: Decimal, theirs: Decimal) -> list[Allocation]:
    """Return an allocation of the setup's asset between us and the counterparty."""
    return [
        Allocation(me, setup.asset, ours),
        Allocation(setup.counterparty, setup.asset, theirs),
    ]


async def test_open_pay_three_times_and_close_on_either_dialect(
    setup: Setup, client: WalletClient
) -> None:
    """Connect, fund where a faucet exists, open with 5, pay 1 three times, close.

    The balance comes back less the 3 paid, and subscribers hear of it as a
    BalancesUpdated (a push on v0.5, a poll on v1).
    """
    events = EventLog()
    client.subscribe(events.append)
    await client.connect()
    assert client.state is ConnectionState.CONNECTED
    assert client.dialect is setup.options.dialect
    if Feature.FAUCET in client.features:
        await client.request_test_tokens()
    me = client.wallet_address
    (before,) = [
        b.amount for b in await client.get_balances() if b.asset == setup.asset
    ]

    definition = AppDefinition(
        "home-assistant", setup.protocol, (me, setup.counterparty), (100, 0), 100, 0, 1
    )
    created = await client.create_app_session(
        definition, split(me, setup, Decimal(5), Decimal(0))
    )
    assert created.app_session_id == client.app_session_id(definition)
    assert (created.status, client.node_address is not None) == ("open", True)
    session = await listed(client, created.app_session_id)
    session = replace(
        session,
        version=created.version,
        allocations=tuple(split(me, setup, Decimal(5), Decimal(0))),
    )
    for paid in range(1, 4):
        allocations = split(me, setup, Decimal(5 - paid), Decimal(paid))
        result = await client.submit_app_state(session, allocations)
        assert result.version == session.version + 1
        session = replace(
            session, version=result.version, allocations=tuple(allocations)
        )
    closed = await client.close_app_session(session, list(session.allocations or ()))
    assert closed.status == "closed"

    after = Balance(setup.asset, before - 3)
    assert after in await client.get_balances()
    if Feature.PUBLIC_READS in client.features:
        assert Balance(setup.asset, Decimal(3)) in await client.get_balances(
            setup.counterparty
        )
    await eventually(
        lambda: any(
            isinstance(event, BalancesUpdated) and after in event.balances
            for event in events
        )
    )


async def listed(client: WalletClient, app_session_id: str) -> AppSession:
    """Return a session as the node lists it among our open ones."""
    async for session in client.iter_app_sessions(
        participant=client.wallet_address, status="open"
    ):
        if session.app_session_id == app_session_id:
            return session
    raise AssertionError(f"{app_session_id} is not listed")


async def test_only_a_node_with_a_faucet_gives_test_tokens(
    setup: Setup, client: WalletClient
) -> None:
    """FAUCET tells whether request_test_tokens can work; without it, a typed refusal."""
    if setup.options.dialect is Dialect.V1:
        assert Feature.FAUCET in client.features
        assert (await client.request_test_tokens()).asset == setup.asset
    else:
        assert Feature.FAUCET not in client.features
        with pytest.raises(ClearNodeFaucetError):
            await client.request_test_tokens()
