"""request_creation and submit_state: the node's checks in order, and transfers.

Transfers move funds between wallets with no chain at all.
"""

import copy
from dataclasses import replace
from decimal import Decimal
import json
from typing import Any

import pytest

from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.hashing import (
    pack_channel_key_authorization,
    pack_state,
)
from custom_components.nitrolite.clearnode.v1.models import TransitionType
from custom_components.nitrolite.clearnode.v1.signing import (
    ChannelKeyAuthorization,
    channel_session_key_signature,
    personal_sign,
)
from custom_components.nitrolite.clearnode.v1.state import (
    ChannelDefinition,
    ChannelState,
    Transition,
    apply_acknowledgement,
    apply_transfer_send,
    next_state,
    sign_state,
    with_home_channel,
)
from local_nitronode import LocalNitronode
from tests.clearnode.v1.vectors import address, frames, signer

from .conftest import Connect
from .peer import Peer
from .wallet import Wallet

CREATION = "channels.v1.request_creation"
SUBMIT = "channels.v1.submit_state"
ACK: dict[str, Any] = json.loads(frames()["request_creation_ack"])[3]
USER = address("user")
LENGTH_ERROR = (
    "invalid hex address: incorrect length, expected 42 characters including 0x prefix"
)


def ack(**changes: Any) -> dict[str, Any]:
    """Return the vectors' acknowledgement request, with state or definition changes."""
    payload = copy.deepcopy(ACK)
    for key, value in changes.items():
        target = "channel_definition" if key in {"nonce", "challenge"} else "state"
        if key == "validators":
            payload["channel_definition"]["approved_sig_validators"] = value
        else:
            payload[target][key] = value
    return payload


def resigned(state: ChannelState, by: Signer) -> dict[str, Any]:
    """Return the acknowledgement request carrying ``state`` signed by ``by``."""
    return copy.deepcopy(ACK) | {"state": sign_state(state, by, 6).to_wire()}


ACK_STATE = ChannelState.from_wire(ACK["state"])


@pytest.fixture
async def funded(node: LocalNitronode, peer: Peer) -> Peer:
    """Return a peer; the vectors' user has received 10 yusd off-chain."""
    node.fund(USER, "yusd", Decimal(10))
    return peer


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (ack(user_wallet="0x12"), f"invalid user_wallet: {LENGTH_ERROR}"),
        (ack(version="two"), "failed to parse state"),
        (ack(nonce="x"), "failed to parse channel definition"),
        (ack(nonce="0"), "nonce must be non-zero"),
        (
            ack(challenge=3600),
            "challenge period must be at least 86400 seconds, but got 3600",
        ),
        (
            ack(challenge=604801),
            "challenge period must be at most 604800 seconds, but got 604801",
        ),
        (
            ack(home_ledger=ACK["state"]["home_ledger"] | {"blockchain_id": "1"}),
            (
                "asset yusd is not supported on blockchain 1 with token address "
                "0x67a5f0b0553e22689a539b80cbe4a1cd126e2bde"
            ),
        ),
        (
            ack(validators="0x07"),
            "one or more of the provided approved signature validators are not supported",
        ),
        (
            ack(validators="zz"),
            "one or more of the provided approved signature validators are not supported",
        ),
        (
            ack(home_channel_id="0x01" + "0" * 62),
            "incoming state home_channel_id is invalid",
        ),
        (ack(validators="0X03"), "incoming state home_channel_id is invalid"),
        (
            ack(version="3"),
            "invalid state: version mismatch: expected=2, proposed=3",
        ),
        (
            resigned(replace(ACK_STATE, user_sig=None), signer("user"))
            | {"state": ACK["state"] | {"user_sig": None}},
            "invalid state: user signature is required",
        ),
        (ack(user_sig="0xzz"), "failed to decode user signature: invalid hex string"),
        (
            ack(user_sig="0x"),
            "failed to get user signature type: invalid signature: too short",
        ),
        (
            resigned(ACK_STATE, signer("peer")),
            "invalid incoming state user signature: invalid signature",
        ),
        (
            ack(user_sig="0x00" + "00" * 10),
            (
                "invalid incoming state user signature: failed to recover wallet address: "
                "invalid signature length"
            ),
        ),
        (
            ack(user_sig="0x07" + "00" * 65),
            "user signature type '7' is not supported by channel",
        ),
        (
            ack(transition=ACK["state"]["transition"] | {"type": 10}),
            (
                "transition 'home_deposit' needs a blockchain, which the local Nitronode "
                "does not have"
            ),
        ),
        (ack(challenge="86400"), "failed to parse parameters"),
    ],
)
async def test_request_creation_refusals(
    funded: Peer, payload: dict[str, Any], error: str
) -> None:
    """Each bad channel opening fails with the node's text and opens nothing."""
    assert await funded.error(CREATION, payload) == error
    home = await funded.call(
        "channels.v1.get_home_channel", {"wallet": USER, "asset": "yusd"}
    )
    assert home == {}


