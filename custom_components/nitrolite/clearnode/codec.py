"""ClearNode v0.5 wire encoding: the ``req``/``res`` envelope (PROTOCOL.md §3, §4, §8).

This module is the v0.5 "dialect" of the wire format. The connection only relies on
:func:`decode_frame` returning an :class:`InboundFrame`; a later dialect can provide its
own decoder with the same result type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
import json
import re
from typing import TYPE_CHECKING, Any, Literal

from eth_hash.auto import keccak

from .amounts import format_amount
from .errors import ClearNodeProtocolError

if TYPE_CHECKING:
    from .models import AppDefinition

_DECODER = json.JSONDecoder()
# The broker signs each frame once; a few more signatures are tolerated, thousands
# would hold the event loop while they are checked. Frames over the bound are refused
# unverified.
MAX_FRAME_SIGNATURES = 4
# The deepest v0.5 answer (a page of app sessions) nests five levels.
MAX_NESTING = 16
# Server error texts are short sentences; longer ones are cut before they reach logs.
MAX_REASON_CHARS = 500
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_HEX_SIGNATURE = re.compile(r"0x[0-9a-fA-F]*")
# Characters Go's json.Marshal escapes inside strings (HTML-safe mode, Go 1.19).
_GO_ESCAPED = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_GO_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_DEFINITION_KEYS = (
    "application",
    "protocol",
    "participants",
    "weights",
    "quorum",
    "challenge",
    "nonce",
)
_DEFINITION_DEFAULTS: dict[str, Any] = {
    "application": "",
    "protocol": "",
    "participants": None,
    "weights": None,
    "quorum": 0,
    "challenge": 0,
    "nonce": 0,
}


def keccak256(data: bytes) -> bytes:
    """Return the Keccak-256 digest (not SHA3-256) of ``data``."""
    return keccak(data)


def compact_json(value: Any) -> str:
    """Encode like ``JSON.stringify``: no whitespace, insertion order, raw UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _go_escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _GO_SHORT_ESCAPES:
        return _GO_SHORT_ESCAPES[char]
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return f"\\u{ord(char):04x}"


def _go_string(text: str) -> str:
    return '"' + _GO_ESCAPED.sub(_go_escape_char, text) + '"'


def _go_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _go_string(format_amount(value))
    if isinstance(value, str):
        return _go_string(value)
    msg = f"cannot encode {type(value).__name__} as Go JSON"
    raise TypeError(msg)


