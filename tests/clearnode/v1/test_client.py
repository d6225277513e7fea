"""The v1 client against a local Nitronode over loopback WebSockets."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
import secrets
from typing import Any

import pytest
from yarl import URL

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionUpdated,
    Asset,
    Balance,
    ClearNodeBrokerChangedError,
    ClearNodeConnectionError,
    ClearNodeConnectionLostError,
    ClearNodeInvalidAnswerError,
    ClearNodeNoAnswerError,
    ClearNodeRateLimitedError,
    ClearNodeRejectedError,
    ClearNodeUnsupportedNodeError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
    ConnectionState,
    ConnectionStateChanged,
    Dialect,
    Feature,
    NitronodeClient,
    Resynced,
    Signer,
    Transaction,
    to_checksum_address,
)
from custom_components.nitrolite.clearnode.v1 import PROTOCOL, TransactionType
from local_nitronode import (
    DEMO_COUNTERPARTY_KEY,
    DEMO_NODE_KEY,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
    LocalNitronode,
    NodeConfig,
    RateLimit,
)
from tests.clearnode.conftest import EventLog, eventually

from .clock import SimulatedClock
from .conftest import GENEROUS, ClientFactory

YUSD, USDC = "yusd", "usdc"
WALLET = to_checksum_address(DEMO_WALLET_ADDRESS)
PEER_KEY = Signer.from_key(DEMO_COUNTERPARTY_KEY)
PEER = PEER_KEY.address
SUBMIT = "app_sessions.v1.submit_app_state"


@pytest.fixture
async def node() -> AsyncIterator[LocalNitronode]:
    """Run a local Nitronode v1.4.1 with its own frame budget (10/s, burst 20)."""
    async with LocalNitronode(node_key=DEMO_NODE_KEY) as running:
        yield running


def two_party(nonce: int = 1, weights: tuple[int, int] = (100, 0)) -> AppDefinition:
    """Return a definition of our wallet and the peer; our weight reaches the quorum."""
    return AppDefinition(
        "home-assistant", PROTOCOL, (WALLET, PEER), weights, weights[0], 0, nonce
    )


def split(ours: str, theirs: str, asset: str = YUSD) -> list[Allocation]:
    """Return an allocation of ``asset`` between our wallet and the peer."""
    return [
        Allocation(WALLET, asset, Decimal(ours)),
        Allocation(PEER, asset, Decimal(theirs)),
    ]


async def connected(
    make_v1_client: ClientFactory, node: LocalNitronode, **options: Any
) -> tuple[NitronodeClient, EventLog]:
    """Return a connected client of ``node`` and the log of its events."""
    client = make_v1_client(node, **options)
    events = EventLog()
    client.subscribe(events.append)
    await client.connect()
    return client, events


async def opened(
    client: NitronodeClient,
    node: LocalNitronode,
    deposit: str = "5",
    weights: tuple[int, int] = (100, 0),
) -> AppSession:
    """Fund our wallet with 10 yusd; return a session we opened with ``deposit``."""
    node.fund(WALLET, YUSD, Decimal(10))
    definition = two_party(weights=weights)
    await client.create_app_session(definition, split(deposit, "0"))
    async for session in client.iter_app_sessions(status="open"):
        return session
    raise AssertionError("the session is not listed")


def sent(node: LocalNitronode) -> dict[str, int]:
    """Return the requests the node received, by method."""
    return dict(node.faults.received)


async def test_connecting_reads_the_node_and_our_state_and_logs_in_nowhere(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Config, assets, then balances and open sessions for the polls to compare with."""
    client, events = await connected(make_v1_client, node)
    assert sent(node) == {
        "node.v1.get_config": 1,
        "node.v1.get_assets": 1,
        "user.v1.get_balances": 1,
        "app_sessions.v1.get_app_sessions": 1,
    }
    assert client.state is ConnectionState.CONNECTED
    assert client.node_address == to_checksum_address(node.node_address)
    assert (client.node_version, client.dialect) == ("v1.4.1", Dialect.V1)
    assert client.features == {Feature.POLLING, Feature.PUBLIC_READS, Feature.FAUCET}
    assert [e.state for e in events if isinstance(e, ConnectionStateChanged)] == [
        "connecting",
        "connected",
    ]
    assert client.stats["frames_sent"] == 4


