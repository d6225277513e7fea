"""The metered two-party session (HA_MAPPING §1.3) end to end, with no chain at all."""

from decimal import Decimal

import aiohttp

from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.hashing import app_session_id, pack_state
from custom_components.nitrolite.clearnode.v1.models import AppIntent, TransitionType
from custom_components.nitrolite.clearnode.v1.signing import verify_node_signature
from local_nitronode import LocalNitronode

from .conftest import Connect
from .peer import Peer
from .wallet import Wallet, allocation, definition, update

YUSD = "yusd"


async def test_faucet_funds_ack_create_deposit_pay_close_and_release(
    node: LocalNitronode,
    connect: Connect,
    http: aiohttp.ClientSession,
    wallet: Signer,
    counterparty: Signer,
) -> None:
    """A faucet-funded wallet opens, pays three times in and closes a metered session.

    The counterparty needs nothing beforehand; both shares come back as release states
    and transactions, and the balances add up to the faucet's 10 yusd.
    """
    response = await http.post(node.faucet_url, json={"userAddress": wallet.address})
    assert response.status == 200
    peer = await connect()
    me = Wallet(peer, wallet, node.node_address)
    config = await peer.call("node.v1.get_config")
    assert (config["node_address"], config["node_version"]) == (
        node.node_address,
        "v1.4.1",
    )
    assert await me.balance(YUSD) == 10
    received = await me.latest(YUSD)
    assert received is not None
    assert (received.version, received.home_channel_id) == (1, None)

    await me.acknowledge(YUSD)
    app_definition = definition([(wallet, 100), (counterparty, 0)], 100, nonce=7)
    session_id = await me.create(app_definition, [wallet])
    assert session_id == app_session_id(app_definition)
    deposit = update(session_id, AppIntent.DEPOSIT, 2, [allocation(wallet, YUSD, "5")])
    assert (await me.deposit(deposit, [wallet], Decimal(5))).error is None
    assert await me.balance(YUSD) == 5

    for version, paid in ((3, "0.5"), (4, "1"), (5, "1.5")):
        shares = [
            allocation(wallet, YUSD, str(5 - Decimal(paid))),
            allocation(counterparty, YUSD, paid),
        ]
        answer = await me.submit(
            update(session_id, AppIntent.OPERATE, version, shares), [wallet]
        )
        assert answer.result == {}
    listed = await me.session(session_id)
    assert listed["version"] == "5"
    assert listed["allocations"] == [
        {"participant": counterparty.address.lower(), "asset": YUSD, "amount": "1.5"},
        {"participant": wallet.address.lower(), "asset": YUSD, "amount": "3.5"},
    ]

    close = update(session_id, AppIntent.CLOSE, 6, shares)
    assert (await me.submit(close, [wallet])).result == {}
    closed = await me.session(session_id)
    assert (closed["status"], closed["version"]) == ("closed", "6")
    assert {a["amount"] for a in closed["allocations"]} == {"0"}
    assert await me.balance(YUSD) == Decimal("8.5")
    other = Wallet(peer, counterparty, node.node_address)
    assert await other.balance(YUSD) == Decimal("1.5")

    releases = await peer.call(
        "user.v1.get_transactions", {"wallet": me.address, "tx_type": 41}
    )
    (release,) = releases["transactions"]
    assert (release["from_account"], release["to_account"], release["amount"]) == (
        session_id,
        me.address,
        "3.5",
    )
    paid_out = await other.latest(YUSD)
    assert paid_out is not None
    assert paid_out.transition.type is TransitionType.RELEASE
    assert (paid_out.home_channel_id, paid_out.node_sig) == (None, None)


