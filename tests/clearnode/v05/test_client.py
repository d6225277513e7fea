"""The client against a real local ClearNode over loopback WebSockets."""

import asyncio
from decimal import Decimal
import itertools
import logging

import pytest
from yarl import URL

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSessionUpdated,
    AssetsUpdated,
    BalancesUpdated,
    ClearNodeAllowanceError,
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeClockSkewError,
    ClearNodeConnectionError,
    ClearNodeProtocolError,
    ClearNodeRejectedError,
    ClearNodeSessionKeyError,
    ClearNodeTimeoutError,
    ClearNodeValidationError,
    ConnectionState,
    ConnectionStateChanged,
    FrameRejected,
    Resynced,
    Signer,
    TransfersReceived,
    connection as connection_module,
    signing,
)
from custom_components.nitrolite.clearnode.v05 import (
    app_session_id,
    codec as v05_codec,
    encode_response,
    frame_response,
    parsing as v05_parsing,
)
from local_clearnode import (
    DEMO_BROKER_KEY,
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
    LocalClearNode,
)
from tests.clearnode.conftest import EventLog, eventually

WALLET, PEER = DEMO_WALLET_ADDRESS, DEMO_COUNTERPARTY_ADDRESS
_NONCES = itertools.count(1_700_000_000_000)


def definition(**changes) -> AppDefinition:
    """Return a fresh two-party definition in which only our wallet votes."""
    fields = {
        "application": "home-assistant",
        "protocol": "NitroRPC/0.4",
        "participants": (WALLET, PEER),
        "weights": (100, 0),
        "quorum": 100,
        "challenge": 0,
        "nonce": next(_NONCES),
    } | changes
    return AppDefinition(**fields)


def split(ours: str, theirs: str, asset: str = "usdc") -> list[Allocation]:
    """Return allocations of ``asset`` between our wallet and the peer."""
    return [
        Allocation(WALLET, asset, Decimal(ours)),
        Allocation(PEER, asset, Decimal(theirs)),
    ]


async def connected(make_client, **options):
    """Return a connected client and the log of its events."""
    client = make_client(DEMO_WALLET_KEY, **options)
    events = EventLog()
    client.subscribe(events.append)
    await client.connect()
    return client, events


async def open_session(client, ours="10", theirs="0"):
    """Create a session and return it as listed by the server."""
    created = await client.create_app_session(definition(), split(ours, theirs))
    sessions = await client.get_app_sessions(participant=WALLET, status="open")
    return next(s for s in sessions if s.app_session_id == created.app_session_id)


async def test_connect_verifies_broker_and_logs_in(make_client, node) -> None:
    """Connect reads the broker from get_config, logs in and reports its steps."""
    client, events = await connected(make_client)
    assert client.state is ConnectionState.CONNECTED
    assert client.node_address == node.broker_address
    assert client.wallet_address == WALLET
    assert client.stats["authenticated"] is True
    assert client.stats["connects"] == 1
    states = [e.state for e in events if isinstance(e, ConnectionStateChanged)]
    assert states == ["connecting", "authenticating", "connected"]
    await events.wait_for(AssetsUpdated)
    balances = await events.wait_for(BalancesUpdated)
    assert {b.asset: b.amount for b in balances.balances}["usdc"] == Decimal(100)


def broker_refusals(events: EventLog) -> list[ClearNodeBrokerChangedError]:
    """Return the broker changes that ended connection attempts."""
    return [
        event.error
        for event in events
        if isinstance(event, ConnectionStateChanged)
        and isinstance(event.error, ClearNodeBrokerChangedError)
    ]


async def test_a_client_pinned_to_another_broker_refuses_before_logging_in(
    make_client, node
) -> None:
    """get_config naming another broker ends connect(); no login is attempted."""
    pinned = Signer.generate().address
    client = make_client(DEMO_WALLET_KEY, node_address=pinned)

    with pytest.raises(ClearNodeBrokerChangedError) as caught:
        await client.connect()

    assert (caught.value.expected, caught.value.actual) == (
        pinned,
        node.broker_address,
    )
    assert set(node.faults.received) == {"get_config"}
    assert client.state is ConnectionState.DISCONNECTED


