"""Frames on the wire: ``[type, id, method, payload, ts]`` in, Go-marshalled answers out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
import time
from typing import Any

from custom_components.nitrolite.clearnode.v05 import go_json

from .gotypes import JsonNumber, load_json

INVALID_FORMAT = "invalid message format"
RESPONSE, ERROR = 2, 4
_DIGITS = re.compile(r"[0-9]+")
_FRAME_LENGTH = 5


class FrameError(Exception):
    """The frame cannot be decoded; answered with the id parsed so far and no method."""

    def __init__(self, request_id: int) -> None:
        """Keep the request id read before the failure (0 if none)."""
        super().__init__(INVALID_FORMAT)
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Request:
    """One decoded request; the payload is still untyped (each method types it)."""

    request_id: int
    method: str
    payload: dict[str, Any] | None


def parse_request(text: str) -> Request:
    """Decode a request frame with the real server's rules (PROTOCOL_V1.md §2.1)."""
    try:
        message = load_json(text)
    except ValueError:
        raise FrameError(0) from None
    if not isinstance(message, list) or len(message) != _FRAME_LENGTH:
        raise FrameError(0)
    message_type, request_id, method, payload, timestamp = message
    _uint_literal(message_type, 8, failing_id=0)
    parsed_id = _uint_literal(request_id, 64, failing_id=0)
    if method is not None and type(method) is not str:
        raise FrameError(parsed_id)
    if payload is not None and not isinstance(payload, dict):
        raise FrameError(parsed_id)
    _uint_literal(timestamp, 64, failing_id=parsed_id)
    return Request(parsed_id, method or "", payload)


def _uint_literal(value: Any, bits: int, *, failing_id: int) -> int:
    """Read an unsigned integer typed directly (no float64 on the way): digits only."""
    if value is None:
        return 0
    if not isinstance(value, JsonNumber) or not _DIGITS.fullmatch(value):
        raise FrameError(failing_id)
    if len(value) > 20 or int(value) >= 2**bits:  # noqa: PLR2004 - 2^64 has 20 digits
        raise FrameError(failing_id)
    return int(value)


def encode_response(request_id: int, method: str, result: Mapping[str, Any]) -> str:
    """Return a success frame; top-level result keys sorted, as Go marshals a map."""
    return _encode(RESPONSE, request_id, method, dict(sorted(result.items())))


def encode_error(request_id: int, method: str, message: str) -> str:
    """Return an error frame carrying the free-text message."""
    return _encode(ERROR, request_id, method, {"error": message})


def _encode(kind: int, request_id: int, method: str, payload: Mapping[str, Any]) -> str:
    return go_json([kind, request_id, method, payload, int(time.time() * 1000)])