async def test_a_deposit_builds_on_the_unsigned_release_of_a_void_channel(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """After a close, the next commit sits on the node's unsigned release state.

    The channel is still ``void`` (nothing on chain), so the node issued the release
    without signing it; a new deposit must still validate on top of it.
    """
    node.fund(wallet.address, YUSD, Decimal(10))
    me = Wallet(await connect(), wallet, node.node_address)
    await me.acknowledge(YUSD)
    first = await me.create(
        definition([(wallet, 1), (counterparty, 1)], 1, nonce=1), [wallet]
    )
    await me.deposit(
        update(first, AppIntent.DEPOSIT, 2, [allocation(wallet, YUSD, "4")]),
        [wallet],
        Decimal(4),
    )
    await me.submit(
        update(first, AppIntent.CLOSE, 3, [allocation(wallet, YUSD, "4")]), [wallet]
    )
    released = await me.latest(YUSD)
    assert released is not None
    assert (released.transition.type, released.node_sig) == (
        TransitionType.RELEASE,
        None,
    )

    second = await me.create(
        definition([(wallet, 1), (counterparty, 1)], 1, nonce=2), [wallet]
    )
    answer = await me.deposit(
        update(second, AppIntent.DEPOSIT, 2, [allocation(wallet, YUSD, "6")]),
        [wallet],
        Decimal(6),
    )
    assert answer.error is None
    assert await me.balance(YUSD) == 4


async def test_an_open_channel_gets_signed_releases(
    wallet: Signer, counterparty: Signer
) -> None:
    """With ``open_channels`` (as if the channel were on chain) releases are co-signed."""
    async with LocalNitronode(open_channels=True) as node:
        node.fund(wallet.address, YUSD, Decimal(3))
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(node.url)
            me = Wallet(Peer(ws), wallet, node.node_address)
            await me.acknowledge(YUSD)
            session = await me.create(
                definition([(wallet, 1), (counterparty, 1)], 1, nonce=3), [wallet]
            )
            await me.deposit(
                update(session, AppIntent.DEPOSIT, 2, [allocation(wallet, YUSD, "3")]),
                [wallet],
                Decimal(3),
            )
            await me.submit(
                update(session, AppIntent.WITHDRAW, 3, [allocation(wallet, YUSD, "1")]),
                [wallet],
            )
            released = await me.latest(YUSD)
            await ws.close()
    assert released is not None
    assert released.transition.type is TransitionType.RELEASE
    assert released.transition.amount == 2
    assert released.node_sig is not None
    token = node.config.token(31337, released.home_ledger.token_address)
    assert token is not None
    verify_node_signature(
        pack_state(released, token.decimals), released.node_sig, node.node_address
    )


async def test_a_session_holding_two_assets(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """Each deposit commits one asset and keeps the other pairs as they are.

    A close releases every asset.
    """
    node.fund(wallet.address, YUSD, Decimal(10))
    node.fund(wallet.address, "usdc", Decimal(5))
    me = Wallet(await connect(), wallet, node.node_address)
    await me.acknowledge(YUSD)
    await me.acknowledge("usdc")
    session_id = await me.create(
        definition([(wallet, 1), (counterparty, 1)], 1, nonce=11), [wallet]
    )
    yusd = allocation(wallet, YUSD, "5")
    first = update(session_id, AppIntent.DEPOSIT, 2, [yusd])
    assert (await me.deposit(first, [wallet], Decimal(5))).error is None
    usdc = allocation(wallet, "usdc", "2")
    refusals = {
        (usdc,): f"deposit intent missing allocation for participant {me.address}, "
        "asset yusd with current amount 5",
        (usdc, allocation(wallet, YUSD, "4")): (
            f"decreased allocation for yusd for participant {me.address}"
        ),
        (usdc, allocation(wallet, YUSD, "6")): (
            "app session deposit allocation for asset 'yusd' does not match "
            "user channel state asset 'usdc'"
        ),
    }
    for shares, error in refusals.items():
        proposal = update(session_id, AppIntent.DEPOSIT, 3, list(shares))
        assert (await me.deposit(proposal, [wallet], Decimal(2))).error == error
    second = update(session_id, AppIntent.DEPOSIT, 3, [usdc, yusd])
    assert (await me.deposit(second, [wallet], Decimal(2))).error is None
    listed = await me.session(session_id)
    assert [(a["asset"], a["amount"]) for a in listed["allocations"]] == [
        ("usdc", "2"),
        ("yusd", "5"),
    ]
    close = update(session_id, AppIntent.CLOSE, 4, [yusd, usdc])
    assert (await me.submit(close, [wallet])).result == {}
    assert (await me.balance(YUSD), await me.balance("usdc")) == (10, 5)
