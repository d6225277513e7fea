"""Nitronode v1 wire encoding: ``[type, id, method, payload, ts]`` frames (PROTOCOL_V1 §2).

Requests are JSON arrays with no envelope signature; answers are type 2 (result) or 4
(``{"error": text}``). :func:`decode_frame` returns the dialect-neutral
:class:`~..frames.InboundFrame` the connection consumes. Amounts travel as decimal
strings that the node parses with shopspring/decimal and hashes in its ``String()``
form; hex travels lowercase.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import IntEnum
import json
import re
from typing import Any, TypeGuard

from ..addresses import is_hex_address
from ..amounts import AmountError, format_amount, parse_decimal
from ..connection import MAX_FRAME_CHARS, MAX_REQUEST_ID
from ..errors import (
    ClearNodeProtocolError,
    ClearNodeRateLimitedError,
    ClearNodeRejectedError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
)
from ..frames import FrameKind, InboundFrame, compact_json

UINT64_LIMIT = 1 << 64
# The node closes the socket (1009) on larger inbound frames (v1.3+ default).
MAX_REQUEST_BYTES = 128 * 1024
# The deepest answer (an app session's participant in a listing) nests 7 levels.
MAX_DEPTH = 16
MAX_METHOD_CHARS = 128
MAX_REASON_CHARS = 512

# What shopspring/decimal's NewFromString accepts: no spaces, underscores, hex, NaN.
_GO_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_VERSION_CONFLICT = re.compile(
    r"invalid app session version: expected (\d{1,20}), got (\d{1,20})"
)
_HEX = re.compile(r"0x[0-9a-fA-F]*")
_KINDS = {
    2: FrameKind.RESPONSE,
    3: FrameKind.PUSH,
    4: FrameKind.ERROR,
}


class MessageType(IntEnum):
    """Element 0 of a frame."""

    REQUEST = 1
    RESPONSE = 2
    EVENT = 3
    ERROR = 4


def _protocol_error(what: str) -> ClearNodeProtocolError:
    return ClearNodeProtocolError(f"malformed frame: {what}")


def is_uint(value: object, limit: int = UINT64_LIMIT) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer (not a bool) in ``[0, limit)``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit


def encode_request(
    request_id: int, method: str, payload: Mapping[str, Any], timestamp_ms: int
) -> str:
    """Return the text of ``[1, id, method, payload, ts]``, compact, as the SDK sends it."""
    if not is_uint(request_id, MAX_REQUEST_ID + 1):
        raise ClearNodeValidationError("request_id", "must be an integer in [0, 2**53)")
    if not isinstance(method, str) or not 0 < len(method) <= MAX_METHOD_CHARS:
        raise ClearNodeValidationError("method", "must be a method name")
    if not isinstance(payload, Mapping):
        raise ClearNodeValidationError("payload", "must be an object")
    if not is_uint(timestamp_ms):
        raise ClearNodeValidationError("timestamp", "must be a uint64 of milliseconds")
    text = compact_json(
        [MessageType.REQUEST, request_id, method, payload, timestamp_ms]
    )
    if len(text.encode()) > MAX_REQUEST_BYTES:
        raise ClearNodeValidationError(
            "payload", f"the request exceeds the node's {MAX_REQUEST_BYTES} bytes"
        )
    return text


def _refuse_constant(name: str) -> None:
    raise _protocol_error(f"{name} is not JSON")


def _check_depth(value: Any) -> None:
    pending = [(value, 1)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _protocol_error(f"nested deeper than {MAX_DEPTH} levels")
        children = container.values() if isinstance(container, dict) else container
        pending.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )


def _parse(text: str) -> Any:
    if not isinstance(text, str):
        raise _protocol_error("not text")
    if len(text) > MAX_FRAME_CHARS:
        raise _protocol_error(f"longer than {MAX_FRAME_CHARS} characters")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _protocol_error(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:
        raise _protocol_error(str(err)) from None
    if isinstance(value, dict | list):
        _check_depth(value)
    return value


def decode_frame(text: str) -> InboundFrame:
    """Decode a frame a client receives: a response, an error or an event."""
    frame = _parse(text)
    if not isinstance(frame, list) or len(frame) != 5:  # noqa: PLR2004 - five elements
        raise _protocol_error("not [type, id, method, payload, timestamp]")
    kind, request_id, method, payload, timestamp = frame
    if not is_uint(kind, 256) or kind not in _KINDS:
        raise _protocol_error(f"unexpected message type {kind!r}")
    if not is_uint(request_id) or not is_uint(timestamp):
        raise _protocol_error("id and timestamp must be uint64")
    if not isinstance(method, str) or len(method) > MAX_METHOD_CHARS:
        raise _protocol_error("bad method")
    if not isinstance(payload, dict):
        raise _protocol_error("the payload is not an object")
    if _KINDS[kind] is FrameKind.ERROR and not isinstance(payload.get("error"), str):
        raise _protocol_error("an error frame without an error text")
    return InboundFrame(_KINDS[kind], request_id, method, payload, "", ())


def rejected_error(method: str, reason: str) -> ClearNodeRejectedError:
    """Map a v1 error text to the most specific rejection class."""
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[:MAX_REASON_CHARS] + "…"
    if match := _VERSION_CONFLICT.match(reason):
        expected, got = (int(number) for number in match.groups())
        return ClearNodeVersionConflictError(method, reason, expected, got)
    if reason == "rate limit exceeded":
        return ClearNodeRateLimitedError(method, reason)
    return ClearNodeRejectedError(method, reason)


def parse_wire_decimal(text: str) -> Decimal:
    """Parse a decimal string as the node does (``"1.5"``, ``".5"``, ``"1e-7"``), bounded.

    The exponent of the result is the one written, which is what the node's precision
    check judges (``"1.0000000"`` has seven decimal places).
    """
    if not isinstance(text, str) or not _GO_DECIMAL.fullmatch(text):
        raise AmountError("not a decimal number")
    return parse_decimal(text)


def canonical_decimal(value: Decimal | str) -> str:
    """Return the form Go's ``decimal.String()`` prints: no exponent, no trailing zeros.

    ``"1.50"`` → ``"1.5"``, ``"1E2"`` → ``"100"``, ``"-0"`` → ``"0"``,
    ``"1e-7"`` → ``"0.0000001"``. Hashes are computed over this form.
    """
    amount = parse_wire_decimal(value) if isinstance(value, str) else value
    return format_amount(amount)


def check_precision(amount: Decimal, decimals: int) -> None:
    """Refuse more decimal places than ``decimals``, counted as written (node wording)."""
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):
        raise AmountError("not a finite number")
    if exponent < -decimals:
        raise AmountError(
            "amount exceeds maximum decimal precision: "
            f"max {decimals} decimals allowed, got {-exponent}"
        )


def hex_to_bytes(value: str, size: int, field: str) -> bytes:
    """Decode ``0x`` followed by exactly ``size`` bytes of hex (any case)."""
    if (
        not isinstance(value, str)
        or len(value) != 2 + 2 * size
        or not _HEX.fullmatch(value)
    ):
        raise ClearNodeValidationError(field, f"must be 0x and {size} bytes of hex")
    return bytes.fromhex(value[2:])


def wire_address(value: str, field: str) -> str:
    """Return a 0x address in the lowercase form the node compares against."""
    if not is_hex_address(value):
        raise ClearNodeValidationError(field, "not a 0x-prefixed 20-byte address")
    return value.lower()
