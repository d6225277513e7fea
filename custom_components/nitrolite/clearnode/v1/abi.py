"""The few Solidity ``abi.encode`` types the v1 hashes use, encoded directly.

Each value knows its own encoding and whether it is dynamic; a tuple (and the
top-level argument list) lays static values out inline and dynamic ones behind an
offset. This is byte-identical to eth-abi for these types, at a fraction of its cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ClearNodeValidationError

_WORD = 32


@dataclass(frozen=True, slots=True)
class AbiValue:
    """One encoded value; ``dynamic`` values are referenced by offset in a tuple."""

    data: bytes
    dynamic: bool


def _invalid(what: str) -> ClearNodeValidationError:
    return ClearNodeValidationError(field="abi", message=what)


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % _WORD)


def uint(value: int, bits: int = 256) -> AbiValue:
    """Encode ``uint<bits>``: a non-negative integer below 2**bits."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"uint{bits} must be an integer")
    if not 0 <= value < 1 << bits:
        raise _invalid(f"{value} does not fit in uint{bits}")
    return AbiValue(value.to_bytes(_WORD), dynamic=False)


def int256(value: int) -> AbiValue:
    """Encode ``int256`` in two's complement."""
    if not -(1 << 255) <= value < 1 << 255:
        raise _invalid(f"{value} does not fit in int256")
    return AbiValue(value.to_bytes(_WORD, signed=True), dynamic=False)


def address(value: bytes) -> AbiValue:
    """Encode ``address``: 20 bytes, left-padded."""
    if len(value) != 20:  # noqa: PLR2004 - an address is 20 bytes
        raise _invalid("an address is 20 bytes")
    return AbiValue(value.rjust(_WORD, b"\x00"), dynamic=False)


def bytes32(value: bytes) -> AbiValue:
    """Encode ``bytes32``."""
    if len(value) != _WORD:
        raise _invalid("bytes32 must be 32 bytes")
    return AbiValue(value, dynamic=False)


def dynamic_bytes(value: bytes) -> AbiValue:
    """Encode ``bytes``: a length word, then the data padded to whole words."""
    return AbiValue(len(value).to_bytes(_WORD) + _padded(value), dynamic=True)


def string(value: str) -> AbiValue:
    """Encode ``string``: its UTF-8 bytes as ``bytes``."""
    return dynamic_bytes(value.encode())


def _head_and_tail(values: Sequence[AbiValue]) -> bytes:
    head_size = sum(_WORD if v.dynamic else len(v.data) for v in values)
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = head_size
    for value in values:
        if value.dynamic:
            heads.append(offset.to_bytes(_WORD))
            tails.append(value.data)
            offset += len(value.data)
        else:
            heads.append(value.data)
    return b"".join(heads + tails)


def tuple_(*values: AbiValue) -> AbiValue:
    """Encode a tuple ``(T1, T2, …)``, dynamic when any member is."""
    return AbiValue(_head_and_tail(values), dynamic=any(v.dynamic for v in values))


def array(values: Sequence[AbiValue]) -> AbiValue:
    """Encode ``T[]``: a length word, then the elements as a tuple."""
    return AbiValue(len(values).to_bytes(_WORD) + _head_and_tail(values), dynamic=True)


def encode(*values: AbiValue) -> bytes:
    """Return ``abi.encode(values…)``."""
    return _head_and_tail(values)
