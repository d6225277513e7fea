"""Ids, ABI encodings, hashes and 640-byte packings reproduce the v1 vectors."""

from dataclasses import replace
from decimal import Decimal

import eth_abi
from eth_hash.auto import keccak
import pytest

from custom_components.nitrolite.clearnode.errors import ClearNodeValidationError
from custom_components.nitrolite.clearnode.v1 import hashing
from custom_components.nitrolite.clearnode.v1.models import (
    AppStateUpdate,
    app_definition_from_wire,
)
from custom_components.nitrolite.clearnode.v1.session_keys import (
    AppSessionKeyState,
    ChannelSessionKeyState,
)
from custom_components.nitrolite.clearnode.v1.state import (
    ChannelDefinition,
    ChannelState,
    Ledger,
)

from .vectors import address, load, two_party

VECTORS = two_party()
CREATE = VECTORS["create"]
CHANNEL = VECTORS["channel"]
SINGLE = load("single")
CHANNEL_KEY = load("chsk")
ACK = ChannelState.from_wire(CHANNEL["ack_state"])
COMMIT = ChannelState.from_wire(CHANNEL["commit_state"])


def hex_of(data: bytes) -> str:
    """Return 0x + lowercase hex."""
    return "0x" + data.hex()


def test_two_party_create_encoding_hash_and_id() -> None:
    """The create request's ABI bytes, its hash and the session id are the vectors'."""
    definition = app_definition_from_wire(CREATE["definition"])
    session_data = CREATE["session_data"]
    packed = hashing.pack_create_request(definition, session_data)
    assert hex_of(packed) == CREATE["abi_encoding"]
    assert (
        hex_of(hashing.create_request_hash(definition, session_data)) == CREATE["hash"]
    )
    assert hashing.app_session_id(definition) == CREATE["app_session_id"]


def test_single_participant_create_and_close_hashes() -> None:
    """The single-party set: its id, create hash and empty close hash."""
    definition = app_definition_from_wire(SINGLE["definition"])
    assert hashing.app_session_id(definition) == SINGLE["app_session_id"]
    create_hash = hashing.create_request_hash(definition, "")
    assert hex_of(create_hash) == SINGLE["create_hash"]
    close = AppStateUpdate.from_wire(
        {
            "app_session_id": SINGLE["app_session_id"],
            "intent": 3,
            "version": "2",
            "allocations": [],
            "session_data": "",
        }
    )
    assert hex_of(hashing.app_state_update_hash(close)) == SINGLE["close_hash"]


def test_the_session_id_does_not_depend_on_address_case() -> None:
    """Participants hash as 20 bytes: checksummed and lowercase give one id."""
    definition = app_definition_from_wire(CREATE["definition"])
    lowered = replace(
        definition, participants=tuple(p.lower() for p in definition.participants)
    )
    assert hashing.app_session_id(lowered) == CREATE["app_session_id"]


@pytest.mark.parametrize("name", sorted(VECTORS["updates"]))
def test_app_state_update_hashes(name: str) -> None:
    """Close, deposit, operate and close-with-funds updates hash as the vectors say."""
    case = VECTORS["updates"][name]
    update = AppStateUpdate.from_wire(case["app_state_update"])
    assert hex_of(hashing.app_state_update_hash(update)) == case["hash"]


def test_trailing_zeros_do_not_change_an_update_hash() -> None:
    """Amounts are hashed in canonical form: "4.250" hashes as "4.25"."""
    updates = VECTORS["updates"]
    padded = AppStateUpdate.from_wire(
        updates["operate_trailing_zero"]["app_state_update"]
    )
    plain = AppStateUpdate.from_wire(updates["operate_v3"]["app_state_update"])
    assert str(padded.allocations[0].amount) == "4.250"
    assert hashing.app_state_update_hash(padded) == hashing.app_state_update_hash(plain)


@pytest.mark.parametrize(
    "name", ["app_session_key_state", "app_session_key_state_by_session_id"]
)
def test_app_session_key_state_hashes(name: str) -> None:
    """Key states scoped by application or by session id hash each id as its text."""
    case = VECTORS[name]
    state = AppSessionKeyState.from_wire(case["state"])
    assert hex_of(hashing.app_session_key_state_hash(state)) == case["hash"]


def test_home_channel_metadata_and_id() -> None:
    """The asset metadata and the 0x01-prefixed home channel id are the vectors'."""
    assert (
        hex_of(hashing.channel_metadata(CHANNEL["asset"]))
        == CHANNEL["channel_metadata"]
    )
    channel_id = hashing.home_channel_id(
        ChannelDefinition.from_wire(CHANNEL["channel_definition"]),
        address("user"),
        CHANNEL["node_address"],
        CHANNEL["asset"],
    )
    assert channel_id == CHANNEL["home_channel_id"]
    assert channel_id.startswith("0x01")


@pytest.mark.parametrize("state", [ACK, COMMIT], ids=["ack", "commit"])
def test_state_ids(state: ChannelState) -> None:
    """A state id derives from wallet, asset, epoch and version."""
    assert (
        hashing.state_id(state.user_wallet, state.asset, state.epoch, state.version)
        == state.id
    )


