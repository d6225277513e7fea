"""Strict, bounded readers of v1 JSON objects (payloads and results alike).

Every reader names the key it failed on. The bounds are structural and generous: the
node's own semantic limits (32 participants, 1024 bytes of session data, …) are
checked where those rules live, with the node's wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import re
from typing import Any

from ..amounts import MAX_AMOUNT_CHARS, AmountError
from ..errors import ClearNodeProtocolError, ClearNodeValidationError
from .codec import UINT64_LIMIT, hex_to_bytes, is_uint, parse_wire_decimal

MAX_TEXT_CHARS = 4096
MAX_ITEMS = 1024
_UINT_TEXT = re.compile(r"[0-9]{1,20}")


def fail(what: str) -> ClearNodeProtocolError:
    """Return the error for a value that is not what the protocol says."""
    return ClearNodeProtocolError(f"unexpected v1 data: {what}")


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object."""
    if not isinstance(value, Mapping):
        raise fail(f"{what} is not an object")
    return value


def text(data: Mapping[str, Any], key: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return a string of at most ``max_chars`` characters."""
    value = data.get(key)
    if not isinstance(value, str):
        raise fail(f"{key} is not a string")
    if len(value) > max_chars:
        raise fail(f"{key} is longer than {max_chars} characters")
    return value


def optional_text(
    data: Mapping[str, Any], key: str, max_chars: int = MAX_TEXT_CHARS
) -> str | None:
    """Return a string, or None when the key is absent or null (Go's omitempty)."""
    return None if data.get(key) is None else text(data, key, max_chars)


def uint(data: Mapping[str, Any], key: str, bits: int) -> int:
    """Return a JSON integer that fits in ``uint<bits>``."""
    value = data.get(key)
    if not is_uint(value, 1 << bits):
        raise fail(f"{key} is not a uint{bits}")
    return value


def uint_text(data: Mapping[str, Any], key: str) -> int:
    """Return a uint64 sent as a decimal string (``"1764201600000"``)."""
    value = text(data, key, 20)
    if not _UINT_TEXT.fullmatch(value) or int(value) >= UINT64_LIMIT:
        raise fail(f"{key} is not a uint64 decimal string")
    return int(value)


def amount(data: Mapping[str, Any], key: str, *, signed: bool = False) -> Decimal:
    """Return a bounded decimal amount sent as a string."""
    try:
        value = parse_wire_decimal(text(data, key, MAX_AMOUNT_CHARS))
    except AmountError as err:
        raise fail(f"{key} is not an amount: {err}") from None
    if value < 0 and not signed:
        raise fail(f"{key} is negative")
    return value


def hex_text(data: Mapping[str, Any], key: str, size: int) -> str:
    """Return ``0x`` + ``size`` bytes of hex, exactly as sent."""
    value = text(data, key, 2 + 2 * size)
    try:
        hex_to_bytes(value, size, key)
    except ClearNodeValidationError:
        raise fail(f"{key} is not 0x and {size} bytes of hex") from None
    return value


def optional_id(data: Mapping[str, Any], key: str) -> str | None:
    """Return a 32-byte hex id, or None where the field is absent or null."""
    return None if data.get(key) is None else hex_text(data, key, 32)


def items(data: Mapping[str, Any], key: str, max_items: int = MAX_ITEMS) -> list[Any]:
    """Return a list of at most ``max_items``; absent or null is empty (Go's nil)."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(f"{key} is not a list")
    if len(value) > max_items:
        raise fail(f"{key} has more than {max_items} items")
    return value
