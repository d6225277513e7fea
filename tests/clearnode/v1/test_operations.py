"""The composite v1 operations against a local Nitronode over a real socket."""

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from custom_components.nitrolite.clearnode.errors import (
    ClearNodeProtocolError,
    ClearNodeRejectedError,
    ClearNodeTimeoutError,
    ClearNodeUnsupportedNodeError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
)
from custom_components.nitrolite.clearnode.models import (
    Allocation,
    AppSession,
    AppSessionResult,
    Balance,
    Transaction,
)
from custom_components.nitrolite.clearnode.v1 import reads
from custom_components.nitrolite.clearnode.v1.conversions import session_result
from custom_components.nitrolite.clearnode.v1.models import (
    PROTOCOL,
    TransactionType,
    TransitionType,
)
from custom_components.nitrolite.clearnode.v1.node import NodeInfo, read_node
from custom_components.nitrolite.clearnode.v1.operations import Operations
from local_nitronode import LocalNitronode, NodeConfig

from .conftest import YUSD, Connect, Local, Recorder, definition, shares
from .sender import Sender

PAY = [
    "app_sessions.v1.submit_app_state",
    "app_sessions.v1.get_app_sessions",
    "app_sessions.v1.submit_app_state",
]


async def funded_session(
    local: Local,
    ops: Operations | None = None,
    *,
    weights: tuple[int, int] = (100, 0),
    quorum: int = 100,
    deposit: str = "5",
) -> AppSession:
    """Open a session of the wallet and the counterparty with the wallet's deposit."""
    app_definition = definition(
        (local.wallet, weights[0]), (local.counterparty, weights[1]), quorum=quorum
    )
    opener = local.ops if ops is None else ops
    return await opener.open_session(app_definition, {YUSD: Decimal(deposit)})


async def test_the_metered_session_from_faucet_to_release(
    local: Local, http: aiohttp.ClientSession
) -> None:
    """HA_MAPPING §1.3 with no chain: faucet, acknowledgement, create, deposit, pay, close.

    Opening costs the five requests of the mapping; each payment and the close one.
    The closed session keeps the final split (the node lists zeros), which the release
    transactions and the balances confirm.
    """
    wallet, counterparty, ops = local.wallet, local.counterparty, local.ops
    response = await http.post(
        local.node.faucet_url, json={"userAddress": wallet.address}
    )
    assert response.status == 200
    session = await funded_session(local)
    assert local.sender.requests == [
        "channels.v1.get_latest_state",
        "channels.v1.request_creation",
        "app_sessions.v1.create_app_session",
        "channels.v1.get_latest_state",
        "app_sessions.v1.submit_deposit_state",
    ]
    assert (session.version, session.status, session.protocol) == (2, "open", PROTOCOL)
    assert shares(session) == {wallet.address: 5}
    assert await ops.find_session(session.app_session_id) == session
    assert await ops.get_balances() == (Balance(YUSD, Decimal(5)),)

    for _ in range(3):
        session = await ops.pay(session, counterparty.address, YUSD, "0.5")
    assert shares(session) == {
        wallet.address: Decimal("3.5"),
        counterparty.address: Decimal("1.5"),
    }
    closed = await ops.close(session)
    assert (closed.version, closed.status) == (6, "closed")
    assert closed.allocations == session.allocations

    listed = await ops.find_session(session.app_session_id)
    assert listed is not None
    assert (listed.status, listed.version) == ("closed", 6)
    assert {a.amount for a in listed.allocations or ()} == {0}
    assert await ops.get_balances() == (Balance(YUSD, Decimal("8.5")),)
    assert await ops.get_balances(counterparty.address) == (
        Balance(YUSD, Decimal("1.5")),
    )
    assert session_result(closed) == AppSessionResult(
        session.app_session_id, 6, "closed"
    )
    (release,) = await ops.transactions(TransactionType.RELEASE)
    assert (release.tx_type, release.from_account, release.to_account) == (
        "release",
        session.app_session_id,
        wallet.address,
    )
    assert (release.asset, release.amount) == (YUSD, Decimal("3.5"))
    assert [(s.version, s.status) for s in local.applied] == [
        (1, "open"),
        (2, "open"),
        (3, "open"),
        (4, "open"),
        (5, "open"),
        (6, "closed"),
    ]


async def test_the_home_channel_is_acknowledged_once_and_co_signed(
    local: Local,
) -> None:
    """Funds that arrived off-chain get their home channel by one acknowledgement."""
    local.fund("3")
    opened = await local.ops.ensure_home_channel(YUSD)
    again = await local.ops.ensure_home_channel(YUSD)
    assert opened.home_channel_id is not None
    assert opened.transition.type is TransitionType.ACKNOWLEDGEMENT
    assert opened.node_sig is not None
    assert again.id == opened.id
    assert local.sender.requests.count("channels.v1.request_creation") == 1
    assert local.node.latest_state(local.wallet.address, YUSD) == opened