async def test_a_get_config_not_signed_by_the_broker_it_names_is_refused(
    make_client, node
) -> None:
    """Naming a broker is not enough: its signature must be on the answer."""
    node.faults.corrupt_signatures = True
    client = make_client(DEMO_WALLET_KEY)

    with pytest.raises(ClearNodeProtocolError):
        await client.connect()

    assert "auth_request" not in node.faults.received
    assert client.stats["rejected_frames"] == 1


async def test_a_client_pinned_to_its_broker_connects(make_client, node) -> None:
    """The pinned address may be written in any case without a checksum."""
    client = make_client(DEMO_WALLET_KEY, node_address=node.broker_address.lower())
    await client.connect()
    assert client.node_address == node.broker_address


async def test_a_client_keeps_the_first_broker_it_met(make_client, node) -> None:
    """After a restart under another broker key, reconnecting fails; no login."""
    client, events = await connected(make_client)
    runner = asyncio.create_task(client.run())
    await node.stop()
    async with LocalClearNode(port=URL(node.url).port or 0) as rekeyed:
        await eventually(lambda: broker_refusals(events))
        assert broker_refusals(events)[0].actual == rekeyed.broker_address
        assert "auth_request" not in rekeyed.faults.received
    await client.close()
    await runner


async def test_public_methods_return_typed_results(make_client, node) -> None:
    """Ping, config, assets and balances come back as typed objects."""
    client, _ = await connected(make_client)
    await client.ping()
    config = await client.get_config()
    assert config.broker_address == node.broker_address
    symbols = {a.symbol for a in await client.get_assets()}
    assert symbols == {"usdc", "ytest.usd"}
    balances = await client.get_ledger_balances()
    assert {b.asset: b.amount for b in balances} == {
        "usdc": Decimal(100),
        "ytest.usd": Decimal(50),
    }


async def test_create_submit_close_moves_funds(make_client, node) -> None:
    """A full app-session lifecycle, checked on the server's ledger."""
    client, events = await connected(make_client)
    definition_ = definition()
    created = await client.create_app_session(definition_, split("10", "0"))
    assert created.app_session_id == app_session_id(definition_)
    assert (created.version, created.status) == (1, "open")
    assert created.app_session_id in node.app_sessions
    assert node.balance(WALLET, "usdc") == Decimal(90)

    listed = await client.get_app_sessions(participant=WALLET, status="open")
    session = next(s for s in listed if s.app_session_id == created.app_session_id)
    assert session.definition == definition_
    fetched = await client.get_app_definition(session.app_session_id)
    assert fetched.participants == definition_.participants

    submitted = await client.submit_app_state(
        session, split("4", "6"), session_data='{"round":1}'
    )
    assert submitted.version == 2
    update = await events.wait_for(AppSessionUpdated)
    assert update.session.version == 2
    assert update.session.allocations == tuple(split("4", "6"))

    closed = await client.close_app_session(update.session, split("4", "6"))
    assert (closed.version, closed.status) == (3, "closed")
    assert node.balance(WALLET, "usdc") == Decimal(94)
    assert node.balance(PEER, "usdc") == Decimal(6)


async def test_deposit_and_withdraw_intents(make_client, node) -> None:
    """Deposits take from the unified balance, withdrawals give back."""
    client, events = await connected(make_client)
    session = await open_session(client, "10", "0")
    await client.submit_app_state(session, split("15", "0"), intent="deposit")
    assert node.balance(WALLET, "usdc") == Decimal(85)
    deposited = (await events.wait_for(AppSessionUpdated)).session
    assert deposited.allocations == (Allocation(WALLET, "usdc", Decimal(15)),)
    withdrawn = await client.submit_app_state(
        deposited, split("5", "0"), intent="withdraw"
    )
    assert withdrawn.version == 3
    assert node.balance(WALLET, "usdc") == Decimal(95)


async def test_transfer_moves_funds_and_pushes(make_client, node) -> None:
    """A transfer returns the transaction and is pushed as tr."""
    client, events = await connected(make_client)
    transactions = await client.transfer(PEER.lower(), [("usdc", Decimal("1.5"))])
    assert [(t.to_account, t.amount) for t in transactions] == [(PEER, Decimal("1.5"))]
    pushed = await events.wait_for(TransfersReceived)
    assert pushed.transactions == transactions
    assert node.balance(PEER, "usdc") == Decimal("1.5")