async def test_a_session_key_signature_needs_its_validator_approved(
    node: LocalNitronode, funded: Peer
) -> None:
    """A channel approving only the wallet (bitmap 0x01) refuses a 0x01 signature."""
    received = node.latest_state(USER, "yusd")
    assert received is not None
    channel = ChannelDefinition(5, 86400, "0x01")
    state = with_home_channel(
        next_state(received),
        channel,
        11155111,
        ACK["state"]["home_ledger"]["token_address"],
        node.node_address,
    )
    state = replace(apply_acknowledgement(state), user_sig="0x01" + "00" * 65)
    payload = {"state": state.to_wire(), "channel_definition": channel.to_wire()}
    assert await funded.error(CREATION, payload) == (
        "user signature type '1' is not supported by channel"
    )


async def test_the_acknowledgement_opens_a_void_home_channel(funded: Peer) -> None:
    """The channel row is ``void`` (DB only); a second opening is refused."""
    assert "signature" in await funded.call(CREATION, ACK)
    home = await funded.call(
        "channels.v1.get_home_channel", {"wallet": USER, "asset": "yusd"}
    )
    assert home["channel"] == {
        "channel_id": ACK["state"]["home_channel_id"],
        "user_wallet": USER,
        "asset": "yusd",
        "type": "home",
        "blockchain_id": "11155111",
        "token_address": ACK["state"]["home_ledger"]["token_address"],
        "challenge_duration": 86400,
        "challenge_expires_at": None,
        "nonce": ACK["channel_definition"]["nonce"],
        "approved_sig_validators": "0x03",
        "status": "void",
        "state_version": "0",
    }
    listing = await funded.call("channels.v1.get_channels", {"wallet": USER})
    assert listing["channels"] == [home["channel"]]
    void = await funded.call(
        "channels.v1.get_channels", {"wallet": USER, "status": "VOID", "asset": "yusd"}
    )
    assert void["channels"] == [home["channel"]]
    opened = await funded.call(
        "channels.v1.get_channels", {"wallet": USER, "status": "open"}
    )
    assert opened["channels"] == []
    assert await funded.error(CREATION, ACK) == (
        "existing channel is not yet closed on-chain; "
        "wait for settlement before opening a new channel"
    )
    signed = await funded.call(
        "channels.v1.get_latest_state",
        {"wallet": USER, "asset": "yusd", "only_signed": True},
    )
    assert signed["state"]["version"] == "2"
    assert {"user_sig", "node_sig"} <= signed["state"].keys()


