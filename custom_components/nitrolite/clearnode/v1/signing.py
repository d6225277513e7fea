"""v1 signatures: EIP-191 personal messages with a signer-type byte (PROTOCOL_V1 §5).

Built on the library's fast signer (:meth:`~..signing.Signer.sign_digest`,
:func:`~..signing.recover_address`), byte-identical to eth-account's
``sign_message(encode_defunct(primitive=…))``.

| bytes on the wire | signer | message |
|---|---|---|
| ``0xA1`` ‖ 65 B | wallet | 32-byte app hash |
| ``0xA2`` ‖ 65 B | app-session key | 32-byte app hash |
| ``0x00`` ‖ 65 B | wallet or node | 640-byte packed channel state |
| ``0x01`` ‖ ABI blob | channel session key | 640-byte packed channel state |
| 65 B | wallet / key holder | key-state hashes and authorisations |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ..addresses import to_checksum_address
from ..digests import eip191_digest
from ..errors import ClearNodeProtocolError
from ..signing import Signer, recover_address
from . import abi
from .hashing import pack_channel_key_authorization

_SIGNATURE_SIZE = 65
_WORD = 32
# Two offsets, the authorisation (address, hash, offset, 65-byte signature in three
# words) and the key's 65-byte signature (length and three words): 13 words.
_KEY_BLOB_SIZE = 13 * _WORD


class QuorumSignerType(IntEnum):
    """First byte of a ``quorum_sigs`` entry."""

    WALLET = 0xA1
    SESSION_KEY = 0xA2


class ChannelSignerType(IntEnum):
    """First byte of a channel state's ``user_sig`` (or the node's signature)."""

    WALLET = 0x00
    SESSION_KEY = 0x01


def personal_sign(signer: Signer, message: bytes) -> str:
    """Sign ``message`` as an EIP-191 personal message: 0x + 65 bytes, no type byte."""
    return signer.sign_digest(eip191_digest(message))


def recover_personal_signer(message: bytes, signature: str) -> str:
    """Return the EIP-55 address that signed ``message`` (65-byte signature)."""
    return recover_address(eip191_digest(message), signature)


def _decode(signature: str) -> bytes:
    if not isinstance(signature, str) or not signature.startswith("0x"):
        msg = "invalid signature: not 0x-prefixed hex"
        raise ClearNodeProtocolError(msg)
    try:
        return bytes.fromhex(signature[2:])
    except ValueError:
        msg = "invalid signature: not hexadecimal"
        raise ClearNodeProtocolError(msg) from None


def _split_type(signature: str, known: type[IntEnum]) -> tuple[int, bytes]:
    """Return the type byte of a typed signature and the bytes after it."""
    raw = _decode(signature)
    if not raw or raw[0] not in known:
        msg = f"invalid signature: unknown signer type {raw[0] if raw else 'none'}"
        raise ClearNodeProtocolError(msg)
    return raw[0], raw[1:]


def _recover_bare(message: bytes, signature: bytes) -> str:
    if len(signature) != _SIGNATURE_SIZE:
        msg = "invalid signature: not 65 bytes"
        raise ClearNodeProtocolError(msg)
    return recover_personal_signer(message, "0x" + signature.hex())


def _typed(type_byte: int, raw_hex: str) -> str:
    return f"0x{type_byte:02x}{raw_hex.removeprefix('0x')}"


def quorum_signature(
    signer: Signer,
    app_hash: bytes,
    signer_type: QuorumSignerType = QuorumSignerType.WALLET,
) -> str:
    """Sign an app hash (§6.1, §6.3) for ``quorum_sigs``: 0xA1 wallet, 0xA2 session key."""
    return _typed(signer_type, personal_sign(signer, app_hash))


def recover_quorum_signer(
    app_hash: bytes, signature: str
) -> tuple[QuorumSignerType, str]:
    """Return the type byte and the EIP-55 signer of a ``quorum_sigs`` entry.

    For 0xA2 the signer is the session key; its owner wallet is the node's to know.
    """
    signer_type, body = _split_type(signature, QuorumSignerType)
    return QuorumSignerType(signer_type), _recover_bare(app_hash, body)


def channel_signature(signer: Signer, packed_state: bytes) -> str:
    """Sign a packed channel state as its owner (wallet or node): 0x00 ‖ 65 bytes."""
    return _typed(ChannelSignerType.WALLET, personal_sign(signer, packed_state))


@dataclass(frozen=True, slots=True)
class ChannelKeyAuthorization:
    """What proves a channel session key acts for a wallet (§7.2).

    ``user_sig`` is the wallet's personal signature over
    :func:`~.hashing.pack_channel_key_authorization` of ``session_key`` and
    ``metadata_hash``.
    """

    session_key: str
    metadata_hash: bytes
    user_sig: str


def _authorization_blob(
    authorization: ChannelKeyAuthorization, key_signature: bytes
) -> bytes:
    return abi.encode(
        abi.tuple_(
            abi.address(bytes.fromhex(authorization.session_key[2:])),
            abi.bytes32(authorization.metadata_hash),
            abi.dynamic_bytes(_decode(authorization.user_sig)),
        ),
        abi.dynamic_bytes(key_signature),
    )


def channel_session_key_signature(
    session_key: Signer, packed_state: bytes, authorization: ChannelKeyAuthorization
) -> str:
    """Sign a packed channel state with a channel session key: 0x01 ‖ ABI blob."""
    key_signature = _decode(personal_sign(session_key, packed_state))
    blob = _authorization_blob(authorization, key_signature)
    return _typed(ChannelSignerType.SESSION_KEY, blob.hex())


def _decode_authorization_blob(blob: bytes) -> tuple[ChannelKeyAuthorization, bytes]:
    """Read ``((address, bytes32, bytes), bytes)`` in its one canonical 416-byte layout."""
    malformed = ClearNodeProtocolError("invalid signature: malformed session key blob")
    if len(blob) != _KEY_BLOB_SIZE:
        raise malformed
    authorization = ChannelKeyAuthorization(
        session_key="0x" + blob[2 * _WORD + 12 : 3 * _WORD].hex(),
        metadata_hash=blob[3 * _WORD : 4 * _WORD],
        user_sig="0x" + blob[6 * _WORD : 6 * _WORD + _SIGNATURE_SIZE].hex(),
    )
    key_signature = blob[10 * _WORD : 10 * _WORD + _SIGNATURE_SIZE]
    if _authorization_blob(authorization, key_signature) != blob:
        raise malformed
    return authorization, key_signature


def recover_channel_signer(
    packed_state: bytes, signature: str
) -> tuple[str, ChannelKeyAuthorization | None]:
    """Return the EIP-55 wallet that signed a packed state, and the key it used.

    A 0x01 signature names its session key and the wallet's authorisation; both
    signatures must check out. Whether that key is registered, unexpired and scoped
    to the state's asset (its latest state has ``metadata_hash``) is the node's
    business.
    """
    signer_type, body = _split_type(signature, ChannelSignerType)
    if signer_type == ChannelSignerType.WALLET:
        return _recover_bare(packed_state, body), None
    authorization, key_signature = _decode_authorization_blob(body)
    wallet = recover_personal_signer(
        pack_channel_key_authorization(
            authorization.session_key, authorization.metadata_hash
        ),
        authorization.user_sig,
    )
    key = _recover_bare(packed_state, key_signature)
    if key != to_checksum_address(authorization.session_key):
        msg = "invalid signature: the session key did not sign this state"
        raise ClearNodeProtocolError(msg)
    return wallet, authorization


def verify_node_signature(
    packed_state: bytes, signature: str, node_address: str
) -> None:
    """Check the node's co-signature (0x00 ‖ 65 bytes) on a packed channel state."""
    wallet, authorization = recover_channel_signer(packed_state, signature)
    if authorization is not None or wallet != to_checksum_address(node_address):
        msg = "the node's channel signature does not verify"
        raise ClearNodeProtocolError(msg)
