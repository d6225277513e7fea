"""JSON exactly as Go's ``json.Marshal`` writes it: what the ClearNode signs and hashes."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import re
from typing import Any

from ..amounts import format_amount

# Characters Go's json.Marshal escapes inside strings (HTML-safe mode, Go 1.19).
_GO_ESCAPED = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_GO_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


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