async def test_without_funds_no_channel_is_opened(local: Local) -> None:
    """A wallet that never held the asset has nothing to acknowledge."""
    with pytest.raises(ClearNodeValidationError, match="holds no yusd") as err:
        await local.ops.ensure_home_channel(YUSD)
    assert err.value.field == "asset"
    assert local.sender.requests == ["channels.v1.get_latest_state"]


def peer_shares(local: Local, ours: str, theirs: str) -> list[Allocation]:
    """Return the split a counterparty submits."""
    return [
        Allocation(local.wallet.address, YUSD, Decimal(ours)),
        Allocation(local.counterparty.address, YUSD, Decimal(theirs)),
    ]


async def test_a_version_conflict_is_resolved_by_one_rebuild(local: Local) -> None:
    """The counterparty paid back meanwhile: the payment is rebuilt on its state once."""
    local.fund()
    session = await funded_session(local, weights=(1, 1), quorum=1)
    session = await local.ops.pay(session, local.counterparty.address, YUSD, "2")
    local.node.peer_submit(
        session.app_session_id, peer_shares(local, "4", "1"), local.counterparty
    )
    local.sender.requests.clear()
    paid = await local.ops.pay(session, local.counterparty.address, YUSD, "1")
    assert local.sender.requests == PAY
    assert paid.version == 5
    assert shares(paid) == {local.wallet.address: 3, local.counterparty.address: 2}
    assert local.node.app_session(session.app_session_id).version == 5


async def test_a_version_conflict_that_no_longer_fits_is_refused_without_a_retry(
    local: Local,
) -> None:
    """The counterparty took most of our share: the stale payment is not rebuilt."""
    local.fund()
    session = await funded_session(local, weights=(1, 1), quorum=1)
    local.node.peer_submit(
        session.app_session_id, peer_shares(local, "0.5", "4.5"), local.counterparty
    )
    local.sender.requests.clear()
    with pytest.raises(ClearNodeVersionConflictError) as err:
        await local.ops.pay(session, local.counterparty.address, YUSD, "1")
    assert (err.value.expected, err.value.got) == (4, 3)
    assert local.sender.requests == PAY[:2]
    assert local.node.app_session(session.app_session_id).version == 3


