"""Frames whatever the wire dialect: the decoded form, and compact JSON text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import json
from typing import Any

# Server error texts are short sentences; longer ones are cut before they reach logs.
MAX_REASON_CHARS = 500


class FrameKind(StrEnum):
    """What an inbound frame is, independent of the wire dialect."""

    RESPONSE = "response"
    ERROR = "error"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class InboundFrame:
    """A decoded server frame, as the connection sees it.

    ``signed_text`` and ``signatures`` are what the dialect's verifier checks (empty
    where the dialect signs no envelopes).
    """

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


def compact_json(value: Any) -> str:
    """Encode like ``JSON.stringify``: no whitespace, insertion order, raw UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