def test_commit_transaction_id() -> None:
    """A commit's tx_id hashes the app session id's text with the new state id."""
    assert hashing.transaction_id(COMMIT.transition.account_id, COMMIT.id) == (
        COMMIT.transition.tx_id
    )


def test_a_transfer_transaction_id_hashes_the_recipient_text() -> None:
    """For a transfer the account is the recipient's address, hashed as its exact text."""
    recipient = address("peer")
    expected = keccak(
        eth_abi.encode(["string", "bytes32"], [recipient, bytes.fromhex(ACK.id[2:])])
    )
    assert hashing.transaction_id(recipient, ACK.id) == hex_of(expected)
    assert hashing.transaction_id(
        recipient.upper().replace("0X", "0x"), ACK.id
    ) != hex_of(expected)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (ACK, CHANNEL["ack_transition_hash"]),
        (COMMIT, CHANNEL["commit_transition_hash"]),
    ],
    ids=["ack", "commit"],
)
def test_transition_hashes(state: ChannelState, expected: str) -> None:
    """The transition hash packs type, tx id, account and the canonical amount."""
    assert hex_of(hashing.transition_hash(state.transition)) == expected


def test_an_address_account_is_left_padded_in_the_transition_hash() -> None:
    """A 20-byte account (a transfer's recipient) is right-aligned in its word."""
    transition = replace(COMMIT.transition, account_id=address("peer"))
    expected = keccak(
        eth_abi.encode(
            ["(uint8,bytes32,bytes32,string)"],
            [
                (
                    40,
                    bytes.fromhex(COMMIT.transition.tx_id[2:]),
                    bytes.fromhex(address("peer")[2:]).rjust(32, b"\0"),
                    "5",
                )
            ],
        )
    )
    assert hashing.transition_hash(transition) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [(ACK, CHANNEL["ack_packed"]), (COMMIT, CHANNEL["commit_packed"])],
    ids=["ack", "commit"],
)
def test_packed_states_are_640_bytes_of_the_vectors(
    state: ChannelState, expected: str
) -> None:
    """Channel id, signing data and both ledgers (escrow zeroed) pack to the vector."""
    packed = hashing.pack_state(state, CHANNEL["token_decimals"])
    assert len(packed) == hashing.PACKED_STATE_SIZE
    assert hex_of(packed) == expected


def test_an_escrow_ledger_is_packed_with_its_own_decimals() -> None:
    """A state with an escrow ledger packs it scaled by the escrow token's decimals."""
    escrow = Ledger(
        CHANNEL["token_address"], 1, Decimal(2), Decimal(2), Decimal(0), Decimal(0)
    )
    state = replace(ACK, escrow_ledger=escrow)
    packed = hashing.pack_state(state, 6, 18)
    assert len(packed) == hashing.PACKED_STATE_SIZE
    assert packed[-4 * 32 : -3 * 32] == (2 * 10**18).to_bytes(32)
    with pytest.raises(ClearNodeValidationError, match="escrow_ledger"):
        hashing.pack_state(state, 6)


def test_negative_net_flows_pack_as_twos_complement() -> None:
    """Net flows are int256: a negative flow is encoded in two's complement."""
    ledger = replace(
        ACK.home_ledger, user_net_flow=Decimal(-1), user_balance=Decimal(9)
    )
    packed = hashing.pack_state(replace(ACK, home_ledger=ledger), 6)
    # Channel id, offset, length, version, intent, transition hash, chain, token,
    # decimals, user balance: the user's net flow is word 10.
    user_net_flow_word = packed[10 * 32 : 11 * 32]
    assert int.from_bytes(user_net_flow_word, signed=True) == -(10**6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"home_channel_id": None}, "required to pack a state"),
        (
            {
                "home_ledger": replace(
                    ACK.home_ledger, user_balance=Decimal("0.0000001")
                )
            },
            "exceeds maximum decimal precision: max 6 decimals allowed",
        ),
        (
            {"home_ledger": replace(ACK.home_ledger, user_balance=Decimal(-1))},
            "does not fit in uint256",
        ),
    ],
)
def test_a_state_that_cannot_be_packed_is_refused(change: dict, message: str) -> None:
    """No channel, fractional base units or a negative balance: nothing to sign."""
    with pytest.raises(ClearNodeValidationError, match=message):
        hashing.pack_state(replace(ACK, **change), 6)


def test_channel_session_key_metadata_and_authorization() -> None:
    """The channel key's metadata hash and its 96-byte authorisation are the vectors'."""
    state = ChannelSessionKeyState.from_wire(CHANNEL_KEY["state"])
    metadata = hashing.channel_key_metadata_hash(state)
    assert hex_of(metadata) == CHANNEL_KEY["metadata_hash"]
    assert hex_of(hashing.SESSION_KEY_TYPEHASH) == CHANNEL_KEY["typehash"]
    authorization = hashing.pack_channel_key_authorization(state.session_key, metadata)
    assert hex_of(authorization) == CHANNEL_KEY["auth_message"]


@pytest.mark.parametrize("bitmap", ["0x", "03", "0x" + "0" * 65, "0xzz"])
def test_a_malformed_validator_bitmap_is_refused(bitmap: str) -> None:
    """approved_sig_validators is 0x and up to 32 bytes of hex."""
    with pytest.raises(ClearNodeValidationError, match="approved_sig_validators"):
        hashing.sig_validators_value(bitmap)
