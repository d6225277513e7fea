"""Go's decoding rules, applied to request payloads the way the real server applies them.

The node unmarshals a frame's payload into ``map[string]any`` and later re-marshals it
into the method's request struct (``Payload.Translate``). So every JSON number passes
through a float64 first (``1.0`` fits a ``uint8``, ``1.5`` does not, and integers beyond
2^53 lose precision), keys match struct fields case-insensitively, absent and null fields
take their zero value, unknown keys are ignored, and a value of the wrong JSON type fails
the whole request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import json
import math
import re
from typing import Any

from .errors import ParamsError

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]+")
_SIGNED_DIGITS = re.compile(r"[+-]?[0-9]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class JsonNumber(str):
    """A JSON number kept as its literal text, so each consumer applies its own Go type."""

    __slots__ = ()


def _reject_constant(literal: str) -> Any:
    """Go's decoder knows no NaN or Infinity literals."""
    raise ValueError(literal)


_DECODER = json.JSONDecoder(
    parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=_reject_constant
)


def load_json(text: str) -> Any:
    """Parse JSON text; ValueError when Go's decoder would refuse its syntax."""
    try:
        return _DECODER.decode(text)
    except RecursionError as err:
        raise ValueError("nested too deeply") from err


def struct(value: Any) -> Mapping[str, Any]:
    """Decode a struct: null is the zero struct; keys are matched case-insensitively.

    After the float64 round trip the keys arrive sorted, so of two keys that differ only
    in case the one sorting last wins, as it does in the real server.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParamsError
    return {key.translate(_ASCII_LOWER): value[key] for key in sorted(value)}


def string(value: Any) -> str:
    """Decode a Go string (lone surrogates become U+FFFD, as Go's decoder does)."""
    if value is None:
        return ""
    if not isinstance(value, str) or isinstance(value, JsonNumber):
        raise ParamsError
    return _LONE_SURROGATE.sub("\ufffd", value)


def optional_string(value: Any) -> str | None:
    """Decode a Go *string: None when absent or null."""
    return None if value is None else string(value)


def uint(value: Any, bits: int) -> int:
    """Decode a Go unsigned integer of ``bits`` bits from a JSON number."""
    if value is None:
        return 0
    if not isinstance(value, JsonNumber):
        raise ParamsError
    number = float(value)  # beyond float64, inf: out of any range
    if not number.is_integer() or not 0 <= number < 2**bits:
        raise ParamsError
    if number == 0 and math.copysign(1, number) < 0:  # "-0" cannot be unsigned
        raise ParamsError
    return int(number)


def optional_uint(value: Any, bits: int) -> int | None:
    """Decode a Go *uintN: None when absent or null."""
    return None if value is None else uint(value, bits)


def boolean(value: Any) -> bool:
    """Decode a Go bool."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ParamsError
    return value


def string_list(value: Any) -> list[str] | None:
    """Decode a Go []string: None (Go nil) when absent or null."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ParamsError
    return [string(item) for item in value]


def struct_list(value: Any) -> list[Mapping[str, Any]]:
    """Decode a Go slice of structs (null elements decode to zero structs)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParamsError
    return [struct(item) for item in value]


def parse_uint(text: str, bits: int = 64) -> int:
    """strconv.ParseUint(text, 10, bits): ValueError unless plain decimal digits in range."""
    if not _DIGITS.fullmatch(text):
        raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    number = int(text) if len(text) <= 40 else 2**bits  # noqa: PLR2004 - beyond any uint
    if number >= 2**bits:
        raise ValueError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return number


def parse_int(text: str, bits: int = 64) -> int:
    """strconv.ParseInt(text, 10, bits): an optional sign, then decimal digits in range."""
    if not _SIGNED_DIGITS.fullmatch(text):
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    limit = 2 ** (bits - 1)
    number = int(text) if len(text) <= 40 else limit  # noqa: PLR2004 - beyond any int
    if not -limit <= number < limit:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return number


def hex_decode(text: str) -> bytes:
    """go-ethereum hexutil.Decode, with its error texts."""
    if not text:
        raise ValueError("empty hex string")
    if not text.startswith(("0x", "0X")):
        raise ValueError("hex string without 0x prefix")
    digits = text[2:]
    if len(digits) % 2:
        raise ValueError("hex string of odd length")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ValueError("invalid hex string") from None


def normalize_address(text: str) -> str:
    """core.NormalizeHexAddress: lowercase 0x + 40 hex digits, with its error texts."""
    lowered = text.lower()
    if not lowered.startswith("0x") or len(lowered.encode()) != 42:  # noqa: PLR2004
        raise ValueError(
            "invalid hex address: incorrect length, expected 42 characters including 0x prefix"
        )
    for position, char in enumerate(lowered[2:], start=2):
        if char not in "0123456789abcdef":
            raise ValueError(
                f"invalid hex address: character '{char}' at position {position} "
                "is not a valid hexadecimal character"
            )
    return lowered


def rfc3339(epoch_seconds: float) -> str:
    """Go's ``time.Format(time.RFC3339)`` of a UTC time: whole seconds and ``Z``."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
