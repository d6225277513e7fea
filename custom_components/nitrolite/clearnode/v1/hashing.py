"""What v1 hashes and signs, byte for byte (PROTOCOL_V1 §6.1–§6.8, §7.2).

App sessions: the id, the create request and each state update are ABI encodings,
signed as their Keccak-256 hash. Channels: ids derive from ABI encodings too, and a
channel state is signed as its whole 640-byte packing.
"""

from __future__ import annotations

from decimal import Decimal
import re

from ..amounts import EXACT
from ..digests import keccak256
from ..errors import ClearNodeValidationError
from ..models import AppDefinition
from . import abi
from .channels import ChannelDefinition, ChannelState, Ledger, Transition
from .codec import canonical_decimal, hex_to_bytes
from .models import AppStateUpdate, TransitionType
from .session_keys import AppSessionKeyState, ChannelSessionKeyState

# The first byte of every home channel id: the ChannelHub contract version.
CHANNEL_HUB_VERSION = 1
PACKED_STATE_SIZE = 640
SESSION_KEY_TYPEHASH = keccak256(
    b"Nitrolite.SessionKey(address sessionKey,bytes32 metadataHash)"
)
_BITMAP = re.compile(r"0x[0-9a-fA-F]{1,64}")
# The ChannelHub intent of a transition; every other transition operates (0).
_CONTRACT_INTENTS = {
    TransitionType.FINALIZE: 1,
    TransitionType.HOME_DEPOSIT: 2,
    TransitionType.HOME_WITHDRAWAL: 3,
    TransitionType.MUTUAL_LOCK: 4,
    TransitionType.ESCROW_DEPOSIT: 5,
    TransitionType.ESCROW_LOCK: 6,
    TransitionType.ESCROW_WITHDRAW: 7,
    TransitionType.MIGRATE: 8,
}
_NO_LEDGER = abi.tuple_(*(abi.uint(0) for _ in range(7)))


def _hex(digest: bytes) -> str:
    return "0x" + digest.hex()


def _address(value: str, field: str) -> abi.AbiValue:
    return abi.address(hex_to_bytes(value, 20, field))


def _definition(definition: AppDefinition) -> tuple[abi.AbiValue, ...]:
    participants = [
        abi.tuple_(_address(wallet, "participants"), abi.uint(weight, 8))
        for wallet, weight in zip(
            definition.participants, definition.weights, strict=True
        )
    ]
    return (
        abi.string(definition.application),
        abi.array(participants),
        abi.uint(definition.quorum, 8),
        abi.uint(definition.nonce, 64),
    )


def app_session_id(definition: AppDefinition) -> str:
    """Return the id the node derives from a definition (§6.2), lowercase hex."""
    return _hex(keccak256(abi.encode(*_definition(definition))))


def pack_create_request(definition: AppDefinition, session_data: str) -> bytes:
    """Return the ABI encoding of a create request (§6.1)."""
    return abi.encode(*_definition(definition), abi.string(session_data))


def create_request_hash(definition: AppDefinition, session_data: str) -> bytes:
    """Return the hash the participants sign to create a session (§6.1)."""
    return keccak256(pack_create_request(definition, session_data))


def pack_app_state_update(update: AppStateUpdate) -> bytes:
    """Return the ABI encoding of an app state update, amounts canonical (§6.3)."""
    allocations = [
        abi.tuple_(
            _address(allocation.participant, "allocations.participant"),
            abi.string(allocation.asset),
            abi.string(canonical_decimal(allocation.amount)),
        )
        for allocation in update.allocations
    ]
    return abi.encode(
        abi.bytes32(hex_to_bytes(update.app_session_id, 32, "app_session_id")),
        abi.uint(update.intent, 8),
        abi.uint(update.version, 64),
        abi.array(allocations),
        abi.string(update.session_data),
    )


def app_state_update_hash(update: AppStateUpdate) -> bytes:
    """Return the hash quorum signatures cover for an update of any intent (§6.3)."""
    return keccak256(pack_app_state_update(update))


def _text_hashes(values: tuple[str, ...]) -> abi.AbiValue:
    return abi.array([abi.bytes32(keccak256(value.encode())) for value in values])


def pack_app_session_key_state(state: AppSessionKeyState) -> bytes:
    """Return the ABI encoding of an app-session key state (§6.5, v1.3+)."""
    return abi.encode(
        _address(state.user_address, "user_address"),
        _address(state.session_key, "session_key"),
        abi.uint(state.version, 64),
        _text_hashes(state.application_ids),
        _text_hashes(state.app_session_ids),
        abi.uint(state.expires_at, 64),
    )


def app_session_key_state_hash(state: AppSessionKeyState) -> bytes:
    """Return the hash wallet and session key both sign to register the key."""
    return keccak256(pack_app_session_key_state(state))


def channel_metadata(asset: str) -> bytes:
    """Return the first 8 bytes of keccak(asset), padded to 32."""
    return keccak256(asset.encode())[:8] + bytes(24)


def sig_validators_value(bitmap: str) -> int:
    """Return the integer of an ``approved_sig_validators`` bitmap such as ``"0x03"``."""
    if not isinstance(bitmap, str) or not _BITMAP.fullmatch(bitmap):
        raise ClearNodeValidationError(
            "approved_sig_validators", "must be 0x and up to 32 bytes of hex"
        )
    return int(bitmap, 16)


