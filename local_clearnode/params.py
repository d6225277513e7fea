"""Decoding of request parameters with the rules of Go's encoding/json.

The real server decodes params into Go structs: absent and null fields take their zero
value, unknown keys are ignored, and a value of the wrong JSON type fails the whole
decode (reported as "failed to parse parameters").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
import re
from typing import Any

from .errors import ParamsError

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INT64_LIMIT = 1 << 63


def as_object(value: Any) -> Mapping[str, Any]:
    """Params must be a JSON object (an array, as in protocol G1, fails)."""
    if not isinstance(value, dict):
        raise ParamsError
    return value


def text(params: Mapping[str, Any], key: str) -> str:
    """Decode a Go string field."""
    value = params.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParamsError
    return value


def optional_text(params: Mapping[str, Any], key: str) -> str | None:
    """Decode a Go *string field: None when absent or null."""
    if params.get(key) is None:
        return None
    return text(params, key)


def uint(params: Mapping[str, Any], key: str, bits: int = 64) -> int:
    """Decode a Go unsigned integer field (uint64 by default)."""
    value = params.get(key)
    if value is None:
        return 0
    if not is_int(value) or not 0 <= value < (1 << bits):
        raise ParamsError
    return int(value)


def decimal(params: Mapping[str, Any], key: str) -> Decimal:
    """Decode a shopspring decimal.Decimal field: a JSON string or number."""
    value = params.get(key)
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ParamsError
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value):
        raise ParamsError
    return Decimal(value)


def text_list(params: Mapping[str, Any], key: str) -> list[str] | None:
    """Decode a Go []string field: None (Go nil) when absent or null."""
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParamsError
    return list(value)


def int64_list(params: Mapping[str, Any], key: str) -> list[int] | None:
    """Decode a Go []int64 field: None (Go nil) when absent or null."""
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(_is_int64(item) for item in value):
        raise ParamsError
    return [int(item) for item in value]


def object_list(params: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """Decode a Go slice of structs; null elements decode to zero structs."""
    value = params.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParamsError
    return [{} if item is None else as_object(item) for item in value]


def is_int(value: Any) -> bool:
    """Tell whether a value is a JSON integer literal (floats arrive as Decimal)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_int64(value: Any) -> bool:
    return is_int(value) and -_INT64_LIMIT <= value < _INT64_LIMIT


@dataclass(frozen=True, slots=True)
class Allocation:
    """AppAllocation: {participant, asset, amount}."""

    participant: str
    asset: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Definition:
    """AppDefinition, field order as Go marshals it."""

    application: str
    protocol: str
    participants: list[str] | None
    weights: list[int] | None
    quorum: int
    challenge: int
    nonce: int

    def as_go_mapping(self) -> dict[str, Any]:
        """Return the mapping Go's json.Marshal would write, in struct order."""
        return {
            "application": self.application,
            "protocol": self.protocol,
            "participants": self.participants,
            "weights": self.weights,
            "quorum": self.quorum,
            "challenge": self.challenge,
            "nonce": self.nonce,
        }


def allocations(
    params: Mapping[str, Any], key: str = "allocations"
) -> list[Allocation]:
    """Decode a []AppAllocation field."""
    return [
        Allocation(
            text(item, "participant"), text(item, "asset"), decimal(item, "amount")
        )
        for item in object_list(params, key)
    ]


def definition(params: Mapping[str, Any]) -> Definition:
    """Decode the "definition" field of create_app_session."""
    raw = params.get("definition")
    body = {} if raw is None else as_object(raw)
    return Definition(
        application=text(body, "application"),
        protocol=text(body, "protocol"),
        participants=text_list(body, "participants"),
        weights=int64_list(body, "weights"),
        quorum=uint(body, "quorum"),
        challenge=uint(body, "challenge"),
        nonce=uint(body, "nonce"),
    )