async def test_transfers_between_wallets(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """A transfer on the sender's channel credits the receiver with a node-issued state.

    The receiver needs no channel; both see the transfer among their transactions.
    """
    node.fund(wallet.address, "yusd", Decimal(10))
    peer = await connect()
    me = Wallet(peer, wallet, node.node_address)
    await me.acknowledge("yusd")
    answer = await me.transfer(counterparty.address.lower(), "yusd", Decimal("2.5"))
    assert "signature" in answer.result
    other = Wallet(peer, counterparty, node.node_address)
    assert (await me.balance("yusd"), await other.balance("yusd")) == (
        Decimal("7.5"),
        Decimal("2.5"),
    )
    received = await other.latest("yusd")
    assert received is not None
    assert received.transition.type is TransitionType.TRANSFER_RECEIVE
    listing = await peer.call(
        "user.v1.get_transactions",
        {"wallet": other.address, "tx_type": 30, "pagination": {"limit": 1}},
    )
    (transfer,) = listing["transactions"]
    assert (transfer["from_account"], transfer["to_account"], transfer["amount"]) == (
        me.address,
        other.address,
        "2.5",
    )
    assert transfer["id"] == received.transition.tx_id


async def test_submit_state_refusals(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """What submit_state refuses, and with which text."""
    node.fund(wallet.address, "yusd", Decimal(10))
    peer = await connect()
    me = Wallet(peer, wallet, node.node_address)
    latest = await me.latest("yusd")
    assert latest is not None
    assert await peer.error(SUBMIT, {"state": latest.to_wire()}) == (
        "user has no active channel"
    )
    await me.acknowledge("yusd")
    assert (await me.transfer(me.address, "yusd", Decimal(1))).error == (
        "failed to issue receiver state: sender and receiver wallets are the same"
    )
    current = await me.latest("yusd")
    assert current is not None
    overspent = replace(
        apply_transfer_send(next_state(current), counterparty.address, Decimal(11)),
        user_sig="0x00" + "11" * 65,
    )
    assert await peer.error(SUBMIT, {"state": overspent.to_wire()}) == (
        "invalid state transition: invalid home ledger: user balance cannot be negative"
    )
    escrow = replace(
        next_state(current),
        transition=Transition(TransitionType.ESCROW_DEPOSIT, "0x", "0x", Decimal(1)),
    )
    assert await peer.error(SUBMIT, {"state": escrow.to_wire()}) == (
        "transition is not supported yet"
    )
    lock = replace(
        escrow, transition=replace(escrow.transition, type=TransitionType.MUTUAL_LOCK)
    )
    assert await peer.error(SUBMIT, {"state": lock.to_wire()}) == (
        "home channel is not materialized onchain"
    )
    commit = await me.commit("0x" + "ab" * 32, "yusd", Decimal(1))
    assert await peer.error(SUBMIT, {"state": commit.to_wire()}) == (
        "transition 'commit' is not supported by this endpoint"
    )
    assert await me.balance("yusd") == 10


async def test_a_channel_session_key_signature_is_not_authorised(
    node: LocalNitronode, connect: Connect, wallet: Signer, counterparty: Signer
) -> None:
    """A 0x01 signature is decoded and checked, but no channel key is registered here."""
    node.fund(wallet.address, "yusd", Decimal(10))
    me = Wallet(await connect(), wallet, node.node_address)
    await me.acknowledge("yusd")
    current = await me.latest("yusd")
    assert current is not None
    token = await me.token("yusd")
    state = apply_transfer_send(next_state(current), counterparty.address, Decimal(1))
    key = Signer.generate()
    metadata = bytes(32)
    approval = personal_sign(
        wallet, pack_channel_key_authorization(key.address.lower(), metadata)
    )
    authorization = ChannelKeyAuthorization(key.address.lower(), metadata, approval)
    signature = channel_session_key_signature(
        key, pack_state(state, token.decimals), authorization
    )
    signed = replace(state, user_sig=signature)
    assert await me.peer.error(SUBMIT, {"state": signed.to_wire()}) == (
        "invalid incoming state user signature: "
        "session key does not have permission to sign for this data"
    )
    garbled = replace(state, user_sig="0x01" + "00" * 20)
    error = await me.peer.error(SUBMIT, {"state": garbled.to_wire()})
    assert error.startswith(
        "invalid incoming state user signature: failed to decode session key signature"
    )
