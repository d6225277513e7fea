"""The two digests everything signed hashes with: Keccak-256 and EIP-191."""

from __future__ import annotations

from eth_hash.auto import keccak


def keccak256(data: bytes) -> bytes:
    """Return the Keccak-256 digest (not SHA3-256) of ``data``."""
    return keccak(data)


def eip191_digest(message: bytes) -> bytes:
    """Return the EIP-191 digest: keccak256 of the personal-message prefix and ``message``."""
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode()
    return keccak256(prefix + message)
