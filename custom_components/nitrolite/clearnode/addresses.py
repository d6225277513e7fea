"""Wallet addresses: the EIP-55 checksum and the strict parser every input goes through."""

from __future__ import annotations

import re
from typing import TypeGuard

from .digests import keccak256
from .errors import ClearNodeValidationError

_ADDRESS_HEX = re.compile(r"0x[0-9a-fA-F]{40}")


def is_hex_address(value: object) -> TypeGuard[str]:
    """Whether ``value`` is ``0x`` and 20 bytes of hex, in any case (checksum unchecked)."""
    return isinstance(value, str) and _ADDRESS_HEX.fullmatch(value) is not None


def to_checksum_address(address: str) -> str:
    """Return the EIP-55 form of a 0x-prefixed 20-byte hex address (any case)."""
    if not is_hex_address(address):
        raise ClearNodeValidationError(
            field="address", message="not a 0x-prefixed 20-byte address"
        )
    lower = address[2:].lower()
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c  # noqa: PLR2004 - EIP-55 nibble rule
        for c, h in zip(lower, digest, strict=False)
    )


def parse_address(value: str, field: str) -> str:
    """Return ``value`` in EIP-55 form, or fail naming ``field``.

    All-lower and all-upper hex carry no checksum and are accepted; mixed case must be
    a valid EIP-55 checksum, so that a typo cannot turn into another valid address.
    """
    if not isinstance(value, str):
        raise ClearNodeValidationError(field, "not a valid 0x address")
    value = value.strip()
    if not is_hex_address(value):
        raise ClearNodeValidationError(field, "not a valid 0x address")
    checksummed = to_checksum_address(value)
    digits = value[2:]
    if digits not in {digits.lower(), digits.upper()} and value != checksummed:
        raise ClearNodeValidationError(
            field, "mixed-case address with an invalid EIP-55 checksum"
        )
    return checksummed
