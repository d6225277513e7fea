"""Reads: refusals with the node's texts, filters, pagination and absent results."""

from decimal import Decimal

import pytest

from custom_components.nitrolite.clearnode.signing import Signer
from local_nitronode import LocalNitronode

from .conftest import Clock, Connect
from .peer import Peer
from .wallet import Wallet, definition

LENGTH_ERROR = (
    "invalid hex address: incorrect length, expected 42 characters including 0x prefix"
)


@pytest.mark.parametrize(
    ("method", "payload", "error"),
    [
        (
            "app_sessions.v1.get_app_sessions",
            {"status": "open"},
            "either app_session_id or participant must be provided",
        ),
        (
            "app_sessions.v1.get_app_sessions",
            {"app_session_id": "0x12"},
            "invalid app_session_id",
        ),
        (
            "app_sessions.v1.get_app_sessions",
            {"participant": "0x12"},
            f"invalid participant: {LENGTH_ERROR}",
        ),
        (
            "app_sessions.v1.get_app_sessions",
            {"participant": "0x" + "1" * 40, "status": "done"},
            "invalid status: done",
        ),
        ("user.v1.get_balances", {"wallet": "0x12"}, f"invalid wallet: {LENGTH_ERROR}"),
        ("user.v1.get_transactions", {}, f"invalid wallet: {LENGTH_ERROR}"),
        (
            "channels.v1.get_latest_state",
            {"wallet": "0x12", "asset": "yusd"},
            f"invalid wallet: {LENGTH_ERROR}",
        ),
        ("node.v1.get_assets", {"blockchain_id": "sepolia"}, "invalid blockchain_id"),
        ("channels.v1.get_channels", {}, "wallet is required"),
        (
            "channels.v1.get_channels",
            {"wallet": "0x" + "1" * 40, "status": "done"},
            'invalid status: unknown channel status: "done"',
        ),
        (
            "channels.v1.get_channels",
            {"wallet": "0x" + "1" * 40, "channel_type": "side"},
            'invalid channel_type: unknown channel type: "side"',
        ),
        (
            "channels.v1.submit_session_key_state",
            {"state": {}},
            "channel session keys are not supported by the local Nitronode",
        ),
    ],
)
async def test_read_refusals(
    peer: Peer, method: str, payload: dict[str, object], error: str
) -> None:
    """Each bad read fails with the node's text."""
    assert await peer.error(method, payload) == error


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("channels.v1.get_latest_state", {"wallet": "0x" + "1" * 40, "asset": "yusd"}),
        ("channels.v1.get_home_channel", {"wallet": "0x" + "1" * 40, "asset": "yusd"}),
        ("channels.v1.get_escrow_channel", {"escrow_channel_id": "0x" + "1" * 64}),
        ("app_sessions.v1.get_app_definition", {"app_session_id": "0x" + "1" * 64}),
    ],
)
async def test_what_is_not_found_is_left_out(
    peer: Peer, method: str, payload: dict[str, object]
) -> None:
    """An unknown state, channel or definition is absent from the result, not null."""
    assert await peer.call(method, payload) == {}


async def test_no_channel_session_key_is_ever_listed(peer: Peer) -> None:
    """Channel keys cannot be registered here, so a wallet never has any."""
    listing = await peer.call(
        "channels.v1.get_last_key_states", {"user_address": "0x" + "1" * 40}
    )
    assert listing["states"] == []


async def test_assets_by_chain(peer: Peer) -> None:
    """Filtering by chain keeps the tokens there: yusd has 18 decimals on localnet."""
    local = await peer.call("node.v1.get_assets", {"blockchain_id": "31337"})
    tokens = {a["symbol"]: a["tokens"] for a in local["assets"]}
    assert [t["decimals"] for t in tokens["yusd"]] == [18]
    assert [t["decimals"] for t in tokens["usdc"]] == [6]
    assert await peer.call("node.v1.get_assets", {"blockchain_id": "1"}) == {
        "assets": []
    }


async def test_sessions_are_listed_newest_first_a_page_at_a_time(
    node: LocalNitronode,
    connect: Connect,
    wallet: Signer,
    counterparty: Signer,
    clock: Clock,
) -> None:
    """Three sessions, two per page: the newest two first, then the oldest."""
    me = Wallet(await connect(), wallet, node.node_address)
    created = []
    for nonce in (1, 2, 3):
        clock.now = 1_800_000_000 + nonce
        created.append(
            await me.create(
                definition([(wallet, 1), (counterparty, 1)], 1, nonce), [wallet]
            )
        )
    pages = [
        await me.peer.call(
            "app_sessions.v1.get_app_sessions",
            {
                "participant": counterparty.address,
                "pagination": {"offset": offset, "limit": 2},
            },
        )
        for offset in (0, 2)
    ]
    listed = [s["app_session_id"] for page in pages for s in page["app_sessions"]]
    assert listed == created[::-1]
    assert [page["metadata"] for page in pages] == [
        {"page": 1, "per_page": 2, "total_count": 3, "page_count": 2},
        {"page": 2, "per_page": 2, "total_count": 3, "page_count": 2},
    ]


async def test_only_signed_skips_unsigned_node_states(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """``only_signed`` skips the node's unsigned receipts on a void channel.

    After a transfer in, the latest state is that receipt; the latest signed one is
    the acknowledgement both parties signed.
    """
    node.fund(wallet.address, "yusd", Decimal(1))
    me = Wallet(await connect(), wallet, node.node_address)
    acknowledged = await me.acknowledge("yusd")
    node.fund(wallet.address, "yusd", Decimal(2), sender=counterparty.address)
    request = {"wallet": me.address, "asset": "yusd"}
    latest = await me.peer.call("channels.v1.get_latest_state", request)
    signed = await me.peer.call(
        "channels.v1.get_latest_state", request | {"only_signed": True}
    )
    assert (latest["state"]["version"], latest["state"]["transition"]["type"]) == (
        "3",
        31,
    )
    assert signed["state"]["id"] == acknowledged.id