def home_channel_id(
    definition: ChannelDefinition, user_wallet: str, node_address: str, asset: str
) -> str:
    """Return the id of the home channel a definition opens (§6.6), ``0x01…``."""
    encoded = abi.encode(
        abi.tuple_(
            abi.uint(definition.challenge, 32),
            _address(user_wallet, "user_wallet"),
            _address(node_address, "node_address"),
            abi.uint(definition.nonce, 64),
            abi.uint(sig_validators_value(definition.approved_sig_validators)),
            abi.bytes32(channel_metadata(asset)),
        )
    )
    return _hex(bytes([CHANNEL_HUB_VERSION]) + keccak256(encoded)[1:])


def state_id(user_wallet: str, asset: str, epoch: int, version: int) -> str:
    """Return the id of the channel state ``(wallet, asset, epoch, version)`` (§6.6)."""
    encoded = abi.encode(
        _address(user_wallet, "user_wallet"),
        abi.string(asset),
        abi.uint(epoch),
        abi.uint(version),
    )
    return _hex(keccak256(encoded))


def transaction_id(account_id: str, new_state_id: str) -> str:
    """Return a transition's ``tx_id``: the account's exact text and the new state id."""
    encoded = abi.encode(
        abi.string(account_id),
        abi.bytes32(hex_to_bytes(new_state_id, 32, "state_id")),
    )
    return _hex(keccak256(encoded))


def _account_word(account_id: str) -> bytes:
    """Return an address left-padded to 32 bytes, or a 32-byte id as it is."""
    if len(account_id) == 42:  # noqa: PLR2004 - 0x and 20 bytes
        return hex_to_bytes(account_id, 20, "account_id").rjust(32, b"\x00")
    return hex_to_bytes(account_id, 32, "account_id")


def transition_hash(transition: Transition) -> bytes:
    """Return the hash of a transition that a packed state carries (§6.7)."""
    encoded = abi.encode(
        abi.tuple_(
            abi.uint(transition.type, 8),
            abi.bytes32(hex_to_bytes(transition.tx_id, 32, "tx_id")),
            abi.bytes32(_account_word(transition.account_id)),
            abi.string(canonical_decimal(transition.amount)),
        )
    )
    return keccak256(encoded)


def to_base_units(amount: Decimal, decimals: int) -> int:
    """Return ``amount`` × 10^decimals, which must be a whole number of base units."""
    scaled = amount.scaleb(decimals, EXACT)
    if scaled != scaled.to_integral_value():
        msg = (
            f"amount {canonical_decimal(amount)} exceeds maximum decimal precision: "
            f"max {decimals} decimals allowed"
        )
        raise ClearNodeValidationError("amount", msg)
    return int(scaled)


def _ledger(ledger: Ledger, decimals: int) -> abi.AbiValue:
    return abi.tuple_(
        abi.uint(ledger.blockchain_id, 64),
        _address(ledger.token_address, "token_address"),
        abi.uint(decimals, 8),
        abi.uint(to_base_units(ledger.user_balance, decimals)),
        abi.int256(to_base_units(ledger.user_net_flow, decimals)),
        abi.uint(to_base_units(ledger.node_balance, decimals)),
        abi.int256(to_base_units(ledger.node_net_flow, decimals)),
    )


def pack_state(
    state: ChannelState, home_decimals: int, escrow_decimals: int | None = None
) -> bytes:
    """Return the 640 bytes a channel state signature covers (§6.8).

    ``home_decimals`` (and ``escrow_decimals`` when the state has an escrow ledger)
    are the *token* decimals of the ledger's ``(blockchain_id, token_address)``.
    """
    if state.home_channel_id is None:
        raise ClearNodeValidationError("home_channel_id", "required to pack a state")
    if state.escrow_ledger is None:
        escrow = _NO_LEDGER
    elif escrow_decimals is None:
        raise ClearNodeValidationError("escrow_ledger", "its token decimals are needed")
    else:
        escrow = _ledger(state.escrow_ledger, escrow_decimals)
    signing_data = abi.encode(
        abi.uint(state.version, 64),
        abi.uint(_CONTRACT_INTENTS.get(state.transition.type, 0), 8),
        abi.bytes32(transition_hash(state.transition)),
        _ledger(state.home_ledger, home_decimals),
        escrow,
    )
    return abi.encode(
        abi.bytes32(hex_to_bytes(state.home_channel_id, 32, "home_channel_id")),
        abi.dynamic_bytes(signing_data),
    )


def channel_key_metadata_hash(state: ChannelSessionKeyState) -> bytes:
    """Return the metadata hash a channel session key is authorised by (§7.2)."""
    encoded = abi.encode(
        _address(state.user_address, "user_address"),
        abi.uint(state.version, 64),
        abi.array([abi.string(asset) for asset in state.assets]),
        abi.uint(state.expires_at, 64),
    )
    return keccak256(encoded)


def pack_channel_key_authorization(session_key: str, metadata_hash: bytes) -> bytes:
    """Return the 96 bytes wallet and key sign to register a channel session key."""
    return abi.encode(
        abi.bytes32(SESSION_KEY_TYPEHASH),
        _address(session_key, "session_key"),
        abi.bytes32(metadata_hash),
    )