async def test_a_revoked_session_key_signs_nothing_more(make_client, node) -> None:
    """After revoke_session_key nothing is signed, nor a key registered, until connect."""
    client, _ = await connected(make_client)
    await client.revoke_session_key()

    assert node.active_session_keys(WALLET) == []
    with pytest.raises(ClearNodeAuthenticationError):
        await client.transfer(PEER, [("usdc", Decimal(1))])
    assert node.faults.received["transfer"] == 0
    assert node.active_session_keys(WALLET) == []


async def pay_peer(client, _session) -> None:
    """Transfer 1 usdc to the peer."""
    await client.transfer(PEER, [("usdc", Decimal(1))])


async def open_another(client, _session) -> None:
    """Create a second session holding 10 usdc of ours."""
    await client.create_app_session(definition(), split("10", "0"))


async def move_to_peer(client, session) -> None:
    """Submit a state moving 4 usdc of the session to the peer."""
    await client.submit_app_state(session, split("6", "4"))


async def close_with_peer(client, session) -> None:
    """Close the session, 4 usdc going to the peer."""
    await client.close_app_session(session, split("6", "4"))


# What each signed change leaves: our balance, the peer's, the first session's version.
SIGNED_CHANGES = {
    "transfer": (pay_peer, (89, 1, 1)),
    "create_app_session": (open_another, (80, 0, 1)),
    "submit_app_state": (move_to_peer, (90, 0, 2)),
    "close_app_session": (close_with_peer, (96, 4, 2)),
}


@pytest.mark.parametrize("method", SIGNED_CHANGES)
async def test_a_replaced_session_key_is_renewed_and_the_request_sent_again(
    make_client, node, method
) -> None:
    """A key replaced by another login: the refused request is sent again, applied once.

    The other login is of the same wallet and application; a new key signs the repeat.
    """
    change, (ours, theirs, version) = SIGNED_CHANGES[method]
    client, _ = await connected(make_client)
    session = await open_session(client)
    await make_client(DEMO_WALLET_KEY).connect()  # registers a key replacing ours
    sent = node.faults.received[method]

    await change(client, session)

    assert node.faults.received[method] == sent + 2
    assert node.balance(WALLET, "usdc") == ours
    assert node.balance(PEER, "usdc") == theirs
    assert node.app_sessions[session.app_session_id].version == version
    assert len(node.active_session_keys(WALLET)) == 1


async def test_concurrent_refusals_register_one_new_key(make_client, node) -> None:
    """Requests refused together share the one new login."""
    client, _ = await connected(make_client)
    await make_client(DEMO_WALLET_KEY).connect()
    logins = node.faults.received["auth_verify"]

    await asyncio.gather(*(pay_peer(client, None) for _ in range(3)))

    assert node.faults.received["auth_verify"] == logins + 1
    assert node.balance(PEER, "usdc") == 3


async def test_a_key_refused_after_renewal_raises_the_session_key_error(
    make_client, node
) -> None:
    """When the new key is refused too, ClearNodeSessionKeyError; nothing applied."""
    client, _ = await connected(make_client)
    node.faults.drop_session_keys = True
    node.expire_session_key(node.active_session_keys(WALLET)[0])

    with pytest.raises(ClearNodeSessionKeyError):
        await pay_peer(client, None)

    assert node.faults.received["transfer"] == 2
    assert node.balance(WALLET, "usdc") == 100
    assert node.balance(PEER, "usdc") == 0


async def test_iter_app_sessions_walks_every_page(make_client) -> None:
    """Paging yields every session exactly once."""
    client, _ = await connected(make_client)
    created = {
        (await client.create_app_session(definition(), split("1", "0"))).app_session_id
        for _ in range(5)
    }
    seen = [
        s.app_session_id
        async for s in client.iter_app_sessions(participant=WALLET, page_size=2)
    ]
    assert sorted(seen) == sorted(created)


async def test_server_rejections_are_typed(make_client) -> None:
    """Server errors keep the method and reason; allowance errors are specific."""
    client, _ = await connected(make_client, allowances={"usdc": Decimal(5)})
    with pytest.raises(ClearNodeAllowanceError) as caught:
        await client.create_app_session(definition(), split("10", "0"))
    assert caught.value.method == "create_app_session"
    assert "allowance" in caught.value.reason
    with pytest.raises(ClearNodeRejectedError):
        await client.transfer(PEER, [("usdc", Decimal(1_000_000))])


