"""The vectors' channel states, built with the state helpers (used by several tests)."""

from decimal import Decimal

from custom_components.nitrolite.clearnode.v1.state import (
    ChannelDefinition,
    ChannelState,
    apply_acknowledgement,
    apply_commit,
    apply_transfer_receive,
    next_state,
    sign_state,
    void_state,
    with_home_channel,
)

from .vectors import address, signer, two_party

CHANNEL = two_party()["channel"]
APP_SESSION_ID = two_party()["create"]["app_session_id"]
USER = signer("user")
ASSET = CHANNEL["asset"]
DECIMALS = CHANNEL["token_decimals"]
FAUCET_TX = "0x" + "ab" * 32


def received(amount: Decimal) -> ChannelState:
    """Return the user's first state: the node credited ``amount`` off-chain, no channel."""
    first = next_state(void_state(address("user"), ASSET))
    return apply_transfer_receive(first, address("peer"), amount, FAUCET_TX)


def acknowledged() -> ChannelState:
    """Return the user's signed acknowledgement that opens the vectors' home channel."""
    opened = with_home_channel(
        next_state(received(Decimal(10))),
        ChannelDefinition.from_wire(CHANNEL["channel_definition"]),
        CHANNEL["blockchain_id"],
        CHANNEL["token_address"],
        CHANNEL["node_address"],
    )
    return sign_state(apply_acknowledgement(opened), USER, DECIMALS)


def committed() -> ChannelState:
    """Return the user's signed commit of 5 into the vectors' app session."""
    state = apply_commit(next_state(acknowledged()), APP_SESSION_ID, Decimal(5))
    return sign_state(state, USER, DECIMALS)
