"""ClearNode v0.5 wire encoding: the ``req``/``res`` envelope (PROTOCOL.md §3, §4).

A request is signed over the exact text of its ``req`` array, an answer over the exact
text of its ``res`` array, so both are framed around text that is never re-encoded.
:func:`decode_frame` returns the dialect-neutral :class:`~..frames.InboundFrame`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import json
import re
import time
from typing import Any, Literal

from ..errors import ClearNodeProtocolError
from ..frames import FrameKind, InboundFrame, compact_json
from .gojson import go_json

_DECODER = json.JSONDecoder()
# The broker signs each frame once; a few more signatures are tolerated, thousands
# would hold the event loop while they are checked. Frames over the bound are refused
# unverified.
MAX_FRAME_SIGNATURES = 4
# The deepest v0.5 answer (a page of app sessions) nests five levels.
MAX_NESTING = 16
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_HEX_SIGNATURE = re.compile(r"0x[0-9a-fA-F]*")


def now_ms() -> int:
    """Return the timestamp requests carry: Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


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


def _required(fields: dict[str, RawValue], key: Literal["req", "res"]) -> RawValue:
    if key not in fields:
        msg = f"malformed frame: no {key!r} key"
        raise ClearNodeProtocolError(msg)
    return fields[key]


def extract_raw(frame_text: str, key: Literal["req", "res"]) -> str:
    """Return the text of the ``req`` or ``res`` array exactly as received."""
    return _required(split_frame(frame_text), key).raw


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
    res_field = _required(fields, "res")
    res = res_field.value
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
        kind, request_id, method, payload, res_field.raw, _signatures(fields)
    )