async def test_stale_timestamps_raise_clock_skew(make_client, monkeypatch) -> None:
    """The server's "invalid message timestamp" becomes ClearNodeClockSkewError."""
    client, _ = await connected(make_client)
    monkeypatch.setattr(v05_codec, "now_ms", lambda: 1_600_000_000_000)
    with pytest.raises(ClearNodeClockSkewError):
        await client.get_ledger_balances()


async def test_invalid_input_is_refused_before_sending(make_client) -> None:
    """Validation errors name the field and nothing reaches the server."""
    client, _ = await connected(make_client)
    sent = client.stats["requests"]
    with pytest.raises(ClearNodeValidationError) as caught:
        await client.create_app_session(definition(nonce=0), split("1", "0"))
    assert caught.value.field == "nonce"
    with pytest.raises(ClearNodeValidationError) as caught:
        await client.create_app_session(definition(application="x"), split("1", "0"))
    assert caught.value.field == "application"
    session = await open_session(client)
    with pytest.raises(ClearNodeValidationError) as caught:
        await client.submit_app_state(session, split("1", "0"), intent="close")
    assert caught.value.field == "intent"
    assert client.stats["requests"] == sent + 2  # create + list in open_session


async def test_unanswered_request_times_out(make_client, node) -> None:
    """A request the server never answers fails with ClearNodeTimeoutError."""
    client, _ = await connected(make_client, request_timeout=0.3)
    node.faults.silent_methods.add("get_assets")
    with pytest.raises(ClearNodeTimeoutError):
        await client.get_assets()
    node.faults.silent_methods.clear()
    assert await client.get_assets()
    assert client.stats["in_flight"] == 0


async def test_socket_drop_fails_every_pending_request(make_client, node) -> None:
    """When the server closes mid-request, all pending requests fail at once."""
    client, events = await connected(make_client)
    node.faults.silent_methods.add("get_assets")
    node.faults.close_on_methods.add("get_config")
    waiting = [asyncio.create_task(client.get_assets()) for _ in range(3)]
    with pytest.raises(ClearNodeConnectionError):
        await client.get_config()
    for task in waiting:
        with pytest.raises(ClearNodeConnectionError):
            await task
    dropped = await events.wait_for(
        ConnectionStateChanged, state=ConnectionState.DISCONNECTED
    )
    assert isinstance(dropped.error, ClearNodeConnectionError)
    with pytest.raises(ClearNodeConnectionError):
        await client.ping()


async def test_non_json_frames_are_rejected_and_counted(make_client, node) -> None:
    """Garbage is reported and counted; the connection keeps working."""
    client, events = await connected(make_client)
    await node.faults.send_raw("this is not json")
    await events.wait_for(FrameRejected)
    assert client.stats["rejected_frames"] == 1
    await client.ping()


def broker_push(method: str, result: dict) -> str:
    """Return a push signed by the demo broker."""
    res = encode_response(0, method, result, 1)
    return frame_response(res, [Signer.from_key(DEMO_BROKER_KEY).sign_message(res)])


async def test_a_bug_handling_one_frame_costs_that_frame_only(
    make_client, node, monkeypatch
) -> None:
    """An unexpected error while handling a push rejects it; the reader goes on."""
    client, events = await connected(make_client)

    def broken(_data):
        raise RuntimeError("a bug in the balance model")

    monkeypatch.setattr(v05_parsing, "balance", broken)
    await node.faults.send_raw(broker_push("bu", {"balance_updates": [{}]}))
    rejected = await events.wait_for(FrameRejected)

    assert rejected.reason == "unexpected RuntimeError"
    await client.ping()
    assert client.stats["connects"] == 1


