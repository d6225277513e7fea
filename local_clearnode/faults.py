"""Fault injection for tests: all off by default."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


async def _no_sockets(_text: str) -> None:
    """Stand-in until the server binds send_raw to its sockets."""


@dataclass(slots=True)
class Faults:
    """Misbehaviour switches, read by the server on every request."""

    silent_methods: set[str] = field(default_factory=set)
    close_on_methods: set[str] = field(default_factory=set)
    corrupt_signatures: bool = False
    reject_jwt: bool = False
    refuse_logins: bool = False
    # Logins succeed but keep no session key, as if another login replaced each at once.
    drop_session_keys: bool = False
    delay: float = 0.0
    # WebSocket upgrades wait until this event is set (a handshake that takes long).
    handshake_gate: asyncio.Event | None = None
    send_raw: Callable[[str], Awaitable[None]] = _no_sockets
    # Not a fault: every well-formed request received, by method (before any fault).
    received: Counter[str] = field(default_factory=Counter)