def go_json(value: Any) -> str:
    """Encode like Go's ``json.Marshal`` (compact, HTML-escaped strings, raw UTF-8).

    Decimals are written as JSON strings, the way shopspring/decimal marshals them.
    """
    if isinstance(value, Mapping):
        items = (f"{_go_string(str(k))}:{go_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    return _go_scalar(value)


def encode_request(
    request_id: int, method: str, params: Mapping[str, Any], timestamp_ms: int
) -> str:
    """Return the text of the ``req`` array; these exact bytes are what gets signed."""
    return compact_json([request_id, method, params, timestamp_ms])


def frame_request(req_text: str, signatures: Sequence[str]) -> str:
    """Wrap an encoded ``req`` array into the envelope without re-encoding it."""
    return '{"req":' + req_text + ',"sig":' + compact_json(list(signatures)) + "}"


def encode_response(
    request_id: int, method: str, result: Any, timestamp_ms: int
) -> str:
    """Return the text of a ``res`` array exactly as the Go server marshals it."""
    return go_json([request_id, method, result, timestamp_ms])


def frame_response(res_text: str, signatures: Sequence[str]) -> str:
    """Wrap an encoded ``res`` array into the envelope, ``res`` first as Go does."""
    return '{"res":' + res_text + ',"sig":' + go_json(list(signatures)) + "}"


@dataclass(frozen=True, slots=True)
class RawValue:
    """A top-level envelope value: its exact text and its parsed form."""

    raw: str
    value: Any


def _skip_whitespace(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _expect(text: str, index: int, char: str) -> int:
    index = _skip_whitespace(text, index)
    if not text.startswith(char, index):
        msg = f"malformed frame: expected {char!r} at offset {index}"
        raise ClearNodeProtocolError(msg)
    return index + 1


def _decode_value(text: str, index: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, index)
    except json.JSONDecodeError as err:
        msg = f"malformed frame: {err.msg} at offset {err.pos}"
        raise ClearNodeProtocolError(msg) from None
    except (ValueError, RecursionError) as err:  # huge integers, deep nesting
        msg = f"malformed frame: {type(err).__name__}"
        raise ClearNodeProtocolError(msg) from None


def _check_nesting(value: Any) -> None:
    """Refuse arrays and objects nested deeper than MAX_NESTING (walked, not recursed)."""
    pending: list[tuple[Any, int]] = (
        [(value, 1)] if isinstance(value, dict | list) else []
    )
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            msg = f"malformed frame: nested deeper than {MAX_NESTING} levels"
            raise ClearNodeProtocolError(msg)
        children = node.values() if isinstance(node, dict) else node
        pending.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )


def split_frame(text: str) -> dict[str, RawValue]:
    """Parse a top-level JSON object, keeping each value's exact text.

    Duplicate keys are refused, so the signed text and the parsed value can never
    come from two different copies of a key.
    """
    fields: dict[str, RawValue] = {}
    index = _expect(text, 0, "{")
    index = _skip_whitespace(text, index)
    if text.startswith("}", index):
        return _finish(text, index + 1, fields)
    while True:
        key, index = _decode_value(text, _skip_whitespace(text, index))
        if not isinstance(key, str) or key in fields:
            msg = "malformed frame: bad or duplicate key"
            raise ClearNodeProtocolError(msg)
        start = _skip_whitespace(text, _expect(text, index, ":"))
        value, index = _decode_value(text, start)
        fields[key] = RawValue(text[start:index], value)
        index = _skip_whitespace(text, index)
        if text.startswith("}", index):
            return _finish(text, index + 1, fields)
        index = _expect(text, index, ",")


def _finish(text: str, index: int, fields: dict[str, RawValue]) -> dict[str, RawValue]:
    if _skip_whitespace(text, index) != len(text):
        msg = "malformed frame: trailing data"
        raise ClearNodeProtocolError(msg)
    return fields


def extract_raw(frame_text: str, key: Literal["req", "res"]) -> str:
    """Return the text of the ``req`` or ``res`` array exactly as received."""
    fields = split_frame(frame_text)
    if key not in fields:
        msg = f"malformed frame: no {key!r} key"
        raise ClearNodeProtocolError(msg)
    return fields[key].raw


class FrameKind(StrEnum):
    """What an inbound frame is, independent of the wire dialect."""

    RESPONSE = "response"
    ERROR = "error"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class InboundFrame:
    """A decoded server frame, as the connection sees it."""

    kind: FrameKind
    request_id: int
    method: str
    payload: Any
    signed_text: str
    signatures: tuple[str, ...]

    @property
    def error_reason(self) -> str:
        """The server's error text of an ``error`` frame (at most MAX_REASON_CHARS)."""
        reason = (
            self.payload.get("error", "")
            if isinstance(self.payload, Mapping)
            else self.payload
        )
        return str(reason)[:MAX_REASON_CHARS]


def _is_uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _signatures(fields: dict[str, RawValue]) -> tuple[str, ...]:
    sig = fields["sig"].value if "sig" in fields else []
    if isinstance(sig, list) and len(sig) > MAX_FRAME_SIGNATURES:
        msg = f"malformed frame: {len(sig)} signatures"
        raise ClearNodeProtocolError(msg)
    if not isinstance(sig, list) or not all(
        isinstance(s, str) and _HEX_SIGNATURE.fullmatch(s) for s in sig
    ):
        msg = "malformed frame: bad sig list"
        raise ClearNodeProtocolError(msg)
    return tuple(sig)


def decode_frame(text: str) -> InboundFrame:
    """Decode a v0.5 server frame ``{"res":[id, method, result, ts], "sig":[...]}``."""
    fields = split_frame(text)
    if "res" not in fields:
        msg = "malformed frame: no 'res' key"
        raise ClearNodeProtocolError(msg)
    res = fields["res"].value
    _check_nesting(res)
    if (
        not isinstance(res, list)
        or len(res) != 4  # noqa: PLR2004 - the res array has four elements
        or not _is_uint(res[0])
        or not isinstance(res[1], str)
        or not _is_uint(res[3])
    ):
        msg = "malformed frame: 'res' is not [id, method, result, timestamp]"
        raise ClearNodeProtocolError(msg)
    request_id, method, payload, _ = res
    kind = FrameKind.RESPONSE
    if method == "error":
        kind = FrameKind.ERROR
    elif request_id == 0:
        kind = FrameKind.PUSH
    return InboundFrame(
        kind, request_id, method, payload, fields["res"].raw, _signatures(fields)
    )


def _definition_fields(definition: AppDefinition | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(definition, Mapping):
        return {k: definition.get(k, _DEFINITION_DEFAULTS[k]) for k in _DEFINITION_KEYS}
    return {k: getattr(definition, k) for k in _DEFINITION_KEYS}


def app_session_id(definition: AppDefinition | Mapping[str, Any]) -> str:
    """Derive the app session id the server will assign to ``definition`` (§8)."""
    preimage = go_json(_definition_fields(definition))
    return "0x" + keccak256(preimage.encode()).hex()