async def test_frames_held_before_get_config_are_bounded(make_client, node) -> None:
    """Pushes waiting for the broker's key are capped; the rest are rejected."""
    client = make_client(DEMO_WALLET_KEY)
    node.faults.silent_methods.add("get_config")
    connecting = asyncio.create_task(client.connect())
    await eventually(lambda: node.faults.received["get_config"] == 1)
    flood = connection_module.MAX_HELD_FRAMES + 5
    for _ in range(flood):
        await node.faults.send_raw(broker_push("bu", {"balance_updates": []}))
    # The assets push sent on connect is held first.
    over_the_cap = flood + 1 - connection_module.MAX_HELD_FRAMES

    await eventually(lambda: client.stats["rejected_frames"] == over_the_cap)
    await client.close()

    with pytest.raises(ClearNodeConnectionError):
        await connecting
    assert client.stats["rejected_frames"] == over_the_cap


async def test_error_with_unknown_id_is_a_connection_level_error(
    make_client, node
) -> None:
    """A signed error frame for an id we never used is counted and reported."""
    client, events = await connected(make_client)
    broker = Signer.from_key(DEMO_BROKER_KEY)
    res = encode_response(987654, "error", {"error": "invalid message format"}, 1)
    await node.faults.send_raw(frame_response(res, [broker.sign_message(res)]))
    rejected = await events.wait_for(FrameRejected)
    assert "invalid message format" in rejected.reason
    assert client.stats["server_errors"] == 1
    await client.ping()


async def test_bad_broker_signature_fails_the_request(make_client, node) -> None:
    """An answer not signed by the broker is not acted upon."""
    client, events = await connected(make_client)
    node.faults.corrupt_signatures = True
    with pytest.raises(ClearNodeProtocolError):
        await client.get_assets()
    await events.wait_for(FrameRejected)
    assert client.stats["rejected_frames"] >= 1
    node.faults.corrupt_signatures = False
    assert await client.get_assets()


async def test_push_with_bad_signature_is_dropped(make_client, node) -> None:
    """A forged balance push never reaches subscribers."""
    client, events = await connected(make_client)
    impostor = Signer.generate()
    res = encode_response(0, "bu", {"balance_updates": []}, 1)
    await node.faults.send_raw(frame_response(res, [impostor.sign_message(res)]))
    await events.wait_for(FrameRejected)
    assert not any(isinstance(e, BalancesUpdated) and e.balances == () for e in events)
    assert client.state is ConnectionState.CONNECTED


async def test_restart_reconnects_and_resyncs(make_client, node) -> None:
    """After a server restart, run() reconnects, logs in and re-reads state."""
    client, events = await connected(make_client)
    session = await open_session(client)
    runner = asyncio.create_task(client.run())
    await node.restart()
    resynced = await events.wait_for(Resynced)
    assert [s.app_session_id for s in resynced.open_sessions] == [
        session.app_session_id
    ]
    assert {b.asset: b.amount for b in resynced.balances}["usdc"] == Decimal(90)
    assert client.stats["reconnects"] == 1
    await client.ping()
    await client.close()
    await runner


async def test_an_unexpected_error_does_not_end_reconnection(
    make_client, node, http, monkeypatch, caplog
) -> None:
    """A bug in one reconnection attempt is logged; run() goes on and reconnects."""
    client, events = await connected(make_client)
    real_ws_connect = http.ws_connect
    attempts = itertools.count(1)

    def ws_connect_failing_once(*args, **kwargs):
        if next(attempts) == 1:
            raise RuntimeError("a bug below the client")
        return real_ws_connect(*args, **kwargs)

    monkeypatch.setattr(http, "ws_connect", ws_connect_failing_once)
    runner = asyncio.create_task(client.run())
    await node.restart()
    await events.wait_for(Resynced)

    assert "Unexpected error while keeping the ClearNode connection" in caplog.text
    assert client.state is ConnectionState.CONNECTED
    await client.close()
    await runner


async def test_refused_jwt_falls_back_to_a_fresh_challenge(make_client, node) -> None:
    """When the JWT is refused on reconnect, the wallet signs a new challenge."""
    client, events = await connected(make_client)
    node.faults.reject_jwt = True
    runner = asyncio.create_task(client.run())
    await node.restart()
    await events.wait_for(Resynced)
    await client.transfer(PEER, [("usdc", Decimal(1))])
    await client.close()
    await runner


