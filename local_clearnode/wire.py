"""Parsing of incoming G2 frames with the acceptance rules of the v0.5 server."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
import json
import re
from typing import Any

from custom_components.nitrolite.clearnode import ClearNodeError
from custom_components.nitrolite.clearnode.v05 import extract_raw, keccak256

from .params import is_int

INVALID_FORMAT = "invalid message format"
VALIDATION_FAILED = "message validation failed"
_HEX = re.compile(r"^0[xX]([0-9a-fA-F]{2})*$")
_UINT64_LIMIT = 1 << 64


class FrameError(Exception):
    """The frame cannot be handled; answered with a synthetic request id."""

    def __init__(self, message: str) -> None:
        """Keep the message the real server sends for this failure."""
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Request:
    """One decoded request and the exact text of its req array."""

    request_id: int
    method: str
    params: Any
    timestamp: int
    raw: str
    signatures: tuple[str, ...]

    @property
    def digest(self) -> bytes:
        """Keccak-256 of the req bytes exactly as received: what signers signed."""
        return keccak256(self.raw.encode())


def parse_request(frame_text: str) -> Request:
    """Decode a frame or raise FrameError with the server's message."""
    envelope = _load(frame_text)
    req = envelope.get("req")
    if not isinstance(req, list) or len(req) != 4:  # noqa: PLR2004 - [id, method, params, ts]
        raise FrameError(INVALID_FORMAT)
    request_id, method, params, timestamp = req
    if not (_uint64_or_null(request_id) and _uint64_or_null(timestamp)):
        raise FrameError(INVALID_FORMAT)
    if method is not None and not isinstance(method, str):
        raise FrameError(INVALID_FORMAT)
    signatures = _signatures(envelope.get("sig"))
    if not request_id or not method or params is None or not timestamp:
        raise FrameError(VALIDATION_FAILED)
    try:
        raw = extract_raw(frame_text, "req")
    except ClearNodeError as err:  # duplicate keys: refused rather than guessing which
        raise FrameError(INVALID_FORMAT) from err
    return Request(request_id, method, params, timestamp, raw, signatures)


def _load(frame_text: str) -> dict[str, Any]:
    try:
        envelope = json.loads(frame_text, parse_float=Decimal, parse_constant=_reject)
    except ValueError as err:
        raise FrameError(INVALID_FORMAT) from err
    if not isinstance(envelope, dict):
        raise FrameError(INVALID_FORMAT)
    return envelope


def _reject(literal: str) -> Any:
    """Go's decoder knows no NaN or Infinity literals."""
    raise ValueError(literal)


def _uint64_or_null(value: Any) -> bool:
    return value is None or (is_int(value) and 0 <= value < _UINT64_LIMIT)


def _signatures(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise FrameError(INVALID_FORMAT)
    if not all(isinstance(item, str) and _HEX.match(item) for item in value):
        raise FrameError(INVALID_FORMAT)
    return tuple(value)