async def test_a_node_older_than_v1_3_is_refused_after_its_config(
    make_v1_client: ClientFactory,
) -> None:
    """A v1.2 node needs registered applications: it is refused, nothing more is read."""
    async with LocalNitronode(config=NodeConfig(node_version="v1.2.0")) as old:
        client = make_v1_client(old)
        with pytest.raises(ClearNodeUnsupportedNodeError, match="v1.2.0"):
            await client.connect()
        assert sent(old) == {"node.v1.get_config": 1}
        assert client.state is ConnectionState.DISCONNECTED


async def test_a_client_pinned_to_another_node_refuses_it(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Pinning works as for a v0.5 broker: another address ends the connect at once."""
    other = Signer.generate().address
    client = make_v1_client(node, node_address=other.lower())
    with pytest.raises(ClearNodeBrokerChangedError) as raised:
        await client.connect()
    expected = (other, to_checksum_address(node.node_address))
    assert (raised.value.expected, raised.value.actual) == expected
    assert sent(node) == {"node.v1.get_config": 1}


async def test_after_its_first_connect_the_client_keeps_to_that_node(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Unpinned, the first node met is trusted; another key there later is refused."""
    client = make_v1_client(node)
    events = EventLog()
    client.subscribe(events.append)
    running = asyncio.create_task(client.run())
    await events.wait_for(Resynced)
    first = client.node_address
    await node.stop()
    port = URL(node.url).port
    async with LocalNitronode(
        port=port, node_key="0x" + secrets.token_hex(32)
    ) as other:
        await eventually(
            lambda: any(
                isinstance(event, ConnectionStateChanged)
                and isinstance(event.error, ClearNodeBrokerChangedError)
                for event in events
            )
        )
        assert set(sent(other)) == {"node.v1.get_config"}
    assert client.node_address == first
    await client.close()
    await running


async def test_any_wallets_balances_can_be_read(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Reads are public: our balances by default, another wallet's when named."""
    node.fund(WALLET, YUSD, Decimal(10))
    node.fund(PEER, USDC, Decimal("2.5"))
    client, _ = await connected(make_v1_client, node)
    assert await client.get_balances() == (Balance(YUSD, Decimal(10)),)
    assert await client.get_balances(PEER.lower()) == (Balance(USDC, Decimal("2.5")),)
    assert await client.get_balances(Signer.generate().address) == ()
    with pytest.raises(ClearNodeValidationError, match="wallet"):
        await client.get_balances("0x1234")


async def test_assets_are_those_read_on_connecting_one_per_token(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Each token of each asset, with the asset's precision; no request is sent."""
    client, _ = await connected(make_v1_client, node)
    assets = await client.get_assets()
    assert sent(node)["node.v1.get_assets"] == 1
    expected = {
        Asset(to_checksum_address(token.address), token.blockchain_id, symbol, 6)
        for asset in node.config.assets
        for symbol, token in ((asset.symbol, t) for t in asset.tokens)
    }
    assert set(assets) == expected
    assert len(assets) == 3


async def test_a_session_funded_with_two_assets_takes_a_deposit_per_asset(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """One commit funds one asset: create, then a deposit of yusd and one of usdc."""
    node.fund(WALLET, YUSD, Decimal(10))
    node.fund(WALLET, USDC, Decimal(3))
    client, _ = await connected(make_v1_client, node)
    definition = two_party()
    result = await client.create_app_session(
        definition, [*split("5", "0"), *split("2", "0", USDC)]
    )
    assert (result.app_session_id, result.version, result.status) == (
        client.app_session_id(definition),
        3,
        "open",
    )
    assert sent(node)["app_sessions.v1.create_app_session"] == 1
    assert sent(node)["app_sessions.v1.submit_deposit_state"] == 2
    (session,) = [s async for s in client.iter_app_sessions(status="open")]
    assert set(session.allocations or ()) == {
        Allocation(WALLET, YUSD, Decimal(5)),
        Allocation(WALLET, USDC, Decimal(2)),
    }
    assert set(await client.get_session_share(result.app_session_id)) == {
        Balance(YUSD, Decimal(5)),
        Balance(USDC, Decimal(2)),
    }


async def test_a_refused_second_deposit_closes_the_session_returning_the_first(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Nothing is half-done: the yusd deposited comes back, the usdc refusal is raised."""
    node.fund(WALLET, YUSD, Decimal(10))
    node.fund(WALLET, USDC, Decimal(1))
    client, _ = await connected(make_v1_client, node)
    definition = two_party()
    with pytest.raises(ClearNodeValidationError, match="usdc balance"):
        await client.create_app_session(
            definition, [*split("5", "0"), *split("2", "0", USDC)]
        )
    record = node.app_session(client.app_session_id(definition))
    assert (record.status, record.version) == ("closed", 3)
    assert set(await client.get_balances()) == {
        Balance(YUSD, Decimal(10)),
        Balance(USDC, Decimal(1)),
    }


async def test_only_our_wallet_may_fund_a_new_session(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """A deposit of the peer would need its signature: refused before anything is sent."""
    client, _ = await connected(make_v1_client, node)
    before = sent(node)
    with pytest.raises(ClearNodeValidationError, match="allocations"):
        await client.create_app_session(two_party(), split("5", "1"))
    assert sent(node) == before


async def test_states_are_submitted_by_intent(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Operate redistributes, deposit adds to our share, withdraw pays out."""
    client, _ = await connected(make_v1_client, node)
    session = await opened(client, node)
    result = await client.submit_app_state(session, split("4", "1"))
    assert (result.version, result.status) == (3, "open")
    session = await anext(client.iter_app_sessions(status="open"))
    result = await client.submit_app_state(session, split("6", "1"), intent="deposit")
    assert result.version == 4
    session = await anext(client.iter_app_sessions(status="open"))
    result = await client.submit_app_state(session, split("5", "1"), intent="withdraw")
    assert result.version == 5
    assert await client.get_balances() == (Balance(YUSD, Decimal(4)),)
    with pytest.raises(ClearNodeValidationError, match="intent"):
        await client.submit_app_state(session, split("5", "1"), intent="close")


async def test_a_close_with_another_split_redistributes_first(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Two requests: operate to the final split, then close at it."""
    client, _ = await connected(make_v1_client, node)
    session = await opened(client, node)
    result = await client.close_app_session(session, split("3", "2"))
    assert (result.version, result.status) == (4, "closed")
    assert sent(node)[SUBMIT] == 2
    assert await client.get_balances() == (Balance(YUSD, Decimal(8)),)
    assert await client.get_balances(PEER) == (Balance(YUSD, Decimal(2)),)


async def test_a_close_refused_after_its_redistribution_reports_that_state(
    make_v1_client: ClientFactory, node: LocalNitronode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The redistribution stands: subscribers get it as an event, then the error."""
    client = make_v1_client(node)
    events = EventLog()
    client.subscribe(events.append)
    call = client._call

    async def refuse_after_the_redistribution(
        method: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        result = await call(method, payload)
        if method == SUBMIT:
            node.faults.refuse_next = 1
        return result

    monkeypatch.setattr(client, "_call", refuse_after_the_redistribution)
    await client.connect()
    session = await opened(client, node)
    with pytest.raises(ClearNodeRejectedError, match=SUBMIT):
        await client.close_app_session(session, split("3", "2"))
    update = await events.wait_for(AppSessionUpdated)
    assert (update.session.version, update.session.status, update.versions) == (
        3,
        "open",
        1,
    )
    assert set(update.session.allocations or ()) == set(split("3", "2"))


async def test_a_payment_is_rebuilt_once_on_a_newer_version(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """The peer paid first: the session is re-read (and reported), ours goes on top."""
    client, events = await connected(make_v1_client, node)
    session = await opened(client, node, weights=(1, 1))
    node.peer_submit(session.app_session_id, split("4", "1"), PEER_KEY)
    paid = await client.pay(session, PEER, YUSD, "1")
    assert paid.version == session.version + 2
    assert set(paid.allocations or ()) == set(split("3", "2"))
    peer_state = await events.wait_for(AppSessionUpdated)
    assert peer_state.session.version == session.version + 1
    assert sent(node)[SUBMIT] == 2


async def test_a_payment_is_never_rebuilt_twice(
    make_v1_client: ClientFactory, node: LocalNitronode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second conflict is the caller's to see: nothing is retried blindly."""
    client = make_v1_client(node)
    call = client._call

    async def peer_pays_before_each_submit(
        method: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        if method == SUBMIT:
            node.peer_submit(session.app_session_id, split("4", "1"), PEER_KEY)
        return await call(method, payload)

    await client.connect()
    session = await opened(client, node, weights=(1, 1))
    monkeypatch.setattr(client._ops(), "_send", peer_pays_before_each_submit)
    with pytest.raises(ClearNodeVersionConflictError):
        await client.pay(session, PEER, YUSD, "1")
    assert sent(node)[SUBMIT] == 2


async def test_a_close_releases_the_split_as_transactions_of_ours(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Our transactions, by type: the release of our share comes from the session."""
    client, _ = await connected(make_v1_client, node)
    session = await opened(client, node)
    await client.close_app_session(session, split("3", "2"))
    (release,) = await client.get_transactions(TransactionType.RELEASE)
    assert (release.from_account, release.to_account, release.amount) == (
        session.app_session_id,
        WALLET,
        Decimal(3),
    )
    assert len(await client.get_transactions(limit=2)) == 2


async def test_a_resync_emits_the_state_as_it_is_now(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Balances and open sessions, read in full, as one Resynced event."""
    client, events = await connected(make_v1_client, node)
    session = await opened(client, node)
    await client.resync()
    resynced = await events.wait_for(Resynced)
    assert resynced.balances == (Balance(YUSD, Decimal(5)),)
    assert resynced.open_sessions == (session,)


async def test_a_transfer_moves_one_asset_per_call(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """One asset: sent and answered as a transaction; several or ourselves: refused."""
    node.fund(WALLET, YUSD, Decimal(10))
    node.fund(WALLET, USDC, Decimal(10))
    client, _ = await connected(make_v1_client, node)
    (transaction,) = await client.transfer(PEER, [(YUSD, Decimal("1.5"))])
    assert isinstance(transaction, Transaction)
    assert (transaction.tx_type, transaction.to_account, transaction.amount) == (
        "transfer",
        PEER,
        Decimal("1.5"),
    )
    assert await client.get_balances(PEER) == (Balance(YUSD, Decimal("1.5")),)
    before = sent(node)
    with pytest.raises(ClearNodeValidationError, match="allocations"):
        await client.transfer(PEER, [(YUSD, Decimal(1)), (USDC, Decimal(1))])
    with pytest.raises(ClearNodeValidationError, match="destination"):
        await client.transfer(WALLET.lower(), [(YUSD, Decimal(1))])
    assert sent(node) == before


async def test_releasing_credentials_sends_nothing(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """The wallet signs everything: no key was registered, none is revoked."""
    client, _ = await connected(make_v1_client, node)
    before = sent(node)
    await client.release_credentials()
    assert sent(node) == before


async def test_sessions_are_listed_newest_first_over_every_page(
    make_v1_client: ClientFactory,
) -> None:
    """More than a page (100): each once, newest first; by status; rules on the filter."""
    async with LocalNitronode() as roomy:
        roomy.faults.rate_limit = GENEROUS
        client, _ = await connected(
            make_v1_client, roomy, frame_rate=1000, frame_burst=1000
        )
        for nonce in range(1, 106):
            await client.create_app_session(two_party(nonce), ())
        listed = [s.nonce async for s in client.iter_app_sessions()]
        assert listed == list(range(105, 0, -1))
        assert [s async for s in client.iter_app_sessions(status="closed")] == []
        peers = [s async for s in client.iter_app_sessions(participant=PEER)]
        assert len(peers) == 105
        with pytest.raises(ClearNodeValidationError, match="status"):
            await anext(client.iter_app_sessions(status="pending"))


async def test_our_share_of_a_session(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Our allocations per asset; none for a session the node does not know."""
    client, _ = await connected(make_v1_client, node)
    session = await opened(client, node)
    await client.submit_app_state(session, split("4", "1"))
    share = await client.get_session_share(session.app_session_id)
    assert share == (Balance(YUSD, Decimal(4)),)
    assert await client.get_session_share("0x" + "00" * 32) == ()


async def test_a_drop_while_a_change_awaits_its_answer_may_have_applied_it(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Sent, then the socket is gone: outcome unknown, unlike not being connected."""
    client, _ = await connected(make_v1_client, node)
    session = await opened(client, node)
    node.faults.close_on_methods.add(SUBMIT)
    with pytest.raises(ClearNodeConnectionLostError) as lost:
        await client.submit_app_state(session, split("4", "1"))
    assert lost.value.outcome_unknown
    with pytest.raises(ClearNodeConnectionError) as refused:
        await client.submit_app_state(session, split("4", "1"))
    assert not refused.value.outcome_unknown
    assert sent(node)[SUBMIT] == 1


async def test_a_change_without_an_answer_may_have_been_applied(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Silence after sending is the same family: the caller must re-read."""
    client, _ = await connected(make_v1_client, node, request_timeout=0.5)
    session = await opened(client, node)
    node.faults.silent_methods.add(SUBMIT)
    with pytest.raises(ClearNodeNoAnswerError) as silent:
        await client.submit_app_state(session, split("4", "1"))
    assert silent.value.outcome_unknown


async def test_a_client_never_connected_sends_nothing(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Not connected: a plain connection error, which means nothing was applied."""
    client = make_v1_client(node)
    with pytest.raises(ClearNodeConnectionError) as refused:
        await client.create_app_session(two_party(), split("1", "0"))
    assert not refused.value.outcome_unknown
    assert (client.node_address, client.node_version) == (None, None)
    assert sent(node) == {}


async def test_a_v1_3_node_refusing_for_its_rate_limit_gives_a_typed_error(
    make_v1_client: ClientFactory, clock: SimulatedClock
) -> None:
    """Before v1.4 an overrun is answered ``rate limit exceeded``; the socket stays."""
    async with LocalNitronode(
        config=NodeConfig(node_version="v1.3.0"), frame_clock=clock
    ) as older:
        older.faults.rate_limit = RateLimit(per_second=1, burst=5)
        client, _ = await connected(make_v1_client, older)
        await client.get_balances()
        with pytest.raises(ClearNodeRateLimitedError) as limited:
            await client.get_balances()
        assert limited.value.code == "rate_limited"
        assert client.state is ConnectionState.CONNECTED


def test_a_client_needs_a_wallet_key_and_a_poll_interval_in_range(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Bad settings are refused naming the field; the key never shows in its repr."""
    with pytest.raises(ClearNodeValidationError, match="wallet_key"):
        NitronodeClient(None, node.url, "0x1234")  # type: ignore[arg-type]
    for interval in (0.5, 301):
        with pytest.raises(ClearNodeValidationError, match="poll_interval"):
            make_v1_client(node, poll_interval=interval)
    client = make_v1_client(node)
    assert WALLET in repr(client)
    assert DEMO_WALLET_KEY[2:] not in repr(client)


async def test_an_answer_for_another_method_is_not_believed(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """A frame with our request's id but another method: may have been applied."""
    client, _ = await connected(make_v1_client, node)
    node.faults.silent_methods.add("node.v1.ping")
    pinging = asyncio.create_task(client.ping())
    await eventually(lambda: node.faults.received["node.v1.ping"] == 1)
    # Connecting took request ids 1 to 4: the ping is 5.
    await node.faults.send_raw('[2,5,"node.v1.get_config",{},1764201600000]')
    with pytest.raises(ClearNodeInvalidAnswerError, match="answered as") as raised:
        await pinging
    assert raised.value.outcome_unknown


async def test_a_push_from_a_v1_node_is_ignored_and_counted(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """v1 nodes send no events; one that does changes nothing."""
    client, events = await connected(make_v1_client, node)
    await node.faults.send_raw('[3,0,"home_channel_created",{},1764201600000]')
    await eventually(lambda: client.stats["ignored_pushes"] == 1)
    assert all(isinstance(event, ConnectionStateChanged) for event in events)
