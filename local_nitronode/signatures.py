"""Signature checks of the node, on the library's EIP-191 primitives, with Go's wording.

Errors are ValueError carrying the text the Go validator returns; each handler wraps
it in its own prefix (``failed to recover user wallet: …``,
``invalid incoming state user signature: …``).
"""

from __future__ import annotations

from collections.abc import Callable

from custom_components.nitrolite.clearnode import ClearNodeProtocolError
from custom_components.nitrolite.clearnode.v1 import (
    ChannelSignerType,
    QuorumSignerType,
    recover_channel_signer,
    recover_personal_signer,
)

SIGNATURE_SIZE = 65


def recover(message: bytes, signature: bytes) -> str:
    """sign.RecoverAddress over an EIP-191 message: the lowercase signer."""
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError("invalid signature length")
    try:
        return recover_personal_signer(message, "0x" + signature.hex()).lower()
    except ClearNodeProtocolError:
        raise ValueError("signature recovery failed: invalid signature") from None


def recover_quorum_signer(
    app_hash: bytes, signature: bytes, key_owner: Callable[[str], str]
) -> str:
    """AppSessionKeySigValidatorV1.Recover: 0xA1 is the wallet, 0xA2 maps to its owner."""
    kind, raw = signature[0], signature[1:]
    if kind == QuorumSignerType.WALLET:
        try:
            return recover(app_hash, raw)
        except ValueError as err:
            raise ValueError(f"failed to recover wallet address: {err}") from None
    if kind == QuorumSignerType.SESSION_KEY:
        try:
            session_key = recover(app_hash, raw)
        except ValueError as err:
            raise ValueError(f"failed to recover session key address: {err}") from None
        return key_owner(session_key)
    raise ValueError(f"invalid signature: unknown signer type {kind}")


def channel_signer_supported(bitmap: str, signer_type: int) -> bool:
    """core.IsChannelSignerSupported for a validated bitmap: the default signer always."""
    return signer_type == ChannelSignerType.WALLET or bool(
        int(bitmap, 16) >> signer_type & 1
    )


def verify_channel_signature(
    wallet: str, packed_state: bytes, signature: bytes
) -> None:
    """ChannelSigValidator.Verify of an approved type, on a node without channel keys.

    A 0x01 signature is decoded and checked, but no channel session key is registered
    here, so it never has the permission to sign.
    """
    if signature[0] == ChannelSignerType.SESSION_KEY:
        try:
            recover_channel_signer(packed_state, "0x" + signature.hex())
        except ClearNodeProtocolError as err:
            raise ValueError(f"failed to decode session key signature: {err}") from None
        raise ValueError("session key does not have permission to sign for this data")
    try:
        signer = recover(packed_state, signature[1:])
    except ValueError as err:
        raise ValueError(f"failed to recover wallet address: {err}") from None
    if signer != wallet.lower():
        raise ValueError("invalid signature")
