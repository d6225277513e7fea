"""A counterparty acting by itself and transfers arriving: what a polling client sees."""

from decimal import Decimal

import pytest

from custom_components.nitrolite.clearnode.models import Allocation
from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.models import AppIntent
from local_nitronode import LocalNitronode, RPCError

from .conftest import Connect
from .wallet import Wallet, allocation, definition, update

YUSD = "yusd"


async def open_session(
    node: LocalNitronode,
    connect: Connect,
    wallet: Signer,
    counterparty: Signer,
    counterparty_weight: int = 1,
) -> tuple[Wallet, str]:
    """Fund the wallet and open [wallet 1, counterparty w] quorum 1 with 5 yusd in it."""
    node.fund(wallet.address, YUSD, Decimal(10))
    me = Wallet(await connect(), wallet, node.node_address)
    await me.acknowledge(YUSD)
    session_id = await me.create(
        definition([(wallet, 1), (counterparty, counterparty_weight)], 1, nonce=4),
        [wallet],
    )
    deposit = update(session_id, AppIntent.DEPOSIT, 2, [allocation(wallet, YUSD, "5")])
    assert (await me.deposit(deposit, [wallet], Decimal(5))).error is None
    return me, session_id


async def test_a_peer_update_is_what_other_wallets_read(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """peer_submit moves funds with the counterparty's signature alone.

    Another socket, reading by participant, sees the new version and split.
    """
    _me, session_id = await open_session(node, connect, wallet, counterparty)
    version = node.peer_submit(
        session_id,
        [allocation(wallet, YUSD, "3"), allocation(counterparty, YUSD, "2")],
        counterparty,
        session_data='{"kwh":"2"}',
    )
    assert version == 3
    poller = await connect()
    listing = await poller.call(
        "app_sessions.v1.get_app_sessions",
        {"participant": wallet.address, "status": "open"},
    )
    (session,) = listing["app_sessions"]
    assert (session["version"], session["session_data"]) == ("3", '{"kwh":"2"}')
    assert [a["amount"] for a in session["allocations"]] == ["2", "3"]


async def test_a_peer_close_pays_both_out(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """close_by_peer closes at the current split; releases reach both balances."""
    me, session_id = await open_session(node, connect, wallet, counterparty)
    node.peer_submit(
        session_id,
        [allocation(wallet, YUSD, "4"), allocation(counterparty, YUSD, "1")],
        counterparty,
    )
    assert node.close_by_peer(session_id, counterparty) == 4
    closed = await me.session(session_id)
    assert closed["status"] == "closed"
    open_sessions = await me.peer.call(
        "app_sessions.v1.get_app_sessions",
        {"participant": me.address, "status": "open"},
    )
    assert open_sessions["app_sessions"] == []
    assert await me.balance(YUSD) == 9
    assert node.balance(counterparty.address, YUSD) == 1


async def test_a_peer_without_the_weight_is_refused_like_anyone(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """peer_submit goes through the node's rules: weight 0 alone meets no quorum."""
    _me, session_id = await open_session(
        node, connect, wallet, counterparty, counterparty_weight=0
    )
    with pytest.raises(RPCError, match="quorum not met: achieved 0, required 1"):
        node.peer_submit(
            session_id,
            [Allocation(counterparty.address, YUSD, Decimal(5))],
            counterparty,
        )
    assert node.app_session(session_id).version == 2


async def test_a_transfer_in_shows_in_balance_and_transactions(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """fund(..., sender=) credits a wallet from another one, recorded as a transfer."""
    tx_id = node.fund(
        wallet.address, YUSD, Decimal("1.25"), sender=counterparty.address
    )
    peer = await connect()
    listing = await peer.call(
        "user.v1.get_transactions", {"wallet": wallet.address, "asset": YUSD}
    )
    (transfer,) = listing["transactions"]
    assert (transfer["id"], transfer["from_account"], transfer["amount"]) == (
        tx_id,
        counterparty.address.lower(),
        "1.25",
    )
    assert listing["metadata"] == {
        "page": 1,
        "per_page": 10,
        "total_count": 1,
        "page_count": 1,
    }
    balances = await peer.call("user.v1.get_balances", {"wallet": wallet.address})
    assert balances["balances"][0]["amount"] == "1.25"