async def test_a_second_conflict_is_not_retried_again(
    local: Local, node_info: NodeInfo
) -> None:
    """If the session moves again between the re-read and the rebuild, the error stands."""
    local.fund()
    session = await funded_session(local, weights=(1, 1), quorum=1)
    moved = peer_shares(local, "4", "1")
    local.node.peer_submit(session.app_session_id, moved, local.counterparty)

    async def moving(method: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        result = await local.sender(method, payload)
        if method == "app_sessions.v1.get_app_sessions":
            local.node.peer_submit(session.app_session_id, moved, local.counterparty)
        return result

    local.sender.requests.clear()
    ops = Operations(moving, local.wallet, node_info)
    with pytest.raises(ClearNodeVersionConflictError):
        await ops.pay(session, local.counterparty.address, YUSD, "1")
    assert local.sender.requests == PAY
    assert local.node.app_session(session.app_session_id).version == 4


async def test_a_refused_deposit_closes_the_empty_session(
    local: Local, node_info: NodeInfo
) -> None:
    """Create succeeded, the node refused the deposit: the session is closed again.

    The deposit's error is raised; nothing left the wallet's balance.
    """
    local.fund()

    async def refusing_deposits(
        method: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        if method == "app_sessions.v1.submit_deposit_state":
            local.node.faults.refuse_next = 1
        return await local.sender(method, payload)

    ops = Operations(refusing_deposits, local.wallet, node_info, applied=local.applied)
    with pytest.raises(ClearNodeRejectedError, match="submit_deposit_state rejected"):
        await funded_session(local, ops)
    created, closed = local.applied
    record = local.node.app_session(created.app_session_id)
    assert (record.status, record.version) == ("closed", 2)
    assert (closed.status, closed.version, closed.allocations) == ("closed", 2, ())
    assert local.node.balance(local.wallet.address, YUSD) == 10


async def test_an_empty_session_that_cannot_be_closed_is_left_open_and_logged(
    local: Local, node_info: NodeInfo, caplog: pytest.LogCaptureFixture
) -> None:
    """The deposit's refusal is what the caller learns; the failed close is logged."""
    local.fund()

    async def refusing_from_the_deposit(
        method: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        if method == "app_sessions.v1.submit_deposit_state":
            local.node.faults.refuse_next = 2
        return await local.sender(method, payload)

    ops = Operations(refusing_from_the_deposit, local.wallet, node_info)
    with pytest.raises(ClearNodeRejectedError, match="submit_deposit_state"):
        await funded_session(local, ops)
    (listed,) = await local.ops.open_sessions()
    assert (listed.version, listed.allocations) == (1, ())
    assert f"Could not close the app session {listed.app_session_id}" in (caplog.text)


async def test_a_deposit_without_an_answer_leaves_the_session_as_it_is(
    local: Local, connect: Connect
) -> None:
    """No answer may mean applied: the session is not closed behind the user's back."""
    local.fund()
    sender = await connect(timeout=0.5)
    applied = Recorder()
    ops = Operations(sender, local.wallet, await read_node(sender), applied=applied)
    local.node.faults.silent_methods.add("app_sessions.v1.submit_deposit_state")
    with pytest.raises(ClearNodeTimeoutError):
        await funded_session(local, ops)
    (created,) = applied
    record = local.node.app_session(created.app_session_id)
    assert (record.status, record.version) == ("open", 2)
    assert local.node.balance(local.wallet.address, YUSD) == 5


async def test_a_deposit_into_an_open_session_funds_our_share(local: Local) -> None:
    """A second deposit raises our share in two requests (read, commit).

    The counterparty's zero share is not listed: the node refuses a zero for a pair
    without a balance.
    """
    local.fund()
    session = await funded_session(local, deposit="2")
    raised = (
        Allocation(local.wallet.address, YUSD, Decimal(5)),
        Allocation(local.counterparty.address, YUSD, Decimal(0)),
    )
    local.sender.requests.clear()
    funded = await local.ops.deposit(session, raised, '{"kwh": "1.5"}')
    assert local.sender.requests == [
        "channels.v1.get_latest_state",
        "app_sessions.v1.submit_deposit_state",
    ]
    assert funded.version == 3
    assert shares(funded) == {local.wallet.address: 5}
    assert funded.session_data == '{"kwh": "1.5"}'
    assert local.node.allocations(session.app_session_id) == {
        (local.wallet.address.lower(), YUSD): 5
    }
    assert local.node.balance(local.wallet.address, YUSD) == 5


async def test_a_withdrawal_releases_shares_to_the_participants(local: Local) -> None:
    """Shares that shrink come back to their owners' balances at once."""
    local.fund()
    session = await funded_session(local)
    session = await local.ops.pay(session, local.counterparty.address, YUSD, "2")
    kept = tuple(peer_shares(local, "1", "1"))
    withdrawn = await local.ops.withdraw(session, kept)
    assert (withdrawn.version, withdrawn.status) == (4, "open")
    assert local.node.balance(local.wallet.address, YUSD) == 7
    assert local.node.balance(local.counterparty.address, YUSD) == 1


async def test_closing_with_other_allocations_redistributes_first(
    local: Local,
) -> None:
    """A close releases shares as they stand, so a new split is an operate first."""
    local.fund()
    session = await funded_session(local)
    local.sender.requests.clear()
    final = tuple(peer_shares(local, "3", "2"))
    closed = await local.ops.close(session, final)
    assert local.sender.requests == ["app_sessions.v1.submit_app_state"] * 2
    assert [(s.version, s.status) for s in local.applied[-2:]] == [
        (3, "open"),
        (4, "closed"),
    ]
    assert (closed.status, closed.allocations) == ("closed", final)
    assert local.node.balance(local.counterparty.address, YUSD) == 2


async def test_closing_with_the_current_allocations_is_one_request(
    local: Local,
) -> None:
    """Allocations equal to the current ones (zeros aside) need no redistribution."""
    local.fund()
    session = await funded_session(local)
    local.sender.requests.clear()
    closed = await local.ops.close(session, tuple(peer_shares(local, "5.000", "0")))
    assert local.sender.requests == ["app_sessions.v1.submit_app_state"]
    assert closed.status == "closed"


async def test_a_transfer_without_a_home_channel_opens_it(local: Local) -> None:
    """The first transfer creates the channel and sends in one request_creation.

    The synthesised transaction carries the id the node records.
    """
    local.fund()
    counterparty = local.counterparty.address
    sent = await local.ops.transfer(counterparty.lower(), YUSD, "2.5")
    assert local.sender.requests == [
        "channels.v1.get_latest_state",
        "channels.v1.request_creation",
    ]
    assert sent == Transaction(
        id=sent.id,
        tx_type="transfer",
        from_account=local.wallet.address,
        to_account=counterparty,
        asset=YUSD,
        amount=Decimal("2.5"),
        created_at=sent.created_at,
    )
    (recorded,) = await local.ops.transactions(TransactionType.TRANSFER, limit=1)
    assert recorded == replace(sent, created_at=recorded.created_at)
    assert local.node.balance(counterparty, YUSD) == Decimal("2.5")


async def test_a_transfer_on_an_open_home_channel_submits_the_state(
    local: Local,
) -> None:
    """With a home channel, a transfer is the next state on it (submit_state)."""
    local.fund()
    await local.ops.ensure_home_channel(YUSD)
    local.sender.requests.clear()
    await local.ops.transfer(local.counterparty.address, YUSD, "1")
    assert local.sender.requests == [
        "channels.v1.get_latest_state",
        "channels.v1.submit_state",
    ]
    assert local.node.balance(local.wallet.address, YUSD) == 9


async def test_concurrent_transfers_of_an_asset_build_on_each_other(
    local: Local,
) -> None:
    """Each channel state builds on the one before: transfers of one asset take turns.

    Built on the same state, the second would be refused (version mismatch).
    """
    local.fund()
    await local.ops.ensure_home_channel(YUSD)
    counterparty = local.counterparty.address
    await asyncio.gather(
        *(local.ops.transfer(counterparty, YUSD, str(n)) for n in (1, 2, 3))
    )
    assert local.node.balance(counterparty, YUSD) == 6
    assert local.node.balance(local.wallet.address, YUSD) == 4


@pytest.mark.parametrize(
    ("destination", "amount", "field"),
    [
        ("wallet", "1", "destination"),
        ("counterparty", "11", "amount"),
        ("counterparty", "0.0000001", "amount"),
        ("counterparty", "0", "amount"),
        ("0x70997970c51812dc3a010C7d01b50e0d17dc79C8", "1", "destination"),
    ],
)
async def test_a_transfer_that_cannot_succeed_is_refused_before_signing(
    local: Local, destination: str, amount: str, field: str
) -> None:
    """To ourselves, beyond the balance, finer than the asset, zero, a checksum typo."""
    local.fund()
    target = {
        "wallet": local.wallet.address,
        "counterparty": local.counterparty.address,
    }
    with pytest.raises(ClearNodeValidationError) as err:
        await local.ops.transfer(target.get(destination, destination), YUSD, amount)
    assert err.value.field == field
    assert set(local.sender.requests) <= {"channels.v1.get_latest_state"}


async def test_a_wrong_node_co_signature_is_a_protocol_error(local: Local) -> None:
    """The node's channel signatures are the only ones v1 has: each is checked."""
    local.fund()
    local.node.faults.corrupt_node_signatures = True
    with pytest.raises(ClearNodeProtocolError, match="does not verify"):
        await local.ops.ensure_home_channel(YUSD)
    with pytest.raises(ClearNodeProtocolError, match="does not verify"):
        await local.ops.transfer(local.counterparty.address, YUSD, "1")


async def test_a_deposit_with_a_wrong_co_signature_is_not_undone(local: Local) -> None:
    """The node applied the deposit but signed it wrongly: report it, close nothing."""
    local.fund()
    await local.ops.ensure_home_channel(YUSD)
    local.node.faults.corrupt_node_signatures = True
    with pytest.raises(ClearNodeProtocolError, match="does not verify"):
        await funded_session(local)
    (created,) = local.applied
    assert local.node.app_session(created.app_session_id).status == "open"


async def test_open_sessions_are_read_over_every_page(local: Local) -> None:
    """More than a page (100) of open sessions are all listed, once each."""
    for nonce in range(1, 106):
        app_definition = definition(
            (local.wallet, 1), (local.counterparty, 0), quorum=1, nonce=nonce
        )
        await local.ops.open_session(app_definition)
    listed = await local.ops.open_sessions()
    assert len({s.app_session_id for s in listed}) == len(listed) == 105
    assert {s.nonce for s in listed} == set(range(1, 106))


async def test_more_open_sessions_than_the_bound_is_a_protocol_error(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing never runs on without end: past the page bound the node is not believed."""
    for nonce in (1, 2, 3):
        app_definition = definition(
            (local.wallet, 1), (local.counterparty, 0), quorum=1, nonce=nonce
        )
        await local.ops.open_session(app_definition)
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    monkeypatch.setattr(reads, "MAX_PAGES", 2)
    with pytest.raises(ClearNodeProtocolError, match="more than 2 open app sessions"):
        await local.ops.open_sessions()


async def test_a_node_older_than_1_3_is_refused(http: aiohttp.ClientSession) -> None:
    """Reading the node refuses a v1.2 node (registered applications only)."""
    async with LocalNitronode(config=NodeConfig(node_version="v1.2.0")) as node:
        sender = Sender(await http.ws_connect(node.url))
        with pytest.raises(ClearNodeUnsupportedNodeError, match="v1.2.0"):
            await read_node(sender)
        await sender.close()