async def test_dead_peer_is_detected_by_ping(make_client, node) -> None:
    """A server that stops answering pings is dropped and reconnected."""
    client, events = await connected(
        make_client, ping_interval=0.1, request_timeout=0.3
    )
    runner = asyncio.create_task(client.run())
    node.faults.silent_methods.add("ping")
    dropped = await events.wait_for(
        ConnectionStateChanged, state=ConnectionState.DISCONNECTED
    )
    assert "stopped answering" in str(dropped.error)
    node.faults.silent_methods.clear()
    await events.wait_for(Resynced)
    await client.close()
    await runner


async def test_session_key_is_replaced_before_it_expires(make_client) -> None:
    """Past 80% of its lifetime the session key is re-registered on the live socket."""
    client, _ = await connected(
        make_client, session_key_lifetime=3.0, ping_interval=0.1
    )
    first_key = client._login._signing_key
    first_expiry = client.stats["session_key_expires_at"]
    async with asyncio.timeout(10):
        while client._login._signing_key is first_key:
            await asyncio.sleep(0.05)
    assert client.stats["session_key_expires_at"] >= first_expiry
    assert client.state is ConnectionState.CONNECTED
    await client.transfer(PEER, [("usdc", Decimal(1))])


async def test_close_is_clean(make_client) -> None:
    """close() ends run(), reports disconnected and refuses further requests."""
    client, events = await connected(make_client)
    runner = asyncio.create_task(client.run())
    await asyncio.sleep(0)
    await client.close()
    await runner
    assert client.state is ConnectionState.DISCONNECTED
    last = [e for e in events if isinstance(e, ConnectionStateChanged)][-1]
    assert last.error is None
    with pytest.raises(ClearNodeConnectionError):
        await client.ping()


def client_tasks() -> list[asyncio.Task]:
    """Return the client's reader and maintenance tasks that have not ended."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("clearnode-") and not task.done()
    ]


async def close_while_connecting(client, node, reached, release=None) -> None:
    """Call close() once ``reached()`` holds during connect(); check what is left.

    connect() must fail, the server must be left with no connection and no task of
    the client may keep running.
    """
    connecting = asyncio.create_task(client.connect())
    await eventually(reached)
    await client.close()
    if release is not None:
        release()
    with pytest.raises(ClearNodeConnectionError):
        await connecting
    await eventually(lambda: node.live_connections == 0)
    assert client.state is ConnectionState.DISCONNECTED
    assert client_tasks() == []


async def test_close_during_the_handshake_leaves_nothing_running(
    make_client, node
) -> None:
    """close() while the WebSocket upgrade is pending: no login follows it."""
    gate = asyncio.Event()
    node.faults.handshake_gate = gate
    await close_while_connecting(
        make_client(DEMO_WALLET_KEY), node, lambda: node.handshakes == 1, gate.set
    )


async def test_close_during_the_login_leaves_nothing_running(make_client, node) -> None:
    """close() while auth_verify is unanswered: the login is abandoned."""
    node.faults.silent_methods.add("auth_verify")
    await close_while_connecting(
        make_client(DEMO_WALLET_KEY),
        node,
        lambda: node.faults.received["auth_verify"] == 1,
    )


async def test_secrets_never_reach_logs_or_repr(make_client, node, caplog) -> None:
    """Wallet key, session key and JWT stay out of logs, repr and errors."""
    caplog.set_level(logging.DEBUG)
    client, _ = await connected(make_client)
    node.faults.reject_jwt = True
    events = EventLog()
    client.subscribe(events.append)
    runner = asyncio.create_task(client.run())
    await node.restart()
    await events.wait_for(Resynced)
    await client.transfer(PEER, [("usdc", Decimal(1))])
    secrets = [DEMO_WALLET_KEY[2:], client._login._jwt or "no-jwt"]
    texts = [caplog.text, repr(client), str(client.stats)]
    assert not [s for s in secrets for t in texts if s.lower() in t.lower()]
    await client.close()
    await runner


async def test_fallback_backend_works_off_loop(make_client, monkeypatch) -> None:
    """Without fastecdsa, signing and verification run in the executor and work."""
    monkeypatch.setattr(signing, "BACKEND", signing.NativeBackend())
    client, events = await connected(make_client)
    assert not client._login._signing_key.fast
    session = await open_session(client)
    await client.submit_app_state(session, split("3", "7"))
    assert (await events.wait_for(AppSessionUpdated)).session.version == 2
