"""Fault injection for tests: all off by default."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


async def _no_sockets(_text: str) -> None:
    """Stand-in until the server binds send_raw to its sockets."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A per-connection frame budget: ``per_second`` refill, ``burst`` capacity."""

    per_second: float
    burst: float


@dataclass(slots=True)
class Faults:
    """Misbehaviour switches, read by the server on every frame.

    ``refuse_next`` answers that many of the next requests with the node's generic
    failure text and changes nothing. ``rate_limit`` replaces the budget of sockets
    opened afterwards. ``corrupt_node_signatures`` makes the node co-sign channel states
    with another key.
    """

    silent_methods: set[str] = field(default_factory=set)
    close_on_methods: set[str] = field(default_factory=set)
    delay: float = 0.0
    refuse_next: int = 0
    stop_pinging: bool = False
    ignore_pongs: bool = False
    corrupt_node_signatures: bool = False
    rate_limit: RateLimit | None = None
    send_raw: Callable[[str], Awaitable[None]] = _no_sockets
    # Not a fault: every decodable request received, by method (before any fault).
    received: Counter[str] = field(default_factory=Counter)
